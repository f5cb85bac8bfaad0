"""Who may manage reception time: ``can_*`` predicates used by views, services and templates.

Administrators manage every body's schedules and sessions; reception
assistants only those of their own body's officials (the ``:own`` permission).
"""
from __future__ import annotations

from ..core.permissions import Permission
from ..directory.policy import managed_body_ids
from .models import SessionStatus


def schedule_scope(user) -> frozenset[int] | None:
    """The bodies whose schedules ``user`` manages: None means every body."""
    return managed_body_ids(user, Permission.SCHEDULE_MANAGE)


def can_manage_schedules_of(user, body_id: int | None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or body_id is None:
        return False
    return user.can_in_body(Permission.SCHEDULE_MANAGE, body_id)


def can_manage_session(user, session) -> bool:
    return can_manage_schedules_of(user, session.official.body_id)


# --- unified reception days and visiting receptions ---------------------------------------------

def can_manage_unified_days(user) -> bool:
    """May announce unified reception days and follow which bodies have published (administrators)."""
    return user is not None and getattr(user, "is_authenticated", False) and user.can(Permission.UNIFIED_DAY_MANAGE)


def can_edit_unified_session(user, session) -> bool:
    """May change the hours of a unified-day session and publish it: only before it is published.

    After publication the session is changed like any other (moved or cancelled).
    """
    from .models import SessionStatus
    return (session.unified_day_id is not None and not session.is_published
            and session.status is SessionStatus.PLANNED and can_manage_session(user, session))


def can_announce_visiting_for(user, official) -> bool:
    """A visiting reception of ``official``: their own body's staff, or an administrator. The venue may belong
    to another body (the hall of the receiving region's akimat)."""
    return official is not None and can_manage_schedules_of(user, official.body_id)


def booking_state(session, now) -> str:
    """What the public pages (and the API) say about booking a session: open, not_open_yet, closed or over."""
    if session.status is not SessionStatus.PLANNED or not session.is_published or session.ends_at <= now:
        return "over"
    if now >= session.closes_at:
        return "closed"
    if now < session.opens_at:
        return "not_open_yet"
    return "open"
