"""Writing the audit record.

Changes are recorded by themselves: every flush that inserts, updates or deletes an instance of a model
that declares ``__audit__ = "<entity name>"`` writes one ``AuditEvent`` per instance in the same
transaction (so a change that rolls back leaves no record, and no change goes unrecorded). Changes made
with bulk ``UPDATE`` statements bypass the ORM: record those with :func:`record_change`. Views of a
citizen's personal data by staff are recorded with :func:`record_view` (the caller commits).
"""
from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from ..core.types import utcnow
from .models import AuditAction, AuditEvent

#: Columns never copied into the record (file contents, secrets).
SKIPPED_TYPES = ("LargeBinary",)
SKIPPED_COLUMNS = {"password_hash", "data"}
MAX_TEXT = 2000


def _plain(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _who() -> dict:
    """The acting user and where the request came from; empty outside a request (a CLI command, a job)."""
    from flask import has_request_context, request
    from flask_login import current_user

    if not has_request_context():
        return {"actor_id": None, "actor_name": None, "ip": None, "path": None}
    user = current_user if getattr(current_user, "is_authenticated", False) else None
    return {"actor_id": user.id if user else None, "actor_name": user.full_name if user else None,
            "ip": (request.remote_addr or "")[:45] or None, "path": request.path[:255]}


def _columns(obj):
    for attr in inspect(obj).mapper.column_attrs:
        column = attr.columns[0]
        if attr.key in SKIPPED_COLUMNS or type(column.type).__name__ in SKIPPED_TYPES:
            continue
        yield attr


def _created(obj) -> dict:
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in _columns(obj)
            if getattr(obj, attr.key) is not None}


def _updated(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in _columns(obj):
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[attr.key] = [_plain(old), _plain(new)]
    return changes


def _row(action: AuditAction, entity: str, entity_id, changes, who: dict) -> dict:
    return {"at": utcnow(), "action": action.value, "entity": entity, "entity_id": entity_id,
            "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True) if changes else None, **who}


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context) -> None:
    rows = []
    who = None
    for objects, action in ((session.new, AuditAction.CREATE), (session.dirty, AuditAction.UPDATE),
                            (session.deleted, AuditAction.DELETE)):
        for obj in objects:
            entity = getattr(type(obj), "__audit__", None)
            if entity is None:
                continue
            if action is AuditAction.UPDATE:
                changes = _updated(obj)
                if not changes:
                    continue
            elif action is AuditAction.CREATE:
                changes = _created(obj)
            else:
                changes = None
            who = who or _who()
            rows.append(_row(action, entity, inspect(obj).identity[0] if inspect(obj).identity else None,
                             changes, who))
    if rows:
        # A Core insert on the flush's own connection: same transaction, no second flush.
        session.connection().execute(insert(AuditEvent.__table__), rows)


def record_change(entity: str, entity_id: int, changes: dict) -> None:
    """Record a change made without the ORM's unit of work (a bulk UPDATE); the caller commits."""
    from ..extensions import db

    db.session.add(AuditEvent(action=AuditAction.UPDATE, entity=entity, entity_id=entity_id,
                              changes=json.dumps({k: [_plain(a), _plain(b)] for k, (a, b) in changes.items()},
                                                 ensure_ascii=False, sort_keys=True), **_who()))


def record_view(entity: str, entity_id: int | None, what: str) -> None:
    """Record that the current staff user saw a citizen's personal data (``what``: e.g. "day board");
    the caller commits."""
    from ..extensions import db

    db.session.add(AuditEvent(action=AuditAction.VIEW, entity=entity, entity_id=entity_id,
                              changes=json.dumps({"page": what}, ensure_ascii=False), **_who()))
