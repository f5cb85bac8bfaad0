""""Add to my calendar" on the talon: the citizen's own appointment as an .ics file, nobody else's."""
from __future__ import annotations

from datetime import timedelta

import pytest

from reception.booking.invite import appointment_uid
from reception.booking.models import AppointmentStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from tests.booking.fixtures import new_session
from tests.calendars import appointment, events, parse
from tests.conftest import login


@pytest.fixture
def booked(db, make_official, make_venue, make_user):
    official = make_official(full_name="Official One")
    venue = make_venue(body=official.body)
    session = new_session(official, venue, start=(utcnow() + timedelta(days=2)).replace(minute=0, second=0,
                                                                                        microsecond=0))
    db.session.add(session)
    db.session.flush()
    citizen = make_user(Role.CITIZEN)
    row = appointment(session, citizen)
    db.session.commit()
    return row


def url(row) -> str:
    return f"/my/appointments/{row.id}/calendar.ics"


def test_the_owner_downloads_the_appointment_as_an_ics_file(app, client, db, booked):
    login(client, booked.citizen)
    r = client.get(url(booked))
    assert r.status_code == 200
    assert r.mimetype == "text/calendar"
    assert r.headers["Content-Disposition"] == f'attachment; filename="reception-{booked.talon_number}.ics"'
    assert "no-store" in r.headers["Cache-Control"]
    calendar = parse(r.get_data(as_text=True))
    assert str(calendar["METHOD"]) == "PUBLISH"
    [event] = events(calendar)
    # The same event as the e-mailed invitation: importing both gives one entry.
    with app.app_context():
        assert str(event["UID"]) == appointment_uid(booked)
    assert event.decoded("DTSTART") == booked.slot.starts_at
    assert "Official One" in str(event["SUMMARY"])
    assert booked.talon_number in str(event["DESCRIPTION"])


def test_another_citizen_gets_404_and_a_visitor_the_login_page(client, db, booked, login_as):
    r = client.get(url(booked))
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login_as(Role.CITIZEN)
    assert client.get(url(booked)).status_code == 404


def test_staff_are_refused(client, db, booked, login_as):
    login_as(Role.ASSISTANT, body=booked.official.body)
    assert client.get(url(booked)).status_code == 403


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED])
def test_an_appointment_that_no_longer_holds_its_time_has_no_file(client, db, booked, status):
    booked.status = status
    db.session.commit()
    login(client, booked.citizen)
    assert client.get(url(booked)).status_code == 404


@pytest.mark.parametrize("bad", ["0", "99999999999999999999", "-1", "abc"])
def test_bad_ids_are_404(client, db, booked, bad):
    login(client, booked.citizen)
    assert client.get(f"/my/appointments/{bad}/calendar.ics").status_code == 404
