"""Schedules (recurring reception hours), sessions (one concrete reception) and their slots."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..directory.models import BodyLevel, Official, Region, Topic, Venue
from ..extensions import db


class BookingMode(enum.StrEnum):
    SELF = "self"          # citizens book a free slot directly
    REQUEST = "request"    # citizens send a request that staff pre-screen


class AttendanceFormat(enum.StrEnum):
    IN_PERSON = "in_person"        # at the venue of the session
    VIDEO_STUDIO = "video_studio"  # by video from the studio of the citizen's regional akimat
    VIDEO_REMOTE = "video_remote"  # by video from wherever the citizen is, after logging in


FORMAT_LABELS = {
    AttendanceFormat.IN_PERSON: _l("In person"),
    AttendanceFormat.VIDEO_STUDIO: _l("By video from the akimat studio"),
    AttendanceFormat.VIDEO_REMOTE: _l("By video from home"),
}

#: Formats held over a Jitsi call.
VIDEO_FORMATS = frozenset({AttendanceFormat.VIDEO_STUDIO, AttendanceFormat.VIDEO_REMOTE})

#: The column of a schedule or session that allows each format.
_FORMAT_FLAGS = {AttendanceFormat.IN_PERSON: "allow_in_person", AttendanceFormat.VIDEO_STUDIO: "allow_video_studio",
                 AttendanceFormat.VIDEO_REMOTE: "allow_video_remote"}


def formats_of(hours_owner) -> frozenset[AttendanceFormat]:
    """The formats a schedule or session allows."""
    return frozenset(f for f, column in _FORMAT_FLAGS.items() if getattr(hours_owner, column))


def set_formats(hours_owner, formats) -> None:
    """Allow exactly ``formats`` on a schedule or session."""
    for f, column in _FORMAT_FLAGS.items():
        setattr(hours_owner, column, f in formats)


class SessionKind(enum.StrEnum):
    REGULAR = "regular"        # generated from a schedule
    ONE_OFF = "one_off"        # added by hand
    UNIFIED_DAY = "unified_day"
    VISITING = "visiting"


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    NOT_HELD = "not_held"
    CANCELLED = "cancelled"


schedule_topics = Table(
    "schedule_topics",
    db.metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Schedule(db.Model):
    """An official's recurring reception hours (RFC 5545 RRULE), in the venue's local time."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="RESTRICT"))
    rrule: Mapped[str] = mapped_column(String(500))  # e.g. FREQ=WEEKLY;BYDAY=TU
    starts_on: Mapped[date] = mapped_column(Date)
    until_on: Mapped[date | None] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)  # local wall-clock time at the venue
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    allow_in_person: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_video_studio: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_video_remote: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Video: one Jitsi room for the whole session instead of one per appointment.
    single_video_room: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    booking_mode: Mapped[BookingMode] = mapped_column(str_enum(BookingMode, "booking_mode"),
                                                      default=BookingMode.SELF)
    opens_days_ahead: Mapped[int] = mapped_column(Integer, default=30)
    closes_hours_before: Mapped[int] = mapped_column(Integer, default=24)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    official: Mapped[Official] = relationship()
    venue: Mapped[Venue] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=schedule_topics)


unified_day_regions = Table(
    "unified_day_regions",
    db.metadata,
    Column("unified_day_id", ForeignKey("unified_days.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="RESTRICT"), primary_key=True),
)


class UnifiedDay(db.Model):
    """A unified reception day: every head of every covered body receives citizens on one date.

    Covered: bodies of ``levels`` in ``regions`` (no regions: every region; central
    bodies and the Presidential Administration have no region and are covered by
    their level alone). Each head gets an unpublished session with the default
    hours; the body's assistant may edit and then publishes it.
    """

    __tablename__ = "unified_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, unique=True)
    levels: Mapped[str] = mapped_column(String(200))  # comma-separated BodyLevel values
    start_time: Mapped[time] = mapped_column(Time)  # default local hours of every session
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    announced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    regions: Mapped[list[Region]] = relationship(secondary=unified_day_regions, order_by=Region.code)

    @property
    def level_list(self) -> list[BodyLevel]:
        return [BodyLevel(v) for v in self.levels.split(",") if v]


class VisitingReception(db.Model):
    """An official receiving in a region at a venue there; its sessions are for that region's citizens only."""

    __tablename__ = "visiting_receptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="RESTRICT"))
    note: Mapped[str | None] = mapped_column(Text)
    announced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    official: Mapped[Official] = relationship()
    region: Mapped[Region] = relationship()
    venue: Mapped[Venue] = relationship()
    sessions: Mapped[list[ReceptionSession]] = relationship(back_populates="visiting",
                                                              order_by="ReceptionSession.starts_at")


_BOOKABLE_SQL = "status = 'planned' AND is_published"


class ReceptionSession(db.Model):
    """One concrete reception: a date and hours of one official at one venue.

    Never deleted: a cancelled or not-held session is a fact monitoring counts.
    """

    __tablename__ = "reception_sessions"
    __table_args__ = (
        # Generating a schedule twice must not create a second session for the same day.
        UniqueConstraint("schedule_id", "local_date"),
        # One session per official per unified day (announcing twice adds none).
        UniqueConstraint("unified_day_id", "official_id"),
        Index("ix_reception_sessions_official_id_starts_at", "official_id", "starts_at"),
        # Monitoring counts the sessions of a period by their local date.
        Index("ix_reception_sessions_local_date", "local_date"),
        # A venue's sessions day by day (and every use of the venue's foreign key): the region search reads
        # each venue of the region this way (reception.booking.queries._in_region).
        Index("ix_reception_sessions_venue_id_local_date", "venue_id", "local_date"),
        # An official's sessions open for booking now (closes_at > now, then opens_at <= now inside the
        # index): the next free slot per official and the official's page without reading the past
        # sessions or those whose booking opens later.
        Index("ix_reception_sessions_official_open", "official_id", "closes_at", "opens_at",
              sqlite_where=text(_BOOKABLE_SQL), postgresql_where=text(_BOOKABLE_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="RESTRICT"))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="RESTRICT"))
    kind: Mapped[SessionKind] = mapped_column(str_enum(SessionKind, "session_kind"), default=SessionKind.REGULAR)
    local_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Only citizens of this region may book (visiting receptions); None: anyone.
    restricted_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    allow_in_person: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_video_studio: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_video_remote: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    single_video_room: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The session's Jitsi room when single_video_room: random, made at the first join (reception.video.rooms).
    video_room: Mapped[str | None] = mapped_column(String(64), unique=True)
    booking_mode: Mapped[BookingMode] = mapped_column(str_enum(BookingMode, "booking_mode"),
                                                      default=BookingMode.SELF)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())   # booking window
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus, "session_status"),
                                                  default=SessionStatus.PLANNED, index=True)
    # Unpublished sessions (a unified day's session before its body confirms the hours) are not bookable.
    is_published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    unified_day_id: Mapped[int | None] = mapped_column(ForeignKey("unified_days.id", ondelete="RESTRICT"),
                                                          index=True)
    visiting_id: Mapped[int | None] = mapped_column(ForeignKey("visiting_receptions.id", ondelete="RESTRICT"),
                                                       index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # High demand (reception.booking.ballot): from opens_at until ballot_closes_at citizens apply, then the
    # slots are drawn by lot; what the draw leaves free is booked as usual. The seed is kept for the record.
    ballot_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ballot_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ballot_seed: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    official: Mapped[Official] = relationship()
    venue: Mapped[Venue] = relationship()
    schedule: Mapped[Schedule | None] = relationship()
    restricted_region: Mapped[Region | None] = relationship()
    unified_day: Mapped[UnifiedDay | None] = relationship()
    visiting: Mapped[VisitingReception | None] = relationship(back_populates="sessions")
    slots: Mapped[list[Slot]] = relationship(back_populates="session", order_by="Slot.starts_at",
                                               cascade="all, delete-orphan")

    @property
    def timezone(self) -> str:
        return self.venue.region.timezone

    @property
    def awaits_draw(self) -> bool:
        """Booked by lot and not drawn yet: citizens apply (until ballot_closes_at) instead of booking."""
        return self.ballot_closes_at is not None and self.ballot_drawn_at is None


class Slot(db.Model):
    """A bookable interval of a session (precomputed rows)."""

    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("session_id", "starts_at"),
                      Index("ix_slots_starts_at", "starts_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A hold keeps a free slot for one citizen until ``held_until`` (an offer from screening or the
    # waitlist): nobody else may book it meanwhile. See reception.booking.holds.
    held_for_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[ReceptionSession] = relationship(back_populates="slots")
