"""The public resources' bodies (pydantic) beyond the directory and the search: venues and studios, unified
reception days, visiting receptions and the public monitoring results. Only what the public pages show."""
from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from ..directory.models import BodyLevel, VenueKind
from ..schedule.models import SessionStatus
from .schemas import MAX_ID, Names, Strict

CURSOR = "The cursor of a page (from Link rel=next)."
NEXT = "The cursor of the next page (also in the Link header), or none."


# --- venues and studios -------------------------------------------------------------------------

class Venue(BaseModel):
    """Where receptions happen: a reception office, a hall, or an akimat's video studio (where a citizen
    attends a reception by video)."""

    id: int
    kind: VenueKind
    names: Names
    addresses: Names
    floor: str | None = Field(description="Floor and room, as the body's page shows them.")
    phone: str | None = Field(description="E.164; for a studio, its operator's phone.")
    body_id: int
    region: str = Field(description="The region's code (ISO 3166-2).")
    timezone: str = Field(description="The IANA zone of the region: receptions there are in its local time.")


class VenuePage(BaseModel):
    items: list[Venue]
    next: str | None = Field(description=NEXT)


class VenueQuery(Strict):
    region: str | None = Field(None, max_length=8, description="Only the venues in this region (its code).")
    body: int | None = Field(None, ge=1, le=MAX_ID, description="Only this body's venues.")
    kind: VenueKind | None = None
    after: str | None = Field(None, max_length=24, description=CURSOR)
    limit: int = Field(50, ge=1, le=200)


class StudioQuery(Strict):
    region: str | None = Field(None, max_length=8, description="Only the studios in this region (its code): a "
                                                               "citizen books from a studio of their own region.")
    after: str | None = Field(None, max_length=24, description=CURSOR)
    limit: int = Field(50, ge=1, le=200)


# --- receptions on the public pages ------------------------------------------------------------------

BookingState = Literal["open", "not_open_yet", "closed", "over"]


class Reception(BaseModel):
    """One published reception (a session). Times carry the offset of the venue's zone; ``timezone`` names it."""

    id: int
    official_id: int
    official_name: str
    positions: Names
    body_id: int
    body_names: Names
    region: str | None = Field(description="The region of the official's body; none for central bodies.")
    venue_id: int
    venue_names: Names
    venue_addresses: Names
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: SessionStatus
    booking: BookingState = Field(description="What a citizen can do now, as the page says: book (open), wait "
                                              "until booking_opens_at, or nothing any more.")
    booking_opens_at: datetime


class UnifiedDaySummary(BaseModel):
    id: int
    date: dt.date = Field(description="The local date of the day (each venue's own).")
    levels: list[BodyLevel] = Field(description="Whose heads receive.")
    regions: list[str] = Field(description="The regions' codes; empty: every region.")
    note: str | None
    published: int = Field(description="Receptions published so far.")


class UnifiedDay(UnifiedDaySummary):
    receptions: list[Reception] = Field(description="The day's published receptions, by region, body and "
                                                    "official (the page's order).")


class UnifiedDayPage(BaseModel):
    items: list[UnifiedDaySummary]
    next: str | None = Field(description=NEXT)


class UnifiedDayQuery(Strict):
    after: str | None = Field(None, max_length=24, description=CURSOR)
    limit: int = Field(50, ge=1, le=200)


class VisitingReception(BaseModel):
    """An official receiving in a region's akimat: only residents of the region may book."""

    id: int
    official_id: int
    official_name: str
    positions: Names
    body_id: int
    body_names: Names
    region: str = Field(description="The region visited (its code): only its residents may book.")
    region_names: Names
    venue_id: int
    venue_names: Names
    venue_addresses: Names
    note: str | None
    sessions: list[Reception]


class VisitingPage(BaseModel):
    items: list[VisitingReception]
    next: str | None = Field(description=NEXT)


class VisitingQuery(Strict):
    region: str | None = Field(None, max_length=8, description="Only the visits to this region (its code).")
    date_from: date | None = Field(None, description="Only visits with a reception on or after this local date.")
    date_to: date | None = Field(None, description="Only visits with a reception on or before this local date.")
    after: str | None = Field(None, max_length=40, description=CURSOR)
    limit: int = Field(50, ge=1, le=200)


# --- public monitoring results --------------------------------------------------------------------

class Shown(BaseModel):
    """A figure as the public sees it: its value, or ``hidden`` (a count from 1 to min_count - 1, or a figure
    that would give one away)."""

    value: int | None
    hidden: bool


class ShownShare(BaseModel):
    value: Decimal | None = Field(description="Per cent, one decimal; none when there were no questions or "
                                              "when hidden.")
    hidden: bool


class BodyResult(BaseModel):
    body_id: int
    body_names: Names
    level: BodyLevel
    region: str | None = Field(description="The body's region; none for central bodies.")
    planned: int = Field(description="Receptions planned.")
    held: int = Field(description="Receptions held.")
    citizens: Shown
    questions: Shown
    closed_share: ShownShare
    in_progress: Shown
    next_reception_at: datetime | None = Field(description="When the body next receives (its zone's offset).")
    timezone: str


class ResultPage(BaseModel):
    period: str = Field(description="The month, e.g. 2026-11.")
    min_count: int = Field(description="Counts of people and questions below this are hidden.")
    counted_at: datetime | None = Field(description="When the figures were counted; none: just now.")
    items: list[BodyResult] = Field(description="Bodies by id.")
    next: str | None = Field(description=NEXT)


class ResultQuery(Strict):
    period: str | None = Field(None, max_length=7, description="A month (2026-11); default the last full one.")
    region: str | None = Field(None, max_length=8, description="A region's code, or \"central\" for the central "
                                                               "bodies.")
    after: str | None = Field(None, max_length=24, description=CURSOR)
    limit: int = Field(100, ge=1, le=500)
