"""Bearer tokens on the API: who calls, with which scope, and the per-token rate limit's key.

A session cookie is not accepted: the API never looks at the signed-in user, only at the
``Authorization: Bearer`` header.
"""
from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from ..core.clock import utcnow
from ..extensions import client_address
from .problems import ApiProblem, unauthorized
from .tokens import PREFIX, effective_scopes, find_token, hash_secret


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def rate_limit_key() -> str:
    """A token's own budget (by its secret's hash: no database read before the limit), else the address's."""
    secret = bearer_secret()
    if secret and secret.startswith(PREFIX):
        return "api-token:" + hash_secret(secret)[:32]
    return "api-address:" + client_address()


def scoped(scope: str):
    """View decorator: a usable token whose effective scopes hold ``scope``; 401 without one, 403 without the
    scope. Sets ``g.api_token``, ``g.api_user`` (None for a client's token) and ``g.api_client`` (None for a
    personal token)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            secret = bearer_secret()
            if secret is None:
                raise unauthorized(_("Send a personal access token: Authorization: Bearer <token>."),
                                   invalid=False)
            token = find_token(secret, utcnow())
            if token is None:
                raise unauthorized(_("This token is unknown, revoked or expired."), invalid=True)
            g.api_token, g.api_user, g.api_client = token, token.user, token.client
            if token.user is not None:
                # The token's user acts in this request (current_user, for the audit log and the permission
                # checks the services share with the pages), with no session.
                g._login_user = token.user
            if scope not in effective_scopes(token):
                raise ApiProblem(403, _("This token does not have the scope %(scope)s.", scope=scope))
            return view(*args, **kwargs)

        wrapped.api_scope = scope
        return wrapped

    return decorator
