"""Appointments and the reservations that make double booking impossible in the database."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.types import UTCDateTime, str_enum, utcnow
from ..directory.models import Official, Topic, Venue
from ..extensions import db
from ..schedule.models import AttendanceFormat, ReceptionSession, Slot


class AppointmentStatus(enum.StrEnum):
    REQUESTED = "requested"      # request mode: waiting for screening
    SCREENING = "screening"      # an assistant is deciding
    SCHEDULED = "scheduled"      # holds a slot; the citizen has a talon
    CHECKED_IN = "checked_in"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"  # replaced by a newer appointment (talon history)
    CLOSED = "closed"            # request redirected, resolved without reception or declined


#: Statuses that occupy the citizen's turn with an official (and the slot, if any).
ACTIVE_STATUSES = (AppointmentStatus.REQUESTED, AppointmentStatus.SCREENING,
                   AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN)
_ACTIVE_SQL = "status IN ('requested', 'screening', 'scheduled', 'checked_in')"

STATUS_LABELS = {
    AppointmentStatus.REQUESTED: _l("Request sent"),
    AppointmentStatus.SCREENING: _l("Request under review"),
    AppointmentStatus.SCHEDULED: _l("Scheduled"),
    AppointmentStatus.CHECKED_IN: _l("Checked in"),
    AppointmentStatus.HELD: _l("Held"),
    AppointmentStatus.NO_SHOW: _l("Did not come"),
    AppointmentStatus.CANCELLED: _l("Cancelled"),
    AppointmentStatus.RESCHEDULED: _l("Moved to another time"),
    AppointmentStatus.CLOSED: _l("Closed"),
}


class Appointment(db.Model):
    """A citizen's booking (or request) for a reception, with its talon."""

    __tablename__ = "appointments"
    __table_args__ = (
        # No slot is ever held by two active appointments.
        Index("uq_appointments_active_slot", "slot_id", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
        # One active appointment per citizen per official.
        Index("uq_appointments_active_citizen_official", "citizen_id", "official_id", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
        Index("ix_appointments_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    session_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reception_sessions.id", ondelete="RESTRICT"))
    slot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("slots.id", ondelete="RESTRICT"))
    format: Mapped[AttendanceFormat] = mapped_column(str_enum(AttendanceFormat, "attendance_format"))
    studio_id: Mapped[Optional[int]] = mapped_column(ForeignKey("venues.id", ondelete="RESTRICT"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"))
    summary: Mapped[str] = mapped_column(Text)
    appeal_numbers: Mapped[Optional[str]] = mapped_column(String(255))  # earlier e-Otinish numbers
    needs_wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_sign_language: Mapped[bool] = mapped_column(Boolean, default=False)
    co_applicants: Mapped[Optional[str]] = mapped_column(Text)  # collective appeal: one name per line
    status: Mapped[AppointmentStatus] = mapped_column(str_enum(AppointmentStatus, "appointment_status"))
    # The talon: a unique number, the date and time of acceptance and who accepted (required by law).
    talon_number: Mapped[Optional[str]] = mapped_column(String(32), unique=True)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    accepted_by_name: Mapped[Optional[str]] = mapped_column(String(200))
    # A double-submitted form carries the same key and books once.
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    rescheduled_from_id: Mapped[Optional[int]] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"))
    cancel_reason: Mapped[Optional[str]] = mapped_column(Text)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    citizen: Mapped[User] = relationship()
    official: Mapped[Official] = relationship()
    session: Mapped[Optional[ReceptionSession]] = relationship()
    slot: Mapped[Optional[Slot]] = relationship()
    studio: Mapped[Optional[Venue]] = relationship()
    topic: Mapped[Topic] = relationship()
    rescheduled_from: Mapped[Optional["Appointment"]] = relationship(remote_side=[id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class ReservationResource(enum.StrEnum):
    STUDIO = "studio"    # one studio, one reception at a time
    CITIZEN = "citizen"  # no two appointments of one citizen overlapping


class Reservation(db.Model):
    """A time interval held on a shared resource by an appointment.

    Overlaps among unreleased reservations of one resource are refused by the
    database: an exclusion constraint (btree_gist) on PostgreSQL, triggers on
    SQLite. Both are created in the migration, not here (Alembic cannot
    compare them).
    """

    __tablename__ = "reservations"
    __table_args__ = (Index("ix_reservations_resource", "resource", "resource_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[ReservationResource] = mapped_column(str_enum(ReservationResource, "reservation_resource"))
    resource_id: Mapped[int] = mapped_column()
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    appointment: Mapped[Appointment] = relationship()
