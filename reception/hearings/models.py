"""Bodies invited to an appointment because they are competent for its topic."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..booking.models import Appointment
from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..directory.models import Body
from ..extensions import db


class InvitationStatus(enum.StrEnum):
    INVITED = "invited"    # waiting for the body's answer
    ACCEPTED = "accepted"  # the body named who attends
    DECLINED = "declined"  # with a reason


INVITATION_STATUS_LABELS = {
    InvitationStatus.INVITED: _l("Not answered yet"),
    InvitationStatus.ACCEPTED: _l("Will attend"),
    InvitationStatus.DECLINED: _l("Declined"),
}


class BodyInvitation(db.Model):
    """A body asked to send a representative to an appointment. When the body accepts, the person it
    names becomes a participant of the appointment (``reception.booking.models.Participant``)."""

    __audit__ = "body_invitation"
    __tablename__ = "body_invitations"
    __table_args__ = (UniqueConstraint("appointment_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)  # invited by competence (not optional)
    status: Mapped[InvitationStatus] = mapped_column(str_enum(InvitationStatus, "invitation_status"),
                                                     default=InvitationStatus.INVITED)
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reason: Mapped[str | None] = mapped_column(Text)  # why declined
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship()
    body: Mapped[Body] = relationship()
    attendee: Mapped[User | None] = relationship(foreign_keys=[attendee_id])

    @property
    def status_label(self) -> str:
        return str(INVITATION_STATUS_LABELS[self.status])
