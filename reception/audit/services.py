"""Writing the audit record.

Changes are recorded by themselves: every flush that inserts, updates or deletes an instance of a model
that declares ``__audit__ = "<entity name>"`` writes one ``AuditEvent`` per instance in the same
transaction (so a change that rolls back, or whose savepoint rolls back, leaves no record, and no change
goes unrecorded). Changes made with bulk ``UPDATE``/``DELETE`` statements bypass the ORM: record those with
:func:`record_change`. Views of a citizen's personal data by staff are recorded with :func:`record_view`
(the caller commits).

The record keeps who (the logged-in user, none for a CLI command or a job), when (UTC), what (entity,
id, ``{field: [old, new]}``) and from where (the client's address, honouring ``RECEPTION_PROXY_COUNT``
trusted proxies, and the page's path). It never copies secrets or file contents (see ``SKIPPED_COLUMNS``).
"""
from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum

from sqlalchemy import LargeBinary, event, insert, inspect
from sqlalchemy.orm import Mapper, Session

from ..core.clock import utcnow
from ..extensions import db
from .models import AuditAction, AuditEvent

#: Columns never copied into the record: secrets, capabilities and file contents (LargeBinary columns
#: are skipped whatever their name).
SKIPPED_COLUMNS = frozenset({"password_hash", "data", "token", "video_room", "idempotency_key", "secret"})
MAX_TEXT = 2000

TABLE = AuditEvent.__table__
_audited_columns: dict[Mapper, tuple[str, ...]] = {}


def _plain(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _keys(mapper: Mapper) -> tuple[str, ...]:
    """The recorded column attributes of a mapper, computed once per class (this runs on every flush)."""
    keys = _audited_columns.get(mapper)
    if keys is None:
        keys = tuple(attr.key for attr in mapper.column_attrs
                     if attr.key not in SKIPPED_COLUMNS
                     and not isinstance(attr.columns[0].type, LargeBinary))
        _audited_columns[mapper] = keys
    return keys


def client_ip(request) -> str | None:
    """The client's address: ``remote_addr``, which ProxyFix sets from X-Forwarded-For when
    ``RECEPTION_PROXY_COUNT`` trusted proxies sit in front of the app (never trusted otherwise)."""
    return (request.remote_addr or "")[:45] or None


def _who() -> dict:
    """The acting user and where the request came from; empty outside a request (a CLI command, a job)."""
    from flask import has_request_context, request
    from flask_login import current_user

    if not has_request_context():
        return {"actor_id": None, "actor_name": None, "ip": None, "path": None}
    user = current_user if getattr(current_user, "is_authenticated", False) else None
    return {"actor_id": user.id if user else None, "actor_name": user.full_name[:200] if user else None,
            "ip": client_ip(request), "path": request.path[:255]}


def _identity(state):
    # New rows have their primary key in the instance's dict after the INSERT, but their identity key
    # is only set after after_flush (finalize_flush_changes): read the dict, never load anything.
    if state.identity:
        return state.identity[0]
    pk = state.mapper.primary_key[0]
    return state.dict.get(state.mapper.get_property_by_column(pk).key)


def _created(state) -> dict:
    # state.dict, not getattr: attributes expired by the INSERT (server defaults) must not be reloaded here.
    values = state.dict
    return {key: _plain(values[key]) for key in _keys(state.mapper) if values.get(key) is not None}


def _updated(state) -> dict:
    changes = {}
    attrs = state.attrs
    for key in _keys(state.mapper):
        history = attrs[key].history  # no load: an attribute never loaded has no history to tell
        if history.added or history.deleted:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
    return changes


def _dumps(changes: dict | None) -> str | None:
    return json.dumps(changes, ensure_ascii=False, sort_keys=True, default=str) if changes else None


def _row(action: AuditAction, entity: str, entity_id, changes, who: dict) -> dict:
    return {"at": utcnow(), "action": action.value, "entity": entity, "entity_id": entity_id,
            "changes": _dumps(changes), **who}


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context) -> None:
    """One AuditEvent per audited instance this flush inserted, changed or deleted.

    after_flush still sees session.new/dirty/deleted and the attribute history (both are reset just
    after it), and runs inside the flush's transaction.
    """
    rows = []
    who = None
    for objects, action in ((session.new, AuditAction.CREATE), (session.dirty, AuditAction.UPDATE),
                            (session.deleted, AuditAction.DELETE)):
        for obj in objects:
            entity = getattr(type(obj), "__audit__", None)
            if entity is None:
                continue
            state = inspect(obj)
            if action is AuditAction.UPDATE:
                changes = _updated(state)
                if not changes:
                    continue
            elif action is AuditAction.CREATE:
                changes = _created(state)
            else:
                changes = None
            if who is None:
                who = _who()
            rows.append(_row(action, entity, _identity(state), changes, who))
    if rows:
        # A Core insert on the flush's own connection: same transaction, no second flush.
        session.connection().execute(insert(TABLE), rows)


def _insert(*rows: dict) -> None:
    db.session.execute(insert(TABLE), list(rows))


def record_change(entity: str, entity_id: int, changes: dict, *,
                  action: AuditAction = AuditAction.UPDATE) -> None:
    """Record a change made without the ORM's unit of work (a bulk UPDATE or DELETE statement).

    ``changes`` is ``{field: (old, new)}`` (old may be None when the statement did not know it). Written
    at once in the current transaction: it rolls back with the change; the caller commits.
    """
    _insert(_row(action, entity, entity_id, {k: [_plain(a), _plain(b)] for k, (a, b) in changes.items()},
                 _who()))


def record_created(entity: str, entity_id: int, values: dict) -> None:
    """Record a row inserted with a Core ``INSERT`` (not through the ORM), with its values; secrets and
    file contents are left out as for ORM inserts. Written in the current transaction (or savepoint)."""
    _insert(created_row(entity, entity_id, values))


def created_row(entity: str, entity_id: int, values: dict) -> dict:
    """The audit row :func:`record_created` writes, for a caller that writes it in its own statement (the
    columns of :data:`TABLE`)."""
    return _row(AuditAction.CREATE, entity, entity_id,
                {k: _plain(v) for k, v in values.items() if v is not None and k not in SKIPPED_COLUMNS}, _who())


def record_view(entity: str, entity_id: int | None, what: str, **details) -> None:
    """Record that the current staff user saw a citizen's personal data.

    ``what`` names the page (e.g. "day board"), ``details`` say which list or filter (plain values).
    One event per page view is enough. Written in the current transaction; the caller commits.
    """
    _insert(_row(AuditAction.VIEW, entity, entity_id,
                 {"page": what, **{k: _plain(v) for k, v in details.items()}}, _who()))


def record_views(entity: str, entity_ids: list[int], what: str, **details) -> None:
    """``record_view`` of each of ``entity_ids`` (e.g. the sessions a page shows), in one statement."""
    if not entity_ids:
        return
    who, changes = _who(), {"page": what, **{k: _plain(v) for k, v in details.items()}}
    _insert(*(_row(AuditAction.VIEW, entity, entity_id, changes, who) for entity_id in entity_ids))
