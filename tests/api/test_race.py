"""Concurrent API bookings of one slot: exactly one winner, every loser a 409 problem (on SQLite and PostgreSQL;
200 racers on PostgreSQL). Two requests racing with one Idempotency-Key book once and answer alike.

Each racer is a real request through the app (its own thread, application context, session and pooled
connection) with its own citizen's token; tests.races holds the first to finish at the contended point until
another has reached it too. The data is committed on the app's engine and deleted afterwards."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.api.models import ApiToken, IdempotentResponse
from reception.api.tokens import PREFIX, hash_secret
from reception.booking.models import Appointment, Reservation
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Body, Official, Region, Topic, Venue
from reception.extensions import db as _db
from reception.extensions import limiter
from reception.notifications.models import OutboxMessage
from reception.schedule.models import ReceptionSession, Slot
from tests.booking.fixtures import new_office, new_session
from tests.conftest import _PASSWORD_HASH
from tests.races import run_racers, statement

# Bookings of one slot queue on its row: the statement that loads the slot locks it (and the citizen's row).
CLAIM = statement(r"\sFROM users JOIN slots ON slots\.id = ")
_seq = itertools.count(1)


def racers(app) -> int:
    return 200 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else 20


@pytest.fixture
def api_race_world(app):
    """An official with one session of one slot, and as many citizens as racers, each with a token."""
    with app.app_context():
        engine = _db.engine
    n = next(_seq)
    count = racers(app)
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        body, official, venue = new_office(region, f"api-race-{n}")
        session = new_session(official, venue, slots=1)
        citizens = [User(email=f"api-race{n}-{i}@example.kz", full_name=f"Racer {i}", password_hash=_PASSWORD_HASH,
                         language="en", region_id=region.id, role_rows=[UserRole(role=Role.CITIZEN)])
                    for i in range(count)]
        s.add_all([body, official, venue, session, *citizens])
        s.flush()
        secrets = [f"{PREFIX}race-{n}-{i}-{'x' * 20}" for i in range(count)]
        s.add_all([ApiToken(user_id=c.id, name="race", secret_hash=hash_secret(secret), hint=secret[:10],
                            scopes="appointments:read appointments:write", expires_at=utcnow() + timedelta(days=1),
                            created_at=utcnow()) for c, secret in zip(citizens, secrets, strict=True)])
        s.commit()
        world = {"slot_id": session.slots[0].id, "secrets": secrets,
                 "topic_id": s.scalars(select(Topic.id).order_by(Topic.id)).first()}
        made = {"body": body.id, "official": official.id, "venue": venue.id, "session": session.id,
                "users": [c.id for c in citizens]}
    yield world
    with engine.begin() as conn:
        appointments = select(Appointment.id).where(Appointment.citizen_id.in_(made["users"]))
        tokens = select(ApiToken.id).where(ApiToken.user_id.in_(made["users"]))
        conn.execute(delete(IdempotentResponse).where(IdempotentResponse.token_id.in_(tokens)))
        conn.execute(delete(ApiToken).where(ApiToken.user_id.in_(made["users"])))
        conn.execute(delete(Reservation).where(Reservation.appointment_id.in_(appointments)))
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(made["users"])))
        conn.execute(delete(Appointment).where(Appointment.citizen_id.in_(made["users"])))
        conn.execute(delete(Slot).where(Slot.session_id == made["session"]))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id == made["session"]))
        conn.execute(delete(Venue).where(Venue.id == made["venue"]))
        conn.execute(delete(Official).where(Official.id == made["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(made["users"])))
        conn.execute(delete(User).where(User.id.in_(made["users"])))
        conn.execute(delete(Body).where(Body.id == made["body"]))


def _booking(app, world, secret, key=None):
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    if key:
        headers["Idempotency-Key"] = key
    body = {"slot_id": world["slot_id"], "format": "in_person", "topic_id": world["topic_id"], "summary": "race"}

    def book():
        return app.test_client().post("/api/v1/me/appointments", json=body, headers=headers)
    return book


def _appointments(app, world) -> list[int]:
    with app.app_context():
        try:
            return list(_db.session.scalars(select(Appointment.id).where(Appointment.slot_id == world["slot_id"])))
        finally:
            _db.session.remove()


def test_concurrent_api_bookings_of_one_slot_have_exactly_one_winner(app, api_race_world):
    limiter.reset()
    responses = run_racers(app, [_booking(app, api_race_world, s) for s in api_race_world["secrets"]], CLAIM)
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, statuses
    losers = [r for r in responses if r.status_code != 201]
    assert {r.status_code for r in losers} == {409}
    assert all(r.mimetype == "application/problem+json" and r.json["detail"] == "This time has just been taken."
               and r.json["alternatives"] == [] for r in losers)
    assert len(_appointments(app, api_race_world)) == 1


def test_two_requests_racing_with_one_idempotency_key_book_once(app, api_race_world):
    limiter.reset()
    secret = api_race_world["secrets"][0]
    twice = [_booking(app, api_race_world, secret, key="race-key-0001") for _ in range(2)]
    # One token: on PostgreSQL the second request waits for the first at the token's row (its last use is
    # written), on SQLite for the write lock; then it finds the first's stored answer and replays it.
    responses = run_racers(app, twice, {"postgresql": statement(r"^UPDATE api_tokens SET last_used_at"),
                                        "sqlite": statement(r"FROM api_idempotent_responses")})
    assert [r.status_code for r in responses] == [201, 201], [r.json for r in responses]
    assert responses[0].json == responses[1].json
    assert _appointments(app, api_race_world) == [responses[0].json["id"]]
