"""The header's links by role: which pages each signed-in user's roles lead to, kept in one place."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.permissions import Role

# Per role, (label, endpoint) pairs of the pages its people work in, in the order they use them.
ROLE_LINKS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.CITIZEN: ((_l("My appointments and requests"), "booking.my_appointments"),
                   (_l("My waitlist"), "booking.my_waitlist"),
                   (_l("My reports"), "outcomes.my_reports")),
    Role.ASSISTANT: ((_l("Day board"), "staff.day"),
                     (_l("Screening queue"), "requests.queue"),
                     (_l("Schedules"), "schedule.schedules"),
                     (_l("Systemic issues"), "systemic.issues")),
    Role.OFFICIAL: ((_l("My receptions"), "staff.my_receptions"),),
    Role.AGENCY_REP: ((_l("Invitations to receptions"), "hearings.invitations"),
                      (_l("Instructions"), "outcomes.instructions")),
    Role.LEGAL_CONSULTANT: ((_l("Legal review"), "legal.queue"),),
    Role.STUDIO_OPERATOR: ((_l("Studio receptions"), "video.studio"),),
    Role.MONITOR: ((_l("Monitoring"), "monitoring.overview"),
                   (_l("Systemic issues"), "systemic.issues")),
    Role.ADMIN: ((_l("Screening queue"), "requests.queue"),
                 (_l("Systemic issues"), "systemic.issues"),
                 (_l("Notification outbox"), "notifications.outbox"),
                 (_l("Audit log"), "audit.events")),
}


def links_for(user) -> list[tuple[str, str]]:
    """The (label, endpoint) pairs for ``user``'s roles, each endpoint once; none for visitors."""
    if not user.is_authenticated:
        return []
    roles = user.roles
    seen: set[str] = set()
    links: list[tuple[str, str]] = []
    for role in Role:
        if role not in roles:
            continue
        for label, endpoint in ROLE_LINKS[role]:
            if endpoint not in seen:
                seen.add(endpoint)
                links.append((label, endpoint))
    return links


def can_book(user) -> bool:
    """Whether to offer ``user`` the citizen's actions (book, send a request, join a waitlist): citizens take
    them, visitors are sent to log in first; staff and monitors would get 403, so they are not offered."""
    return not user.is_authenticated or user.has_role(Role.CITIZEN)
