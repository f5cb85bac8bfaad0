"""Reading systemic issues: the staff's list, one issue with its links and history, a citizen's issues, the
open issues per body for the monitoring map, and finding an appointment or request by its number."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User, UserRole
from ..booking.models import Appointment
from ..core.permissions import Permission, Role
from ..core.web import valid_id
from ..directory.models import Body, Official
from ..directory.queries import collation_key, get
from ..extensions import db
from . import policy
from .models import OPEN_STATUSES, IssueChange, IssueLink, IssueStatus, SystemicIssue, systemic_issue_bodies

#: A talon number as printed (``KZ15-20261124-000123``), any case, spaces around ignored.
TALON_RE = re.compile(r"^[A-Z]{2}\d{0,2}-[0-9A-Z]{1,12}-\d{1,10}$")
#: A request's number: its id, as on the screening pages, perhaps written "№ 123" or "#123".
REQUEST_RE = re.compile(r"^(?:№|#|N)?\s*(\d{1,10})$")

#: Staff roles a coordinator may have.
COORDINATOR_ROLES = (Role.ASSISTANT, Role.OFFICIAL, Role.AGENCY_REP, Role.ADMIN)


def get_issue(issue_id: int) -> SystemicIssue | None:
    """One issue with its working group, coordinator, history and linked appointments (and their citizens,
    officials and bodies) loaded in a fixed number of queries; None for an unknown or impossible id."""
    if valid_id(issue_id) is None:
        return None
    return db.session.scalar(
        select(SystemicIssue).where(SystemicIssue.id == issue_id)
        .options(selectinload(SystemicIssue.bodies), joinedload(SystemicIssue.coordinator),
                 joinedload(SystemicIssue.region),
                 selectinload(SystemicIssue.changes).joinedload(IssueChange.changed_by),
                 selectinload(SystemicIssue.links).joinedload(IssueLink.appointment).options(
                     joinedload(Appointment.citizen), joinedload(Appointment.topic),
                     joinedload(Appointment.official).joinedload(Official.body))))


def get_plain(issue_id: int) -> SystemicIssue | None:
    return get(SystemicIssue, issue_id)


def list_issues(user, status: IssueStatus | None = None, body_id: int | None = None) -> list[SystemicIssue]:
    """The issues ``user`` may see (every one for administrators and monitors, those whose working group has
    their body for assistants), newest change first, with their bodies and coordinators."""
    stmt = (select(SystemicIssue)
            .options(selectinload(SystemicIssue.bodies), joinedload(SystemicIssue.coordinator))
            .order_by(SystemicIssue.updated_at.desc(), SystemicIssue.id.desc()))
    if not policy.sees_every_issue(user):
        stmt = stmt.where(SystemicIssue.id.in_(select(systemic_issue_bodies.c.issue_id)
                                               .where(systemic_issue_bodies.c.body_id == (user.body_id or -1))))
    if status is not None:
        stmt = stmt.where(SystemicIssue.status == status)
    if body_id is not None:
        stmt = stmt.where(SystemicIssue.id.in_(select(systemic_issue_bodies.c.issue_id)
                                               .where(systemic_issue_bodies.c.body_id == body_id)))
    return list(db.session.scalars(stmt))


def link_counts(issue_ids) -> dict[int, tuple[int, int]]:
    """{issue id: (linked appointments and requests, distinct citizens)} in one query."""
    ids = list(issue_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(IssueLink.issue_id, func.count(IssueLink.id), func.count(func.distinct(Appointment.citizen_id)))
        .join(Appointment, Appointment.id == IssueLink.appointment_id)
        .where(IssueLink.issue_id.in_(ids)).group_by(IssueLink.issue_id))
    return {issue_id: (links, citizens) for issue_id, links, citizens in rows}


def linked_citizens(issue_id: int) -> list[User]:
    """The citizens of the issue's linked appointments and requests, each once (one linked twice, by an
    appointment and a request, is one citizen)."""
    citizen_ids = (select(Appointment.citizen_id).join(IssueLink, IssueLink.appointment_id == Appointment.id)
                   .where(IssueLink.issue_id == issue_id))
    return list(db.session.scalars(select(User).where(User.id.in_(citizen_ids)).order_by(User.id)))


def find_appointment(number: str) -> Appointment | None:
    """The appointment with the talon ``number``, or the request whose number (its id) it is; None when the
    text is neither or nothing has it."""
    text = " ".join((number or "").split()).upper()
    if TALON_RE.match(text):
        return db.session.scalar(select(Appointment).where(Appointment.talon_number == text))
    match = REQUEST_RE.match(text)
    if match and valid_id(int(match.group(1))) is not None:
        # Requests are appointments received in request mode: their redirect deadline is set on arrival.
        return db.session.scalar(select(Appointment).where(Appointment.id == int(match.group(1)),
                                                           Appointment.redirect_due_on.is_not(None)))
    return None


def link_of(appointment_id: int) -> IssueLink | None:
    return db.session.scalar(select(IssueLink).where(IssueLink.appointment_id == appointment_id))


def issues_of_citizen(citizen_id: int) -> list[SystemicIssue]:
    """The issues the citizen's appointments or requests are linked to, with their history."""
    issue_ids = (select(IssueLink.issue_id).join(Appointment, Appointment.id == IssueLink.appointment_id)
                 .where(Appointment.citizen_id == citizen_id))
    return list(db.session.scalars(select(SystemicIssue).where(SystemicIssue.id.in_(issue_ids))
                                   .options(selectinload(SystemicIssue.changes))
                                   .order_by(SystemicIssue.id)))


def citizen_is_linked(citizen_id: int, issue_id: int) -> bool:
    return db.session.scalar(
        select(IssueLink.id).join(Appointment, Appointment.id == IssueLink.appointment_id)
        .where(IssueLink.issue_id == issue_id, Appointment.citizen_id == citizen_id).limit(1)) is not None


def open_counts_by_body(body_ids=None) -> dict[int, int]:
    """{body id: open (open or in progress) issues whose working group has the body}, in one query; only the
    bodies in ``body_ids`` (None: every body)."""
    stmt = (select(systemic_issue_bodies.c.body_id, func.count())
            .join(SystemicIssue, SystemicIssue.id == systemic_issue_bodies.c.issue_id)
            .where(SystemicIssue.status.in_(OPEN_STATUSES)).group_by(systemic_issue_bodies.c.body_id))
    if body_ids is not None:
        stmt = stmt.where(systemic_issue_bodies.c.body_id.in_(list(body_ids)))
    return dict(db.session.execute(stmt).all())


def open_issues_of_body(body_id: int) -> list[SystemicIssue]:
    return list(db.session.scalars(
        select(SystemicIssue).join(systemic_issue_bodies, systemic_issue_bodies.c.issue_id == SystemicIssue.id)
        .where(systemic_issue_bodies.c.body_id == body_id, SystemicIssue.status.in_(OPEN_STATUSES))
        .order_by(SystemicIssue.updated_at.desc())))


def coordinator_choices(user, include_id: int | None = None) -> list[tuple[int, str]]:
    """Active staff who may coordinate, as (id, label): every one for administrators, the staff of their own
    body (and administrators are left out) for an assistant; the current coordinator stays selectable."""
    staff = select(UserRole.user_id).where(UserRole.role.in_(COORDINATOR_ROLES))
    stmt = select(User).options(joinedload(User.body)).where(User.id.in_(staff))
    if not user.can(Permission.SYSTEMIC_MANAGE):
        stmt = stmt.where((User.body_id == (user.body_id or -1)) | (User.id == (include_id or -1)))
    users = [u for u in db.session.scalars(stmt).unique() if u.is_active or u.id == include_id]
    users.sort(key=lambda u: collation_key(u.full_name))
    return [(u.id, u.full_name + (f", {u.body.name}" if u.body else "")) for u in users]


def is_coordinator_candidate(user_id: int) -> User | None:
    """The active staff user ``user_id`` if they may coordinate an issue."""
    user = get(User, user_id)
    if user is None or not user.is_active or not any(user.has_role(r) for r in COORDINATOR_ROLES):
        return None
    return user


def bodies_by_id(body_ids) -> list[Body]:
    ids = [i for i in body_ids if valid_id(i) is not None]
    return list(db.session.scalars(select(Body).where(Body.id.in_(ids)))) if ids else []
