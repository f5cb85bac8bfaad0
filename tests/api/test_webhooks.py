"""Webhooks to integration clients: a real HTTP receiver on loopback checks each delivery's Standard Webhooks
signature with the endpoint's secret; the outbox's dispatcher sends, retries with backoff and gives up; only
the clients that subscribed and may hear of the event get it; and administrators run the endpoints."""
from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import delete, select

from reception.api import webhooks
from reception.api.models import ApiClient
from reception.api.webhook_models import WebhookEndpoint
from reception.audit.models import AuditAction, AuditEvent
from reception.booking.services import book_slot
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications import webhook
from reception.notifications.models import FAN_OUT, Channel, OutboxMessage, OutboxStatus
from reception.notifications.services import dispatch_due, expand_events
from reception.outcomes.services import record_outcome, warn_followups
from reception.requests import services as request_services
from tests.conftest import csrf_from
from tests.outcomes.conftest import reception, with_instruction  # noqa: F401  (fixtures)
from tests.outcomes.test_languages import _questions

BOOKED, CANCELLED = webhooks.APPOINTMENT_BOOKED, webhooks.APPOINTMENT_CANCELLED


@dataclass
class Receiver:
    """What the receiver got (headers and the raw body of each POST), and the statuses it answers with in turn
    (the last one again when they run out)."""

    url: str = ""
    answers: list[int] = field(default_factory=lambda: [204])
    got: list[tuple[dict, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verified(self, secret: str) -> list[dict]:
        """The events whose signature is right for ``secret`` (a wrong one fails the test)."""
        events = []
        for headers, body in self.got:
            assert webhook.verify(secret, headers["webhook-id"], headers["webhook-timestamp"], body,
                                  headers["webhook-signature"]), "bad signature"
            events.append(json.loads(body))
        return events


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        receiver: Receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with receiver.lock:
            receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture
def receiver(app, monkeypatch):
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.receiver = state
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/reception"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setitem(app.config, "CONSOLE_STREAM", io.StringIO())  # the citizen's e-mails: not ours here
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def outbox_of_this_test_only(db):
    """Rows committed by other tests are hidden inside this test's transaction (rolled back afterwards)."""
    db.session.execute(delete(OutboxMessage))
    db.session.flush()


@pytest.fixture
def make_endpoint(db):
    """``make_endpoint(url, events, body=None)``: an endpoint of a new client (of ``body``, or national)."""
    def make(url: str, events=(BOOKED,), body=None, client_disabled: bool = False) -> WebhookEndpoint:
        client = ApiClient(name=f"client {utcnow().timestamp()} {len(events)} {url}"[:100],
                           body_id=body.id if body else None, scopes="",
                           disabled_at=utcnow() if client_disabled else None)
        db.session.add(client)
        db.session.flush()
        endpoint, _secret = webhooks.create_endpoint(client, url, list(events), utcnow(), {})
        return endpoint
    return make


def _book(db, app, make_session, make_user, booking_data, official=None):
    session = make_session(official=official) if official else make_session()
    citizen = make_user(Role.CITIZEN)
    with app.test_request_context():
        appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), app.config)
    return appointment


def _webhook_rows(db) -> list[OutboxMessage]:
    """The deliveries, once the events written so far are expanded (as the dispatcher does before sending)."""
    expand_events(utcnow())
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.WEBHOOK,
                                                               OutboxMessage.recipient != FAN_OUT)
                                   .order_by(OutboxMessage.id)))


def test_the_signature_is_the_one_the_standard_webhooks_test_vector_gives():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = webhook.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert webhook.verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, f"v1,bm9wZQ== {signature}")
    assert not webhook.verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331", body, signature)


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = webhooks.new_secret(), webhooks.new_secret()
    assert first.startswith("whsec_") and len(webhook.secret_key(first)) == 32 and first != second


def test_a_booking_is_delivered_signed_and_a_retry_after_a_500_sends_the_same_bytes(
        ctx, db, app, receiver, make_endpoint, make_session, make_user, booking_data):
    official_session = make_session()
    endpoint = make_endpoint(receiver.url, body=official_session.official.body)
    citizen = make_user(Role.CITIZEN)
    with app.test_request_context():
        appointment = book_slot(citizen, official_session.slots[0].id, booking_data(), None, utcnow(), app.config)
    db.session.commit()
    [row] = _webhook_rows(db)
    assert row.recipient == receiver.url and row.kind == BOOKED
    receiver.answers = [500, 200]
    now = utcnow()

    dispatch_due(now=now)
    db.session.refresh(row)
    assert row.status is OutboxStatus.PENDING and row.attempts == 1 and "answered 500" in row.last_error
    dispatch_due(now=now + timedelta(minutes=1))
    db.session.refresh(row)
    assert row.status is OutboxStatus.SENT and row.attempts == 2

    events = receiver.verified(endpoint.secret)
    assert len(events) == 2
    (first_headers, first_body), (second_headers, second_body) = receiver.got
    assert first_body == second_body and first_headers["webhook-id"] == second_headers["webhook-id"]
    assert first_headers["content-type"] == "application/json"
    event = events[0]
    assert event["type"] == BOOKED
    assert event["data"]["appointment_id"] == appointment.id and event["data"]["status"] == "scheduled"
    assert event["data"]["body_id"] == official_session.official.body_id
    starts_at = datetime.fromisoformat(event["data"]["starts_at"])
    assert starts_at.utcoffset() is not None and starts_at == appointment.slot.starts_at
    assert event["data"]["timezone"] == official_session.timezone
    # Ids, statuses and times only: nothing of the citizen's.
    assert citizen.full_name not in first_body.decode() and "summary" not in event["data"]


def test_a_receiver_that_always_fails_gets_retries_with_backoff_then_the_delivery_fails_and_is_shown(
        ctx, db, app, monkeypatch, receiver, make_endpoint, make_session, make_user, booking_data, client, login_as):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    receiver.answers = [503]
    make_endpoint(receiver.url)  # a national client: hears of every body's bookings
    appointment = _book(db, app, make_session, make_user, booking_data)
    db.session.commit()
    [row] = _webhook_rows(db)
    now = utcnow()

    dispatch_due(now=now)
    dispatch_due(now=now + timedelta(minutes=1))
    db.session.refresh(row)
    assert row.due_at == now + timedelta(minutes=3)  # backoff: 1 minute, then 2
    dispatch_due(now=now + timedelta(minutes=2, seconds=59))
    assert len(receiver.got) == 2  # not before its time
    dispatch_due(now=now + timedelta(minutes=3))
    db.session.refresh(row)
    assert row.status is OutboxStatus.FAILED and row.attempts == 3 and "answered 503" in row.last_error
    dispatch_due(now=now + timedelta(days=1))
    assert len(receiver.got) == 3  # given up
    assert {json.loads(body)["data"]["appointment_id"] for _h, body in receiver.got} == {appointment.id}

    login_as(Role.ADMIN)
    page = client.get("/admin/outbox/?status=failed&channel=webhook").get_data(as_text=True)
    assert receiver.url in page and "answered 503" in page and "Webhook: appointment booked" in page
    assert receiver.url not in client.get("/admin/outbox/?status=failed&channel=email").get_data(as_text=True)


def test_only_active_subscribed_clients_of_the_officials_body_or_national_ones_get_the_event(
        db, app, make_endpoint, make_session, make_user, make_body, make_official, booking_data):
    official = make_official()
    body = official.body
    ours = make_endpoint("https://a.example.kz/booked", body=body)
    national = make_endpoint("https://national.example.kz/hook")
    make_endpoint("https://a.example.kz/cancelled-only", events=(CANCELLED,), body=body)
    make_endpoint("https://b.example.kz/booked", body=make_body())  # another body's client
    webhooks.disable_endpoint(make_endpoint("https://a.example.kz/disabled", body=body), utcnow())
    make_endpoint("https://a.example.kz/client-disabled", body=body, client_disabled=True)

    _book(db, app, make_session, make_user, booking_data, official=official)

    assert sorted(row.recipient for row in _webhook_rows(db)) == sorted([ours.url, national.url])


def test_an_event_nobody_subscribed_to_is_expanded_to_nothing_and_never_sent(
        ctx, db, app, make_session, make_user, booking_data):
    _book(db, app, make_session, make_user, booking_data)
    db.session.commit()
    [event] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == FAN_OUT)).all()
    assert event.kind == BOOKED and event.status is OutboxStatus.PENDING  # written with the booking
    result = dispatch_due(now=utcnow())
    db.session.refresh(event)
    assert event.status is OutboxStatus.SENT and event.attempts == 0  # expanded, never claimed for sending
    assert _webhook_rows(db) == [] and result.failed == result.retried == 0


def test_a_booking_that_rolls_back_delivers_nothing(db, app, make_endpoint, make_session, make_user, booking_data):
    make_endpoint("https://national.example.kz/hook")
    db.session.commit()
    _book(db, app, make_session, make_user, booking_data)
    assert len(_webhook_rows(db)) == 1
    db.session.rollback()
    assert _webhook_rows(db) == []


def test_disabling_an_endpoint_drops_its_waiting_deliveries_and_a_new_secret_signs_the_retry(
        ctx, db, app, receiver, make_endpoint, make_session, make_user, booking_data):
    kept = make_endpoint(receiver.url)
    dropped = make_endpoint(receiver.url.replace("/hooks/", "/other/"))
    _book(db, app, make_session, make_user, booking_data)
    assert len(_webhook_rows(db)) == 2
    db.session.commit()
    old_secret = kept.secret
    receiver.answers = [500, 200]
    now = utcnow()
    assert webhooks.disable_endpoint(dropped, now) == 1
    dispatch_due(now=now)
    new_secret = webhooks.rotate_secret(kept, now)
    db.session.commit()
    dispatch_due(now=now + timedelta(minutes=1))

    assert len(receiver.got) == 2 and receiver.got[0][0]["webhook-id"] == receiver.got[1][0]["webhook-id"]
    headers, body = receiver.got[1]
    assert webhook.verify(new_secret, headers["webhook-id"], headers["webhook-timestamp"], body,
                          headers["webhook-signature"])
    assert not webhook.verify(old_secret, headers["webhook-id"], headers["webhook-timestamp"], body,
                              headers["webhook-signature"])
    statuses = {row.recipient.split("/")[3]: row.status for row in _webhook_rows(db)}
    assert statuses == {"hooks": OutboxStatus.SENT, "other": OutboxStatus.CANCELLED}


# --- the administrators' pages ----------------------------------------------------------------------

@pytest.fixture
def body_client(db, make_body):
    client = ApiClient(name="Akimat's system", body_id=make_body().id, scopes="")
    db.session.add(client)
    db.session.commit()
    return client


def test_an_administrator_adds_an_address_and_sees_its_secret_once(db, client, login_as, body_client):
    login_as(Role.ADMIN)
    url = f"/admin/api-clients/{body_client.id}/webhooks"
    r = client.post(url, data={"csrf_token": csrf_from(client, url), "url": "https://hooks.example.kz/r",
                               "events": [BOOKED, webhooks.REQUEST_DECIDED]})
    assert r.status_code == 200
    [endpoint] = webhooks.list_endpoints(body_client.id)
    assert endpoint.url == "https://hooks.example.kz/r" and endpoint.event_set == {BOOKED, webhooks.REQUEST_DECIDED}
    assert endpoint.secret in r.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "https://hooks.example.kz/r" in page and endpoint.secret not in page
    assert "Screening decided a request" in page

    r = client.post(f"{url}/{endpoint.id}/rotate", data={"csrf_token": csrf_from(client, url)})
    db.session.refresh(endpoint)
    assert r.status_code == 200 and endpoint.secret in r.get_data(as_text=True)
    r = client.post(f"{url}/{endpoint.id}/disable", data={"csrf_token": csrf_from(client, url)})
    db.session.refresh(endpoint)
    assert r.status_code == 302 and not endpoint.is_active

    # Each change is in the audit log under the administrator's name; the secret never is.
    audited = db.session.execute(select(AuditEvent.action, AuditEvent.changes, AuditEvent.actor_id).where(
        AuditEvent.entity == "webhook_endpoint", AuditEvent.entity_id == endpoint.id,
        AuditEvent.id > db.audit_floor).order_by(AuditEvent.id)).all()
    assert [a.action for a in audited] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.UPDATE]
    assert "secret_rotated_at" in audited[1].changes and "disabled_at" in audited[2].changes
    assert all("whsec_" not in a.changes and a.actor_id is not None for a in audited)


@pytest.mark.parametrize("address", ["http://hooks.example.kz/r", "ftp://hooks.example.kz/r",
                                     "https://user:pw@hooks.example.kz/r", "hooks.example.kz"])
def test_an_address_must_be_https_without_credentials(db, client, login_as, body_client, address):
    login_as(Role.ADMIN)
    url = f"/admin/api-clients/{body_client.id}/webhooks"
    r = client.post(url, data={"csrf_token": csrf_from(client, url), "url": address, "events": [BOOKED]})
    assert r.status_code == 422 and "https://" in r.get_data(as_text=True)
    assert webhooks.list_endpoints(body_client.id) == []


def test_plain_http_is_accepted_only_to_loopback_or_when_configured():
    assert webhooks.check_url("http://127.0.0.1:8080/h", {}) == "http://127.0.0.1:8080/h"
    assert webhooks.check_url("http://hooks.test/h", {"WEBHOOK_ALLOW_HTTP": True}) == "http://hooks.test/h"


@pytest.mark.parametrize("role", [Role.ASSISTANT, Role.MONITOR, Role.CITIZEN])
def test_only_administrators_open_the_webhooks_page(db, client, login_as, body_client, role):
    login_as(role)
    assert client.get(f"/admin/api-clients/{body_client.id}/webhooks").status_code == 403


# --- outcomes and requests ----------------------------------------------------------------------------

def _events(db, url: str) -> list[dict]:
    return [json.loads(row.intent)["event"] for row in _webhook_rows(db) if row.recipient == url]


def test_recording_an_outcome_tells_the_held_reception_and_the_outcome_to_both_bodies_once(
        ctx, db, app, reception, make_body, make_endpoint):  # noqa: F811
    events = (webhooks.APPOINTMENT_HELD, webhooks.OUTCOME_RECORDED)
    official_side = make_endpoint("https://a.example.kz/h", events=events, body=reception.body_a)
    instructed = make_endpoint("https://b.example.kz/h", events=events, body=reception.body_b)
    elsewhere = make_endpoint("https://c.example.kz/h", events=events, body=make_body())
    now = utcnow()
    outcome = record_outcome(reception.assistant, reception.appointment, _questions(reception), "", None, now,
                             app.config)

    assert [e["type"] for e in _events(db, official_side.url)] == [webhooks.APPOINTMENT_HELD,
                                                                   webhooks.OUTCOME_RECORDED]
    [told] = _events(db, instructed.url)  # the instructed body hears of the outcome, not of the reception held
    assert told["type"] == webhooks.OUTCOME_RECORDED and told["data"]["outcome_id"] == outcome.id
    assert [q["result"] for q in told["data"]["questions"]] == ["forwarded", "explained"]
    [instruction] = told["data"]["instructions"]
    assert instruction["body_id"] == reception.body_b.id and instruction["status"] == "open"
    assert "Serik" not in json.dumps(told) and "Крыша" not in json.dumps(told)  # no names, no wording
    assert _events(db, elsewhere.url) == []

    record_outcome(reception.assistant, reception.appointment, [], "Notes added", outcome.updated_at, now, app.config)
    assert len(_events(db, instructed.url)) == 1  # an edit is not a new outcome


def test_an_overdue_instruction_is_told_once_per_deadline(
        ctx, db, app, reception, with_instruction, make_endpoint):  # noqa: F811
    national = make_endpoint("https://national.example.kz/h", events=(webhooks.INSTRUCTION_OVERDUE,))
    instruction = with_instruction(due_on=utcnow().date() - timedelta(days=3))
    warn_followups(utcnow(), app.config)
    warn_followups(utcnow(), app.config)  # a second run finds it warned already

    [told] = _events(db, national.url)
    assert told["data"]["instruction_id"] == instruction.id and told["data"]["body_id"] == reception.body_b.id
    assert told["data"]["due_on"] == instruction.due_on.isoformat()


def test_a_redirected_request_is_told_to_the_officials_and_the_receiving_bodys_clients(
        ctx, db, office, make_request, make_body, make_endpoint):
    receiving, third = make_body(), make_body()
    events = (webhooks.REQUEST_DECIDED,)
    endpoints = [make_endpoint(f"https://{n}.example.kz/h", events=events, body=body)
                 for n, body in (("a", office.body), ("r", receiving), ("t", third))]
    request = make_request(office)
    request_services.redirect_request(office.assistant, request, receiving.id, "Land plots are theirs.", utcnow())

    told = [_events(db, endpoint.url) for endpoint in endpoints]
    assert told[0] == told[1] and told[2] == []
    data = told[0][0]["data"]
    assert told[0][0]["type"] == webhooks.REQUEST_DECIDED
    assert data["request_id"] == request.id and data["decision"] == "redirected"
    assert data["redirect_body_id"] == receiving.id and "reasons" not in data
