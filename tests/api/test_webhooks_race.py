"""Two dispatchers expanding the same event at once write its deliveries once (both databases).

The event's row, the client and its two endpoints are committed on the app's engine (not the rolled-back test
connection) and deleted afterwards. Each dispatcher is a thread with its own application context and
connection, racing at the SELECT that takes due events (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, the second
skips the row the first holds; SQLite: the second waits for the write lock, then finds the row expanded).
"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.api.models import ApiClient
from reception.api.webhook_models import WebhookEndpoint
from reception.api.webhooks import APPOINTMENT_BOOKED
from reception.extensions import db
from reception.notifications import webhook
from reception.notifications.models import FAN_OUT, Channel, OutboxMessage, OutboxStatus
from reception.notifications.services import enqueue_event, expand_events
from tests.races import run_racers, statement

# Due in the distant past and expanded "then": events other tests committed (due now) are not due here.
THEN = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)
TAKE_EVENTS = statement(r"^SELECT .*\sFROM outbox_messages\s+WHERE outbox_messages\.channel = .*recipient = ")
_seq = itertools.count(1)


@pytest.fixture
def committed_event(app):
    with app.app_context():
        engine = db.engine
        n = next(_seq)
        with Session(engine) as s:
            client = ApiClient(name=f"race client {n} {THEN.timestamp()}", body_id=None, scopes="")
            s.add(client)
            s.flush()
            endpoints = [WebhookEndpoint(client_id=client.id, url=f"https://race{n}-{i}.example.kz/h",
                                         secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", events=APPOINTMENT_BOOKED)
                         for i in range(2)]
            s.add_all(endpoints)
            s.commit()
            ids = {"client": client.id, "endpoints": sorted(e.id for e in endpoints)}
        enqueue_event(APPOINTMENT_BOOKED, {"type": APPOINTMENT_BOOKED, "timestamp": THEN.isoformat(),
                                           "data": {"appointment_id": None}}, [])
        db.session.flush()
        event = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == FAN_OUT)
                                   .order_by(OutboxMessage.id.desc())).first()
        event.due_at = THEN
        ids["event"] = event.id
        db.session.commit()
    yield ids
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"webhook:{ids['event']}:%")))
        conn.execute(delete(OutboxMessage).where(OutboxMessage.id == ids["event"]))
        conn.execute(delete(WebhookEndpoint).where(WebhookEndpoint.client_id == ids["client"]))
        conn.execute(delete(ApiClient).where(ApiClient.id == ids["client"]))


def test_two_dispatchers_expand_an_event_into_one_delivery_per_endpoint(app, committed_event):
    outcomes = run_racers(app, [lambda: expand_events(THEN), lambda: expand_events(THEN)], TAKE_EVENTS)

    assert set(outcomes) == {2, "done"}, outcomes  # one wrote both deliveries, the other none (0: "done")
    with app.app_context():
        deliveries = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.intent).where(
            OutboxMessage.dedupe_key.like(f"webhook:{committed_event['event']}:%"))).all()
        event = db.session.get(OutboxMessage, committed_event["event"])
        assert event.status is OutboxStatus.SENT and event.channel is Channel.WEBHOOK
        db.session.remove()
    assert sorted(webhook.endpoint_of(OutboxMessage(intent=d.intent)) for d in deliveries) == \
        committed_event["endpoints"]
