"""Signed-in sessions: who a session belongs to, and when it stops working.

A session (Flask's signed cookie) names its user by ``"id:version"`` (``User.get_id``). The user
loader below accepts it only while the account is active and its ``session_version`` is still that
version: raising the version (``User.end_sessions``: a password reset, "log out everywhere", logging
out, a role change, disabling the account) ends every copy of every earlier session cookie at once.
Staff sessions (every role but citizen) also end after ``RECEPTION_STAFF_IDLE_MINUTES`` without a
request; the time of the last request travels in the session (``_seen``), signed like the rest.
"""
from __future__ import annotations

from flask import current_app, session
from flask_login import login_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.local import LocalProxy

from ..core.clock import utcnow
from ..extensions import db
from .models import User, parse_session_token

#: The session key holding the moment (Unix seconds, the app clock) of a staff member's last request.
LAST_SEEN = "_seen"


# Built once: every signed-in request runs it.
_USER_WITH_ROLES = (select(User).options(joinedload(User.role_rows))
                    .where(User.id == bindparam("user_id"), User.session_version == bindparam("version")))


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the session's user, or None when the session has ended.

    One statement loads the user and their roles (every signed-in request pays for it); the version
    is part of its WHERE clause, so a revoked session costs nothing more.
    """
    parsed = parse_session_token(token)
    if parsed is None:
        return None
    user_id, version = parsed
    user = db.session.scalars(_USER_WITH_ROLES, {"user_id": user_id, "version": version}).unique().first()
    if user is None or not user.is_active:
        return None
    if user.is_staff and not _still_active(session):
        return None
    return user


def _still_active(store) -> bool:
    """A staff session is alive while its last request is no older than the idle time; this request
    then counts as the last one."""
    now = int(utcnow().timestamp())
    seen = store.get(LAST_SEEN)
    idle = int(current_app.config["STAFF_IDLE_MINUTES"]) * 60
    if not isinstance(seen, int) or now - seen > idle:
        store.pop(LAST_SEEN, None)
        return False
    if seen != now:
        store[LAST_SEEN] = now
    return True


def start_session(user: User) -> None:
    """Sign ``user`` in on this browser with the account's current session version."""
    # current_user itself (a proxy) would make the request's user a proxy to itself: unwrap it.
    login_user(user._get_current_object() if isinstance(user, LocalProxy) else user)
    session[LAST_SEEN] = int(utcnow().timestamp())
