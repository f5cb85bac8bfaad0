"""Two people pressing the same day-board button at once: the database lets exactly one through.

Each press is a racer of tests.races.run_racers: a thread with its own application context, hence its
own Session and connection, held at the conditional UPDATE until another press has reached it too.
Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.audit.models import AuditAction, AuditEvent
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.errors import Conflict
from reception.core.permissions import Role
from reception.extensions import db
from reception.hearings.services import advance_appointment
from reception.schedule.models import AttendanceFormat, ReceptionSession, Slot
from tests.booking.fixtures import new_session
from tests.conftest import _PASSWORD_HASH
from tests.races import run_racers, statement

THREADS = 6
# The step is one conditional UPDATE of the appointment (reception.hearings.services.advance_appointment).
STEP = statement(r"^UPDATE appointments SET status=")


@pytest.fixture
def running_reception(app, race_world, midday):
    """A session of the race world's first official that began 10 minutes ago, one scheduled appointment
    in it, and an administrator to press the buttons (all committed, deleted afterwards)."""
    with app.app_context():
        engine = db.engine
    with Session(engine) as s:
        from reception.directory.models import Official, Venue

        official = s.get(Official, race_world.official_ids[0])
        venue = s.scalars(select(Venue).where(Venue.body_id == official.body_id)).first()
        start = utcnow().replace(microsecond=0, second=0) - timedelta(minutes=10)
        tz = ZoneInfo(venue.region.timezone)
        session = new_session(official, venue, start=start, slots=1, local_date=start.astimezone(tz).date())
        admin = User(email=f"race-admin-{start.timestamp()}@example.kz", full_name="Race Admin",
                     password_hash=_PASSWORD_HASH, language="en", role_rows=[UserRole(role=Role.ADMIN)])
        s.add_all([session, admin])
        s.flush()
        appointment = Appointment(citizen_id=race_world.citizen_ids[0], official_id=official.id,
                                  session_id=session.id, slot_id=session.slots[0].id, format=AttendanceFormat.IN_PERSON,
                                  topic_id=race_world.topic_id, summary="Race", status=AppointmentStatus.SCHEDULED)
        s.add(appointment)
        s.commit()
        ids = {"appointment": appointment.id, "session": session.id, "admin": admin.id}
    yield ids
    with engine.begin() as conn:
        # The audit log is append-only: its records of this reception stay.
        conn.execute(delete(Appointment).where(Appointment.id == ids["appointment"]))
        conn.execute(delete(Slot).where(Slot.session_id == ids["session"]))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id == ids["session"]))
        conn.execute(delete(UserRole).where(UserRole.user_id == ids["admin"]))
        conn.execute(delete(User).where(User.id == ids["admin"]))


def test_checking_in_twice_at_once_checks_in_once(app, running_reception):
    # The audit log outlives the records (SQLite reuses their ids) and the clock may stand still (--today with
    # midday): this race's events are those written after this point.
    with app.app_context():
        floor = db.session.scalar(select(func.max(AuditEvent.id))) or 0
        db.session.remove()

    def press():
        actor = db.session.get(User, running_reception["admin"])
        appointment = db.session.get(Appointment, running_reception["appointment"])
        appointment.session, appointment.slot, appointment.official  # noqa: B018 (load before the race)

        def act():
            advance_appointment(actor, appointment, "check_in", utcnow())
            return "won"
        return act

    outcomes = run_racers(app, [press] * THREADS, STEP, prepare=True)
    assert outcomes.count("won") == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if o != "won"), outcomes
    with app.app_context():
        try:
            assert db.session.get(Appointment, running_reception["appointment"]).status is AppointmentStatus.CHECKED_IN
            events = db.session.scalars(select(AuditEvent).where(
                AuditEvent.entity == "appointment", AuditEvent.entity_id == running_reception["appointment"],
                AuditEvent.action == AuditAction.UPDATE, AuditEvent.id > floor)).all()
            assert len(events) == 1  # the one check-in
        finally:
            db.session.remove()
