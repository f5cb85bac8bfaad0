"""Holding receptions reacts to booking's events: competent bodies are invited, invitations move along."""
from __future__ import annotations

from ..booking import signals as booking
from . import services


def connect_receivers() -> None:
    """Connect at application setup (idempotent)."""
    booking.booked.connect(services.on_booked)
    booking.rescheduled.connect(services.on_rescheduled)
