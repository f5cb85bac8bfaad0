"""The staff resources' request and response bodies (pydantic): the day board, the board's steps, outcomes,
instructions and the bodies' reports."""
from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..booking.models import AppointmentStatus
from ..outcomes.models import InstructionStatus, OutcomeResult, ReportVerdict
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
    updated_at: datetime
    questions: list[Question]


class ReportRequest(Strict):
    text: str = Field(min_length=1, max_length=4000, description="What the body did.")
    seen_status: InstructionStatus = Field(description="The instruction's status the report answers (as read): "
                                                       "if it changed meanwhile, 409.")


class DecisionRequest(Strict):
    verdict: Literal["accepted", "returned"]
    note: str = Field("", max_length=4000, description="Needed when the report is returned.")
