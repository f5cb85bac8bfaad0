"""Audit fixtures: the booking and request-mode fixtures, and reading the audit record."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reception.audit.models import AuditAction, AuditEvent

CLIENT_IP = "203.0.113.7"


def events(db, **where) -> list[AuditEvent]:
    """The audit events matching ``where`` (column=value), oldest first."""
    db.session.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.id > db.audit_floor).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(stmt))


def changes(event: AuditEvent) -> dict:
    return json.loads(event.changes) if event.changes else {}


@pytest.fixture
def from_ip(client):
    """The test client's requests come from CLIENT_IP."""
    client.environ_base["REMOTE_ADDR"] = CLIENT_IP
    return CLIENT_IP


__all__ = ["AuditAction", "changes", "events"]
