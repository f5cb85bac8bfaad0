"""Personal access tokens of the API and the responses kept for Idempotency-Key.

Integration clients (a body's system, created by an administrator) are not here yet: they would get their
own table (``api_clients``: name, body, scopes, created_by) and tokens a nullable ``client_id`` next to a
then nullable ``user_id`` (exactly one of the two set, a CHECK); the token's rights would then be its scopes
intersected with the client's.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db


class ApiToken(db.Model):
    """A user's personal access token: only the SHA-256 of its secret is kept; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
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

    user: Mapped[User] = relationship()

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
