"""Unified reception days: announcing, coverage and problems, idempotency, the assistants' publishing, the public
page, and local times on both sides of Kazakhstan's 2024-03-01 move to a single UTC+5 zone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from reception.booking.models import Appointment
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.directory.models import Body, BodyLevel, Official, VenueKind
from reception.schedule import unified
from reception.schedule.models import ReceptionSession, SessionKind, SessionStatus, Slot, UnifiedDay
from tests.conftest import post_form, region
from tests.dates import next_weekday, today

from .conftest import count, text
from .factories import session_on, working_day_after

UTC = UTC


def _plain(html: str) -> str:
    # Babel separates "10:00" and "AM" with a narrow no-break space.
    return html.replace("\u202f", " ").replace("&#8239;", " ")


def _next_weekday_holiday() -> date:
    """The next public holiday that falls on a weekday (not a working day although Monday to Friday)."""
    calendar, day = WorkCalendar(), today() + timedelta(days=1)
    while calendar.is_working_day(day) or day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _next_saturday() -> date:
    return next_weekday(5)


@dataclass
class Country:
    """Bodies of several levels and regions, each with what a unified day needs (or lacks)."""

    aktobe_akimat: Body
    aktobe_akim: Official
    aktobe_deputy: Official
    astana_akimat: Body
    astana_akim: Official
    aktobe_city: Body
    ministry: Body
    minister: Official
    headless: Body
    no_venue: Body


@pytest.fixture
def country(db, make_body, make_official, make_venue) -> Country:
    kz15, kz71 = region("KZ-15"), region("KZ-71")
    # Publishing needs the reception office's responsible person (tests/directory/test_responsible_person.py).
    person = dict(responsible_surname="Мұратова", responsible_first_name="Гүлжан")
    aktobe_akimat = make_body(region=kz15, name_en="Akimat of Aktobe Region", **person)
    aktobe_akim = make_official(body=aktobe_akimat, full_name="Yeraly Aktobe Akim", is_head=True)
    aktobe_deputy = make_official(body=aktobe_akimat, full_name="Deputy Of Aktobe")
    make_official(body=aktobe_akimat, full_name="Retired Head Of Aktobe", is_head=True, is_active=False)
    make_venue(body=aktobe_akimat, kind=VenueKind.STUDIO, name_en="Aktobe Studio")  # never a unified-day venue
    make_venue(body=aktobe_akimat, kind=VenueKind.HALL, name_en="Aktobe Hall")
    astana_akimat = make_body(region=kz71, name_en="Akimat of Astana", **person)
    astana_akim = make_official(body=astana_akimat, full_name="Zhenis Astana Akim", is_head=True)
    make_venue(body=astana_akimat, name_en="Astana Front Office")
    aktobe_city = make_body(region=kz15, level=BodyLevel.CITY, name_en="Akimat of Aktobe City")
    make_official(body=aktobe_city, full_name="City Akim", is_head=True)
    make_venue(body=aktobe_city)
    ministry = make_body(level=BodyLevel.CENTRAL, name_en="Ministry of Labour", **person)
    minister = make_official(body=ministry, full_name="Minister Of Labour", is_head=True)
    make_venue(body=ministry, region_id=kz71.id, name_en="Ministry Front Office")
    headless = make_body(region=kz15, name_en="Headless Department")
    make_venue(body=headless)
    no_venue = make_body(region=kz15, name_en="Roomless Department")
    make_official(body=no_venue, full_name="Roomless Head", is_head=True)
    make_venue(body=no_venue, kind=VenueKind.STUDIO)
    inactive = make_body(region=kz15, name_en="Closed Department", is_active=False)
    make_official(body=inactive, full_name="Closed Head", is_head=True)
    make_venue(body=inactive)
    db.session.commit()
    return Country(aktobe_akimat, aktobe_akim, aktobe_deputy, astana_akimat, astana_akim, aktobe_city, ministry,
                   minister, headless, no_venue)


def _form(day: date, **overrides) -> dict:
    data = {"local_date": day.isoformat(), "levels": ["regional", "central"], "region_ids": [str(region("KZ-15").id)],
            "start_time": "10:00", "end_time": "12:00", "slot_minutes": "30", "note": "Bring your documents."}
    data.update(overrides)
    return data


def _sessions(day_date: date) -> list[ReceptionSession]:
    from reception.extensions import db as _db

    return list(_db.session.scalars(select(ReceptionSession).join(UnifiedDay)
                                    .where(UnifiedDay.local_date == day_date).order_by(ReceptionSession.id)))


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


# --- announcing -------------------------------------------------------------------------------------

def test_announcing_gives_heads_of_covered_bodies_unpublished_sessions_and_lists_problems(client, admin, country):
    day = working_day_after(40)
    r = post_form(client, "/admin/unified-days/new", _form(day))
    assert r.status_code == 302, text(r)
    sessions = _sessions(day)
    # Regional bodies of Aktobe Region (chosen) and the central ministry (no region: covered by its level);
    # not Astana (another region), not the city akimat (level not chosen), not the inactive body or head.
    assert {s.official_id for s in sessions} == {country.aktobe_akim.id, country.minister.id}
    for s in sessions:
        assert s.kind is SessionKind.UNIFIED_DAY and s.is_published is False and s.status is SessionStatus.PLANNED
        assert s.venue.kind is not VenueKind.STUDIO and len(s.slots) == 4
        assert s.closes_at == s.starts_at - timedelta(hours=24) and s.opens_at == s.starts_at - timedelta(days=30)
    aktobe = next(s for s in sessions if s.official_id == country.aktobe_akim.id)
    assert aktobe.venue.name_en == "Aktobe Hall"
    assert aktobe.starts_at == datetime.combine(day, time(5), tzinfo=UTC)  # 10:00 in Aktobe, UTC+5
    page = text(client.get(r.headers["Location"]))
    assert "2 sessions were created." in page and "2 bodies could not be served" in page
    assert "Headless Department" in page and "No active head is recorded" in page
    assert "Roomless Department" in page and "No active reception office or hall" in page
    assert "Akimat of Astana" not in page and "Akimat of Aktobe City" not in page


def test_no_regions_means_every_region(client, admin, country):
    day = working_day_after(40)
    assert post_form(client, "/admin/unified-days/new", _form(day, region_ids=[], levels=["regional"])
                     ).status_code == 302
    assert {s.official_id for s in _sessions(day)} == {country.aktobe_akim.id, country.astana_akim.id}


def test_announcing_the_same_date_again_creates_only_the_missing_sessions(client, admin, country, db,
                                                                          make_official):
    day = working_day_after(40)
    assert post_form(client, "/admin/unified-days/new", _form(day)).status_code == 302
    assert post_form(client, "/admin/unified-days/new", _form(day)).status_code == 302
    assert len(_sessions(day)) == 2 and count(UnifiedDay) == 1
    # The Roomless Department gets a hall, and the Aktobe akimat a second head: only their sessions are added.
    from reception.directory.models import Venue
    db.session.add(Venue(body=country.no_venue, region_id=country.no_venue.region_id, kind=VenueKind.OFFICE,
                         name_kk="Зал", name_ru="Зал", name_en="New Hall", address_kk="a", address_ru="a",
                         address_en="a"))
    second = make_official(body=country.aktobe_akimat, full_name="Second Head", is_head=True)
    db.session.commit()
    r = post_form(client, "/admin/unified-days/new", _form(day, levels=["regional"]))
    assert r.status_code == 302
    assert "already announced" in text(client.get(r.headers["Location"]))
    assert len(_sessions(day)) == 4
    assert {s.official.full_name for s in _sessions(day)} >= {"Roomless Head", second.full_name}
    # Widening: Astana's region added; the ministry stays covered (levels are never removed).
    post_form(client, "/admin/unified-days/new", _form(day, region_ids=[str(region("KZ-71").id)], levels=["regional"]))
    assert country.astana_akim.id in {s.official_id for s in _sessions(day)}
    stored = db.session.scalars(select(UnifiedDay)).one()
    assert set(stored.level_list) == {BodyLevel.REGIONAL, BodyLevel.CENTRAL}
    assert {r.code for r in stored.regions} == {"KZ-15", "KZ-71"}


def test_admin_adds_sessions_for_bodies_added_since_from_the_day_page(client, admin, country, db, make_official,
                                                                       make_body, make_venue):
    day = working_day_after(40)
    post_form(client, "/admin/unified-days/new", _form(day))
    stored = db.session.scalars(select(UnifiedDay)).one()
    url = f"/admin/unified-days/{stored.id}"
    new_body = make_body(region=region("KZ-15"), name_en="New Department")
    make_official(body=new_body, full_name="New Head", is_head=True)
    make_venue(body=new_body)
    db.session.commit()
    assert "1 session is missing" in text(client.get(url))
    # The page said 0: something changed meanwhile, so the administrator is asked again.
    r = post_form(client, url, {"expected_count": "0"})
    assert r.status_code == 409 and "has changed" in text(r)
    assert len(_sessions(day)) == 2
    r = post_form(client, url, {"expected_count": "1"})
    assert r.status_code == 302
    assert "New Head" in {s.official.full_name for s in _sessions(day)}
    assert post_form(client, url, {"expected_count": "0"}).status_code == 302
    assert len(_sessions(day)) == 3


@pytest.mark.parametrize("which, message", [
    ("saturday", "is not a working day"), ("holiday", "is not a working day"), ("today", "after today"),
    ("past", "after today")])
def test_announcing_a_day_off_or_a_past_date_is_refused_with_a_message(client, admin, country, which, message):
    day = {"saturday": _next_saturday(), "holiday": _next_weekday_holiday(), "today": today(),
           "past": today() - timedelta(days=3)}[which]
    r = post_form(client, "/admin/unified-days/new", _form(day))
    assert r.status_code == 422
    assert message in text(r)
    assert count(UnifiedDay) == 0 and count(ReceptionSession) == 0


@pytest.mark.parametrize("overrides, message", [
    ({"levels": []}, "Choose at least one level."),
    ({"end_time": "09:00"}, "The end must be after the start."),
    ({"slot_minutes": "2"}, "Enter a number from 5 to 240."),
    ({"note": "x" * 2001}, "Too long"),
])
def test_bad_announcement_input_is_refused_and_nothing_is_written(client, admin, country, overrides, message):
    r = post_form(client, "/admin/unified-days/new", _form(working_day_after(40), **overrides))
    assert r.status_code == 422 and message in text(r)
    assert count(UnifiedDay) == 0 and count(ReceptionSession) == 0


def test_only_administrators_announce(client, login_as, country):
    login_as(Role.ASSISTANT, body=country.aktobe_akimat)
    assert client.get("/admin/unified-days/new").status_code == 403
    assert client.get("/admin/unified-days/").status_code == 403


# --- unpublished sessions ----------------------------------------------------------------------------

def _announce(app, actor, day: date, now: datetime | None = None, region_codes=("KZ-15",),
              levels=(BodyLevel.REGIONAL, BodyLevel.CENTRAL)) -> None:
    """Announce through the service (as the administrator's form does), and commit."""
    from reception.extensions import db as _db

    with app.test_request_context():
        unified.announce_unified_day(actor, unified.UnifiedDayData(
            local_date=day, levels=list(levels), region_ids=[region(c).id for c in region_codes],
            start_time=time(10), end_time=time(12), slot_minutes=30, note="Bring your documents."),
            now=now or datetime.now(UTC), calendar=WorkCalendar())
        _db.session.commit()


@pytest.fixture
def soon(app, make_user, country):
    """A unified day in ten days (booking would be open) announced by an administrator."""
    day = working_day_after(10)
    _announce(app, make_user(Role.ADMIN), day)
    return day


def _aktobe_session(day, country):
    return next(s for s in _sessions(day) if s.official_id == country.aktobe_akim.id)


def test_unpublished_session_is_not_bookable_searchable_or_public(client, login_as, soon, country, db):
    session = _aktobe_session(soon, country)
    citizen = login_as(Role.CITIZEN, region_id=region("KZ-15").id)
    r = client.get(f"/reception/slots/{session.slots[0].id}/book")
    assert r.status_code == 422 and "has not been published yet" in text(r)
    r = post_form(client, f"/reception/slots/{session.slots[0].id}/book", {"format": "in_person", "topic_id": "1",
                                                                             "summary": "Roof", "studio_id": "0",
                                                                             "idempotency_key": "k" * 20},
                  form_url="/profile")
    assert r.status_code == 422
    assert count(Appointment, Appointment.citizen_id == citizen.id) == 0
    assert f"/reception/slots/{session.slots[0].id}/book" not in text(client.get("/reception/"))
    public = text(client.get(f"/unified-days/{soon.isoformat()}"))
    assert "Yeraly Aktobe Akim" not in public and "No reception of this day has been published yet" in public


# --- the assistant edits and publishes -------------------------------------------------------------

def test_assistant_edits_hours_and_publishes_their_bodys_session(client, login_as, soon, country, db):
    session = _aktobe_session(soon, country)
    login_as(Role.ASSISTANT, body=country.aktobe_akimat)
    listing = text(client.get("/staff/unified-days/"))
    assert "Yeraly Aktobe Akim" in listing and "Not published" in listing and "Minister Of Labour" not in listing
    url = f"/staff/unified-days/sessions/{session.id}"
    r = post_form(client, url, {"start_time": "15:00", "end_time": "16:00", "slot_minutes": "20",
                                "formats": ["in_person", "video_studio"], "publish": "1"})
    assert r.status_code == 302, text(r)
    db.session.refresh(session)
    assert session.is_published
    assert session.starts_at == datetime.combine(soon, time(10), tzinfo=UTC)  # 15:00 in Aktobe
    assert [s.starts_at.minute for s in session.slots] == [0, 20, 40]
    assert count(Slot, Slot.session_id == session.id) == 3
    assert session.allow_video_studio and session.closes_at == session.starts_at - timedelta(hours=24)
    # Published: public, searchable and bookable by anyone (booking opened at publication: the day is near).
    public = text(client.get(f"/unified-days/{soon.isoformat()}"))
    assert "Yeraly Aktobe Akim" in public and "Choose a time" in public
    visitor = client.application.test_client()  # the assistant is offered no "Book" link: they cannot book
    search = text(visitor.get(f"/reception/?official={session.official_id}"))
    assert f"/reception/slots/{session.slots[0].id}/book" in search
    # From now on the session is changed through move and cancel, not here.
    r = post_form(client, url, {"start_time": "11:00", "end_time": "12:00", "slot_minutes": "20",
                                "formats": ["in_person"], "publish": "1"})
    assert r.status_code == 422 and "move or cancel" in text(r)


def test_assistant_saves_without_publishing(client, login_as, soon, country, db):
    session = _aktobe_session(soon, country)
    login_as(Role.ASSISTANT, body=country.aktobe_akimat)
    r = post_form(client, f"/staff/unified-days/sessions/{session.id}",
                  {"start_time": "09:00", "end_time": "10:00", "slot_minutes": "30", "formats": ["in_person"],
                   "save": "1"})
    assert r.status_code == 302
    db.session.refresh(session)
    assert not session.is_published and len(session.slots) == 2


def test_assistant_of_another_body_cannot_edit_or_see_the_session(client, login_as, soon, country):
    session = _aktobe_session(soon, country)
    login_as(Role.ASSISTANT, body=country.astana_akimat)
    assert "Yeraly Aktobe Akim" not in text(client.get("/staff/unified-days/"))
    assert client.get(f"/staff/unified-days/sessions/{session.id}").status_code == 403


def test_publishing_over_another_reception_of_the_official_is_refused(client, login_as, soon, country, db):
    session = _aktobe_session(soon, country)
    session_on(country.aktobe_akim, session.venue, soon, start=time(11), end=time(12))
    db.session.commit()
    login_as(Role.ASSISTANT, body=country.aktobe_akimat)
    r = post_form(client, f"/staff/unified-days/sessions/{session.id}",
                  {"start_time": "10:00", "end_time": "12:00", "slot_minutes": "30", "formats": ["in_person"],
                   "publish": "1"})
    assert r.status_code == 422 and "already has another reception at this time" in text(r)
    db.session.refresh(session)
    assert not session.is_published


def test_a_regular_session_is_not_a_unified_session(client, login_as, country, db):
    regular = session_on(country.aktobe_akim, country.aktobe_akimat.venues[0], working_day_after(5))
    db.session.commit()
    login_as(Role.ADMIN)
    assert client.get(f"/staff/unified-days/sessions/{regular.id}").status_code == 404


# --- the public page ---------------------------------------------------------------------------------

def test_public_page_groups_by_region_body_and_official_with_zone_named_local_times(client, admin, country, db):
    day = working_day_after(40)
    post_form(client, "/admin/unified-days/new", _form(day, region_ids=[]))
    for s in _sessions(day):
        s.is_published = True
    db.session.commit()
    page = _plain(text(client.get(f"/unified-days/{day.isoformat()}")))
    # Central bodies first, then the regions in name order ("Aktobe Region" before "Astana").
    order = [page.index(x) for x in ("Central government bodies", "Ministry of Labour", "Minister Of Labour",
                                     "Aktobe Region", "Akimat of Aktobe Region", "Yeraly Aktobe Akim",
                                     "Akimat of Astana", "Zhenis Astana Akim")]
    assert order == sorted(order)
    assert "10:00 AM – 12:00 PM (Aktobe time)" in page
    assert "10:00 AM – 12:00 PM (Astana time)" in page
    assert "Booking opens on" in page  # 40 days ahead: not open yet
    assert "Bring your documents." in page
    listing = text(client.get("/unified-days/"))
    assert f"/unified-days/{day.isoformat()}" in listing and "3 receptions published so far" in listing


def test_unknown_or_malformed_day_is_404(client, db):
    assert client.get("/unified-days/2031-02-30").status_code == 404
    assert client.get("/unified-days/2031-03-03").status_code == 404
    assert client.get("/unified-days/not-a-date").status_code == 404


def test_reception_times_in_aktobe_and_astana_across_the_2024_03_01_zone_change(app, client, db, country,
                                                                               make_user):
    """Astana (Asia/Almaty) was UTC+6 until 2024-03-01 and UTC+5 after; Aktobe was UTC+5 throughout."""
    actor = make_user(Role.ADMIN)
    then = datetime(2024, 2, 1, 6, tzinfo=UTC)
    for day in (date(2024, 2, 28), date(2024, 3, 4)):
        _announce(app, actor, day, now=then, region_codes=("KZ-15", "KZ-71"), levels=(BodyLevel.REGIONAL,))
        with app.test_request_context():
            for s in _sessions(day):
                unified.update_unified_session(actor, s, start_time=time(10), end_time=time(12), slot_minutes=30,
                                               formats=["in_person"], publish=True, now=then)
            db.session.commit()

    def starts(day, official):
        return next(s.starts_at for s in _sessions(day) if s.official_id == official.id)

    # The same wall-clock 10:00 is a different instant in Astana before and after the change ...
    assert starts(date(2024, 2, 28), country.astana_akim) == datetime(2024, 2, 28, 4, tzinfo=UTC)
    assert starts(date(2024, 3, 4), country.astana_akim) == datetime(2024, 3, 4, 5, tzinfo=UTC)
    # ... and the same instant in Aktobe.
    assert starts(date(2024, 2, 28), country.aktobe_akim) == datetime(2024, 2, 28, 5, tzinfo=UTC)
    assert starts(date(2024, 3, 4), country.aktobe_akim) == datetime(2024, 3, 4, 5, tzinfo=UTC)

    before = _plain(text(client.get("/unified-days/2024-02-28")))
    assert "Wednesday, February 28, 2024, 10:00 AM – 12:00 PM (Astana time)" in before
    assert "Wednesday, February 28, 2024, 10:00 AM – 12:00 PM (Aktobe time)" in before
    after = _plain(text(client.get("/unified-days/2024-03-04")))
    assert "Monday, March 4, 2024, 10:00 AM – 12:00 PM (Astana time)" in after
    assert "Monday, March 4, 2024, 10:00 AM – 12:00 PM (Aktobe time)" in after
    # People read the zone in words, not offsets. As a word: the page's random CSRF token may hold "UTC".
    assert not re.search(r"(?<![\w-])UTC(?![\w-])", after)


def test_home_pages_link_to_unified_days_and_visiting_receptions(client, login_as, db):
    page = text(client.get("/"))
    assert 'href="/unified-days/"' in page and 'href="/visiting/"' in page
    login_as(Role.ADMIN)
    home = text(client.get("/home"))
    assert 'href="/admin/unified-days/"' in home and 'href="/staff/visiting/"' in home
