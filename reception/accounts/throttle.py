"""The login throttle's keys and the known-device cookie.

Failed logins are counted per account (however it was named: e-mail or IIN resolve to the account; a login
that names no account is counted by its normalised form), per client address, and, for a device that has
logged in to the account before, per device. The limits grow (RECEPTION_LOGIN_ATTEMPTS: 5 a minute, 10 in
5 minutes, 15 in 15 minutes …), so an attacker waits longer and longer. A device that has logged in to
the account before carries a signed, long-lived cookie naming it: its logins are counted by the device
alone, so the account's owner is never locked out by someone else's failures.
"""
from __future__ import annotations

import secrets

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import client_address
from .services import find_user_for_login

KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_DAYS = 365
_SALT = "known-device"
_MAX_ACCOUNTS = 5  # accounts remembered per device (a shared family computer)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _typed_login() -> str:
    return (request.form.get("login") or "").strip().lower()[:254]


def account_id() -> int | None:
    """The id of the account the login form names, or None (once per request)."""
    if "throttle_account_id" not in g:
        user = find_user_for_login(_typed_login()) if _typed_login() else None
        g.throttle_account_id = user.id if user is not None else None
    return g.throttle_account_id


def account_key() -> str:
    """The account, however it was named; an unknown login by its normalised form."""
    ident = account_id()
    return f"login:user:{ident}" if ident is not None else "login:unknown:" + _typed_login()


def _device() -> dict | None:
    raw = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=KNOWN_DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("d"), str) else None


def is_known_device() -> bool:
    """The request comes from a device that has logged in to the named account before."""
    device, ident = _device(), account_id()
    return device is not None and ident is not None and ident in (device.get("u") or [])


def is_unknown_device() -> bool:
    return not is_known_device()


def device_key() -> str:
    device = _device()
    return "login:device:" + (device["d"] if device else "none")


def remember_device(response, user_id: int):
    """Mark the device that just logged in to ``user_id`` as known to that account (a signed cookie)."""
    device = _device() or {"d": secrets.token_urlsafe(16), "u": []}
    accounts = [user_id] + [u for u in device.get("u") or [] if u != user_id]
    value = _serializer().dumps({"d": device["d"], "u": accounts[:_MAX_ACCOUNTS]})
    response.set_cookie(KNOWN_DEVICE_COOKIE, value, max_age=KNOWN_DEVICE_DAYS * 86400, httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), samesite="Lax")
    return response


def reset_key() -> str:
    """Password reset requests: the account named, however (e-mail, IIN, phone), or the login typed."""
    ident = account_id()
    return f"reset:user:{ident}" if ident is not None else "reset:unknown:" + _typed_login()


def address_key() -> str:
    return "login:address:" + client_address()
