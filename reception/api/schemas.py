"""The API's request and response bodies (pydantic): the OpenAPI document's schemas are generated from these."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..booking.models import AppointmentStatus
from ..booking.services import BookingData
from ..directory.models import BodyLevel
from ..schedule.models import AttendanceFormat

MAX_ID = 2**31 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors (RFC 9457) -------------------------------------------------------------------

class FieldError(BaseModel):
    field: str = Field(description="Where the error is: the field's name (nested names joined by dots).")
    message: str


class Problem(BaseModel):
    """An error as RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    errors: list[FieldError] | None = Field(None, description="422: what is wrong with which field.")
    alternatives: list[Slot] | None = Field(None, description="409 on a time just taken: free times to take "
                                                              "instead (the same the booking page offers).")


# --- the directory -----------------------------------------------------------------------

class Names(BaseModel):
    kk: str
    ru: str
    en: str


class Region(BaseModel):
    code: str = Field(description="ISO 3166-2, e.g. KZ-71.")
    names: Names
    timezone: str = Field(description="IANA time zone, e.g. Asia/Almaty.")


class RegionList(BaseModel):
    items: list[Region]


class Topic(BaseModel):
    id: int
    code: str
    parent_id: int | None
    names: Names


class TopicList(BaseModel):
    items: list[Topic]


class Body(BaseModel):
    id: int
    code: str
    level: BodyLevel
    region: str | None = Field(description="The region's code; none for central bodies.")
    parent_id: int | None
    names: Names
    timezone: str
    topic_ids: list[int] = Field(description="Topics the body is competent for (none recorded: every topic).")


class BodyPage(BaseModel):
    items: list[Body]
    next: str | None = Field(description="The cursor of the next page (also in the Link header), or none.")


class BodyQuery(Strict):
    region: str | None = Field(None, max_length=8, description="Only the bodies of this region (its code).")
    after: str | None = Field(None, max_length=24, description="The cursor of a page (from Link rel=next).")
    limit: int = Field(50, ge=1, le=200)


class Official(BaseModel):
    id: int
    full_name: str
    positions: Names
    body_id: int
    is_head: bool


class OfficialPage(BaseModel):
    items: list[Official]
    next: str | None


class OfficialQuery(Strict):
    body: int | None = Field(None, ge=1, le=MAX_ID, description="Only this body's officials.")
    after: str | None = Field(None, max_length=24)
    limit: int = Field(50, ge=1, le=200)


# --- reception time ---------------------------------------------------------------------

class Slot(BaseModel):
    """A free reception time. Times carry their offset; ``timezone`` names the zone they are in (the
    reception's region)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    timezone: str
    official_id: int
    official_name: str
    body_id: int
    region: str
    formats: list[AttendanceFormat]


class SlotPage(BaseModel):
    items: list[Slot]
    next: str | None


class SlotQuery(Strict):
    """The filters of the search page (/reception/)."""

    region: str | None = Field(None, max_length=8)
    body: int | None = Field(None, ge=1, le=MAX_ID)
    official: int | None = Field(None, ge=1, le=MAX_ID)
    topic: int | None = Field(None, ge=1, le=MAX_ID)
    date_from: date | None = None
    date_to: date | None = None
    format: AttendanceFormat | None = None
    after: str | None = Field(None, max_length=40, description="The cursor of a page (from Link rel=next).")


# --- the citizen's appointments -------------------------------------------------------------

class Talon(BaseModel):
    """What the law requires a talon to show: a unique number, date and time, who accepted."""

    number: str
    accepted_at: datetime
    accepted_by: str
    verify_url: str


class Appointment(BaseModel):
    id: int
    status: AppointmentStatus
    format: AttendanceFormat
    official_id: int
    official_name: str
    body_id: int
    topic_id: int
    summary: str
    starts_at: datetime | None
    ends_at: datetime | None
    timezone: str | None
    venue: str | None = Field(description="Where: the venue's name and address.")
    studio_id: int | None
    talon: Talon | None
    can_cancel: bool


class AppointmentList(BaseModel):
    items: list[Appointment]


class BookingDetails(Strict):
    """What a booking or a request says about the visit: the booking form's fields."""

    format: AttendanceFormat
    topic_id: int = Field(ge=1, le=MAX_ID)
    summary: str = Field(min_length=1, max_length=4000)
    studio_id: int | None = Field(None, ge=1, le=MAX_ID, description="For video from an akimat's studio.")
    appeal_numbers: str | None = Field(None, max_length=255)
    needs_wheelchair: bool = False
    needs_sign_language: bool = False
    co_applicants: str | None = Field(None, max_length=2000)

    def booking_data(self) -> BookingData:
        return BookingData(**{name: getattr(self, name) for name in BookingDetails.model_fields})


class BookingRequest(BookingDetails):
    slot_id: int = Field(ge=1, le=MAX_ID)


class IdempotencyHeaders(BaseModel):
    idempotency_key: str | None = Field(None, alias="Idempotency-Key", pattern=r"^[A-Za-z0-9_.:-]{8,64}$",
                                        description="Repeat a create safely: the same key gives the same "
                                                    "response and books once.")
    model_config = ConfigDict(populate_by_name=True)


class Empty(BaseModel):
    ok: Literal[True] = True


Problem.model_rebuild()
