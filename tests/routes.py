"""What the route sweeps need: every route of the app, and a value for every URL argument."""
from __future__ import annotations

import re

import pytest

from reception import create_app
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.permissions import Role
from reception.core.types import utcnow
from reception.schedule.models import AttendanceFormat
from tests.booking.conftest import new_session

PUBLIC_PREFIXES = ("directory.",)
PUBLIC = {"static", "main.index", "main.health", "main.choose_language", "accounts.register", "accounts.login",
          "accounts.logout", "accounts.forgot_password", "accounts.reset_password", "booking.search",
          "booking.verify_talon"}
# Any signed-in user, each seeing only their own data.
LOGIN_ONLY = {"main.home", "accounts.profile"}
# Citizens' own bookings: other citizens get 404 for someone else's record, staff get 403.
CITIZEN_ONLY = {"booking.book", "booking.my_appointments", "booking.appointment", "booking.cancel"}
# Lists and forms scoped to the staff member's own body: staff of another body may open them
# (with the ':own' permission) but must not see body A's records there.
OWN_BODY_PAGES = {"schedule.schedules", "schedule.schedule_new", "schedule.sessions", "schedule.session_new",
                  "directory_admin.officials", "directory_admin.official_new", "directory_admin.venues",
                  "directory_admin.venue_new"}


def app_rules():
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    return list(app.url_map.iter_rules())


def build_world(db, make_body, make_official, make_venue, make_user) -> dict:
    """Records of body A (and a citizen's appointment) to fill every URL argument."""
    body_a, body_b = make_body(), make_body()
    official = make_official(body=body_a, full_name="Official Of Body A")
    venue = make_venue(body=body_a)
    session = new_session(official, venue, start=(utcnow() + __import__("datetime").timedelta(days=3))
                          .replace(minute=0, second=0, microsecond=0))
    db.session.add(session)
    db.session.flush()
    citizen = make_user(Role.CITIZEN)
    appointment = Appointment(citizen_id=citizen.id, official_id=official.id, session_id=session.id,
                              slot_id=session.slots[0].id, format=AttendanceFormat.IN_PERSON, topic_id=1,
                              summary="A leaking roof", status=AppointmentStatus.SCHEDULED,
                              talon_number="KZ71-TEST-000001", accepted_at=utcnow())
    db.session.add(appointment)
    db.session.flush()
    values = {
        "official_id": official.id, "venue_id": venue.id, "body_id": body_a.id,
        "user_id": make_user(Role.ASSISTANT, body=body_a).id, "region_id": 1, "topic_id": 1,
        "code": "KZ-15", "token": "not-a-token", "session_id": session.id, "slot_id": session.slots[1].id,
        "appointment_id": appointment.id, "talon_number": appointment.talon_number,
    }
    db.session.commit()
    return {"values": values, "body_b": body_b, "citizen": citizen, "marker": official.full_name}


def fill(rule: str, arguments, values) -> str:
    for arg in arguments:
        assert arg in values, f"add a value for URL argument {arg!r} to tests/routes.py build_world"
        rule = re.sub(rf"<(?:\w+:)?{arg}>", str(values[arg]), rule)
    return rule


@pytest.fixture
def world(db, make_body, make_official, make_venue, make_user):
    return build_world(db, make_body, make_official, make_venue, make_user)
