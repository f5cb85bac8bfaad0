"""Outcomes of receptions, recorded per question the citizen raised; instructions with working-day
deadlines, the bodies' reports, contacts with the citizen, the citizen's rating, and citizens' reports of
being refused a reception."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..booking.models import Appointment
from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..directory.models import Body, Official, Topic
from ..extensions import db


class OutcomeResult(enum.StrEnum):
    RESOLVED = "resolved"                    # resolved on the spot
    EXPLAINED = "explained"
    SATISFIED = "satisfied"
    REFUSED = "refused"                      # with grounds
    FORWARDED = "forwarded"                  # fully, to a competent body
    FORWARDED_PART = "forwarded_part"        # in part
    UNDER_CONSIDERATION = "under_consideration"


OUTCOME_RESULT_LABELS = {
    OutcomeResult.RESOLVED: _l("Resolved on the spot"),
    OutcomeResult.EXPLAINED: _l("Explained"),
    OutcomeResult.SATISFIED: _l("Satisfied"),
    OutcomeResult.REFUSED: _l("Refused"),
    OutcomeResult.FORWARDED: _l("Forwarded to a competent body"),
    OutcomeResult.FORWARDED_PART: _l("Forwarded in part to a competent body"),
    OutcomeResult.UNDER_CONSIDERATION: _l("Under consideration"),
}


#: Results that settle a question by themselves; a forwarded question is settled when its instructions are.
FINAL_RESULTS = frozenset({OutcomeResult.RESOLVED, OutcomeResult.SATISFIED, OutcomeResult.EXPLAINED,
                           OutcomeResult.REFUSED})
FORWARDED_RESULTS = frozenset({OutcomeResult.FORWARDED, OutcomeResult.FORWARDED_PART})
#: From the least settled to the most: a reception whose questions differ takes the least settled result.
_SETTLED_ORDER = (OutcomeResult.UNDER_CONSIDERATION, OutcomeResult.FORWARDED_PART, OutcomeResult.FORWARDED,
                  OutcomeResult.REFUSED, OutcomeResult.EXPLAINED, OutcomeResult.SATISFIED, OutcomeResult.RESOLVED)


def overall_result(results) -> OutcomeResult | None:
    """A reception's result from its questions' results: their common result; else "under consideration"
    if any is; else "forwarded in part" if some (not all) were forwarded; else the least settled."""
    results = set(results)
    if not results:
        return None
    if len(results) == 1:
        return next(iter(results))
    if OutcomeResult.UNDER_CONSIDERATION in results:
        return OutcomeResult.UNDER_CONSIDERATION
    if results & FORWARDED_RESULTS:
        return OutcomeResult.FORWARDED_PART
    return min(results, key=_SETTLED_ORDER.index)


class Outcome(db.Model):
    """The outcome of one held reception, recorded by the official's side: the questions the citizen
    raised, each with its own result, and notes on the reception as a whole."""

    __audit__ = "outcome"
    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("appointment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    questions: Mapped[list[Question]] = relationship(back_populates="outcome", order_by="Question.position")

    @property
    def result(self) -> OutcomeResult | None:
        """Derived from the questions (see :func:`overall_result`)."""
        return overall_result(q.result for q in self.questions)

    @property
    def result_label(self) -> str:
        return str(OUTCOME_RESULT_LABELS[self.result]) if self.result else ""

    @property
    def instructions(self) -> list[Instruction]:
        return [i for q in self.questions for i in q.instructions]


class Question(db.Model):
    """One question the citizen raised at a reception, with its own fate: its topic, a short wording, the
    result, the grounds of a refusal, the body responsible for it, and the instructions given on it."""

    __audit__ = "question"
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("outcome_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, … in the order raised
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"), index=True)
    wording: Mapped[str] = mapped_column(Text)
    result: Mapped[OutcomeResult] = mapped_column(str_enum(OutcomeResult, "outcome_result"))
    grounds: Mapped[str | None] = mapped_column(Text)  # required when refused
    # The body responsible for the question (the competent body it was forwarded to); None: the official's own.
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    outcome: Mapped[Outcome] = relationship(back_populates="questions")
    topic: Mapped[Topic] = relationship()
    body: Mapped[Body | None] = relationship()
    instructions: Mapped[list[Instruction]] = relationship(back_populates="question", order_by="Instruction.id")

    @property
    def result_label(self) -> str:
        return str(OUTCOME_RESULT_LABELS[self.result])

    @property
    def is_closed(self) -> bool:
        """A final result, or forwarded with every instruction done (monitoring's "closed")."""
        if self.result in FINAL_RESULTS:
            return True
        return (self.result in FORWARDED_RESULTS and bool(self.instructions)
                and all(i.status is InstructionStatus.CLOSED for i in self.instructions))


class InstructionStatus(enum.StrEnum):
    OPEN = "open"          # the body is working on it
    REPORTED = "reported"  # the body reported what it did; the assistant checks
    CLOSED = "closed"      # the assistant accepted the report
    # A returned report sends the instruction back to OPEN (the report keeps the verdict).


INSTRUCTION_STATUS_LABELS = {
    InstructionStatus.OPEN: _l("In progress"),
    InstructionStatus.REPORTED: _l("Reported, being checked"),
    InstructionStatus.CLOSED: _l("Done"),
}


class Instruction(db.Model):
    """An instruction to a body given at a reception, due in working days."""

    __audit__ = "instruction"
    __tablename__ = "instructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    responsible_name: Mapped[str] = mapped_column(String(200))   # the person responsible in the body
    text: Mapped[str] = mapped_column(Text)
    appeal_type: Mapped[str] = mapped_column(String(32))         # picks the default term (configuration)
    due_on: Mapped[date] = mapped_column(Date, index=True)       # the current deadline (extensions move it)
    original_due_on: Mapped[date] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[InstructionStatus] = mapped_column(str_enum(InstructionStatus, "instruction_status"),
                                                      default=InstructionStatus.OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The last deadline warnings sent to the body (so each is sent once per deadline).
    near_warned_for: Mapped[date | None] = mapped_column(Date)
    overdue_warned_for: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question: Mapped[Question] = relationship(back_populates="instructions")
    body: Mapped[Body] = relationship()
    reports: Mapped[list[InstructionReport]] = relationship(back_populates="instruction",
                                                              order_by="InstructionReport.id")
    contacts: Mapped[list[CitizenContact]] = relationship(back_populates="instruction",
                                                            order_by="CitizenContact.id")

    @property
    def status_label(self) -> str:
        return str(INSTRUCTION_STATUS_LABELS[self.status])

    @property
    def outcome(self) -> Outcome:
        return self.question.outcome

    @property
    def accepted_report(self) -> InstructionReport | None:
        """The body's report the official's side accepted (what was done), or None."""
        return next((r for r in reversed(self.reports) if r.verdict is ReportVerdict.ACCEPTED), None)


class ReportVerdict(enum.StrEnum):
    ACCEPTED = "accepted"  # the instruction is closed
    RETURNED = "returned"  # sent back to the body with a note


class InstructionReport(db.Model):
    """What the responsible body reports it did, and the assistant's verdict on it."""

    __audit__ = "instruction_report"
    __tablename__ = "instruction_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verdict: Mapped[ReportVerdict | None] = mapped_column(str_enum(ReportVerdict, "report_verdict"))
    verdict_note: Mapped[str | None] = mapped_column(Text)
    verdict_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verdict_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    instruction: Mapped[Instruction] = relationship(back_populates="reports")
    author: Mapped[User] = relationship(foreign_keys=[author_id])


class ContactChannel(enum.StrEnum):
    PHONE = "phone"
    VISIT = "visit"
    EMAIL = "email"


class CitizenContact(db.Model):
    """The assistant's contact with the citizen to double-check what a body claims it did."""

    __audit__ = "citizen_contact"
    __tablename__ = "citizen_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id", ondelete="RESTRICT"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    channel: Mapped[ContactChannel] = mapped_column(str_enum(ContactChannel, "contact_channel"))
    confirmed: Mapped[bool | None] = mapped_column(Boolean)  # did the citizen confirm the body's claim
    note: Mapped[str] = mapped_column(Text, default="")
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    instruction: Mapped[Instruction] = relationship(back_populates="contacts")
    staff: Mapped[User] = relationship()


class Rating(db.Model):
    """The citizen's rating of a held reception: once, 1 to 5, with an optional comment."""

    __audit__ = "rating"
    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("appointment_id"),
                      CheckConstraint("score BETWEEN 1 AND 5", name="score_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship()


class AccessReportKind(enum.StrEnum):
    REFUSED = "refused"   # refused a booking
    NO_TIME = "no_time"   # no reception time for months


ACCESS_REPORT_KIND_LABELS = {
    AccessReportKind.REFUSED: _l("I was refused a booking"),
    AccessReportKind.NO_TIME: _l("I find no reception time for months"),
}


class AccessReport(db.Model):
    """A citizen's report that a body refused them a reception or offers no time; monitors read these."""

    __audit__ = "access_report"
    __tablename__ = "access_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    kind: Mapped[AccessReportKind] = mapped_column(str_enum(AccessReportKind, "access_report_kind"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    citizen: Mapped[User] = relationship(foreign_keys=[citizen_id])
    body: Mapped[Body] = relationship()
    official: Mapped[Official | None] = relationship()

    @property
    def kind_label(self) -> str:
        return str(ACCESS_REPORT_KIND_LABELS[self.kind])


class AnswerChannel(enum.StrEnum):
    PAGE = "page"  # the yes/no on the talon page
    SMS = "sms"    # a reply "1" or "2" to the SMS
    API = "api"    # an application acting with the citizen's API token


ANSWER_CHANNEL_LABELS = {AnswerChannel.PAGE: _l("on the talon page"), AnswerChannel.SMS: _l("by SMS"),
                         AnswerChannel.API: _l("in an application")}


class SolvedCheck(db.Model):
    """Closing the loop on one question: once every instruction on it is done (the bodies' reports
    accepted), the citizen is asked whether the problem is solved, once per question.

    The answer is recorded once (``answered_at``, ``solved``, how it came). A "no" is a follow-up task for
    the official's side (call the citizen back and double-check the bodies' answers), listed at
    /staff/follow-ups/ until a contact with the citizen is logged on one of the question's instructions
    (``follow_up_done_at``). Monitoring counts confirmations from ``answered_at`` and ``solved``.
    """

    __audit__ = "solved_check"
    __tablename__ = "solved_checks"
    __table_args__ = (UniqueConstraint("question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    answered_via: Mapped[AnswerChannel | None] = mapped_column(str_enum(AnswerChannel, "answer_channel"))
    follow_up_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    question: Mapped[Question] = relationship()
    appointment: Mapped[Appointment] = relationship()
    citizen: Mapped[User] = relationship(foreign_keys=[citizen_id])

    @property
    def is_open(self) -> bool:
        """Asked and not answered yet."""
        return self.answered_at is None

    @property
    def answered_via_label(self) -> str:
        return str(ANSWER_CHANNEL_LABELS[self.answered_via]) if self.answered_via else ""
