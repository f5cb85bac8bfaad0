"""Who may screen which request, and what state a request is in: ``can_*`` / ``is_*`` predicates.

Administrators screen every body's requests; reception assistants those sent to
their own body's officials (the ``:own`` permission).
"""
from __future__ import annotations

from datetime import datetime

from ..booking.models import Appointment, AppointmentStatus, OfferStatus, SlotOffer
from ..core.permissions import Permission
from ..directory.policy import managed_body_ids


def screen_scope(user) -> frozenset[int] | None:
    """The bodies whose requests ``user`` screens: None means every body."""
    return managed_body_ids(user, Permission.REQUEST_SCREEN)


def can_screen_any(user) -> bool:
    """Whether ``user`` screens the requests of some body (an assistant without a body screens none)."""
    scope = screen_scope(user)
    return scope is None or bool(scope)


def can_screen(user, appointment: Appointment) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.can_in_body(Permission.REQUEST_SCREEN, appointment.official.body_id)


def is_request(appointment: Appointment) -> bool:
    """Sent in request mode (every request gets its redirect deadline when it arrives)."""
    return appointment.redirect_due_on is not None


def live_offers(appointment: Appointment, now: datetime) -> list[SlotOffer]:
    """Offers the citizen may still accept: open and not expired."""
    return [o for o in appointment.offers if o.status is OfferStatus.OPEN and o.expires_at > now]


def offers_expired(appointment: Appointment, now: datetime) -> bool:
    """Time was offered, the citizen chose none, and every offer has run out."""
    return appointment.status is AppointmentStatus.SCREENING and not live_offers(appointment, now)


def is_awaiting_decision(appointment: Appointment, now: datetime) -> bool:
    """Waiting for screening: new, or back in the queue because every offer expired."""
    if not is_request(appointment):
        return False
    return appointment.status is AppointmentStatus.REQUESTED or offers_expired(appointment, now)


def can_accept(user, appointment: Appointment, now: datetime) -> bool:
    """The citizen may choose one of the times offered to them."""
    return (user is not None and getattr(user, "is_authenticated", False) and appointment.citizen_id == user.id
            and appointment.status is AppointmentStatus.SCREENING and bool(live_offers(appointment, now)))
