"""Outcome fixtures: a reception of body A's official with a checked-in citizen, body A's assistant and
an agency representative of body B (the body instructions are given to)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.accounts.models import NotifyBy, User
from reception.booking.models import Appointment, AppointmentStatus
from reception.booking.services import book_slot
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Body, Official
from reception.notifications.models import OutboxMessage
from reception.outcomes.models import Instruction, InstructionStatus, Outcome, OutcomeResult
from tests.conftest import csrf_from, login


@dataclass
class Reception:
    appointment: Appointment
    official: Official
    body_a: Body
    body_b: Body
    assistant: User
    rep: User
    citizen: User

    @property
    def outcome_url(self) -> str:
        return f"/staff/appointments/{self.appointment.id}/outcome"


@pytest.fixture
def reception(db, app, make_body, make_official, make_user, make_session, booking_data):
    """A booked reception with the citizen checked in (as the day board leaves it)."""
    body_a, body_b = make_body(), make_body(name_en="Housing Department")
    official_user = make_user(Role.OFFICIAL, body=body_a)
    official = make_official(body=body_a, full_name="Akim Seitkali", user_id=official_user.id)
    citizen = make_user(Role.CITIZEN, full_name="Aigul Nurlanovna", phone="+77011112233", notify_by=NotifyBy.BOTH)
    session = make_session(official=official,
                           start=(utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0))
    with app.test_request_context():
        appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), app.config)
    appointment.status = AppointmentStatus.CHECKED_IN
    db.session.commit()
    return Reception(appointment=appointment, official=official, body_a=body_a, body_b=body_b,
                     assistant=make_user(Role.ASSISTANT, body=body_a), rep=make_user(Role.AGENCY_REP, body=body_b),
                     citizen=citizen)


def instruction_row(body_id: int, n: int = 0, **values) -> dict:
    """Form fields of the outcome page's ``n``-th instruction block."""
    fields = dict(body_id=body_id, responsible_name="Serik Abenov", text="Repair the roof of the house",
                  appeal_type="complaint", due_on="")
    fields.update(values)
    return {f"instructions-{n}-{k}": v for k, v in fields.items()}


@pytest.fixture
def with_instruction(db, reception):
    """The reception held, its outcome recorded (forwarded) with one open instruction to body B."""
    def make(due_on=None, status=InstructionStatus.OPEN) -> Instruction:
        now = utcnow()
        reception.appointment.status = AppointmentStatus.HELD
        outcome = Outcome(appointment_id=reception.appointment.id, result=OutcomeResult.FORWARDED, notes="",
                          recorded_at=now, updated_at=now)
        db.session.add(outcome)
        db.session.flush()
        due = due_on or now.date() + timedelta(days=20)
        instruction = Instruction(outcome_id=outcome.id, body_id=reception.body_b.id,
                                  responsible_name="Serik Abenov", text="Repair the roof", appeal_type="complaint",
                                  due_on=due, original_due_on=due, status=status, created_at=now)
        db.session.add(instruction)
        db.session.commit()
        return instruction
    return make


def switch_to(client, user) -> None:
    """Log out whoever is logged in and log ``user`` in."""
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    login(client, user)


def messages(db, user, kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                               OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))
