"""Who may do what with systemic issues: predicates used by views and templates alike.

Administrators (``systemic:issue:manage``) run every issue; a reception assistant (the ``:own`` form) runs the
issues whose working group has their own body and may start one with their body in it; monitors
(``systemic:issue:view``) read every issue. A citizen reads, on their own page, the issues their appointments
or requests are linked to.
"""
from __future__ import annotations

from ..core.permissions import Permission


def can_list(user) -> bool:
    return user.is_authenticated and any(user.can(p) for p in (
        Permission.SYSTEMIC_MANAGE, Permission.SYSTEMIC_MANAGE_OWN, Permission.SYSTEMIC_VIEW))


def can_create(user) -> bool:
    return user.is_authenticated and (user.can(Permission.SYSTEMIC_MANAGE) or (
        user.can(Permission.SYSTEMIC_MANAGE_OWN) and user.body_id is not None))


def can_manage(user, issue) -> bool:
    """Edit, change the status, link and unlink appointments."""
    if not user.is_authenticated:
        return False
    if user.can(Permission.SYSTEMIC_MANAGE):
        return True
    return user.can(Permission.SYSTEMIC_MANAGE_OWN) and user.body_id is not None and user.body_id in issue.body_ids


def can_view(user, issue) -> bool:
    return user.is_authenticated and (user.can(Permission.SYSTEMIC_VIEW) or can_manage(user, issue))


def sees_every_issue(user) -> bool:
    return user.can(Permission.SYSTEMIC_MANAGE) or user.can(Permission.SYSTEMIC_VIEW)
