"""Booking's receivers: its own events (what the citizen is told, the waitlist), and what reception time
(reception.schedule) and the outbox (reception.notifications) ask of it."""
from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from ..extensions import db
from ..notifications import signals as notifications
from ..schedule import signals as schedule
from ..schedule.models import Slot
from . import announce, services, signals, waitlist
from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus, SlotOffer

#: Statuses of an appointment that still warrant its reminders.
_LIVE = (AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN)


def is_message_due(message) -> bool:
    """Receiver of ``message_due``: a reminder of an appointment cancelled or moved meanwhile is dropped."""
    if message.appointment_id is None:
        return False
    return db.session.scalar(select(Appointment.status).where(Appointment.id == message.appointment_id)) in _LIVE


def on_session_cancelled(session, reason: str, now, **_) -> int:
    """Receiver of ``session_cancelled``: its appointments are cancelled and their citizens told; returns how many."""
    appointments = services.cancel_session_appointments(session, reason, now)
    return announce.announce_session_cancelled(session, appointments, reason, now)


def count_bookings(session_ids: list[int], **_) -> dict[int, int]:
    """Receiver of ``bookings_counted``: active appointments per session."""
    return dict(db.session.execute(
        select(Appointment.session_id, func.count(Appointment.id))
        .where(Appointment.session_id.in_(session_ids), Appointment.status.in_(ACTIVE_STATUSES))
        .group_by(Appointment.session_id)).all())


def is_session_referenced(session, **_) -> bool:
    """Receiver of ``session_referenced``: an appointment (any status) or an offered time points at it."""
    slot_ids = select(Slot.id).where(Slot.session_id == session.id)
    return bool(db.session.scalar(select(or_(
        exists().where(Appointment.session_id == session.id),
        exists().where(SlotOffer.slot_id.in_(slot_ids))))))


def connect_receivers() -> None:
    """Connect at application setup (idempotent: blinker keeps one connection per receiver)."""
    signals.booked.connect(announce.on_booked)
    signals.cancelled.connect(announce.on_cancelled)
    signals.cancelled.connect(waitlist.on_cancelled)
    signals.rescheduled.connect(announce.on_rescheduled)
    signals.rescheduled.connect(waitlist.on_rescheduled)
    notifications.message_due.connect(is_message_due)
    schedule.session_cancelled.connect(on_session_cancelled)
    schedule.bookings_counted.connect(count_bookings)
    schedule.session_referenced.connect(is_session_referenced)
