"""`flask demo load`: a realistic directory, one working account per role, safe to run again."""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from reception.accounts.models import User, UserRole
from reception.accounts.validation import is_valid_iin, normalize_phone
from reception.api.models import ApiClient
from reception.api.scopes import INTEGRATION_SCOPES
from reception.booking.models import Appointment, AppointmentStatus, Reservation
from reception.cli.demo import DEMO_PASSWORD, load_demo_data
from reception.cli.demo_data import ACCOUNTS
from reception.cli.demo_work import APPEALS_CLIENT
from reception.core.clock import local_today, utcnow
from reception.core.permissions import Role
from reception.directory.models import (
    Body,
    BodyLevel,
    Official,
    Region,
    Topic,
    Venue,
    VenueKind,
    body_topics,
)
from reception.extensions import db as _db
from reception.notifications.models import OutboxMessage
from reception.schedule.models import BookingMode, ReceptionSession, Schedule, Slot, UnifiedDay, VisitingReception
from tests.conftest import post_form

AKIMAT_LEVELS = (BodyLevel.REGIONAL, BodyLevel.CITY, BodyLevel.DISTRICT)
KAZAKH_LETTERS = set("әғқңөұүһі")


def _studio_day_over() -> bool:
    """Late in the day (the capital's time) today's studio reception moves to the next working day
    (reception.cli.demo_work.LAST_START_TODAY); before 16:00 one is still to come today."""
    return utcnow().astimezone(ZoneInfo("Asia/Almaty")).time() >= time(16)


def _count(model_or_table) -> int:
    return _db.session.scalar(select(func.count()).select_from(model_or_table))


def _bodies(*levels: BodyLevel) -> list[Body]:
    return list(_db.session.scalars(select(Body).where(Body.level.in_(levels))))


def _counts() -> dict[str, int]:
    return {name: _count(t) for name, t in [("bodies", Body), ("officials", Official), ("venues", Venue),
                                            ("users", User), ("user_roles", UserRole),
                                            ("body_topics", body_topics), ("schedules", Schedule),
                                            ("sessions", ReceptionSession), ("slots", Slot),
                                            ("unified_days", UnifiedDay), ("visits", VisitingReception),
                                            ("appointments", Appointment), ("reservations", Reservation),
                                            ("api_clients", ApiClient)]}


@pytest.fixture
def demo_day(ctx) -> date:
    """The capital's date when the test starts, which the demo is loaded for. Not taken once at import: a run
    that crosses midnight would then load for one day and check against another."""
    return local_today()


@pytest.fixture
def demo(ctx, demo_day):
    """The directory, accounts and coming receptions; the year of history is tested in test_demo_history."""
    accounts = load_demo_data(demo_day, history=False)
    _db.session.flush()
    return accounts


def test_demo_has_the_pa_reception_ministries_and_all_akimats(demo):
    levels = dict(_db.session.execute(select(Body.level, func.count()).group_by(Body.level)).all())
    assert levels[BodyLevel.PRESIDENTIAL] == 1
    assert levels[BodyLevel.CENTRAL] >= 12
    assert levels[BodyLevel.REGIONAL] == 17
    assert levels[BodyLevel.CITY] == 3
    assert levels[BodyLevel.DISTRICT] >= 10
    first_level = _bodies(BodyLevel.REGIONAL, BodyLevel.CITY)
    assert {b.region.code for b in first_level} == set(_db.session.scalars(select(Region.code)))
    pa = _db.session.scalars(select(Body).where(Body.code == "pa-reception")).one()
    assert pa.level is BodyLevel.PRESIDENTIAL and pa.region is None


def test_district_akimats_belong_to_a_first_level_akimat_in_five_regions(demo):
    districts = _bodies(BodyLevel.DISTRICT)
    assert len({d.region_id for d in districts}) >= 5
    for d in districts:
        assert d.parent.level in (BodyLevel.REGIONAL, BodyLevel.CITY)
        assert d.parent.region_id == d.region_id


def test_every_akimat_and_ministry_has_a_head_and_an_office(demo):
    for body in _bodies(BodyLevel.PRESIDENTIAL, BodyLevel.CENTRAL, *AKIMAT_LEVELS):
        assert sum(o.is_head for o in body.officials) == 1, body.code
        assert [v.kind for v in body.venues].count(VenueKind.OFFICE) == 1, body.code


def test_every_first_level_akimat_has_one_studio_with_floor_and_phone(demo):
    studios = list(_db.session.scalars(select(Venue).where(Venue.kind == VenueKind.STUDIO)))
    assert len(studios) == 20
    assert {s.body.level for s in studios} == {BodyLevel.REGIONAL, BodyLevel.CITY}
    assert len({s.body_id for s in studios}) == 20
    for s in studios:
        assert s.floor and s.phone and s.region_id == s.body.region_id


def test_every_phone_is_valid_e164(demo):
    phones = [*_db.session.scalars(select(Body.phone).where(Body.phone.is_not(None))),
              *_db.session.scalars(select(Venue.phone).where(Venue.phone.is_not(None))),
              *_db.session.scalars(select(User.phone).where(User.phone.is_not(None)))]
    assert len(phones) > 100
    for phone in phones:
        assert normalize_phone(phone) == phone


def test_ministries_and_akimats_have_competences(demo):
    for body in _bodies(BodyLevel.CENTRAL):
        assert body.topics, body.code
    health = _db.session.scalars(select(Body).where(Body.code == "min-health")).one()
    assert [t.code for t in health.topics] == ["health"]
    labour = _db.session.scalars(select(Body).where(Body.code == "min-labour")).one()
    assert {t.code for t in labour.topics} == {"social", "social.benefits", "social.disability", "employment"}
    for body in _bodies(*AKIMAT_LEVELS):
        assert {"housing", "land", "social", "health", "other"} <= {t.code for t in body.topics}, body.code
    pa = _db.session.scalars(select(Body).where(Body.code == "pa-reception")).one()
    top_level = set(_db.session.scalars(select(Topic.code).where(Topic.parent_id.is_(None))))
    assert {t.code for t in pa.topics} == top_level


def test_names_are_given_in_three_languages_with_kazakh_letters(demo):
    akimat = _db.session.scalars(select(Body).where(Body.code == "akimat-kz-15")).one()
    assert (akimat.name_kk, akimat.name_ru, akimat.name_en) == (
        "Ақтөбе облысының әкімдігі", "Акимат Актюбинской области", "Akimat of Aktobe Region")
    akim = next(o for o in akimat.officials if o.is_head)
    assert (akim.position_kk, akim.position_ru, akim.position_en) == (
        "Ақтөбе облысының әкімі", "Аким Актюбинской области", "Akim of Aktobe Region")
    assert akimat.address_ru.startswith("г. Актобе, ")
    for body in _bodies(*BodyLevel):
        assert body.name_kk and body.name_ru and body.name_en and body.address_kk
    assert all(KAZAKH_LETTERS & set(b.name_kk) for b in _bodies(BodyLevel.CENTRAL))


def test_every_role_has_a_demo_account_and_the_pa_reception_office_its_own_assistant(demo):
    assert sorted({role for role, _ in demo}) == sorted(r.value for r in Role)
    for role in Role:
        emails = [email for r, email in demo if r == role.value]
        users = list(_db.session.scalars(select(User).join(UserRole).where(UserRole.role == role,
                                                                           User.email.like("%@demo.kz"))))
        assert sorted(u.email for u in users) == sorted(emails)
        assert len(emails) == (2 if role is Role.ASSISTANT else 1), role
    pa_assistant = _db.session.scalars(select(User).where(User.email == "pa-assistant@demo.kz")).one()
    assert pa_assistant.body.code == "pa-reception"
    assert {u.language for u in _db.session.scalars(select(User))} >= {"kk", "ru"}


def test_staff_accounts_belong_to_their_bodies(demo):
    by_role = {role: _db.session.scalars(select(User).where(User.email == email)).one() for role, email in demo
               if email != "pa-assistant@demo.kz"}
    for role in ("official", "assistant", "studio_operator"):
        assert by_role[role].body.code == "akimat-kz-15"
    assert by_role["agency_rep"].body.level in (BodyLevel.CENTRAL, BodyLevel.DISTRICT)
    assert by_role["legal_consultant"].body.level is BodyLevel.OTHER
    assert by_role["admin"].body is None and by_role["monitor"].body is None
    akim = _db.session.scalars(select(Official).where(Official.user_id == by_role["official"].id)).one()
    assert akim.is_head and akim.body.code == "akimat-kz-15"
    citizen = by_role["citizen"]
    assert is_valid_iin(citizen.iin) and citizen.phone == "+77011234567"
    assert citizen.region.code == "KZ-15" and citizen.language == "ru" and citizen.body is None


@pytest.mark.parametrize("email", [a.email for a in ACCOUNTS])
def test_each_demo_account_can_log_in(demo, client, email):
    _db.session.commit()  # releases the savepoint; the outer transaction is still rolled back
    response = post_form(client, "/login", {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_loading_twice_creates_and_changes_nothing(demo, demo_day):
    before = _counts()
    password_hash = _db.session.scalar(select(User.password_hash).where(User.email == "admin@demo.kz"))
    assert load_demo_data(demo_day, history=False) == demo
    _db.session.flush()
    assert _counts() == before
    assert _db.session.scalar(select(User.password_hash).where(User.email == "admin@demo.kz")) == password_hash


def test_the_administrator_finds_the_appeals_system_among_the_integration_clients(demo, client, login_as):
    appeals = _db.session.scalar(select(ApiClient).where(ApiClient.name == APPEALS_CLIENT))
    assert appeals.body_id is None and appeals.scope_set == set(INTEGRATION_SCOPES) and appeals.is_active
    _db.session.commit()
    login_as(Role.ADMIN)
    assert APPEALS_CLIENT in client.get("/admin/api-clients/").get_data(as_text=True)


def test_loading_again_keeps_what_an_administrator_edited(demo, demo_day):
    body = _db.session.scalars(select(Body).where(Body.code == "min-health")).one()
    body.name_en = "Ministry of Health"
    body.topics = []
    _db.session.flush()
    load_demo_data(demo_day, history=False)
    _db.session.flush()
    assert body.name_en == "Ministry of Health" and body.topics == []


def test_loading_restores_a_deleted_demo_row(demo, demo_day):
    # Karaganda's studio: Aktobe's has the demo's video receptions (a venue with bookings is never deleted).
    studio = _db.session.scalars(select(Venue).join(Body).where(Body.code == "akimat-kz-35",
                                                                Venue.kind == VenueKind.STUDIO)).one()
    _db.session.delete(studio)
    _db.session.flush()
    load_demo_data(demo_day, history=False)
    _db.session.flush()
    assert _count(select(Venue).where(Venue.kind == VenueKind.STUDIO).subquery()) == 20


def test_cli_command_loads_and_prints_the_logins(app, db):
    # With the `db` fixture active the command's commit only releases a savepoint: nothing persists.
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        assert DEMO_PASSWORD in result.output
        for email in ("citizen@demo.kz", "official@demo.kz", "admin@demo.kz", "lawyer@demo.kz"):
            assert email in result.output
    assert _count(select(Venue).where(Venue.kind == VenueKind.STUDIO).subquery()) == 20


def test_heads_have_reception_hours_and_the_citizen_can_book_one(demo, client):
    heads_with_hours = set(_db.session.scalars(select(Schedule.official_id)))
    akim = _db.session.scalars(select(Official).join(Body).where(Body.code == "akimat-kz-15",
                                                                 Official.is_head)).one()
    assert akim.id in heads_with_hours
    pa_schedule = _db.session.scalars(select(Schedule).join(Official).join(Body)
                                      .where(Body.code == "pa-reception")).one()
    assert pa_schedule.booking_mode is BookingMode.REQUEST
    _db.session.commit()
    post_form(client, "/login", {"login": "citizen@demo.kz", "password": DEMO_PASSWORD})
    page = client.get("/reception/", query_string={"official": akim.id}).get_data(as_text=True)
    assert "/book" in page, "the akim of Aktobe Region has free reception time in the next weeks"


def test_a_unified_day_and_a_visiting_reception_in_aktobe_region_are_announced(demo, client):
    day = _db.session.scalars(select(UnifiedDay)).one()
    published = [s for s in _db.session.scalars(select(ReceptionSession).where(
        ReceptionSession.unified_day_id == day.id)) if s.is_published]
    assert [s.official.body.code for s in published] == ["akimat-kz-15"]
    visit = _db.session.scalars(select(VisitingReception)).one()
    assert visit.region.code == "KZ-15" and len(visit.sessions) == 2
    citizen = _db.session.scalars(select(User).where(User.email == "citizen@demo.kz")).one()
    assert _db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.user_id == citizen.id, OutboxMessage.kind == "visiting_announced")) == 1


def test_every_role_of_a_reception_finds_work_in_the_demo(app, db):
    """The held reception's follow-up and the coming reception's invitation and legal review."""
    with app.test_request_context():  # left before the pages are opened: each request has its own
        load_demo_data(local_today())
        _db.session.commit()

    def page(email: str, url: str) -> str:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert post_form(client, "/login", {"login": email, "password": DEMO_PASSWORD}).status_code == 302
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    assert "Байжанов Ержан Серікұлы" in page("agency@demo.kz", "/staff/invitations/")
    assert "Восстановить отопление" in page("agency@demo.kz", "/staff/instructions/")
    assert "/legal/reviews/" in page("lawyer@demo.kz", "/legal/")
    assert "Восстановить отопление" in page("assistant@demo.kz", "/staff/follow-ups/")
    appointments = page("citizen@demo.kz", "/my/appointments/")
    assert appointments.count("/my/appointments/") >= 2
    # The monitor's home reads last month's figures out (the year of history has them).
    headline = page("monitor@demo.kz", "/home").split('id="headline">', 1)[1].split("</p>", 1)[0]
    assert re.search(r"\d", headline), headline


def test_every_demo_reception_office_names_its_responsible_person(demo):
    offices = _db.session.scalars(select(Body).join(Venue).where(Venue.kind == VenueKind.OFFICE).distinct()).all()
    assert len(offices) > 40
    for body in offices:
        assert body.has_responsible_person and body.responsible_position_ru, body.code
    aktobe = _db.session.scalars(select(Body).where(Body.code == "akimat-kz-15")).one()
    assert aktobe.responsible_short_name == "Мұратова Г. Е."


def test_the_pa_reception_office_has_requests_waiting_for_screening(demo):
    requests = _db.session.scalars(select(Appointment).join(Official).join(Body).where(
        Body.code == "pa-reception", Appointment.status == AppointmentStatus.REQUESTED)).all()
    assert len(requests) == 3
    assert len({r.citizen_id for r in requests}) == 3


def test_the_aktobe_studio_has_video_receptions_today_and_this_week(demo, demo_day):
    bookings = _db.session.scalars(select(Appointment).join(Venue, Venue.id == Appointment.studio_id).join(Body).where(
        Body.code == "akimat-kz-15", Appointment.status == AppointmentStatus.SCHEDULED)).all()
    days = sorted(b.session.local_date for b in bookings)
    assert len(days) == 3 and days[-1] < demo_day + timedelta(days=7)
    assert all(b.slot.starts_at > utcnow() for b in bookings)  # still to come: the operator's work ahead
    if not _studio_day_over():
        assert days[0] == demo_day
    for b in bookings:
        assert b.citizen.region.code == "KZ-15" and b.talon_number and b.accepted_by_name
        assert _count(select(Reservation).where(Reservation.appointment_id == b.id).subquery()) == 2


def test_every_demo_roles_home_shows_work(app, db):
    """Log in as each demo account: its home page (and the list it leads to) has something to do."""
    with app.test_request_context():
        load_demo_data(local_today(), history=False)
        for user in _db.session.scalars(select(User).where(User.email.like("%@demo.kz"))):
            user.language = "en"  # the pages in English, whatever each account prefers
        _db.session.commit()

    def page(email: str, url: str) -> str:
        client = app.test_client()
        assert post_form(client, "/login", {"login": email, "password": DEMO_PASSWORD}).status_code == 302
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    # The Presidential reception office's assistant: its requests wait in the screening queue.
    assert "Requests to screen: 3 wait for a decision" in page("pa-assistant@demo.kz", "/home")
    queue = page("pa-assistant@demo.kz", "/staff/requests/")
    assert "Аманова" in queue or "Сейітқали" in queue
    # The urgent one (a child's operation), sent today, comes first, before the older requests.
    first_row = queue.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "Urgent" in first_row and "Нұрмағамбетова" in first_row
    # The legal consultant's home lists the case their queue has (it used to say the queue was empty).
    home = page("lawyer@demo.kz", "/home")
    assert "/legal/reviews/" in home and "Your queue is empty" not in home
    # The studio operator: today's and the week's video receptions in the Aktobe studio.
    assert "Video studio" in page("studio@demo.kz", "/home")
    studio = page("studio@demo.kz", "/studio/")
    assert studio.count("Жақсыбеков") + studio.count("Петренко") + studio.count("Нұрмағамбетова") >= 3
    # The others, as before: the citizen's appointments, the akimat's follow-ups and invitations.
    assert "/my/appointments/" in page("citizen@demo.kz", "/my/appointments/")
    assert "Akim of Aktobe Region" in page("official@demo.kz", "/home")
    assert "Восстановить отопление" in page("official@demo.kz", "/staff/follow-ups/")
    assert "Восстановить отопление" in page("assistant@demo.kz", "/staff/follow-ups/")
    assert "Байжанов Ержан Серікұлы" in page("agency@demo.kz", "/staff/invitations/")
    assert "Competences of my body" in page("agency@demo.kz", "/home")
    admin = page("admin@demo.kz", "/staff/requests/")
    assert "Аманова" in admin or "Сейітқали" in admin
    # The citizen's talon names the Aktobe reception office's responsible person, by surname and initials.
    appointments = page("citizen@demo.kz", "/my/appointments/")
    talon_ids = sorted(set(re.findall(r"/my/appointments/(\d+)\"", appointments)))
    talons = [page("citizen@demo.kz", f"/my/appointments/{i}") for i in talon_ids]
    assert any("Мұратова Г. Е." in t for t in talons)
    assert any("Add to my calendar" in t for t in talons)


def test_a_reload_a_week_later_gives_the_studio_a_fresh_week(demo, time_machine):
    time_machine.move_to(utcnow() + timedelta(days=8), tick=True)
    later = local_today()
    load_demo_data(later, history=False)
    _db.session.flush()
    before = _counts()
    load_demo_data(later, history=False)
    _db.session.flush()
    assert _counts() == before
    coming = _db.session.scalars(select(Appointment).join(Venue, Venue.id == Appointment.studio_id).join(Body).where(
        Body.code == "akimat-kz-15", Appointment.status == AppointmentStatus.SCHEDULED)).all()
    assert len(coming) == 3 and all(a.slot.starts_at > utcnow() for a in coming)  # all still to come
    if not _studio_day_over():
        assert sorted(a.session.local_date for a in coming)[0] == later
