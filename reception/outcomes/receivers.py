"""Outcomes react to notifications' events: a citizen's SMS reply "1" or "2" answers "is your problem solved?"."""
from __future__ import annotations

from ..notifications import signals as notifications
from . import services


def connect_receivers() -> None:
    """Connect at application setup (idempotent)."""
    notifications.sms_received.connect(services.on_sms_received)
