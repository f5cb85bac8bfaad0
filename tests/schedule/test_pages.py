"""Staff pages of reception time: own body only, 422 with messages for bad input, never a 500."""
from __future__ import annotations

import pytest

from reception.booking.models import AppointmentStatus
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.schedule import services
from reception.schedule.models import ReceptionSession, Schedule, SessionStatus
from tests.dates import today, working_day

from .conftest import count, text

FORM = {"weekdays": "WE", "rrule": "", "until_on": "", "start_time": "15:00",
        "end_time": "18:00", "slot_minutes": "20", "formats": "in_person", "booking_mode": "self",
        "opens_days_ahead": "30", "closes_hours_before": "24"}


@pytest.fixture(autouse=True)
def _starts_today():
    FORM["starts_on"] = today().isoformat()


@pytest.fixture
def assistant(login_as, place):
    return login_as(Role.ASSISTANT, body=place[0])


@pytest.fixture
def session(db, place, make_user, schedule_data):
    schedule = services.create_schedule(make_user(Role.ADMIN), schedule_data(rrule="FREQ=WEEKLY;BYDAY=WE"))
    # Two weeks hold at least one Wednesday that is not a holiday (the rule is weekly on Wednesdays).
    session = services.generate_sessions(schedule, today(), 14, WorkCalendar())[0]
    db.session.commit()
    return session


def test_assistant_creates_a_schedule_and_its_sessions_appear(client, submit, assistant, place):
    _, official, venue = place
    r = submit("/staff/schedule/new", {**FORM, "official_id": official.id, "venue_id": venue.id})
    assert r.status_code == 302, text(r)
    assert count(Schedule, Schedule.official_id == official.id) == 1
    assert count(ReceptionSession, ReceptionSession.official_id == official.id) > 0
    page = client.get("/staff/schedule/sessions")
    assert page.status_code == 200
    assert official.full_name in text(page) and "(Astana time)" in text(page)
    assert "0 of 9" in text(page)
    assert official.full_name in text(client.get("/staff/schedule/"))


def test_assistant_cannot_create_a_schedule_for_another_bodys_official(submit, assistant, place, make_official,
                                                                         db):
    other = make_official()
    db.session.commit()
    r = submit("/staff/schedule/new", {**FORM, "official_id": other.id, "venue_id": place[2].id})
    assert r.status_code == 422
    assert count(Schedule) == 0 and count(ReceptionSession) == 0


def test_new_schedule_form_offers_only_own_bodys_officials(client, assistant, place, make_official, db):
    other = make_official()
    db.session.commit()
    page = text(client.get("/staff/schedule/new"))
    assert place[1].full_name in page and other.full_name not in page


def test_bad_advanced_rule_is_shown_next_to_the_field(submit, assistant, place):
    _, official, venue = place
    r = submit("/staff/schedule/new", {**FORM, "weekdays": [], "rrule": "FREQ=MINUTELY",
                                       "official_id": official.id, "venue_id": venue.id})
    assert r.status_code == 422
    assert "not more often" in text(r)
    assert count(Schedule) == 0


def test_cancel_page_says_how_many_citizens_will_be_notified(client, assistant, session, make_appointment, db):
    make_appointment(session)
    db.session.commit()
    page = client.get(f"/staff/schedule/sessions/{session.id}/cancel")
    assert page.status_code == 200
    assert "1 citizen has booked" in text(page)


def test_cancel_without_a_reason_is_422_and_changes_nothing(submit, assistant, session):
    url = f"/staff/schedule/sessions/{session.id}/cancel"
    r = submit(url, {"reason": "  ", "expected_count": "0"})
    assert r.status_code == 422
    assert "Give the reason" in text(r)
    assert session.status is SessionStatus.PLANNED


def test_assistant_cancels_a_session_and_citizens_are_notified(submit, assistant, session, make_appointment, db):
    appointment = make_appointment(session)
    db.session.commit()
    r = submit(f"/staff/schedule/sessions/{session.id}/cancel", {"reason": "Business trip", "expected_count": "1"})
    assert r.status_code == 302, text(r)
    db.session.refresh(session)
    db.session.refresh(appointment)
    assert session.status is SessionStatus.CANCELLED and appointment.status is AppointmentStatus.CANCELLED


def test_cancel_asks_again_when_the_number_of_citizens_changed(submit, assistant, session, make_appointment, db):
    make_appointment(session)
    db.session.commit()
    r = submit(f"/staff/schedule/sessions/{session.id}/cancel", {"reason": "Trip", "expected_count": "0"})
    assert r.status_code == 409
    assert session.status is SessionStatus.PLANNED


def _another_working_day(session):
    day = working_day(2)
    return day if day != session.local_date else working_day(1, start=day)


def test_move_of_a_booked_session_says_to_cancel_instead(submit, assistant, session, make_appointment, db):
    make_appointment(session)
    db.session.commit()
    r = submit(f"/staff/schedule/sessions/{session.id}/move", {"local_date": _another_working_day(session).isoformat(),
                                                              "start_time": "10:00", "end_time": "12:00",
                                                              "reason": "Trip"})
    assert r.status_code == 422 and "Cancel it instead" in text(r)


def test_assistant_moves_an_unbooked_session(submit, assistant, session, db):
    day = _another_working_day(session)
    r = submit(f"/staff/schedule/sessions/{session.id}/move",
               {"local_date": day.isoformat(), "start_time": "10:00", "end_time": "12:00", "reason": "Trip"})
    assert r.status_code == 302, text(r)
    assert count(ReceptionSession, ReceptionSession.local_date == day,
                 ReceptionSession.status == SessionStatus.PLANNED) == 1


def test_one_off_session_form_adds_a_session(submit, assistant, place):
    _, official, venue = place
    day = working_day(3)
    r = submit("/staff/schedule/sessions/new", {**FORM, "local_date": day.isoformat(), "official_id": official.id,
                                                "venue_id": venue.id})
    assert r.status_code == 302, text(r)
    assert count(ReceptionSession, ReceptionSession.local_date == day) == 1


@pytest.mark.parametrize("action", ["cancel", "move"])
def test_assistant_of_another_body_gets_403_on_a_session(client, login_as, session, action):
    login_as(Role.ASSISTANT)
    assert client.get(f"/staff/schedule/sessions/{session.id}/{action}").status_code == 403


@pytest.mark.parametrize("action", ["cancel", "move"])
def test_unknown_session_is_404(client, login_as, action):
    login_as(Role.ADMIN)
    assert client.get(f"/staff/schedule/sessions/999999/{action}").status_code == 404


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICIAL, Role.MONITOR, Role.STUDIO_OPERATOR])
@pytest.mark.parametrize("url", ["/staff/schedule/", "/staff/schedule/new", "/staff/schedule/sessions",
                                 "/staff/schedule/sessions/new"])
def test_roles_without_schedule_permissions_get_403(client, login_as, role, url):
    login_as(role)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/staff/schedule/", "/staff/schedule/new", "/staff/schedule/sessions",
                                 "/staff/schedule/sessions/new"])
def test_administrator_opens_every_page(client, login_as, session, url):
    login_as(Role.ADMIN)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("data", [
    {"weekdays": "XX"}, {"weekdays": []},
    {"slot_minutes": "1 OR 1=1"}, {"start_time": "25:99"}, {"starts_on": "Ж" * 5000},
    {"formats": "-1"}, {"booking_mode": "x"}, {"official_id": "-1"}, {"topic_ids": "999999999"},
    {"closes_hours_before": "9999"}, {"rrule": "Ж" * 5000, "weekdays": []},
])
def test_garbage_in_the_schedule_form_is_422_and_writes_nothing(submit, assistant, place, data):
    _, official, venue = place
    r = submit("/staff/schedule/new", {**FORM, "official_id": official.id, "venue_id": venue.id, **data})
    assert r.status_code == 422
    assert count(Schedule) == 0
