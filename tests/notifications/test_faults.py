"""Gateways that fail: the SMTP server and the SMS gateway down for a while, or not answering.

Real servers on loopback, taken down and brought back on the same port; the dispatcher runs in this
process with the clock moved by its ``now``. Messages wait while a gateway is down, are retried with
backoff (1, 2 … minutes) and go out exactly once when it is back. A gateway that does not answer is
cut off at the send limit (RECEPTION_SMTP_TIMEOUT, RECEPTION_SMS_TIMEOUT), well inside the claim's
lease. What such a cut-off leaves open is said where it is tested: an SMTP server that has not
answered has not accepted the message, so the retry is the only copy; an HTTP gateway may have acted
on a request it never answered, so the retry carries the same Idempotency-Key for it to recognise.
"""
from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete

from reception.core.clock import utcnow
from reception.notifications.channels import message_key
from reception.notifications.models import Channel, OutboxMessage, OutboxStatus
from reception.notifications.services import dispatch_due
from tests.notifications.conftest import GatewayServer, _start_smtp, free_port
from tests.notifications.test_dispatch import add_message

LIMIT = 1  # seconds: the send limit these tests configure for a gateway that does not answer


@pytest.fixture(autouse=True)
def outbox_of_this_test_only(db):
    """Other tests' committed rows are hidden in this test's transaction (rolled back afterwards)."""
    db.session.execute(delete(OutboxMessage))
    db.session.flush()


def add_sms(db) -> OutboxMessage:
    return add_message(db, channel=Channel.SMS, recipient="+77011234567", subject="", body_text="Your talon: A-17.")


def _timed_dispatch(now):
    started = time.monotonic()
    result = dispatch_due(now=now)
    return result, time.monotonic() - started


def test_mail_server_down_for_a_while_messages_wait_and_go_out_once_when_it_is_back(ctx, db, app, monkeypatch):
    port = free_port()  # nothing listens there yet: the server is down
    monkeypatch.setitem(app.config, "MAIL_TRANSPORT", "smtp")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_SECURITY", "none")
    message = add_message(db)
    now = utcnow()

    assert dispatch_due(now=now).retried == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING and message.due_at == now + timedelta(minutes=1)
    assert f"127.0.0.1:{port}" in message.last_error and "Connection refused" in message.last_error
    assert dispatch_due(now=now + timedelta(seconds=59)).retried == 0  # it waits
    assert dispatch_due(now=now + timedelta(minutes=1)).retried == 1
    db.session.refresh(message)
    assert message.due_at == now + timedelta(minutes=3)  # backoff: then 2 minutes

    smtp, controller = _start_smtp(app, monkeypatch, port=port)  # back, on the same port
    try:
        assert dispatch_due(now=now + timedelta(minutes=2, seconds=59)).sent == 0
        assert dispatch_due(now=now + timedelta(minutes=3)).sent == 1
        assert dispatch_due(now=now + timedelta(days=1)).sent == 0
    finally:
        controller.stop()
    assert len(smtp.received) == 1
    assert smtp.received[0].message["Message-ID"] == f"<{message_key(message)}@reception.test>"
    db.session.refresh(message)
    assert (message.status, message.attempts, message.locked_until) == (OutboxStatus.SENT, 3, None)


def test_sms_gateway_down_for_a_while_messages_wait_and_go_out_once_when_it_is_back(ctx, db, app, monkeypatch,
                                                                                  sms_gateway):
    monkeypatch.setitem(app.config, "SMS_GATEWAY_BODY", '{"to": "$to", "text": "$text", "key": "$key"}')
    port = sms_gateway.server.port
    sms_gateway.server.stop()  # down: connections are refused
    message = add_sms(db)
    now = utcnow()

    assert dispatch_due(now=now).retried == 1
    assert dispatch_due(now=now + timedelta(minutes=1)).retried == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING and message.due_at == now + timedelta(minutes=3)
    assert f"SMS gateway 127.0.0.1:{port}" in message.last_error and "refused" in message.last_error
    assert sms_gateway.requests == []

    sms_gateway.server = GatewayServer(sms_gateway, port)  # back, on the same port
    assert dispatch_due(now=now + timedelta(minutes=3)).sent == 1
    assert dispatch_due(now=now + timedelta(days=1)).sent == 0
    [request] = sms_gateway.requests
    key = message_key(message)
    assert request.headers["Idempotency-Key"] == key
    assert request.json() == {"to": "+77011234567", "text": "Your talon: A-17.", "key": key}
    db.session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 3)


def test_mail_server_that_does_not_answer_is_cut_off_at_the_limit_and_the_message_arrives_once(
        ctx, db, app, monkeypatch, smtp_server):
    """Cut off before the server answered DATA: the server has not accepted the message (it drops it when
    the connection goes), so the retry, with the same Message-ID, is the one copy that arrives."""
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", LIMIT)
    smtp_server.hold_at = "DATA"
    message = add_message(db)
    now = utcnow()

    result, took = _timed_dispatch(now)
    assert result.retried == 1
    assert took < LIMIT + 2  # the limit, not the server, ended the send
    assert smtp_server.gone.wait(10) and smtp_server.abandoned == 1
    db.session.refresh(message)
    assert "no answer within 1 s (RECEPTION_SMTP_TIMEOUT)" in message.last_error

    smtp_server.hold_at = None
    smtp_server.release.set()
    assert dispatch_due(now=now + timedelta(minutes=1)).sent == 1
    [received] = smtp_server.received
    assert received.message["Message-ID"] == f"<{message_key(message)}@reception.test>"
    db.session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_sms_gateway_that_does_not_answer_is_cut_off_and_the_retry_carries_the_same_idempotency_key(
        ctx, db, app, monkeypatch, sms_gateway):
    """An HTTP gateway that was cut off may still send the SMS it never answered for: the retry carries
    the same Idempotency-Key (and body), so a gateway that honours the key sends it once."""
    monkeypatch.setitem(app.config, "SMS_TIMEOUT", LIMIT)
    sms_gateway.hold = True
    message = add_sms(db)
    now = utcnow()

    result, took = _timed_dispatch(now)
    assert result.retried == 1
    assert took < LIMIT + 2
    db.session.refresh(message)
    assert "no answer within 1 s (RECEPTION_SMS_TIMEOUT)" in message.last_error

    sms_gateway.hold = False
    sms_gateway.release.set()
    assert dispatch_due(now=now + timedelta(minutes=1)).sent == 1
    first, second = sms_gateway.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == message_key(message)
    assert first.body == second.body


@pytest.fixture
def trickling_gateway(app, monkeypatch):
    """A gateway that reads the request and answers one byte every 0.3 s, never finishing: no single read
    waits long, so only a limit on the whole send ends it."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 1000:
                if stop.wait(0.3):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setitem(app.config, "SMS_TRANSPORT", "http")
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", f"http://127.0.0.1:{listener.getsockname()[1]}/send")
    yield
    stop.set()
    listener.close()
    thread.join(timeout=5)


def test_a_gateway_trickling_its_answer_cannot_stretch_a_send_past_its_limit(ctx, db, app, monkeypatch,
                                                                             trickling_gateway):
    monkeypatch.setitem(app.config, "SMS_TIMEOUT", LIMIT)
    message = add_sms(db)

    result, took = _timed_dispatch(utcnow())
    assert result.retried == 1
    assert took < LIMIT + 2  # without the limit on the whole send it would take 5 minutes
    db.session.refresh(message)
    assert "no answer within 1 s" in message.last_error
