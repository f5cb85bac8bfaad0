"""Appointments and the reservations that make double booking impossible in the database."""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..directory.models import Body, Official, Topic, Venue
from ..extensions import db
from ..schedule.models import VIDEO_FORMATS, AttendanceFormat, ReceptionSession, Slot, VisitingReception


class AppointmentStatus(enum.StrEnum):
    REQUESTED = "requested"      # request mode: waiting for screening
    SCREENING = "screening"      # screened: slots offered, waiting for the citizen to accept one
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
    AppointmentStatus.SCREENING: _l("Time offered: choose one"),
    AppointmentStatus.SCHEDULED: _l("Scheduled"),
    AppointmentStatus.CHECKED_IN: _l("Checked in"),
    AppointmentStatus.HELD: _l("Held"),
    AppointmentStatus.NO_SHOW: _l("Did not come"),
    AppointmentStatus.CANCELLED: _l("Cancelled"),
    AppointmentStatus.RESCHEDULED: _l("Moved to another time"),
    AppointmentStatus.CLOSED: _l("Closed"),
}


class RequestDecision(enum.StrEnum):
    """What screening decided about a request (request mode)."""

    OFFERED = "offered"        # one or more slots offered, held for the citizen
    REDIRECTED = "redirected"  # sent to the competent body (within 3 working days of receipt)
    RESOLVED = "resolved"      # resolved without a reception
    DECLINED = "declined"      # declined on one of the fixed grounds


class DeclineGround(enum.StrEnum):
    """The fixed grounds on which a request for a reception may be declined."""

    REPEATED = "repeated"          # the same issue was already answered and nothing new is raised
    COURT = "court"                # decided by a court, or before a court now
    NO_SUBSTANCE = "no_substance"  # the issue cannot be identified from the request
    OFFENSIVE = "offensive"        # obscene or offensive language, threats
    WITHDRAWN = "withdrawn"        # the citizen withdrew the request


def new_talon_token() -> str:
    """A talon's verification token: 32 URL-safe characters, 192 random bits."""
    return secrets.token_urlsafe(24)


class Appointment(db.Model):
    """A citizen's booking (or request) for a reception, with its talon."""

    __audit__ = "appointment"
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
    session_id: Mapped[int | None] = mapped_column(ForeignKey("reception_sessions.id", ondelete="RESTRICT"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="RESTRICT"))
    format: Mapped[AttendanceFormat] = mapped_column(str_enum(AttendanceFormat, "attendance_format"))
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="RESTRICT"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"))
    summary: Mapped[str] = mapped_column(Text)
    appeal_numbers: Mapped[str | None] = mapped_column(String(255))  # earlier e-Otinish numbers
    needs_wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_sign_language: Mapped[bool] = mapped_column(Boolean, default=False)
    co_applicants: Mapped[str | None] = mapped_column(Text)  # collective appeal: one name per line
    status: Mapped[AppointmentStatus] = mapped_column(str_enum(AppointmentStatus, "appointment_status"))
    # The talon: a unique number, the date and time of acceptance and who accepted (required by law).
    talon_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    # What the talon's QR code and link carry: unguessable, unlike the number (sequential, for people).
    # Made in Python, so it goes into the same INSERT as the rest of the row (Core inserts too).
    talon_token: Mapped[str | None] = mapped_column(String(43), unique=True, default=lambda: new_talon_token())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_name: Mapped[str | None] = mapped_column(String(200))
    # A double-submitted form carries the same key and books once.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    rescheduled_from_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"))
    # Request mode: the screening decision. ``redirect_due_on`` is the last working day to
    # redirect to the competent body (3 working days from receipt), set when the request arrives.
    decision: Mapped[RequestDecision | None] = mapped_column(str_enum(RequestDecision, "request_decision"))
    decline_ground: Mapped[DeclineGround | None] = mapped_column(str_enum(DeclineGround, "decline_ground"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    redirect_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    redirect_due_on: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Video: the appointment's own Jitsi room (random, made at the first join; see reception.video.rooms).
    video_room: Mapped[str | None] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The day board: when the official started and finished receiving the citizen.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The integration client (reception.api: another system, e.g. the appeals system) that sent this request
    # on the citizen's behalf; NULL when the citizen sent it themselves. Named by table only: the API is a
    # later layer than booking.
    source_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id", ondelete="SET NULL"),
                                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    citizen: Mapped[User] = relationship(foreign_keys=[citizen_id])
    official: Mapped[Official] = relationship()
    session: Mapped[ReceptionSession | None] = relationship()
    slot: Mapped[Slot | None] = relationship()
    studio: Mapped[Venue | None] = relationship()
    topic: Mapped[Topic] = relationship()
    rescheduled_from: Mapped[Appointment | None] = relationship(remote_side=[id])
    redirect_body: Mapped[Body | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    offers: Mapped[list[SlotOffer]] = relationship(back_populates="appointment", order_by="SlotOffer.id")
    participants: Mapped[list[Participant]] = relationship(back_populates="appointment",
                                                             order_by="Participant.id")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_video(self) -> bool:
        return self.format in VIDEO_FORMATS

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class ParticipantKind(enum.StrEnum):
    """Why someone besides the citizen and the official's side takes part in an appointment."""

    AGENCY_REP = "agency_rep"              # a representative of a body competent for the topic
    LEGAL_CONSULTANT = "legal_consultant"  # an independent legal consultant
    INTERPRETER = "interpreter"            # e.g. sign language
    STAFF = "staff"                        # another staff member the official's side invites


PARTICIPANT_KIND_LABELS = {
    ParticipantKind.AGENCY_REP: _l("Agency representative"),
    ParticipantKind.LEGAL_CONSULTANT: _l("Legal consultant"),
    ParticipantKind.INTERPRETER: _l("Interpreter"),
    ParticipantKind.STAFF: _l("Staff member"),
}


class ParticipantResponse(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ATTENDED = "attended"


class Participant(db.Model):
    """Someone invited to take part in an appointment (in person or by video) besides the citizen and
    the official's side. ``is_moderator``: the official's side delegated moderation of the video call."""

    __audit__ = "participant"
    __tablename__ = "appointment_participants"
    __table_args__ = (UniqueConstraint("appointment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    kind: Mapped[ParticipantKind] = mapped_column(str_enum(ParticipantKind, "participant_kind"))
    response: Mapped[ParticipantResponse] = mapped_column(str_enum(ParticipantResponse, "participant_response"),
                                                          default=ParticipantResponse.INVITED)
    is_moderator: Mapped[bool] = mapped_column(Boolean, default=False)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    body: Mapped[Body | None] = relationship()

    @property
    def kind_label(self) -> str:
        return str(PARTICIPANT_KIND_LABELS[self.kind])


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
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    appointment: Mapped[Appointment] = relationship()


class OfferStatus(enum.StrEnum):
    OPEN = "open"            # the slot is held for the citizen until expires_at
    ACCEPTED = "accepted"
    EXPIRED = "expired"      # the hold ran out
    WITHDRAWN = "withdrawn"  # the citizen accepted another offered slot, or staff withdrew it


class SlotOffer(db.Model):
    """A slot offered to a request's citizen by screening, held for them until ``expires_at``."""

    __tablename__ = "slot_offers"
    __table_args__ = (UniqueConstraint("appointment_id", "slot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="RESTRICT"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus, "offer_status"), default=OfferStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="offers")
    slot: Mapped[Slot] = relationship()


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a freed slot is held for the citizen until offer_expires_at
    BOOKED = "booked"    # the citizen booked the offered slot
    LEFT = "left"        # the citizen left the waitlist
    EXPIRED = "expired"  # the offer ran out; the next in line gets the slot


_WAITING_SQL = "status IN ('waiting', 'offered')"


class WaitlistEntry(db.Model):
    """A citizen waiting for an official's time (or a visiting reception's) when nothing is free."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        # One place in line per citizen per official.
        Index("uq_waitlist_entries_waiting_citizen_official", "citizen_id", "official_id", unique=True,
              sqlite_where=text(_WAITING_SQL), postgresql_where=text(_WAITING_SQL)),
        Index("ix_waitlist_entries_official_status", "official_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
    visiting_id: Mapped[int | None] = mapped_column(ForeignKey("visiting_receptions.id", ondelete="RESTRICT"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"))
    status: Mapped[WaitlistStatus] = mapped_column(str_enum(WaitlistStatus, "waitlist_status"),
                                                   default=WaitlistStatus.WAITING)
    offered_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    citizen: Mapped[User] = relationship()
    official: Mapped[Official] = relationship()
    visiting: Mapped[VisitingReception | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    offered_slot: Mapped[Slot | None] = relationship()


class BallotStatus(enum.StrEnum):
    APPLIED = "applied"      # waiting for the draw
    WON = "won"              # drawn: the appointment is booked
    LOST = "lost"            # not drawn (or drawn when the time could no longer be booked for them)
    WITHDRAWN = "withdrawn"  # the citizen withdrew before the draw


BALLOT_STATUS_LABELS = {
    BallotStatus.APPLIED: _l("Applied: waiting for the draw"),
    BallotStatus.WON: _l("Drawn: your reception is booked"),
    BallotStatus.LOST: _l("Not drawn"),
    BallotStatus.WITHDRAWN: _l("Withdrawn"),
}


class BallotEntry(db.Model):
    """A citizen's application to a high-demand session's draw (reception.booking.ballot), with the details
    the booking will carry if drawn."""

    __tablename__ = "ballot_entries"
    __table_args__ = (UniqueConstraint("session_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id", ondelete="RESTRICT"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    format: Mapped[AttendanceFormat] = mapped_column(str_enum(AttendanceFormat, "attendance_format"))
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="RESTRICT"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"))
    summary: Mapped[str] = mapped_column(Text)
    appeal_numbers: Mapped[str | None] = mapped_column(String(255))
    needs_wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_sign_language: Mapped[bool] = mapped_column(Boolean, default=False)
    co_applicants: Mapped[str | None] = mapped_column(Text)
    # Not drawn: put on the official's waitlist (the citizen chose it when applying).
    wants_waitlist: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[BallotStatus] = mapped_column(str_enum(BallotStatus, "ballot_status"),
                                                 default=BallotStatus.APPLIED)
    # Place in the draw's order (1 = drawn first) and the appointment it gave.
    drawn_rank: Mapped[int | None] = mapped_column()
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[ReceptionSession] = relationship()
    citizen: Mapped[User] = relationship()
    topic: Mapped[Topic] = relationship()
    appointment: Mapped[Appointment | None] = relationship()

    @property
    def status_label(self) -> str:
        return str(BALLOT_STATUS_LABELS[self.status])
