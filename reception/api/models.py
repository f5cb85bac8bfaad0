"""The API's tokens (a user's personal tokens and integration clients' tokens), integration clients, and the
responses kept for Idempotency-Key.

A token belongs to exactly one of a user (personal) or an integration client (a body's system, made by an
administrator): a CHECK says so. A personal token may do its scopes that its user may still do; a client's
token its scopes that its client still holds, while the client is active.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..directory.models import Body
from ..extensions import db


class ApiClient(db.Model):
    """An integration client: another system (a body's own system, the appeals system) that calls the API
    with its own tokens and scopes, made and disabled by an administrator."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The body whose system it is; NULL for a national system (the appeals system).
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    # Space-separated scope names (see reception.api.scopes: INTEGRATION_SCOPES).
    scopes: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    body: Mapped[Body | None] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class ApiToken(db.Model):
    """A token of a user (personal) or of an integration client: only the SHA-256 of its secret is kept; the
    secret is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (client_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 hex of the whole secret ("rcp_..."): what a bearer header is looked up by.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's first characters, so the owner recognises a token in the list (never enough to use it).
    hint: Mapped[str] = mapped_column(String(12))
    # Space-separated scope names (see reception.api.scopes).
    scopes: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship()
    client: Mapped[ApiClient | None] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class IdempotentResponse(db.Model):
    """The response a create (POST with an Idempotency-Key) gave, replayed when the same token sends the key
    again; ``request_hash`` tells a repeat from a different request under the same key."""

    __tablename__ = "api_idempotent_responses"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
