"""API fixtures: tokens made through the service (as the tokens page makes them), and an API client that sends
one."""
from __future__ import annotations

from datetime import timedelta

import pytest

from reception.api.scopes import APPOINTMENTS_READ, APPOINTMENTS_WRITE
from reception.api.tokens import create_token
from reception.core.clock import utcnow
from reception.extensions import db as _db

CITIZEN_SCOPES = (APPOINTMENTS_READ, APPOINTMENTS_WRITE)


@pytest.fixture
def make_token(db):
    """``make_token(user, scopes=..., days=30)`` -> the secret of a new token of ``user``."""
    def make(user, scopes=CITIZEN_SCOPES, days: int = 30) -> str:
        with _db.test_app.test_request_context():
            _token, secret = create_token(user, "test", utcnow() + timedelta(days=days), scopes, utcnow())
        _db.session.commit()
        return secret
    return make


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def citizen_token(make_user, make_token):
    user = make_user()
    return user, make_token(user)


@pytest.fixture
def free_session(db, make_session):
    """A planned self-booked session in two days with three free slots (and its official), committed (the
    API's error answers roll back what the request did, as they should)."""
    session = make_session()
    db.session.commit()
    return session


def booking_body(slot_id: int, topic_id: int, **overrides) -> dict:
    body = {"slot_id": slot_id, "format": "in_person", "topic_id": topic_id, "summary": "My land plot was taken."}
    body.update(overrides)
    return body


def future(days: int = 2):
    return utcnow() + timedelta(days=days)
