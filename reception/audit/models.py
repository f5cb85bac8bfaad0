"""The append-only audit record. The database refuses UPDATE and DELETE on it (triggers, migration 0006)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..extensions import db


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    VIEW = "view"  # a staff member opened a page showing a citizen's personal data


class AuditEvent(db.Model):
    """Who did what to which record, when and from where. Never updated, never deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # No foreign key: the record must outlive (and never block) changes to the users table.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "audit_action"))
    entity: Mapped[str] = mapped_column(String(64))      # e.g. "appointment", "legal_opinion"
    entity_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[str | None] = mapped_column(Text)  # JSON: {field: [old, new]} or what was viewed
    ip: Mapped[str | None] = mapped_column(String(45))
    path: Mapped[str | None] = mapped_column(String(255))
