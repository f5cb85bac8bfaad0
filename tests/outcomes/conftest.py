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
from reception.outcomes.models import Instruction, InstructionStatus, Outcome, OutcomeResult, Question
from tests.conftest import as_sent, csrf_from, login


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


def question_row(topic_id: int, n: int = 0, **values) -> dict:
    """Form fields of the outcome page's ``n``-th question (explained, unless told otherwise)."""
    fields = dict(id="", topic_id=topic_id, wording="The roof of our house leaks", result="explained", grounds="",
                  body_id="0")
    fields.update(values)
    return {f"questions-{n}-{k}": v for k, v in fields.items()}


def instruction_row(body_id: int, n: int = 0, question: int = 0, **values) -> dict:
    """Form fields of the ``n``-th instruction block of the outcome page's ``question``-th question."""
    fields = dict(body_id=body_id, responsible_name="Serik Abenov", text="Repair the roof of the house",
                  appeal_type="complaint", due_on="")
    fields.update(values)
    return {f"questions-{question}-instructions-{n}-{k}": v for k, v in fields.items()}


def forwarded(topic_id: int, body_id: int, n: int = 0, **values) -> dict:
    """The ``n``-th question forwarded to ``body_id`` with one instruction to it."""
    return {**question_row(topic_id, n, result="forwarded", body_id=body_id),
            **instruction_row(body_id, 0, n, **values)}


def add_question(db, appointment, now, result=OutcomeResult.FORWARDED, body_id=None, wording="The roof leaks",
                 **values) -> Question:
    """An outcome of ``appointment`` (made if it has none) and one more question of it, written directly."""
    outcome = db.session.scalar(select(Outcome).where(Outcome.appointment_id == appointment.id))
    if outcome is None:
        outcome = Outcome(appointment_id=appointment.id, notes="", recorded_at=now, updated_at=now)
        db.session.add(outcome)
        db.session.flush()
    position = 1 + max((q.position for q in outcome.questions), default=0)
    question = Question(outcome_id=outcome.id, position=position, topic_id=appointment.topic_id, wording=wording,
                        result=result, body_id=body_id, created_at=now, **values)
    db.session.add(question)
    db.session.flush()
    db.session.expire(outcome, ["questions"])
    return question


def add_instruction(db, question, body_id, now, due_on=None, **values) -> Instruction:
    due = due_on or now.date() + timedelta(days=20)
    fields = dict(responsible_name="Serik Abenov", text="Repair the roof", appeal_type="complaint",
                  status=InstructionStatus.OPEN, created_at=now)
    fields.update(values)
    instruction = Instruction(question_id=question.id, body_id=body_id, due_on=due, original_due_on=due, **fields)
    db.session.add(instruction)
    db.session.flush()
    return instruction


@pytest.fixture
def with_instruction(db, reception):
    """The reception held, its outcome recorded: one question forwarded to body B with one open instruction."""
    def make(due_on=None, status=InstructionStatus.OPEN) -> Instruction:
        now = utcnow()
        reception.appointment.status = AppointmentStatus.HELD
        question = add_question(db, reception.appointment, now, body_id=reception.body_b.id)
        instruction = add_instruction(db, question, reception.body_b.id, now, due_on=due_on, status=status)
        db.session.commit()
        return instruction
    return make


def switch_to(client, user) -> None:
    """Log out whoever is logged in and log ``user`` in."""
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    login(client, user)


def messages(db, user, kind: str) -> list[OutboxMessage]:
    return as_sent(list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                                       OutboxMessage.kind == kind)
                                           .order_by(OutboxMessage.id))))
