"""Personal access tokens: made (the secret shown once, its hash kept), listed, revoked, and found by a bearer
secret. Services add and flush; the caller commits."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.errors import Invalid, NotFound
from ..core.web import valid_id
from ..extensions import db
from .models import ApiToken
from .scopes import allowed_scopes

#: Every secret starts so: secret scanners and people recognise it, and a bearer header without it is not
#: looked up at all.
PREFIX = "rcp_"
MAX_DAYS = 366
#: A token's last use is written at most this often (every request would be a write on every read).
LAST_USED_EVERY = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, name: str, expires_at: datetime, scopes, now: datetime) -> tuple[ApiToken, str]:
    """Make a token for ``user`` named ``name`` with ``scopes`` until ``expires_at``; return it and its secret
    (shown to the user once; only its SHA-256 is stored). Raises Invalid for a scope the user may not
    hold, no scope, an empty name or an expiry that is past or more than a year away."""
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("Give the token a name."), field="name")
    scopes = sorted(set(scopes))
    if not scopes:
        raise Invalid(_l("Choose at least one scope."), field="scopes")
    beyond = set(scopes) - allowed_scopes(user)
    if beyond:
        raise Invalid(_l("You cannot give a token rights you do not have: %(scopes)s.",
                         scopes=", ".join(sorted(beyond))), field="scopes")
    check_expiry(expires_at, now)
    return issue_token(name, scopes, expires_at, now, user_id=user.id)


def check_expiry(expires_at: datetime, now: datetime) -> None:
    """Raises Invalid (field ``expires_on``) unless ``expires_at`` is after now and at most a year away."""
    if expires_at <= now or expires_at > now + timedelta(days=MAX_DAYS):
        raise Invalid(_l("The expiry must be within a year from today."), field="expires_on")


def issue_token(name: str, scopes, expires_at: datetime, now: datetime, *, user_id: int | None = None,
                client_id: int | None = None) -> tuple[ApiToken, str]:
    """Store a new token of a user or of an integration client (exactly one) with checked values; return it
    and its secret (only its SHA-256 and first characters are kept)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, client_id=client_id, name=name[:100], secret_hash=hash_secret(secret),
                     hint=secret[:10], scopes=" ".join(sorted(set(scopes))), expires_at=expires_at, created_at=now)
    db.session.add(token)
    db.session.flush()
    return token, secret


def list_tokens(user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too: the list says which)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.id.desc())))


def revoke_token(user, token_id: int, now: datetime) -> ApiToken:
    """Revoke the user's own token (from now on it answers 401). Raises NotFound for another user's token or
    none; revoking a revoked token changes nothing."""
    token = db.session.get(ApiToken, token_id) if valid_id(token_id) else None
    if token is None or token.user_id != user.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.flush()
    return token


def find_token(secret: str | None, now: datetime) -> ApiToken | None:
    """The usable token whose secret this is (not revoked, not expired, its user or client active), or None; records
    its use (at most once a minute)."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == hash_secret(secret)))
    if token is None or not token.is_usable(now):
        return None
    owner = token.user if token.user_id is not None else token.client
    if not owner.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
        db.session.flush()
    return token


def effective_scopes(token: ApiToken) -> frozenset[str]:
    """What the token may do now: its scopes that its user (or its client) may still do."""
    if token.client_id is not None:
        return token.scope_set & token.client.scope_set
    return token.scope_set & allowed_scopes(token.user)
