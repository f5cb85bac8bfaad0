"""Jitsi room names: random, one per appointment, or one per session when the official chose a single room.

A name is made at the first join and never derived from personal data. Two people joining at
once both try to set it only where it is still empty; the second write changes nothing and
both read the winner's name.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select, update

from ..booking.models import Appointment
from ..extensions import db
from ..schedule.models import ReceptionSession

ROOM_PREFIX = "reception-"


def new_room_name() -> str:
    """128 random bits: unguessable, lower case (Jitsi folds room names to lower case)."""
    return ROOM_PREFIX + secrets.token_hex(16)


def room_for(appointment: Appointment) -> str:
    """The appointment's room name, made now if it has none yet; the caller commits."""
    session = appointment.session
    if session is not None and session.single_video_room:
        model, row_id = ReceptionSession, session.id
    else:
        model, row_id = Appointment, appointment.id
    db.session.execute(update(model).where(model.id == row_id, model.video_room.is_(None))
                       .values(video_room=new_room_name()).execution_options(synchronize_session=False))
    return db.session.scalar(select(model.video_room).where(model.id == row_id))
