"""Reading the audit record for the administrators' page: filters, newest first, keyset pages."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core.timeutil import local_to_utc
from ..extensions import db
from .models import AuditAction, AuditEvent

PAGE_SIZE = 50

ENTITY_LABELS = {
    "appointment": _l("Appointment or request"),
    "participant": _l("Participant of a reception"),
    "body_invitation": _l("Invitation of a body"),
    "legal_review": _l("Legal review"),
    "legal_opinion": _l("Legal opinion"),
    "opinion_attachment": _l("Attachment of a legal opinion"),
    "free_consultation": _l("Free consultation"),
    "outcome": _l("Outcome of a reception"),
    "question": _l("Question raised at a reception"),
    "instruction": _l("Instruction"),
    "instruction_report": _l("Report on an instruction"),
    "citizen_contact": _l("Contact with the citizen"),
    "rating": _l("Rating"),
    "access_report": _l("Access report"),
    "session": _l("Reception session"),
    "reception_session": _l("Reception session"),  # the ballot's records before 2026-12 named it so
    "ballot_entry": _l("Application to a ballot"),
    "request_urgency": _l("Urgency of a request"),
    "solved_check": _l("Whether the problem is solved"),
    "demo_history": _l("Demo history"),
    "monitoring_action": _l("Action on a monitoring item"),
    "systemic_issue": _l("Systemic issue"),
    "systemic_link": _l("Reception linked to a systemic issue"),
    "api_client": _l("Integration client"),
    "api_client_token": _l("Integration client's token"),
    "webhook_endpoint": _l("Webhook address"),
}


def entity_label(entity: str) -> str:
    return str(ENTITY_LABELS.get(entity, entity.replace("_", " ")))


def audited_entities() -> list[tuple[str, str]]:
    """(name, label) of every audited model (those declaring ``__audit__``), by label."""
    names = {m.class_.__audit__ for m in db.Model.registry.mappers
             if getattr(m.class_, "__audit__", None)}
    return sorted(((n, entity_label(n)) for n in names), key=lambda pair: pair[1])


@dataclass(frozen=True)
class AuditFilter:
    """What the administrator looks for; dates are local dates in ``tz`` (both ends included)."""

    tz: str
    entity: str | None = None
    entity_id: int | None = None
    actor_id: int | None = None
    actor_name: str | None = None
    action: AuditAction | None = None
    date_from: date | None = None
    date_to: date | None = None


def _utc_start(day: date, tz: str) -> datetime:
    return local_to_utc(datetime.combine(day, time.min), tz)


def _where(f: AuditFilter) -> list:
    where = []
    if f.entity:
        where.append(AuditEvent.entity == f.entity)
    if f.entity_id is not None:
        where.append(AuditEvent.entity_id == f.entity_id)
    if f.actor_id is not None:
        where.append(AuditEvent.actor_id == f.actor_id)
    elif f.actor_name:
        where.append(func.lower(AuditEvent.actor_name).contains(f.actor_name.lower(), autoescape=True))
    if f.action is not None:
        where.append(AuditEvent.action == f.action)
    if f.date_from is not None:
        where.append(AuditEvent.at >= _utc_start(f.date_from, f.tz))
    if f.date_to is not None:
        where.append(AuditEvent.at < _utc_start(f.date_to + timedelta(days=1), f.tz))
    return where


@dataclass
class AuditRow:
    """One event as the page shows it: what changed as (field, old, new) in words."""

    event: AuditEvent
    changes: list[tuple[str, str, str | None]] = field(default_factory=list)


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("yes")) if value else str(_l("no"))
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    return str(value)


def _readable(event: AuditEvent) -> list[tuple[str, str, str | None]]:
    """(field, old, new) for a change, (field, value, None) for a creation's values or a view's details."""
    if not event.changes:
        return []
    try:
        data = json.loads(event.changes)
    except ValueError:
        return [("", event.changes, None)]
    rows = []
    for key, value in data.items():
        if event.action is AuditAction.UPDATE or (event.action is AuditAction.DELETE and isinstance(value, list)
                                                  and len(value) == 2):
            old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
            rows.append((key, _text(old), _text(new)))
        else:
            rows.append((key, _text(value), None))
    return rows


def list_events(f: AuditFilter, before: int | None = None, limit: int = PAGE_SIZE) -> tuple[list[AuditRow], int | None]:
    """A page of events matching ``f``, newest first, older than event ``before``; and the ``before`` of
    the next page (None on the last). Keyset by id: ids grow with time, and the page stays cheap however
    deep one goes."""
    stmt = select(AuditEvent).where(*_where(f))
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    events = db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
    more = len(events) > limit
    events = events[:limit]
    return [AuditRow(e, _readable(e)) for e in events], (events[-1].id if more else None)
