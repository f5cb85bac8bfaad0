"""Real dispatcher processes (`flask notifications dispatch`) against a real, slow SMTP server on loopback.

Each dispatcher is a subprocess of its own, with its own connection to the test database (the run's
SQLite file or PostgreSQL schema), as in production. The messages are committed for real, due long
ago (so they are due for the dispatchers whatever the clock says), and deleted afterwards; only
this test's rows are looked at (another test's leftovers that happen to be due may be sent too).

- Several dispatchers and a server that takes seconds per message: every message arrives exactly
  once. Before the fix (a dispatcher claimed a hundred rows under one lease and sent them one by
  one), the others took back the rows whose lease ran out while the first was still sending, and
  sent them again.
- A dispatcher killed (SIGKILL) while the server holds its message, not yet accepted: the message is
  not lost (it is sent once its claim's lease has passed) and arrives once.
- Killed after the server accepted the message and before the row was marked sent: no protocol
  closes that window. The message is sent again after the lease, with the same Message-ID, so the
  receiving side can drop the twin: at least once, never silently lost.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.extensions import db
from reception.notifications.models import Channel, OutboxMessage, OutboxStatus
from reception.notifications.services import LEASE_SLACK, dispatch_due
from tests.notifications.conftest import MAIL_FROM, _start_smtp

ROOT = Path(__file__).resolve().parents[2]
THEN = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)  # the messages' due time: long past for every clock
MESSAGES = 16
DELAY = 2.5  # seconds the server takes per message
SEND_LIMIT = 8  # RECEPTION_SMTP_TIMEOUT for the test: a claim lasts 2 x 8 + 10 = 26 s, less than one
#               dispatcher needs for all the messages (16 x 2.5 = 40 s)
COMPANY = 5.0  # the server holds the first message (at most this long, plus DELAY: within SEND_LIMIT)
#               until a second is being sent, so that the dispatchers are seen to overlap
WAIT = 120.0  # seconds to wait for the dispatchers at most (a guard: they finish long before)


def _database_url_for_subprocess(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        return database_url
    from tests.conftest import _pg_schema  # the run's own schema (see tests/conftest.py)

    return f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{_pg_schema()}"


class Dispatchers:
    """Dispatcher subprocesses running the real command against the test database and SMTP server."""

    def __init__(self, database_url: str, smtp_port: int, tmp_path: Path):
        self.env = {**os.environ, "FLASK_APP": "wsgi.py", "RECEPTION_ENV": "testing",
                    "RECEPTION_SECRET_KEY": "test-secret-for-dispatcher-processes",
                    "RECEPTION_DATABASE_URL": _database_url_for_subprocess(database_url),
                    "RECEPTION_MAIL_TRANSPORT": "smtp", "RECEPTION_MAIL_FROM": MAIL_FROM,
                    "RECEPTION_SMTP_HOST": "127.0.0.1", "RECEPTION_SMTP_PORT": str(smtp_port),
                    "RECEPTION_SMTP_SECURITY": "none", "RECEPTION_SMTP_USERNAME": "",
                    "RECEPTION_SMTP_TIMEOUT": str(SEND_LIMIT), "NO_PROXY": "127.0.0.1,localhost"}
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str, send_limit: int = SEND_LIMIT) -> subprocess.Popen:
        n = len(self.processes)
        log = (self.tmp_path / f"dispatcher-{n}.log").open("wb")
        process = subprocess.Popen([sys.executable, "-m", "flask", "notifications", "dispatch", *args],
                                   cwd=ROOT, env={**self.env, "RECEPTION_SMTP_TIMEOUT": str(send_limit)},
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- dispatcher {n} ---\n{(self.tmp_path / f'dispatcher-{n}.log').read_text()}"
                         for n in range(len(self.processes)))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def committed(engine):
    """Commit outbox rows for real (the dispatchers are other processes); deleted afterwards."""
    made: list[int] = []

    def commit(count: int, tag: str) -> list[int]:
        with Session(engine) as s:
            rows = [OutboxMessage(kind="process-test", channel=Channel.EMAIL, recipient=f"{tag}-{i}@example.kz",
                                  locale="en", subject=f"Message {i}", body_text=f"Message {i}.",
                                  due_at=THEN + timedelta(seconds=i))
                    for i in range(count)]
            s.add_all(rows)
            s.commit()
            ids = [m.id for m in rows]
        made.extend(ids)
        return ids

    yield commit
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(made)))


def _rows(engine, ids: list[int]) -> list[OutboxMessage]:
    with Session(engine) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)).all()
        s.expunge_all()
        return list(rows)


def _wait_until(condition, what: str, timeout: float = WAIT) -> None:
    """Poll for a condition the processes bring about (not a sleep that orders anything)."""
    ends = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > ends:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def slow_smtp(app, monkeypatch):
    state, controller = _start_smtp(app, monkeypatch)
    yield state
    state.release.set()
    controller.stop()


@pytest.mark.parametrize("count", [2, 4])
def test_dispatcher_processes_and_a_slow_mail_server_deliver_every_message_exactly_once(
        app, database_url, engine, committed, slow_smtp, tmp_path, count):
    ids = committed(MESSAGES, f"slow{count}")
    slow_smtp.delay = DELAY
    slow_smtp.wait_for_company = COMPANY
    dispatchers = Dispatchers(database_url, slow_smtp.port, tmp_path)
    try:
        for _ in range(count):
            dispatchers.start("--loop", "--interval", "0.2")

        def all_sent():
            return all(m.status is OutboxStatus.SENT for m in _rows(engine, ids))
        _wait_until(all_sent, "every message to be marked sent")
        # A twin still on its way would arrive now: wait until the server has nothing in flight.
        _wait_until(lambda: slow_smtp.in_flight == 0, "the server to finish what it is being sent")
    finally:
        dispatchers.stop()

    assert slow_smtp.most_in_flight >= 2, "the dispatchers never sent at the same time\n" + dispatchers.logs()
    rows = _rows(engine, ids)
    arrived = Counter(r.message["Message-ID"] for r in slow_smtp.received)
    for row in rows:
        copies = slow_smtp.for_outbox_row(row.id)
        assert len(copies) == 1, f"outbox row {row.id} arrived {len(copies)} times\n" + dispatchers.logs()
        assert copies[0].rcpt_tos == [row.recipient]
        assert arrived[copies[0].message["Message-ID"]] == 1
    # Each message was claimed once: no dispatcher ever took over another's claim.
    assert {(m.status, m.attempts) for m in rows} == {(OutboxStatus.SENT, 1)}
    assert all(m.sent_at is not None and m.locked_until is None for m in rows)


def _kill_while_held(app, database_url, engine, smtp, tmp_path, ids) -> OutboxMessage:
    """Start one dispatcher, wait until the server holds its message, SIGKILL it, and wait until the
    server has seen the connection go; returns the row as the dead dispatcher left it."""
    dispatchers = Dispatchers(database_url, smtp.port, tmp_path)
    process = dispatchers.start(send_limit=30)  # the send would wait 30 s: the kill comes long before
    try:
        assert smtp.holding.wait(WAIT), "the dispatcher never reached the server\n" + dispatchers.logs()
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=20) == -signal.SIGKILL
        assert smtp.gone.wait(20), "the server did not see the dispatcher go"
    finally:
        dispatchers.stop()
    [row] = _rows(engine, ids)
    assert row.status is OutboxStatus.SENDING and row.attempts == 1
    assert row.locked_until is not None
    return row


def _dispatch_at(app, monkeypatch, moment: datetime):
    """Dispatch in this process with the clock at ``moment`` (leases are read by the clock); due times
    are read at THEN, so only claims whose lease has passed are taken, not other tests' leftovers."""
    monkeypatch.setitem(app.config, "CLOCK", lambda: moment)
    with app.app_context():
        try:
            return dispatch_due(now=THEN)
        finally:
            db.session.remove()


def test_dispatcher_killed_before_the_server_accepted_the_message_loses_nothing_and_sends_it_once(
        app, database_url, engine, committed, monkeypatch, tmp_path):
    smtp, controller = _start_smtp(app, monkeypatch)
    try:
        ids = committed(1, "killed-before")
        smtp.hold_at = "DATA"  # the whole message arrives; the server holds its answer (no 250 yet)
        row = _kill_while_held(app, database_url, engine, smtp, tmp_path, ids)
        assert smtp.received == [] and smtp.abandoned == 1  # never accepted, so never delivered
        smtp.hold_at = None

        # The dead dispatcher's claim stands until its lease has passed: nobody sends meanwhile.
        lease_ends = row.locked_until
        result = _dispatch_at(app, monkeypatch, lease_ends - timedelta(seconds=1))
        assert (result.sent, result.retried, result.failed) == (0, 0, 0)
        assert smtp.received == []

        result = _dispatch_at(app, monkeypatch, lease_ends)
        assert result.sent == 1
    finally:
        smtp.release.set()
        controller.stop()
    assert len(smtp.for_outbox_row(ids[0])) == 1 and len(smtp.received) == 1
    [row] = _rows(engine, ids)
    assert (row.status, row.attempts, row.locked_until) == (OutboxStatus.SENT, 2, None)


def test_dispatcher_killed_after_the_server_accepted_the_message_sends_it_again_with_the_same_message_id(
        app, database_url, engine, committed, monkeypatch, tmp_path):
    """The window no protocol closes: the server accepted the message (250) and the dispatcher died before
    it marked the row sent. The row cannot tell, so the message goes out again after the lease: at least
    once. Both copies carry the same Message-ID (and bytes), so the receiving side can drop the twin."""
    smtp, controller = _start_smtp(app, monkeypatch)
    try:
        ids = committed(1, "killed-after")
        smtp.hold_at = "QUIT"  # the message is accepted; the dispatcher waits for the answer to QUIT
        row = _kill_while_held(app, database_url, engine, smtp, tmp_path, ids)
        assert len(smtp.received) == 1
        smtp.hold_at = None

        result = _dispatch_at(app, monkeypatch, row.locked_until)
        assert result.sent == 1
    finally:
        smtp.release.set()
        controller.stop()
    first, second = smtp.for_outbox_row(ids[0])
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.message.as_bytes() == second.message.as_bytes()
    [row] = _rows(engine, ids)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


def test_a_claim_outlasts_the_longest_send(app):
    """The lease is derived from the send limits, so a send that is cut off at its limit ends inside it."""
    from reception.notifications.services import lease_for

    for channel, key in ((Channel.EMAIL, "SMTP_TIMEOUT"), (Channel.SMS, "SMS_TIMEOUT")):
        limit = timedelta(seconds=app.config[key])
        assert lease_for(channel, app.config) >= limit + LEASE_SLACK + limit
        assert lease_for(channel, {key: SEND_LIMIT}) == timedelta(seconds=2 * SEND_LIMIT) + LEASE_SLACK
