"""Roles and permissions: named ``scope:resource:action`` constants mapped to roles.

A permission ending in ``:own`` is limited to the staff member's own body;
the same permission without it applies to every body.
"""
from __future__ import annotations

import enum
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import login_manager


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    OFFICIAL = "official"
    ASSISTANT = "assistant"
    AGENCY_REP = "agency_rep"
    LEGAL_CONSULTANT = "legal_consultant"
    STUDIO_OPERATOR = "studio_operator"
    MONITOR = "monitor"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.CITIZEN: _l("Citizen"),
    Role.OFFICIAL: _l("Official"),
    Role.ASSISTANT: _l("Reception assistant"),
    Role.AGENCY_REP: _l("Agency representative"),
    Role.LEGAL_CONSULTANT: _l("Legal consultant"),
    Role.STUDIO_OPERATOR: _l("Studio operator"),
    Role.MONITOR: _l("Monitor"),
    Role.ADMIN: _l("Administrator"),
}

STAFF_ROLES = tuple(r for r in Role if r is not Role.CITIZEN)


class Permission(enum.StrEnum):
    # Directory
    REGION_MANAGE = "directory:region:manage"
    TOPIC_MANAGE = "directory:topic:manage"
    BODY_MANAGE = "directory:body:manage"
    OFFICIAL_MANAGE = "directory:official:manage"
    OFFICIAL_MANAGE_OWN = "directory:official:manage:own"
    VENUE_MANAGE = "directory:venue:manage"
    VENUE_MANAGE_OWN = "directory:venue:manage:own"
    # Accounts
    STAFF_MANAGE = "accounts:staff:manage"
    STAFF_VIEW_OWN = "accounts:staff:view:own"
    # Notifications
    OUTBOX_VIEW = "notifications:outbox:view"
    # Monitoring: every body's figures (monitors), or one's own body's (its assistants and officials)
    MONITORING_VIEW = "monitoring:report:view"
    MONITORING_VIEW_OWN = "monitoring:report:view:own"
    # Monitoring: recording what was done about an item that needs attention, answering citizens' reports
    MONITORING_ACT = "monitoring:attention:act"
    # Schedule
    SCHEDULE_MANAGE = "schedule:schedule:manage"
    SCHEDULE_MANAGE_OWN = "schedule:schedule:manage:own"
    UNIFIED_DAY_MANAGE = "schedule:unified_day:manage"
    # Request mode: the screening queue
    REQUEST_SCREEN = "booking:request:screen"
    REQUEST_SCREEN_OWN = "booking:request:screen:own"
    # Appointments: the day list, participants (and who moderates the video call)
    APPOINTMENT_VIEW = "booking:appointment:view"
    APPOINTMENT_VIEW_OWN = "booking:appointment:view:own"
    PARTICIPANT_MANAGE = "booking:participant:manage"
    PARTICIPANT_MANAGE_OWN = "booking:participant:manage:own"
    # Video studios: the week's studio receptions, check-in
    STUDIO_OPERATE = "video:studio:operate"
    STUDIO_OPERATE_OWN = "video:studio:operate:own"
    # Holding receptions: the day board (check-in, no-show, start, finish, session held or not)
    BOARD_RUN = "hearings:board:run"
    BOARD_RUN_OWN = "hearings:board:run:own"
    # A body's answers to invitations by competence (who attends, or why not)
    INVITATION_RESPOND_OWN = "hearings:invitation:respond:own"
    # Legal review: flagging a case (the official's side) and the consultants' queue
    LEGAL_FLAG = "legal:review:flag"
    LEGAL_FLAG_OWN = "legal:review:flag:own"
    LEGAL_REVIEW = "legal:review:examine"
    # Outcomes and follow-up: recording results and instructions, checking the bodies' reports
    OUTCOME_RECORD = "outcomes:outcome:record"
    OUTCOME_RECORD_OWN = "outcomes:outcome:record:own"
    # The responsible body reports on instructions given to it
    INSTRUCTION_REPORT_OWN = "outcomes:instruction:report:own"
    # Citizens' reports of refused bookings (monitors) and the audit log (administrators)
    ACCESS_REPORT_VIEW = "outcomes:access_report:view"
    AUDIT_VIEW = "audit:event:view"
    # Systemic issues: creating and running them (every issue, or those whose working group has one's own
    # body), and reading every issue (monitors)
    SYSTEMIC_MANAGE = "systemic:issue:manage"
    SYSTEMIC_MANAGE_OWN = "systemic:issue:manage:own"
    SYSTEMIC_VIEW = "systemic:issue:view"
    # The API's integration clients (other systems' own tokens and scopes): administrators only
    API_CLIENT_MANAGE = "api:client:manage"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CITIZEN: frozenset(),
    # An official's "own" appointments are those of their own official record, not the whole body's.
    Role.OFFICIAL: frozenset({Permission.STAFF_VIEW_OWN, Permission.APPOINTMENT_VIEW_OWN, Permission.BOARD_RUN_OWN,
                              Permission.OUTCOME_RECORD_OWN, Permission.MONITORING_VIEW_OWN}),
    Role.ASSISTANT: frozenset({Permission.OFFICIAL_MANAGE_OWN, Permission.VENUE_MANAGE_OWN,
                               Permission.STAFF_VIEW_OWN, Permission.SCHEDULE_MANAGE_OWN,
                               Permission.REQUEST_SCREEN_OWN, Permission.APPOINTMENT_VIEW_OWN,
                               Permission.PARTICIPANT_MANAGE_OWN, Permission.BOARD_RUN_OWN,
                               Permission.LEGAL_FLAG_OWN, Permission.OUTCOME_RECORD_OWN,
                               Permission.MONITORING_VIEW_OWN, Permission.SYSTEMIC_MANAGE_OWN}),
    Role.AGENCY_REP: frozenset({Permission.INVITATION_RESPOND_OWN, Permission.INSTRUCTION_REPORT_OWN}),
    Role.LEGAL_CONSULTANT: frozenset({Permission.LEGAL_REVIEW}),
    Role.STUDIO_OPERATOR: frozenset({Permission.STUDIO_OPERATE_OWN}),
    Role.MONITOR: frozenset({Permission.MONITORING_VIEW, Permission.ACCESS_REPORT_VIEW, Permission.MONITORING_ACT,
                             Permission.SYSTEMIC_VIEW}),
    Role.ADMIN: frozenset(Permission),
}


def permissions_for(roles) -> frozenset[Permission]:
    result: set[Permission] = set()
    for role in roles:
        result |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(result)


def acts_for_official(user, official, permission: Permission) -> bool:
    """Whether ``user`` is on the official's side for ``permission``: the official themself (their linked
    account), an assistant of the official's body holding the permission's ``:own`` variant, or a user
    holding it for every body (administrators). Another official of the same body is not."""
    if not (user.is_authenticated and user.is_active):
        return False
    if official.user_id is not None and official.user_id == user.id:
        return True
    if user.can(permission):
        return True
    return user.has_role(Role.ASSISTANT) and user.can_in_body(permission, official.body_id)


def require(permission: Permission):
    """View decorator: visitors go to the login page, users without the permission get 403."""
    return require_any(permission)


def require_any(*permissions: Permission):
    """View decorator satisfied by any of ``permissions`` (body scoping is checked in the view)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.can(p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permissions
        return wrapped

    return decorator
