"""The bodies of the citizen's other resources (reception.api.citizen): moving an appointment, requests and the
times offered on them, the waitlist, and the outcome of a held reception with each question's status."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..booking.models import (
    AppointmentStatus,
    DeclineGround,
    OfferStatus,
    RequestDecision,
    WaitlistStatus,
)
from ..outcomes.models import InstructionStatus, OutcomeResult
from ..requests.models import UrgencyReason
from ..schedule.models import AttendanceFormat
from .schemas import MAX_ID, BookingDetails, Slot, Strict

# --- moving an appointment -----------------------------------------------------------------

class RescheduleRequest(Strict):
    slot_id: int = Field(ge=1, le=MAX_ID, description="A free time of the same official (from /slots).")


# --- requests (request mode) ----------------------------------------------------------------

class RequestCreate(BookingDetails):
    """A request for a reception with an official who takes requests: the reception office screens it and
    offers times, redirects it to the competent body, resolves it without a reception or declines it."""

    official_id: int = Field(ge=1, le=MAX_ID)
    urgency_reason: UrgencyReason | None = Field(None, description="Why the request cannot wait, if it cannot.")
    urgency_note: str | None = Field(None, max_length=2000)


class RequestOffer(BaseModel):
    """A time the reception office offered on a request, kept for the citizen until ``expires_at``."""

    id: int
    status: OfferStatus
    expires_at: datetime
    slot: Slot


class MyRequest(BaseModel):
    id: int
    status: AppointmentStatus = Field(description="requested, screening (times offered), scheduled (a time "
                                                  "accepted: see /me/appointments/{id} for the talon), or ended.")
    official_id: int
    official_name: str
    body_id: int
    format: AttendanceFormat
    topic_id: int
    summary: str
    studio_id: int | None
    received_at: datetime
    timezone: str
    redirect_due_on: date | None = Field(description="By when the office redirects it if another body is "
                                                     "competent (3 working days).")
    decision: RequestDecision | None
    decided_at: datetime | None
    decline_ground: DeclineGround | None
    decision_note: str | None
    redirect_body_id: int | None = Field(description="The competent body it was sent to, if redirected.")
    urgent: bool = Field(description="Marked urgent (by the citizen, until the office confirms or clears it).")
    offers: list[RequestOffer] = Field(description="Times offered that can still be accepted (open, not expired).")
    offers_expired: bool = Field(description="Times were offered and all ran out: the office decides again.")
    can_accept: bool
    can_withdraw: bool


class MyRequestList(BaseModel):
    items: list[MyRequest]


class AcceptOffer(Strict):
    offer_id: int = Field(ge=1, le=MAX_ID, description="One of the request's open offers.")


# --- the waitlist --------------------------------------------------------------------------------

class MyWaitlistEntry(BaseModel):
    """A place in an official's waitlist. When a time becomes free it is kept for the first in line
    (status ``offered``, ``offered_slot`` until ``offer_expires_at``): book it with POST /me/appointments."""

    id: int
    status: WaitlistStatus
    official_id: int
    official_name: str
    body_id: int
    visiting_id: int | None
    topic_id: int | None
    place_in_line: int | None = Field(description="1 = next to be offered a freed time (while waiting).")
    offered_slot: Slot | None
    offer_expires_at: datetime | None
    joined_at: datetime
    updated_at: datetime


class MyWaitlistList(BaseModel):
    items: list[MyWaitlistEntry] = Field(description="Places in line first, then the ended ones (the latest 20).")


class WaitlistJoin(Strict):
    official_id: int = Field(ge=1, le=MAX_ID)
    visiting_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this visiting reception of the "
                                                                       "official (for residents of its region).")
    topic_id: int | None = Field(None, ge=1, le=MAX_ID)


class WaitlistLeave(Strict):
    expected_status: Literal["waiting", "offered"] = Field(
        description="The status the citizen saw: if it changed meanwhile (a time was just kept for them), "
                    "nothing changes and the answer is 409.")


# --- the outcome ---------------------------------------------------------------------------------

class MyInstruction(BaseModel):
    id: int
    body_id: int
    body_name: str
    text: str
    due_on: date
    status: InstructionStatus
    overdue: bool
    extended: bool
    extension_reason: str | None
    done: str | None = Field(description="What the body did, once its report was accepted.")


class MySolvedCheck(BaseModel):
    """"Is your problem solved?": asked once every instruction on the question is done, answered once."""

    asked_at: datetime
    answered_at: datetime | None
    solved: bool | None
    can_answer: bool


class MyQuestion(BaseModel):
    id: int
    position: int
    topic_id: int
    wording: str
    result: OutcomeResult
    grounds: str | None
    body_id: int | None = Field(description="The responsible body, if any.")
    instructions: list[MyInstruction]
    solved_check: MySolvedCheck | None


class MyOutcome(BaseModel):
    appointment_id: int
    result: OutcomeResult | None = Field(description="The overall result, derived from the questions'.")
    notes: str
    recorded_at: datetime
    timezone: str
    questions: list[MyQuestion]


class SolvedAnswer(Strict):
    solved: bool
