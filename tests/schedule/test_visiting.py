"""Visiting receptions: announcing (own body's official, a venue of the region), refusals, bookable only by the
region's citizens, one e-mail to each opted-in citizen of the region, public listing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from reception.booking.models import Appointment
from reception.core.errors import NotAllowed
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Venue, VenueKind
from reception.notifications.models import OutboxMessage
from reception.schedule import visiting
from reception.schedule.models import ReceptionSession, SessionKind, VisitingReception
from tests.conftest import as_sent, post_form, region
from tests.dates import today, working_day

from .conftest import count, text
from .factories import session_on, working_day_after

UTC = UTC


def _plain(html: str) -> str:
    return html.replace("\u202f", " ").replace("&#8239;", " ")


@dataclass
class Visit:
    ministry: Body
    minister: Official
    hall: Venue          # the hall of the Aktobe regional akimat (another body)
    studio: Venue
    astana_office: Venue


@pytest.fixture
def setup(db, make_body, make_official, make_venue) -> Visit:
    ministry = make_body(level=BodyLevel.CENTRAL, name_en="Ministry of Health")
    minister = make_official(body=ministry, full_name="Minister Of Health", is_head=True)
    astana_office = make_venue(body=ministry, region_id=region("KZ-71").id, name_en="Ministry Front Office")
    akimat = make_body(region=region("KZ-15"), name_en="Akimat of Aktobe Region")
    hall = make_venue(body=akimat, kind=VenueKind.HALL, name_en="Akimat Hall", address_en="40 Abilkaiyr Khan Ave")
    studio = make_venue(body=akimat, kind=VenueKind.STUDIO, name_en="Akimat Studio")
    db.session.commit()
    return Visit(ministry, minister, hall, studio, astana_office)


def _form(setup: Visit, *dates: date, **overrides) -> dict:
    dates = dates or (working_day_after(40), working_day_after(1, working_day_after(40)))
    data = {"official_id": str(setup.minister.id), "region_id": str(region("KZ-15").id),
            "venue_id": str(setup.hall.id), "start_time": "10:00", "end_time": "12:00", "slot_minutes": "30",
            "formats": ["in_person"], "note": "Questions of rural clinics."}
    for i, day in enumerate(dates, start=1):
        data[f"date_{i}"] = day.isoformat()
    data.update(overrides)
    return data


@pytest.fixture
def assistant(login_as, setup):
    return login_as(Role.ASSISTANT, body=setup.ministry)


def _citizen(make_user, code="KZ-15", **overrides):
    return make_user(Role.CITIZEN, region_id=region(code).id, **overrides)


# --- announcing -----------------------------------------------------------------------------------

def test_assistant_announces_a_visiting_reception_at_the_regions_akimat_hall(client, assistant, setup, db):
    first = working_day_after(40)
    second = working_day_after(1, first)
    r = post_form(client, "/staff/visiting/new", _form(setup, second, first))
    assert r.status_code == 302, text(r)
    visit = db.session.scalars(select(VisitingReception)).one()
    assert (visit.official_id, visit.region.code, visit.venue_id) == (setup.minister.id, "KZ-15", setup.hall.id)
    sessions = visit.sessions
    assert [s.local_date for s in sessions] == [first, second]
    for s in sessions:
        assert s.kind is SessionKind.VISITING and s.is_published and s.restricted_region_id == region("KZ-15").id
        assert s.starts_at == datetime.combine(s.local_date, time(5), tzinfo=UTC)  # 10:00 in Aktobe
        assert len(s.slots) == 4
    page = _plain(text(client.get(r.headers["Location"])))
    assert "Only residents of Aktobe Region may book" in page
    assert "10:00 AM – 12:00 PM (Aktobe time)" in page
    assert "Minister Of Health" in text(client.get("/staff/visiting/"))


@pytest.mark.parametrize("case, message", [
    ("weekend", "is not a working day"),
    ("past", "This time has already passed."),
    ("twice", "This date is given twice."),
    ("overlap", "already has another reception at this time"),
    ("venue_elsewhere", "This venue is not in Aktobe Region"),
    ("studio", "Not a valid choice"),  # the form offers no studio (the service refuses one too, below)
    ("no_date", "This field is required."),
    ("no_region", "Choose a region."),
])
def test_bad_announcements_are_refused_with_a_message_and_nothing_is_written(client, assistant, setup, db, make_user,
                                                                              case, message):
    _citizen(make_user, notify_visiting=True)
    day = working_day_after(40)
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    if case == "overlap":
        session_on(setup.minister, setup.astana_office, day, start=time(11), end=time(13))
    db.session.commit()
    before = count(ReceptionSession)
    data = {"weekend": _form(setup, saturday), "past": _form(setup, working_day(0, start=today() - timedelta(days=14))),
            "twice": _form(setup, day, day), "overlap": _form(setup, day),
            "venue_elsewhere": _form(setup, day, venue_id=str(setup.astana_office.id)),
            "studio": _form(setup, day, venue_id=str(setup.studio.id)),
            "no_date": _form(setup, day, date_1=""), "no_region": _form(setup, day, region_id="0")}[case]
    r = post_form(client, "/staff/visiting/new", data)
    assert r.status_code == 422, text(r)
    assert message in text(r)
    assert count(VisitingReception) == 0 and count(ReceptionSession) == before and count(OutboxMessage) == 0



def test_a_ministry_naming_no_responsible_person_announces_nothing(client, assistant, setup, db):
    """The talons of the visiting reception would name nobody: the directory needs the person first."""
    setup.ministry.responsible_surname = None
    db.session.commit()
    r = post_form(client, "/staff/visiting/new", _form(setup))
    assert r.status_code == 409, text(r)
    assert "has no responsible person yet" in text(r)
    assert count(VisitingReception) == 0 and count(ReceptionSession) == 0

def test_the_service_refuses_a_studio_and_another_bodys_official(app, db, setup, make_user):
    day = working_day_after(40)
    data = visiting.VisitingData(official_id=setup.minister.id, region_id=region("KZ-15").id,
                                 venue_id=setup.studio.id, dates=[day], start_time=time(10), end_time=time(12),
                                 slot_minutes=30, formats=frozenset({"in_person"}))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from reception.core.errors import Invalid
        with pytest.raises(Invalid, match="not a video studio"):
            visiting.announce_visiting(make_user(Role.ADMIN), data, now=datetime.now(UTC))
        other = make_user(Role.ASSISTANT)  # of another body
        data.venue_id = setup.hall.id
        with pytest.raises(NotAllowed):
            visiting.announce_visiting(other, data, now=datetime.now(UTC))
    assert count(VisitingReception) == 0


def test_assistant_cannot_announce_for_another_bodys_official(client, login_as, setup):
    login_as(Role.ASSISTANT)
    page = text(client.get("/staff/visiting/new"))
    assert "Minister Of Health" not in page
    r = post_form(client, "/staff/visiting/new", _form(setup))
    assert r.status_code == 422 and "Not a valid choice" in text(r)
    assert count(VisitingReception) == 0


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICIAL, Role.MONITOR])
def test_roles_without_schedule_permissions_cannot_announce(client, login_as, role):
    login_as(role)
    assert client.get("/staff/visiting/new").status_code == 403


# --- notifications --------------------------------------------------------------------------------

def test_opted_in_citizens_of_the_region_get_one_email_each(client, assistant, setup, db, make_user):
    told = _citizen(make_user, notify_visiting=True, full_name="Aigul Told")
    told_kk = _citizen(make_user, notify_visiting=True, language="kk")
    _citizen(make_user, notify_visiting=False)                   # did not ask
    _citizen(make_user, "KZ-71", notify_visiting=True)           # another region
    _citizen(make_user, notify_visiting=True, is_active=False)   # closed account
    make_user(Role.ASSISTANT, region_id=region("KZ-15").id, notify_visiting=True)  # not a citizen
    db.session.commit()
    first = working_day_after(40)
    second = working_day_after(1, first)
    assert post_form(client, "/staff/visiting/new", _form(setup, first, second)).status_code == 302
    visit = db.session.scalars(select(VisitingReception)).one()
    messages = as_sent(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.user_id)).all())
    assert [m.user_id for m in messages] == [told.id, told_kk.id]
    assert {m.dedupe_key for m in messages} == {f"visiting_announced:{visit.id}:{told.id}",
                                                f"visiting_announced:{visit.id}:{told_kk.id}"}
    english = _plain(messages[0].body_text)
    assert messages[0].kind == "visiting_announced" and messages[0].locale == "en"
    assert "Minister Of Health" in messages[0].subject and "Aktobe Region" in messages[0].subject
    assert "Hello, Aigul Told!" in english and "Akimat Hall" in english
    assert english.count("10:00 AM – 12:00 PM (Aktobe time)") == 2
    assert f"http://reception.test/visiting/{visit.id}" in english
    assert messages[1].locale == "kk"
    # Another visiting reception is another announcement; the first one is never sent again.
    assert post_form(client, "/staff/visiting/new", _form(setup, working_day_after(50))).status_code == 302
    assert count(OutboxMessage, OutboxMessage.user_id == told.id) == 2
    assert count(OutboxMessage, OutboxMessage.dedupe_key == f"visiting_announced:{visit.id}:{told.id}") == 1


# --- booking: the region's citizens only ---------------------------------------------------------------

@pytest.fixture
def visit_soon(app, db, setup, make_user):
    """A visiting reception in ten days: its booking window is open."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        visit = visiting.announce_visiting(make_user(Role.ADMIN), visiting.VisitingData(
            official_id=setup.minister.id, region_id=region("KZ-15").id, venue_id=setup.hall.id,
            dates=[working_day_after(10)], start_time=time(10), end_time=time(12), slot_minutes=30,
            formats=frozenset({"in_person"})), now=datetime.now(UTC))
        db.session.commit()
    return visit


def _book(client, slot, topic_id=1):
    url = f"/reception/slots/{slot.id}/book"
    return post_form(client, url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic_id),
                                   "summary": "Our rural clinic has no doctor.",
                                   "idempotency_key": "visiting-key-0123456789"}, form_url="/profile")


def test_a_citizen_of_another_region_is_refused_with_a_message_and_nothing_is_written(client, login_as, visit_soon):
    slot = visit_soon.sessions[0].slots[0]
    citizen = login_as(Role.CITIZEN, region_id=region("KZ-71").id)
    r = client.get(f"/reception/slots/{slot.id}/book")
    assert r.status_code == 422 and "only for residents of Aktobe Region" in text(r)
    r = _book(client, slot)
    assert r.status_code == 422 and "only for residents of Aktobe Region" in text(r)
    assert count(Appointment, Appointment.citizen_id == citizen.id) == 0
    page = text(client.get(f"/visiting/{visit_soon.id}"))
    assert "Your profile names another region." in page


def test_a_citizen_of_the_region_books_the_visiting_reception(client, login_as, visit_soon, db):
    slot = visit_soon.sessions[0].slots[0]
    citizen = login_as(Role.CITIZEN, region_id=region("KZ-15").id)
    assert client.get(f"/reception/slots/{slot.id}/book").status_code == 200
    r = _book(client, slot)
    assert r.status_code == 302, text(r)
    assert count(Appointment, Appointment.citizen_id == citizen.id, Appointment.slot_id == slot.id) == 1


# --- public listing -----------------------------------------------------------------------------------

def test_public_list_filters_by_region_and_links_to_booking(client, visit_soon):
    everything = text(client.get("/visiting/"))
    assert f"/visiting/{visit_soon.id}" in everything and "Minister Of Health" in everything
    assert f"/visiting/{visit_soon.id}" in text(client.get("/visiting/?region=KZ-15"))
    astana = text(client.get("/visiting/?region=KZ-71"))
    assert f"/visiting/{visit_soon.id}" not in astana and "No visiting reception is announced in Astana" in astana
    assert client.get("/visiting/?region=XX-99").status_code == 422
    page = text(client.get(f"/visiting/{visit_soon.id}"))
    assert "Choose a time" in page and "region=KZ-15" in page and "Questions" not in page
    assert client.get("/visiting/999999").status_code == 404


def test_past_visiting_receptions_leave_the_public_list(client, db, setup):
    visit = VisitingReception(official=setup.minister, region=region("KZ-15"), venue=setup.hall)
    db.session.add(visit)
    session_on(setup.minister, setup.hall, date(2025, 3, 3), visiting=visit, kind=SessionKind.VISITING,
               restricted_region_id=region("KZ-15").id)
    db.session.commit()
    assert f"/visiting/{visit.id}" not in text(client.get("/visiting/"))
    assert client.get(f"/visiting/{visit.id}").status_code == 200
