"""Several dispatchers at once never send one message twice.

The messages are committed on the app's engine (not the rolled-back test connection) and deleted
afterwards. Each dispatcher is a thread with its own application context, hence its own Session on
its own pooled connection; a barrier starts them together, all against one real SMTP server that
answers slowly. PostgreSQL decides with FOR UPDATE SKIP LOCKED, SQLite by taking the write lock at
BEGIN (one claim at a time); the test runs on both.

The test proves that the dispatchers overlapped. A Race (tests.races) holds the first claim open until
another dispatcher's claim is running (PostgreSQL: it has to skip the locked rows) or waiting for the
write lock (SQLite). The SMTP server also holds the first message until a second dispatcher is sending
too: on both databases, since no transaction stays open while a message is sent (on SQLite it would
hold the one write lock and make the sends take turns). test_processes.py does the same with real
dispatcher processes and a server that takes seconds per message.
"""
from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.extensions import db
from reception.notifications.models import Channel, OutboxMessage, OutboxStatus
from reception.notifications.services import DispatchResult, dispatch_due
from tests.races import Race, statement

MESSAGES = 40
DISPATCHERS = 4
BATCH = 3
# The messages are due in the distant past and dispatched "then", so rows other tests may have
# committed (due now) are not due for these dispatchers: they send exactly this test's messages.
THEN = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)
# A dispatcher claims a message with a SELECT ... FOR UPDATE SKIP LOCKED (reception.notifications.services).
CLAIM = statement(r"^SELECT .*\sFROM outbox_messages\s+WHERE .*\sORDER BY outbox_messages\.due_at, outbox_messages\.id")
# On SQLite every transaction takes the one write lock at BEGIN, and most of a dispatcher's are not claims (it
# reads what it claimed, then marks it sent); the claims that queue behind another's are few, and on a busy
# machine a whole run could pass without one. Each round of a dispatcher opens with a claim of the same kind,
# of the webhook events to expand (SELECT ... ORDER BY id, FOR UPDATE SKIP LOCKED on PostgreSQL): on SQLite it
# counts too, so the four dispatchers starting at once meet there.
CLAIMS = {"postgresql": CLAIM, "sqlite": statement(
    r"^SELECT .*\sFROM outbox_messages\s+WHERE .*\sORDER BY (outbox_messages\.due_at, )?outbox_messages\.id\b")}
_seq = itertools.count(1)


@pytest.fixture
def committed_messages(app):
    with app.app_context():
        engine = db.engine
    n = next(_seq)
    with Session(engine) as s:
        rows = [OutboxMessage(kind="race", channel=Channel.EMAIL, recipient=f"race{n}-{i}@example.kz", locale="en",
                              subject=f"Race {i}", body_text=f"Message {i}.", due_at=THEN - timedelta(seconds=i))
                for i in range(MESSAGES)]
        s.add_all(rows)
        s.commit()
        ids = [m.id for m in rows]
    yield ids
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))


def _run_dispatchers(app, count: int) -> list[object]:
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count
    with app.app_context():
        engine = db.engine

    def run(i):
        with app.app_context(), race.racer(f"dispatcher {i}"):
            total = DispatchResult()
            try:
                barrier.wait(timeout=30)
                while True:
                    result = dispatch_due(limit=BATCH, now=THEN)
                    total.sent += result.sent
                    total.retried += result.retried
                    total.failed += result.failed
                    total.dropped += result.dropped
                    if not (result.sent or result.retried or result.failed or result.dropped):
                        break
                outcomes[i] = total
            except Exception as exc:
                db.session.rollback()
                outcomes[i] = exc
            finally:
                db.session.remove()

    with Race(engine, CLAIMS) as race:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a dispatcher hung"
    race.assert_overlapped()
    return outcomes


def test_four_dispatchers_at_once_send_every_message_exactly_once(app, committed_messages,
                                                                   smtp_server):
    smtp_server.delay = 0.02
    smtp_server.wait_for_company = 5.0
    outcomes = _run_dispatchers(app, DISPATCHERS)
    assert smtp_server.most_in_flight >= 2, "the dispatchers never sent at the same time"

    errors = [o for o in outcomes if not isinstance(o, DispatchResult)]
    assert errors == []
    assert sum(o.sent for o in outcomes) == MESSAGES
    assert sum(o.retried + o.failed + o.dropped for o in outcomes) == 0

    # Every row's Message-ID arrived once, at its own recipient, and nothing else arrived.
    arrived = Counter(smtp_server.message_ids())
    assert all(n == 1 for n in arrived.values()), [m for m, n in arrived.items() if n > 1]
    assert len(smtp_server.received) == MESSAGES
    for message_id in committed_messages:
        copies = smtp_server.for_outbox_row(message_id)
        assert len(copies) == 1, f"outbox row {message_id} arrived {len(copies)} times"

    with app.app_context():
        try:
            rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(committed_messages))).all()
            assert len(rows) == MESSAGES
            assert {(m.status, m.attempts) for m in rows} == {(OutboxStatus.SENT, 1)}
            assert all(m.sent_at is not None and m.locked_until is None for m in rows)
            by_row = {m.id: m.recipient for m in rows}
        finally:
            db.session.remove()
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(by_row.values())
    for message_id, recipient in by_row.items():
        assert smtp_server.for_outbox_row(message_id)[0].rcpt_tos == [recipient]
