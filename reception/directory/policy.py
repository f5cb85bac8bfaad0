"""Who may manage which part of the directory: ``can_*`` predicates used by views, services and templates.

Regions, topics and bodies belong to administrators. Officials and venues are
managed by administrators for every body and by reception assistants for their
own body only (the ``:own`` permissions).
"""
from __future__ import annotations

from ..core.permissions import Permission


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_manage_regions(user) -> bool:
    return _authenticated(user) and user.can(Permission.REGION_MANAGE)


def can_manage_topics(user) -> bool:
    return _authenticated(user) and user.can(Permission.TOPIC_MANAGE)


def can_manage_bodies(user) -> bool:
    return _authenticated(user) and user.can(Permission.BODY_MANAGE)


def managed_body_ids(user, permission: Permission) -> frozenset[int] | None:
    """The bodies whose records ``user`` manages under ``permission``: None means every body.

    ``permission`` is the unscoped form (e.g. ``OFFICIAL_MANAGE``); its ``:own``
    form gives the user's own body, and nothing when the user has no body.
    """
    if not _authenticated(user):
        return frozenset()
    if user.can(permission):
        return None
    own = Permission.__members__.get(permission.name + "_OWN")
    if own is not None and user.can(own) and user.body_id is not None:
        return frozenset({user.body_id})
    return frozenset()


def _can_in_body(user, permission: Permission, body_id: int | None) -> bool:
    return _authenticated(user) and body_id is not None and user.can_in_body(permission, body_id)


def _has_some_scope(user, permission: Permission) -> bool:
    scope = managed_body_ids(user, permission)
    return scope is None or bool(scope)


def can_manage_officials(user) -> bool:
    """May open the officials list and add officials (to at least one body)."""
    return _has_some_scope(user, Permission.OFFICIAL_MANAGE)


def can_manage_officials_of(user, body_id: int | None) -> bool:
    return _can_in_body(user, Permission.OFFICIAL_MANAGE, body_id)


def can_edit_official(user, official) -> bool:
    return can_manage_officials_of(user, official.body_id)


def can_manage_venues(user) -> bool:
    """May open the venues list and add venues (to at least one body)."""
    return _has_some_scope(user, Permission.VENUE_MANAGE)


def can_manage_venues_of(user, body_id: int | None) -> bool:
    return _can_in_body(user, Permission.VENUE_MANAGE, body_id)


def can_edit_venue(user, venue) -> bool:
    return can_manage_venues_of(user, venue.body_id)


def can_set_responsible_person(user, body) -> bool:
    """May name the responsible person of the body's reception office: administrators for every body (they
    manage bodies), a reception assistant for their own body (they manage its officials and publish its
    sessions)."""
    return _authenticated(user) and body is not None and (
        user.can(Permission.BODY_MANAGE) or can_manage_officials_of(user, body.id))
