"""What a token may be allowed: the permissions of reception.core.permissions, plus the citizen's own scopes.

A token's scopes must be a subset of what its user may do when it is made; what it may do at each request is
its scopes intersected with what the user may do then (a role taken away takes the scope away too).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.permissions import Permission, Role, permissions_for

APPOINTMENTS_READ = "appointments:read"
APPOINTMENTS_WRITE = "appointments:write"

#: Citizens' scopes: their own appointments and talons (read), booking and cancelling (write).
CITIZEN_SCOPES = {
    APPOINTMENTS_READ: _l("Read your appointments and talons"),
    APPOINTMENTS_WRITE: _l("Book and cancel receptions"),
}

REQUESTS_ON_BEHALF = "requests:on-behalf"
REQUESTS_ON_BEHALF_READ = "requests:on-behalf:read"

#: Integration clients' scopes (another system's, see reception.api.models.ApiClient): sending requests on a
#: citizen's behalf and reading their status. A client's webhooks are its subscriptions, not a scope.
INTEGRATION_SCOPES = {
    REQUESTS_ON_BEHALF: _l("Send requests for a reception on a citizen's behalf"),
    REQUESTS_ON_BEHALF_READ: _l("Read the status of the requests it sent"),
}

ALL_SCOPES = tuple(CITIZEN_SCOPES) + tuple(p.value for p in Permission)


def allowed_scopes(user) -> frozenset[str]:
    """Every scope ``user`` may hold now: the permissions of their roles, and the citizen scopes for citizens."""
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    scopes = {p.value for p in permissions_for(user.roles)}
    if user.has_role(Role.CITIZEN):
        scopes |= set(CITIZEN_SCOPES)
    return frozenset(scopes)


def scope_label(scope: str) -> str:
    """A person's words for a scope (permissions are shown by their name: staff know them)."""
    return str(CITIZEN_SCOPES.get(scope) or INTEGRATION_SCOPES.get(scope, scope))


def integration_scope_choices() -> list[tuple[str, str]]:
    """The scopes an integration client may hold, in a fixed order, with their labels."""
    return [(s, str(label)) for s, label in INTEGRATION_SCOPES.items()]


def scope_choices(user) -> list[tuple[str, str]]:
    """The scopes ``user`` may give a token, in a fixed order, with their labels."""
    allowed = allowed_scopes(user)
    return [(s, scope_label(s)) for s in ALL_SCOPES if s in allowed]
