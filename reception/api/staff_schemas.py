"""The staff resources' request and response bodies (pydantic): the day board, the board's steps, outcomes,
instructions and the bodies' reports, the screening queue and its decisions, the legal review's state."""
from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from ..booking.models import AppointmentStatus, DeclineGround, OfferStatus, RequestDecision
from ..legal.models import Addressee, OpinionStatus, ReviewStatus
from ..outcomes.models import InstructionStatus, OutcomeResult, ReportVerdict
from ..outcomes.services import APPEAL_TYPE_LABELS, MAX_INSTRUCTIONS, MAX_QUESTIONS
from ..requests.models import UrgencyReason
from ..requests.rules import DeadlineFlag
from ..schedule.models import AttendanceFormat, SessionStatus
from .schemas import MAX_ID, Strict

# --- the day board ---------------------------------------------------------------------------------

class DayQuery(Strict):
    date: Date = Field(description="The day (the receptions' local date).")
    official: int | None = Field(None, ge=1, le=MAX_ID, description="Only this official's sessions.")


class BoardAppointment(BaseModel):
    """An appointment on the board. Times carry the offset of the session's zone."""

    id: int
    citizen_name: str
    topic_id: int
    topic: str
    summary: str
    status: AppointmentStatus
    format: AttendanceFormat
    studio_id: int | None
    starts_at: datetime
    ends_at: datetime
    checked_in_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    talon_number: str | None
    repeat: bool = Field(description="An earlier held or closed appointment on the same topic or official.")
    needs_wheelchair: bool
    needs_sign_language: bool


class BoardSession(BaseModel):
    id: int
    official_id: int
    official_name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    status: SessionStatus
    can_run: bool = Field(description="Whether the token's user may run this session's steps.")
    appointments: list[BoardAppointment]


class DayBoard(BaseModel):
    date: Date
    sessions: list[BoardSession]


# --- outcomes and instructions -----------------------------------------------------------------------

class InstructionReport(BaseModel):
    id: int
    text: str
    created_at: datetime
    verdict: ReportVerdict | None
    verdict_note: str | None
    verdict_at: datetime | None


class Instruction(BaseModel):
    id: int
    body_id: int
    responsible_name: str
    text: str
    appeal_type: str
    due_on: Date
    original_due_on: Date
    status: InstructionStatus
    overdue: bool
    appointment_id: int


class InstructionDetail(Instruction):
    question: str
    reports: list[InstructionReport]


class InstructionPage(BaseModel):
    items: list[Instruction]
    next: str | None = Field(description="The cursor of the next page (also in the Link header), or none.")


class InstructionQuery(Strict):
    after: str | None = Field(None, max_length=24, description="The cursor of a page (from Link rel=next).")
    limit: int = Field(50, ge=1, le=200)


class Question(BaseModel):
    id: int
    position: int
    topic_id: int
    wording: str
    result: OutcomeResult
    grounds: str | None
    body_id: int | None
    instructions: list[InstructionDetail]


class Outcome(BaseModel):
    appointment_id: int
    notes: str
    recorded_at: datetime
    updated_at: datetime = Field(description="The outcome's last change: send it back as ``seen_updated_at`` "
                                             "to change the outcome (PUT).")
    questions: list[Question]


#: The types of appeal an instruction is given under (their terms set its latest due date).
AppealType = Literal[tuple(APPEAL_TYPE_LABELS)]


class NewInstructionBody(Strict):
    """A new instruction to a body (instructions are only ever added; a given one is never changed here)."""

    body_id: int | None = Field(None, ge=1, le=MAX_ID, description="The responsible body; none: the question's.")
    responsible_name: str = Field("", max_length=200, description="The person responsible in the body.")
    text: str = Field("", max_length=4000, description="What must be done.")
    appeal_type: AppealType = Field(description="The type of appeal: its term is the latest due date.")
    due_on: Date | None = Field(None, description="From today to the type's term; none: the type's term "
                                                  "(in working days).")


class QuestionBody(Strict):
    """A question of the outcome: a recorded one to change (``id``, from GET) or to take away (``id`` with
    ``remove``; then nothing else is read), or a new one (no ``id``). Recorded questions not sent stay as
    they are."""

    id: int | None = Field(None, ge=1, le=MAX_ID, description="A recorded question; none: a new one.")
    remove: bool = Field(False, description="Take the recorded question away (not one with instructions).")
    topic_id: int | None = Field(None, ge=1, le=MAX_ID)
    wording: str = Field("", max_length=4000, description="The question in brief.")
    result: OutcomeResult | None = None
    grounds: str = Field("", max_length=4000, description="Needed for a refusal.")
    body_id: int | None = Field(None, ge=1, le=MAX_ID, description="The responsible body (needed when "
                                                                   "forwarded); none: the official's own.")
    instructions: list[NewInstructionBody] = Field([], max_length=MAX_INSTRUCTIONS,
                                                   description="New instructions, added to those given before.")


class OutcomeRequest(Strict):
    """The outcome as the page records it. What breaks the rules is a 422 listing every field, named with
    dots by the positions in this body (``questions.0.wording``, ``questions.1.instructions.0.due_on``)."""

    notes: str = Field("", max_length=4000, description="What was said and decided.")
    seen_updated_at: AwareDatetime | None = Field(
        description="null to record a new outcome; to change one, its ``updated_at`` as read (GET): if it "
                    "changed meanwhile (or the outcome was recorded meanwhile), 409.")
    questions: list[QuestionBody] = Field(max_length=MAX_QUESTIONS)


class ReportRequest(Strict):
    text: str = Field(min_length=1, max_length=4000, description="What the body did.")
    seen_status: InstructionStatus = Field(description="The instruction's status the report answers (as read): "
                                                       "if it changed meanwhile, 409.")


class DecisionRequest(Strict):
    verdict: Literal["accepted", "returned"]
    note: str = Field("", max_length=4000, description="Needed when the report is returned.")


# --- the screening queue -----------------------------------------------------------------------------

class Offer(BaseModel):
    id: int
    slot_id: int
    starts_at: datetime
    expires_at: datetime
    status: OfferStatus


class ScreeningRequest(BaseModel):
    """A request (request mode) as screening sees it. Times carry the offset of the official's body's zone."""

    id: int
    status: AppointmentStatus
    citizen_name: str
    official_id: int
    official_name: str
    topic_id: int
    topic: str
    summary: str
    format: AttendanceFormat
    studio_id: int | None
    sent_at: datetime
    timezone: str
    redirect_due_on: Date | None = Field(description="The last working day to redirect it to a competent body.")
    decision: RequestDecision | None
    decided_at: datetime | None
    decline_ground: DeclineGround | None
    redirect_body_id: int | None
    offers: list[Offer]


class QueueRow(ScreeningRequest):
    deadline: DeadlineFlag = Field(description="The redirect deadline: on time, due soon or overdue.")
    urgent: bool = Field(description="Urgent (the citizen's mark counts until staff clear it): listed first.")
    urgency_reason: UrgencyReason | None
    urgent_late: bool = Field(description="Urgent, still waiting, and its one working day has passed.")
    offers_expired: bool
    offers_until: datetime | None = Field(description="The latest hold deadline of the live offers.")


class Queue(BaseModel):
    awaiting: list[QueueRow] = Field(description="Waiting for a decision: urgent first, then oldest first.")
    offered: list[QueueRow] = Field(description="Times offered, the citizen has not chosen yet.")
    total_awaiting: int = Field(description="How many wait in all (each list shows at most 200, as the page).")


class RequestDecisionBody(Strict):
    """One of the four decisions, with what it needs: ``offer`` the times (``slot_ids``, a ``note`` for the
    citizen if any), ``redirect`` the competent body (``body_id``) with ``reasons``, ``resolve`` with the
    ``resolution``, ``decline`` on a ``ground`` (with a ``note`` if any). What a decision needs and lacks is
    a 422 naming the field."""

    action: Literal["offer", "redirect", "resolve", "decline"]
    slot_ids: list[int] | None = Field(None, max_length=20)
    body_id: int | None = Field(None, ge=1, le=MAX_ID)
    reasons: str | None = Field(None, max_length=2000)
    resolution: str | None = Field(None, max_length=2000)
    ground: DeclineGround | None = None
    note: str | None = Field(None, max_length=2000)


# --- legal review ----------------------------------------------------------------------------------------

class SignedOpinion(BaseModel):
    """The newest signed (or sent) version of the opinion. Its text (conclusion, recommended action,
    addressee) is given only to whom the page shows it: the official's side for legal review."""

    version: int
    status: OpinionStatus
    signed_at: datetime | None
    sent_at: datetime | None
    conclusion: str | None
    recommended_action: str | None
    addressee: Addressee | None
    addressee_body_id: int | None


class LegalReviewState(BaseModel):
    appointment_id: int
    status: ReviewStatus = Field(description="queued (flagged, waiting for a consultant), taken (being examined), "
                                             "done (the signed opinion was sent), withdrawn.")
    flagged_at: datetime
    taken_at: datetime | None
    region: str | None = Field(description="The region whose consultants examine it (its code).")
    timezone: str
    can_read_opinion: bool
    opinion: SignedOpinion | None = Field(description="None until an opinion is signed.")
