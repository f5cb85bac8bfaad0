"""Booking's own reactions to its events (:mod:`.signals`): what the citizen is told, and the waitlist."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..notifications import signals as notifications
from . import announce, signals, waitlist
from .models import Appointment, AppointmentStatus

#: Statuses of an appointment that still warrant its reminders.
_LIVE = (AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN)


def is_message_due(message) -> bool:
    """Receiver of ``message_due``: a reminder of an appointment cancelled or moved meanwhile is dropped."""
    if message.appointment_id is None:
        return False
    return db.session.scalar(select(Appointment.status).where(Appointment.id == message.appointment_id)) in _LIVE


def connect_receivers() -> None:
    """Connect at application setup (idempotent: blinker keeps one connection per receiver)."""
    signals.booked.connect(announce.on_booked)
    signals.cancelled.connect(announce.on_cancelled)
    signals.cancelled.connect(waitlist.on_cancelled)
    signals.rescheduled.connect(announce.on_rescheduled)
    signals.rescheduled.connect(waitlist.on_rescheduled)
    notifications.message_due.connect(is_message_due)
