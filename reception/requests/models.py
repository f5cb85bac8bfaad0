"""Request mode's own records: the urgency of a request (whether it must be decided within one working day, and why)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..booking.models import Appointment
from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..extensions import db


class UrgencyReason(enum.StrEnum):
    HEALTH = "health"          # a threat to health or life
    HOME = "home"              # losing a home (eviction, demolition, no heating in winter)
    CHILD = "child"            # a child at risk
    DATE = "date"              # a date that cannot wait (a court hearing, a deadline)
    OTHER = "other"            # explained in the note


URGENCY_REASON_LABELS = {
    UrgencyReason.HEALTH: _l("A threat to health or life"),
    UrgencyReason.HOME: _l("Losing a home"),
    UrgencyReason.CHILD: _l("A child at risk"),
    UrgencyReason.DATE: _l("A date that cannot wait"),
    UrgencyReason.OTHER: _l("Other (explained in the note)"),
}


class UrgencyStatus(enum.StrEnum):
    CLAIMED = "claimed"      # the citizen marked the request urgent; staff have not confirmed it yet
    CONFIRMED = "confirmed"  # screening staff marked (or confirmed) it urgent
    CLEARED = "cleared"      # screening staff found it not urgent


URGENCY_STATUS_LABELS = {
    UrgencyStatus.CLAIMED: _l("Urgent, as the citizen says: confirm or clear"),
    UrgencyStatus.CONFIRMED: _l("Urgent"),
    UrgencyStatus.CLEARED: _l("Not urgent"),
}

#: States in which a request counts as urgent: first in the queue, decided within one working day.
URGENT_STATUSES = (UrgencyStatus.CLAIMED, UrgencyStatus.CONFIRMED)


class RequestUrgency(db.Model):
    """The urgency of one request (an appointment sent in request mode); no row: not urgent.

    ``since`` starts the one-working-day clock: when the citizen sent a request they marked urgent, or
    when screening staff marked it urgent; ``due_on`` is the last local day (the official's zone) to
    decide it. Every change is audited (``request_urgency``).
    """

    __audit__ = "request_urgency"
    __tablename__ = "request_urgencies"

    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"),
                                                primary_key=True)
    status: Mapped[UrgencyStatus] = mapped_column(str_enum(UrgencyStatus, "urgency_status"), index=True)
    reason: Mapped[UrgencyReason | None] = mapped_column(str_enum(UrgencyReason, "urgency_reason"))
    note: Mapped[str | None] = mapped_column(Text)
    claimed_by_citizen: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship()
    set_by: Mapped[User | None] = relationship()

    @property
    def is_urgent(self) -> bool:
        return self.status in URGENT_STATUSES

    @property
    def status_label(self) -> str:
        return str(URGENCY_STATUS_LABELS[self.status])

    @property
    def reason_label(self) -> str:
        return str(URGENCY_REASON_LABELS[self.reason]) if self.reason else ""
