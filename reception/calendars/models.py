"""Subscribable calendar feeds at secret-token addresses their owners can rotate."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..extensions import db


class FeedKind(enum.StrEnum):
    OFFICIAL = "official"  # an official's agenda: sessions and appointments (private)
    STUDIO = "studio"      # a studio's bookings (private)
    BODY = "body"          # a body's public reception sessions (no personal data)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(db.Model):
    """One feed per official, studio or body; ``token`` is its address, replaced on rotation."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind] = mapped_column(str_enum(FeedKind, "feed_kind"))
    target_id: Mapped[int] = mapped_column()  # officials.id, venues.id or bodies.id by kind
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
