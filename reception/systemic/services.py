"""Changing systemic issues: creating and editing one, changing its status (and telling each linked citizen
once), linking and unlinking appointments and requests.

Services add and flush, never commit (the view does). Linking and unlinking are recorded in the audit log by
the link rows themselves (``IssueLink.__audit__``), issue edits likewise (``SystemicIssue.__audit__``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ..audit.services import record_change
from ..booking.models import AppointmentStatus
from ..core.errors import Conflict, Invalid, NotAllowed, NotFound
from ..core.permissions import Permission
from ..core.web import absolute_url, valid_id
from ..directory.models import Region
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import notify, write_batch
from . import policy, queries
from .models import STATUS_LABELS, TRANSITIONS, IssueChange, IssueLink, IssueStatus, SystemicIssue

KIND = "systemic_issue_progress"

MSG_NOT_ALLOWED = _l("You may not change this systemic issue.")
MSG_OWN_BODY = _l("Your own body must be in the working group.")
MSG_NO_BODIES = _l("Choose at least one body for the working group.")
MSG_UNKNOWN_BODY = _l("One of the chosen bodies does not exist.")
MSG_COORDINATOR = _l("Choose a staff member as the coordinator.")
MSG_COORDINATOR_BODY = _l("The coordinator must work in one of the working group's bodies.")
MSG_REGION = _l("This region does not exist.")
MSG_SAME_STATUS = _l("The issue already has this status.")
MSG_CHANGED_MEANWHILE = _l("Someone changed the status of this issue meanwhile. Check its history below.")
MSG_NO_NUMBER = _l("No appointment or request has this number. Give a talon number (e.g. KZ15-20261124-000123) "
                   "or a request number.")
MSG_MOVED = _l("This appointment was moved to another time: give the number of the new talon.")
MSG_OUTSIDE_GROUP = _l("This appointment or request is with a body outside the working group. Add the body to "
                       "the working group first.")
MSG_LINKED_HERE = _l("This appointment or request is already linked to this issue.")
MSG_NOT_LINKED = _l("This appointment or request is not linked to the issue.")


@dataclass
class IssueData:
    title: str
    description: str
    body_ids: list[int] = field(default_factory=list)
    coordinator_id: int | None = None
    region_id: int | None = None


def _check_data(user, data: IssueData):
    """The working group's bodies, the coordinator and the region of ``data``; Invalid (on its field)
    when one of them breaks a rule."""
    ids = sorted({i for i in data.body_ids if i})
    if not ids:
        raise Invalid(MSG_NO_BODIES, field="body_ids")
    bodies = queries.bodies_by_id(ids)
    if len(bodies) != len(ids):
        raise Invalid(MSG_UNKNOWN_BODY, field="body_ids")
    if not user.can(Permission.SYSTEMIC_MANAGE) and user.body_id not in ids:
        raise Invalid(MSG_OWN_BODY, field="body_ids")
    coordinator = queries.is_coordinator_candidate(data.coordinator_id) if data.coordinator_id else None
    if coordinator is None:
        raise Invalid(MSG_COORDINATOR, field="coordinator_id")
    if not coordinator.can(Permission.SYSTEMIC_MANAGE) and coordinator.body_id not in ids:
        raise Invalid(MSG_COORDINATOR_BODY, field="coordinator_id")
    region = None
    if data.region_id:
        region = get(Region, data.region_id)
        if region is None:
            raise Invalid(MSG_REGION, field="region_id")
    return bodies, coordinator, region


def create_issue(user, data: IssueData, now: datetime) -> SystemicIssue:
    """A new open issue with its working group and coordinator. Raises NotAllowed (the user may not start
    one) or Invalid (the data breaks a rule, on its field)."""
    if not policy.can_create(user):
        raise NotAllowed(MSG_NOT_ALLOWED)
    bodies, coordinator, region = _check_data(user, data)
    issue = SystemicIssue(title=data.title, description=data.description, status=IssueStatus.OPEN,
                          coordinator=coordinator, region=region, bodies=bodies, created_by_id=user.id,
                          created_at=now, updated_at=now)
    db.session.add(issue)
    db.session.flush()
    return issue


def update_issue(user, issue: SystemicIssue, data: IssueData, now: datetime) -> None:
    """Change the issue's title, description, working group, coordinator and region (not its status).
    Raises NotAllowed or Invalid as :func:`create_issue`."""
    if not policy.can_manage(user, issue):
        raise NotAllowed(MSG_NOT_ALLOWED)
    bodies, coordinator, region = _check_data(user, data)
    issue.title, issue.description = data.title, data.description
    issue.bodies, issue.coordinator, issue.region = bodies, coordinator, region
    issue.updated_at = now
    db.session.flush()


def change_status(user, issue: SystemicIssue, expected: IssueStatus, new: IssueStatus, note: str,
                  now: datetime) -> IssueChange:
    """Move the issue from ``expected`` (the status the user saw) to ``new`` with ``note``, record the change
    in its history, and queue one message (e-mail and/or SMS, as each chose) for every linked citizen, once per
    change and citizen (the outbox's unique key ``systemic:<change>:<citizen>``).

    The move is a compare-and-set on the issue's row: of two changes made at once from the same status (two
    staff, or a form sent twice), one wins and the other raises Conflict. Raises NotAllowed, Invalid (the same
    status, or a move the transitions table does not allow)."""
    if not policy.can_manage(user, issue):
        raise NotAllowed(MSG_NOT_ALLOWED)
    if new == expected:
        raise Invalid(MSG_SAME_STATUS, field="status")
    if new not in TRANSITIONS[expected]:
        raise Invalid(_l("The status cannot change from “%(old)s” to “%(new)s”.", old=STATUS_LABELS[expected],
                         new=STATUS_LABELS[new]), field="status")
    moved = db.session.execute(
        update(SystemicIssue).where(SystemicIssue.id == issue.id, SystemicIssue.status == expected)
        .values(status=new, updated_at=now).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise Conflict(MSG_CHANGED_MEANWHILE)
    record_change("systemic_issue", issue.id, {"status": (expected, new), "updated_at": (None, now)})
    change = IssueChange(issue_id=issue.id, old_status=expected, new_status=new, note=note, changed_by_id=user.id,
                         changed_at=now)
    db.session.add(change)
    db.session.flush()
    db.session.refresh(issue, ["status", "updated_at"])
    _tell_citizens(issue, change)
    return change


def _tell_citizens(issue: SystemicIssue, change: IssueChange) -> None:
    """One message per linked citizen for ``change``, written in one statement."""
    link = absolute_url("systemic.citizen_issue", issue_id=issue.id)
    subject = _l("Progress on the problem you raised: %(status)s", status=STATUS_LABELS[change.new_status])
    batch: list[dict] = []
    for citizen in queries.linked_citizens(issue.id):
        notify(citizen, KIND, subject, KIND, dedupe_key=f"systemic:{change.id}:{citizen.id}", batch=batch,
               issue=issue, change=change, link=link)
    write_batch(batch)


def link_appointment(user, issue: SystemicIssue, number: str, now: datetime) -> IssueLink:
    """Link the appointment with the talon ``number`` (or the request with that number) to the issue. Its
    official's body must be in the working group; an appointment belongs to at most one issue (the database's
    unique key decides between two links made at once: the loser's commit fails). Raises NotAllowed, Invalid
    (no such number, moved, or outside the working group), Conflict (already linked)."""
    if not policy.can_manage(user, issue):
        raise NotAllowed(MSG_NOT_ALLOWED)
    appointment = queries.find_appointment(number)
    if appointment is None:
        raise Invalid(MSG_NO_NUMBER, field="number")
    if appointment.status is AppointmentStatus.RESCHEDULED:
        raise Invalid(MSG_MOVED, field="number")
    if appointment.official.body_id not in issue.body_ids:
        raise Invalid(MSG_OUTSIDE_GROUP, field="number")
    existing = queries.link_of(appointment.id)
    if existing is not None:
        if existing.issue_id == issue.id:
            raise Conflict(MSG_LINKED_HERE, field="number")
        raise Conflict(_l("This appointment or request is already linked to another systemic issue: “%(title)s”.",
                          title=existing.issue.title), field="number")
    link = IssueLink(issue_id=issue.id, appointment_id=appointment.id, linked_by_id=user.id, linked_at=now)
    db.session.add(link)
    issue.updated_at = now
    db.session.flush()
    return link


def unlink_appointment(user, issue: SystemicIssue, appointment_id: int, now: datetime) -> None:
    """Take the appointment or request off the issue. Raises NotAllowed, NotFound (not linked to it)."""
    if not policy.can_manage(user, issue):
        raise NotAllowed(MSG_NOT_ALLOWED)
    link = queries.link_of(appointment_id) if valid_id(appointment_id) else None
    if link is None or link.issue_id != issue.id:
        raise NotFound(MSG_NOT_LINKED)
    db.session.delete(link)
    issue.updated_at = now
    db.session.flush()
