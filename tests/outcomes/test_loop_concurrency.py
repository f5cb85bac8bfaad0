"""The citizen is asked "is your problem solved?" once per question, whatever is accepted at the same moment.

Committed on the app's engine (the reception of tests.outcomes.test_warn_concurrency, with a second
instruction on its question, reports on both and an assistant of the body), deleted afterwards. Two
assistants accept at once, each in its own thread, application context and transaction:

- the same report (a double submit): the conditional UPDATE of the instruction lets one win; the other gets
  a Conflict and asks nothing;
- the reports of the question's two instructions: each sees the other still open unless they are ordered:
  the question's row is locked before the statuses are read (PostgreSQL), SQLite runs one writer at a time;
  so the second reads the first's acceptance and asks, once.
"""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.audit.models import AuditEvent  # noqa: F401  (the audit log keeps its rows)
from reception.core.clock import utcnow
from reception.core.errors import Conflict
from reception.core.permissions import Role
from reception.extensions import db
from reception.notifications.models import OutboxMessage
from reception.outcomes import services
from reception.outcomes.models import Instruction, InstructionReport, InstructionStatus, SolvedCheck
from tests.conftest import _PASSWORD_HASH
from tests.outcomes.test_warn_concurrency import committed_instruction  # noqa: F401  (a fixture)
from tests.races import run_racers

# PostgreSQL: both read the report as waiting and race to UPDATE the instruction (the row lock orders them).
# SQLite: one writer at a time; the second is queued from its first statement (loading the acting user).
SAME_REPORT = {"postgresql": r"^UPDATE instructions SET status=", "sqlite": r"FROM users\s+WHERE users\.id ="}
QUESTION_ROW = {"postgresql": r"FROM questions .*FOR UPDATE", "sqlite": r"^UPDATE instructions SET status="}


@pytest.fixture
def two_reports(app, committed_instruction):  # noqa: F811
    """Both instructions of the question reported, and an assistant of the body to accept them."""
    made = committed_instruction
    with app.app_context():
        engine = db.engine
    with Session(engine) as s:
        first = s.get(Instruction, made["instruction"])
        second = Instruction(question_id=first.question_id, body_id=first.body_id, responsible_name="r",
                             text="Second task", appeal_type="complaint", due_on=first.due_on,
                             original_due_on=first.due_on, status=InstructionStatus.REPORTED)
        first.status = InstructionStatus.REPORTED
        s.add(second)
        s.flush()
        reports = [InstructionReport(instruction_id=i.id, author_id=made["reps"][0], text=f"Done {i.id}")
                   for i in (first, second)]
        assistant = User(email=f"loop-assistant-{made['body']}@example.kz", full_name="Loop Assistant",
                         password_hash=_PASSWORD_HASH, language="en", body_id=made["body"],
                         role_rows=[UserRole(role=Role.ASSISTANT)])
        s.add_all([*reports, assistant])
        s.commit()
        extra = dict(instructions=[first.id, second.id], reports=[r.id for r in reports], assistant=assistant.id)
    yield {**made, **extra}
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(made["users"])))
        conn.execute(delete(SolvedCheck).where(SolvedCheck.question_id == made["question"]))
        conn.execute(delete(InstructionReport).where(InstructionReport.id.in_(extra["reports"])))
        conn.execute(delete(Instruction).where(Instruction.id == extra["instructions"][1]))
        conn.execute(delete(UserRole).where(UserRole.user_id == extra["assistant"]))
        conn.execute(delete(User).where(User.id == extra["assistant"]))


def _accept(world, n: int):
    def job():
        actor = db.session.get(User, world["assistant"])
        instruction = db.session.get(Instruction, world["instructions"][n])
        return services.judge_report(actor, instruction, world["reports"][n], True, "", utcnow())
    return job


def _asked(app, world) -> tuple[int, int]:
    with app.app_context():
        checks = db.session.scalar(select(func.count()).select_from(SolvedCheck)
                                   .where(SolvedCheck.question_id == world["question"]))
        messages = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.user_id == world["users"][0], OutboxMessage.kind == "solved_asked"))
        db.session.remove()
    return checks, messages


def test_the_same_report_accepted_twice_at_once_asks_once(app, two_reports):
    first_only = dict(two_reports, instructions=[two_reports["instructions"][0]] * 2,
                      reports=[two_reports["reports"][0]] * 2)
    with app.app_context():  # the question's other instruction is done already
        db.session.get(Instruction, two_reports["instructions"][1]).status = InstructionStatus.CLOSED
        db.session.commit()
        db.session.remove()
    outcomes = run_racers(app, [_accept(first_only, 0), _accept(first_only, 1)], SAME_REPORT)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "InstructionReport"], outcomes
    assert any(isinstance(o, Conflict) for o in outcomes)
    assert _asked(app, two_reports) == (1, 1)  # the citizen chose e-mail only


def test_the_questions_two_instructions_accepted_at_once_ask_once(app, two_reports):
    outcomes = run_racers(app, [_accept(two_reports, 0), _accept(two_reports, 1)], QUESTION_ROW)
    assert all(isinstance(o, InstructionReport) for o in outcomes), outcomes
    assert _asked(app, two_reports) == (1, 1)
