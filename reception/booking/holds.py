"""Slot holds: a free slot kept for one citizen for a while (an offer from screening or the waitlist).

The hold lives on the slot row (``held_for_id``, ``held_until``). Placing a hold
and booking both write that row, so on PostgreSQL they queue on its row lock and
on SQLite they run one at a time: a booking never slips past a hold placed
before it, and a hold is never placed on a slot already booked. The unique index
over active appointments remains the last word on double booking.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, update

from ..extensions import db
from ..schedule.models import Slot
from .models import ACTIVE_STATUSES, Appointment


def not_held_by_other(citizen_id: int | None, now: datetime):
    """SQL condition: the slot carries no live hold, or the hold is ``citizen_id``'s."""
    free = or_(Slot.held_until.is_(None), Slot.held_until <= now)
    return or_(free, Slot.held_for_id == citizen_id) if citizen_id is not None else free


def place_hold(slot_id: int, citizen_id: int, until: datetime, now: datetime) -> bool:
    """Hold ``slot_id`` for ``citizen_id`` until ``until``; False when it is booked or held for another."""
    booked = exists().where(Appointment.slot_id == Slot.id, Appointment.status.in_(ACTIVE_STATUSES))
    result = db.session.execute(
        update(Slot).where(Slot.id == slot_id, not_held_by_other(citizen_id, now), ~booked)
        .values(held_for_id=citizen_id, held_until=until).execution_options(synchronize_session=False))
    return result.rowcount == 1


def release_hold(slot_id: int, citizen_id: int) -> None:
    """Drop ``citizen_id``'s hold on ``slot_id`` (if it is still theirs)."""
    db.session.execute(update(Slot).where(Slot.id == slot_id, Slot.held_for_id == citizen_id)
                       .values(held_for_id=None, held_until=None).execution_options(synchronize_session=False))


def claim(slot_id: int, citizen_id: int, now: datetime) -> bool:
    """Take the slot row for a booking by ``citizen_id``, consuming their hold.

    False when another citizen holds it. Locks the row until the transaction ends.
    """
    result = db.session.execute(
        update(Slot).where(Slot.id == slot_id, not_held_by_other(citizen_id, now))
        .values(held_for_id=None, held_until=None).execution_options(synchronize_session=False))
    return result.rowcount == 1


def is_held_for(slot: Slot, citizen_id: int, now: datetime) -> bool:
    return slot.held_for_id == citizen_id and slot.held_until is not None and slot.held_until > now
