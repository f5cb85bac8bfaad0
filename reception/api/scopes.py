"""What a token may be allowed: the permissions of reception.core.permissions, plus the citizen's own scopes.

A token's scopes must be a subset of what its user may do when it is made; what it may do at each request is
its scopes intersected with what the user may do then (a role taken away takes the scope away too).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.permissions import Permission, Role, permissions_for

APPOINTMENTS_READ = "appointments:read"
APPOINTMENTS_WRITE = "appointments:write"

#: Citizens' scopes: their own appointments and talons, requests, places in line and outcomes (read); booking,
#: moving and cancelling, requests, the waitlist and the "is it solved?" answer (write). The labels say all of it:
#: they are what a person agrees to when making a token.
CITIZEN_SCOPES = {
    APPOINTMENTS_READ: _l("Read your appointments and talons, requests, places in line and outcomes"),
    APPOINTMENTS_WRITE: _l("Book, move and cancel receptions; send and withdraw requests; join waitlists; "
                           "answer whether a problem is solved"),
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


#: Staff scopes: a person's words for each permission (the tokens page shows these).
PERMISSION_LABELS = {
    Permission.REGION_MANAGE: _l("Manage regions"),
    Permission.TOPIC_MANAGE: _l("Manage topics"),
    Permission.BODY_MANAGE: _l("Manage bodies"),
    Permission.OFFICIAL_MANAGE: _l("Manage officials of every body"),
    Permission.OFFICIAL_MANAGE_OWN: _l("Manage your body's officials"),
    Permission.VENUE_MANAGE: _l("Manage venues of every body"),
    Permission.VENUE_MANAGE_OWN: _l("Manage your body's venues"),
    Permission.STAFF_MANAGE: _l("Manage staff accounts"),
    Permission.STAFF_VIEW_OWN: _l("See your body's staff"),
    Permission.OUTBOX_VIEW: _l("See the outbox of messages"),
    Permission.MONITORING_VIEW: _l("See every body's monitoring"),
    Permission.MONITORING_VIEW_OWN: _l("See your body's monitoring"),
    Permission.MONITORING_ACT: _l("Act on items that need attention"),
    Permission.SCHEDULE_MANAGE: _l("Manage every body's reception schedules"),
    Permission.SCHEDULE_MANAGE_OWN: _l("Manage your body's reception schedules"),
    Permission.UNIFIED_DAY_MANAGE: _l("Manage unified reception days"),
    Permission.REQUEST_SCREEN: _l("Screen every body's requests"),
    Permission.REQUEST_SCREEN_OWN: _l("Screen your body's requests"),
    Permission.APPOINTMENT_VIEW: _l("See every body's appointments"),
    Permission.APPOINTMENT_VIEW_OWN: _l("See your appointments"),
    Permission.PARTICIPANT_MANAGE: _l("Manage participants of every body's receptions"),
    Permission.PARTICIPANT_MANAGE_OWN: _l("Manage participants of your receptions"),
    Permission.STUDIO_OPERATE: _l("Run every video studio"),
    Permission.STUDIO_OPERATE_OWN: _l("Run your video studio"),
    Permission.BOARD_RUN: _l("Run every body's day board"),
    Permission.BOARD_RUN_OWN: _l("Run your day board"),
    Permission.INVITATION_RESPOND_OWN: _l("Answer your body's invitations"),
    Permission.LEGAL_FLAG: _l("Ask for a legal opinion on any reception"),
    Permission.LEGAL_FLAG_OWN: _l("Ask for a legal opinion on your receptions"),
    Permission.LEGAL_REVIEW: _l("Write legal opinions"),
    Permission.OUTCOME_RECORD: _l("Record every body's outcomes"),
    Permission.OUTCOME_RECORD_OWN: _l("Record your receptions' outcomes"),
    Permission.INSTRUCTION_REPORT_OWN: _l("Report on your body's instructions"),
    Permission.ACCESS_REPORT_VIEW: _l("See citizens' reports of refused bookings"),
    Permission.AUDIT_VIEW: _l("See the audit log"),
    Permission.SYSTEMIC_MANAGE: _l("Run every systemic issue"),
    Permission.SYSTEMIC_MANAGE_OWN: _l("Run your body's systemic issues"),
    Permission.SYSTEMIC_VIEW: _l("See every systemic issue"),
    Permission.API_CLIENT_MANAGE: _l("Manage integration clients and their webhooks"),
}


def scope_label(scope: str) -> str:
    """A person's words for a scope."""
    if scope in CITIZEN_SCOPES:
        return str(CITIZEN_SCOPES[scope])
    if scope in INTEGRATION_SCOPES:
        return str(INTEGRATION_SCOPES[scope])
    return str(PERMISSION_LABELS.get(scope, scope))  # a scope no longer known shows its code


def integration_scope_choices() -> list[tuple[str, str]]:
    """The scopes an integration client may hold, in a fixed order, with their labels."""
    return [(s, str(label)) for s, label in INTEGRATION_SCOPES.items()]


def scope_choices(user) -> list[tuple[str, str]]:
    """The scopes ``user`` may give a token, in a fixed order, with their labels."""
    allowed = allowed_scopes(user)
    return [(s, scope_label(s)) for s in ALL_SCOPES if s in allowed]
