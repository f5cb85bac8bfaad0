"""Two `flask followups warn` runs at once warn the body once.

The reception, its instruction and the representatives are committed on the app's engine (not the
rolled-back test connection) and deleted afterwards; each run is a thread with its own application
context, hence its own Session and connection, started together by a barrier. The conditional UPDATE
of ``near_warned_for`` decides: on PostgreSQL the second run's UPDATE waits for the first's row lock,
then matches nothing and sends nothing; on SQLite the second run's transaction waits for the first's
write lock, and its UPDATE then matches nothing. A Race (tests.races) holds the first run at its UPDATE
until another has got that far (PostgreSQL) or is waiting for the lock (SQLite). Runs on both.
"""
from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.directory.models import Body, Official, Region, Topic, Venue
from reception.extensions import db
from reception.notifications.models import OutboxMessage
from reception.outcomes.models import Instruction, Outcome, OutcomeResult, Question
from reception.outcomes.services import warn_followups
from reception.schedule.models import AttendanceFormat, ReceptionSession, Slot
from tests.booking.fixtures import new_office, new_session
from tests.conftest import _PASSWORD_HASH
from tests.races import Race, statement

RUNS = 3
# A run claims the warning with one conditional UPDATE of the instruction (reception.outcomes.services).
WARN = statement(r"^UPDATE instructions SET near_warned_for=")
_seq = itertools.count(1)


@pytest.fixture
def committed_instruction(app):
    with app.app_context():
        engine = db.engine
        due = WorkCalendar.from_config(app.config).add_working_days(
            utcnow().astimezone(ZoneInfo("Asia/Almaty")).date(), 1)
    n = next(_seq)
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        body, official, venue = new_office(region, f"warn-{n}")
        session = new_session(official, venue, slots=1, start=(utcnow() - timedelta(days=1))
                              .replace(minute=0, second=0, microsecond=0))
        users = [User(email=f"warn{n}-{i}@example.kz", full_name=f"Warn {i}", password_hash=_PASSWORD_HASH,
                      language="en", body=body if i else None, region_id=region.id,
                      role_rows=[UserRole(role=Role.AGENCY_REP if i else Role.CITIZEN)]) for i in range(3)]
        s.add_all([body, official, venue, session, *users])
        s.flush()
        appointment = Appointment(citizen_id=users[0].id, official_id=official.id, session_id=session.id,
                                  slot_id=session.slots[0].id, format=AttendanceFormat.IN_PERSON,
                                  topic_id=s.scalars(select(Topic.id)).first(), summary="s",
                                  status=AppointmentStatus.HELD, talon_number=f"KZ71-WARN-{n:06d}",
                                  accepted_at=utcnow())
        s.add(appointment)
        s.flush()
        outcome = Outcome(appointment_id=appointment.id, notes="")
        s.add(outcome)
        s.flush()
        question = Question(outcome_id=outcome.id, position=1, topic_id=appointment.topic_id, wording="w",
                            result=OutcomeResult.FORWARDED, body_id=body.id)
        s.add(question)
        s.flush()
        instruction = Instruction(question_id=question.id, body_id=body.id, responsible_name="r", text="t",
                                  appeal_type="complaint", due_on=due, original_due_on=due)
        s.add(instruction)
        s.commit()
        made = dict(body=body.id, official=official.id, venue=venue.id, session=session.id,
                    users=[u.id for u in users], appointment=appointment.id, outcome=outcome.id,
                    question=question.id,
                    instruction=instruction.id, reps=[u.id for u in users[1:]])
    yield made
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(made["users"])))
        conn.execute(delete(Instruction).where(Instruction.id == made["instruction"]))
        conn.execute(delete(Question).where(Question.id == made["question"]))
        conn.execute(delete(Outcome).where(Outcome.id == made["outcome"]))
        conn.execute(delete(Appointment).where(Appointment.id == made["appointment"]))
        conn.execute(delete(Slot).where(Slot.session_id == made["session"]))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id == made["session"]))
        conn.execute(delete(Venue).where(Venue.id == made["venue"]))
        conn.execute(delete(Official).where(Official.id == made["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(made["users"])))
        conn.execute(delete(User).where(User.id.in_(made["users"])))
        conn.execute(delete(Body).where(Body.id == made["body"]))


def test_runs_at_once_warn_the_body_once(app, committed_instruction):
    barrier = threading.Barrier(RUNS)
    results: list[object] = [None] * RUNS
    with app.app_context():
        engine = db.engine

    def run(i):
        with app.app_context(), race.racer(f"run {i}"):
            try:
                barrier.wait(timeout=30)
                results[i] = warn_followups(utcnow(), app.config)
            except Exception as exc:
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    with Race(engine, WARN) as race:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(RUNS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a run hung"
    race.assert_overlapped()
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r.due_soon for r in results) == 1
    with app.app_context():
        sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id.in_(committed_instruction["reps"]),
                                                              OutboxMessage.kind == "followup_due_soon")).all()
        assert sorted(m.user_id for m in sent) == sorted(committed_instruction["reps"])  # one e-mail each
        db.session.remove()
