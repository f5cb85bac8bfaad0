"""Column types shared by all models."""
from __future__ import annotations

import enum
from datetime import UTC

from sqlalchemy import DateTime
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no zone, so the value is
    stored as naive UTC and read back as aware UTC. Naive input is refused:
    a naive time is a bug waiting for a time-zone change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def __repr__(self) -> str:
        return "UTCDateTime()"


def str_enum(enum_cls: type[enum.Enum], name: str) -> SAEnum:
    """A portable enum column: stored as its value in a VARCHAR with a CHECK."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def render_alembic_item(type_, obj, autogen_context):
    """Migrations spell UTCDateTime as the plain column type, so they never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
