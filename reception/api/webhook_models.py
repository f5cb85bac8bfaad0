"""Integration clients' webhook endpoints: where a client's system wants to hear of events, and the secret
its deliveries are signed with (Standard Webhooks; see reception.api.webhooks)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from .models import ApiClient


class WebhookEndpoint(db.Model):
    """One address of an integration client and the events it subscribes to. The signing secret is kept as it
    is (the dispatcher must sign with it); it is shown to the administrator only when made or replaced."""

    __tablename__ = "webhook_endpoints"
    __audit__ = "webhook_endpoint"  # made, given a new secret (the secret itself is never copied), disabled

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"), index=True)
    # At most 254 characters: the outbox row carries it as its recipient.
    url: Mapped[str] = mapped_column(String(254))
    # "whsec_" + base64 of 32 random bytes.
    secret: Mapped[str] = mapped_column(String(100))
    # Space-separated event types (see reception.api.webhooks.EVENTS).
    events: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    client: Mapped[ApiClient] = relationship()

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(self.events.split())

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None
