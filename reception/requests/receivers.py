"""Request mode reacts to booking's events: a request withdrawn while times were offered frees them."""
from __future__ import annotations

from ..booking import signals as booking
from . import services


def connect_receivers() -> None:
    """Connect at application setup (idempotent)."""
    booking.cancelled.connect(services.on_cancelled)
