"""Webhooks for integration clients: their endpoints (made, given a new secret, disabled by an administrator)
and the deliveries of events to them through the outbox.

Events (``EVENTS``) come from the areas' signals: booking's (booked, cancelled, rescheduled, held), outcomes'
(outcome recorded, instruction overdue) and requests' (request decided). A receiver writes the event as one
outbox row (channel ``webhook``, with the bodies it concerns) in the transaction of the change: a change that
rolls back delivers nothing. The dispatcher expands it into one delivery row per active endpoint subscribed to
the event (:func:`subscribers`): a national client (no body) hears of every event; a body's client of the
events that concern its body (the bodies each receiver names).

A delivery row holds intent: the endpoint's id and the event (type, time, data) as JSON; the dispatcher renders
it to the body at its first attempt and keeps it, signs every attempt with the endpoint's secret as it is then
(reception.notifications.webhook) and retries failures with the outbox's backoff.

The data carry ids, statuses and times, never personal data (no names, IIN, phone, summary, talon number):
a client that may know more asks the API with its token, whose scopes decide what it may read.
"""
from __future__ import annotations

import base64
import ipaddress
import secrets
import urllib.parse
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from ..booking import signals as booking
from ..booking.models import OfferStatus
from ..core.errors import Invalid, NotFound
from ..core.web import valid_id
from ..extensions import db
from ..notifications import webhook
from ..notifications.models import Channel, OutboxMessage, OutboxStatus
from ..notifications.services import enqueue_event
from ..outcomes import signals as outcomes
from ..requests import signals as requests
from .models import ApiClient
from .present import local
from .webhook_models import WebhookEndpoint

APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
APPOINTMENT_HELD = "appointment.held"
OUTCOME_RECORDED = "outcome.recorded"
INSTRUCTION_OVERDUE = "instruction.overdue"
REQUEST_DECIDED = "request.decided"

EVENTS = (APPOINTMENT_BOOKED, APPOINTMENT_CANCELLED, APPOINTMENT_RESCHEDULED, APPOINTMENT_HELD, OUTCOME_RECORDED,
          INSTRUCTION_OVERDUE, REQUEST_DECIDED)

EVENT_LABELS = {
    APPOINTMENT_BOOKED: _l("An appointment was booked (or an offered time accepted)"),
    APPOINTMENT_CANCELLED: _l("An appointment or a request was cancelled"),
    APPOINTMENT_RESCHEDULED: _l("An appointment was moved to another time"),
    APPOINTMENT_HELD: _l("A reception was held"),
    OUTCOME_RECORDED: _l("The outcome of a reception was recorded"),
    INSTRUCTION_OVERDUE: _l("An instruction's deadline passed"),
    REQUEST_DECIDED: _l("Screening decided a request"),
}

SECRET_BYTES = 32
MAX_URL = 254
MSG_NO_ENDPOINT = _l("The page or record you asked for does not exist.")


# --- endpoints --------------------------------------------------------------------------------------

def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 random bytes."""
    return webhook.SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, config) -> str:
    """The address stripped, or Invalid: an absolute https:// address (http:// only to loopback, or anywhere
    with RECEPTION_WEBHOOK_ALLOW_HTTP), no user or password in it, at most 254 characters."""
    url = (url or "").strip()
    if not url:
        raise Invalid(_l("Give the address deliveries are sent to."), field="url")
    if len(url) > MAX_URL:
        raise Invalid(_l("Too long: at most %(max)d characters.", max=MAX_URL), field="url")
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    allowed = parts.scheme == "https" or (parts.scheme == "http" and (config.get("WEBHOOK_ALLOW_HTTP")
                                                                      or _is_loopback(host)))
    if not host or not allowed or parts.username or parts.password or any(c.isspace() for c in url):
        raise Invalid(_l("Give an https:// address (without a user name or password in it)."), field="url")
    return url


def check_events(events) -> str:
    chosen = [e for e in EVENTS if e in set(events or ())]
    if not chosen or len(chosen) != len(set(events)):
        raise Invalid(_l("Choose at least one event from the list."), field="events")
    return " ".join(chosen)


def get_endpoint(client: ApiClient, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) if valid_id(endpoint_id) else None
    if endpoint is None or endpoint.client_id != client.id:
        raise NotFound(MSG_NO_ENDPOINT)
    return endpoint


def list_endpoints(client_id: int) -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.client_id == client_id)
                                   .order_by(WebhookEndpoint.disabled_at.is_not(None), WebhookEndpoint.id)))


def create_endpoint(client: ApiClient, url: str, events, now: datetime, config) -> tuple[WebhookEndpoint, str]:
    """Subscribe ``client``'s ``url`` to ``events``; returns the endpoint and its secret (shown once). Adds and
    flushes. Raises Invalid for a bad address or no known event."""
    endpoint = WebhookEndpoint(client_id=client.id, url=check_url(url, config), events=check_events(events),
                               secret=new_secret(), created_at=now)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint, endpoint.secret


def rotate_secret(endpoint: WebhookEndpoint, now: datetime) -> str:
    """Give an active endpoint a new secret (returned, shown once): every attempt from now on is signed with
    it, retries of earlier events included. Raises Invalid for a disabled endpoint."""
    if not endpoint.is_active:
        raise Invalid(_l("This address is disabled."))
    endpoint.secret = new_secret()
    endpoint.secret_rotated_at = now
    db.session.flush()
    return endpoint.secret


def disable_endpoint(endpoint: WebhookEndpoint, now: datetime) -> int:
    """Disable an endpoint (for good): it gets no new events, and its deliveries still waiting are dropped
    (status cancelled); returns how many were. Disabling it again changes nothing."""
    if not endpoint.is_active:
        return 0
    endpoint.disabled_at = now
    dropped = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.channel == Channel.WEBHOOK,
                                    OutboxMessage.status == OutboxStatus.PENDING,
                                    OutboxMessage.intent.like(f'{{"endpoint":{endpoint.id},%'))
        .values(status=OutboxStatus.CANCELLED, last_error="dropped: the webhook address was disabled")
        .execution_options(synchronize_session=False)).rowcount
    db.session.flush()
    return dropped


def secret_for(endpoint_id: int) -> str | None:
    """The current secret of an active endpoint of an active client (the dispatcher's lookup, just before it
    sends), else None. Ends the read's transaction: none stays open while the delivery is on its way."""
    secret = db.session.scalar(select(WebhookEndpoint.secret).join(ApiClient)
                               .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.disabled_at.is_(None),
                                      ApiClient.disabled_at.is_(None)))
    db.session.commit()
    return secret


# --- deliveries -------------------------------------------------------------------------------------

def _iso(value: datetime | None, tz: str | None) -> str | None:
    if value is None:
        return None
    return (local(value, tz) if tz else value).isoformat()


def record_event(event_type: str, bodies, data: dict, now: datetime, *, outbox: list | None = None) -> None:
    """Write the event for the clients that may hear of it (a national client, or a client of one of
    ``bodies``): one outbox row, expanded into a delivery per subscribed endpoint by the dispatcher. With
    ``outbox`` (a signal's batch), the row goes in the sender's one INSERT of its messages."""
    event = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    enqueue_event(event_type, event, sorted({b for b in bodies if b is not None}), batch=outbox)


def subscribers(event_type: str, body_ids: list[int]) -> list[tuple[int, str]]:
    """(id, url) of every active endpoint of an active client subscribed to ``event_type`` that may hear of an
    event concerning ``body_ids`` (a national client, or a client of one of them); the dispatcher's lookup."""
    endpoints = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.events).join(ApiClient)
        .where(WebhookEndpoint.disabled_at.is_(None), ApiClient.disabled_at.is_(None),
               WebhookEndpoint.events.contains(event_type),
               or_(ApiClient.body_id.is_(None), ApiClient.body_id.in_(body_ids)))
        .order_by(WebhookEndpoint.id)).all()
    return [(e.id, e.url) for e in endpoints if event_type in e.events.split()]


def appointment_data(appointment) -> dict:
    slot, session = appointment.slot, appointment.session
    tz = session.timezone if session is not None else None
    return {"appointment_id": appointment.id, "official_id": appointment.official_id,
            "body_id": appointment.official.body_id, "session_id": appointment.session_id,
            "slot_id": appointment.slot_id, "status": appointment.status.value, "format": appointment.format.value,
            "starts_at": _iso(slot.starts_at if slot else None, tz),
            "ends_at": _iso(slot.ends_at if slot else None, tz), "timezone": tz}


def on_booked(appointment, now: datetime, outbox: list | None = None, **_) -> None:
    """Receiver of booking's ``booked``: ``appointment.booked`` for the official's body."""
    record_event(APPOINTMENT_BOOKED, [appointment.official.body_id], appointment_data(appointment), now,
                 outbox=outbox)


def on_cancelled(appointment, now: datetime, by: str = "citizen", **_) -> None:
    """Receiver of booking's ``cancelled``: ``appointment.cancelled`` (``by``: the citizen, or the session)."""
    data = appointment_data(appointment) | {"cancelled_by": by}
    record_event(APPOINTMENT_CANCELLED, [appointment.official.body_id], data, now)


def on_rescheduled(appointment, now: datetime, new=None, **_) -> None:
    """Receiver of booking's ``rescheduled``: ``appointment.rescheduled``, the new appointment's data with the
    old one's id."""
    data = appointment_data(new) | {"previous_appointment_id": appointment.id}
    record_event(APPOINTMENT_RESCHEDULED, [appointment.official.body_id], data, now)


def on_held(appointment, now: datetime, **_) -> None:
    """Receiver of booking's ``held``: ``appointment.held``."""
    record_event(APPOINTMENT_HELD, [appointment.official.body_id], appointment_data(appointment), now)


def on_outcome_recorded(outcome, now: datetime, **_) -> None:
    """Receiver of outcomes' ``outcome_recorded``: ``outcome.recorded`` for the official's body and the bodies
    given instructions, with each question's result and each instruction's body, deadline and status."""
    appointment = outcome.appointment
    instructions = outcome.instructions
    data = {"outcome_id": outcome.id, "appointment_id": appointment.id, "official_id": appointment.official_id,
            "body_id": appointment.official.body_id,
            "questions": [{"question_id": q.id, "topic_id": q.topic_id, "result": q.result.value,
                           "body_id": q.body_id} for q in outcome.questions],
            "instructions": [{"instruction_id": i.id, "question_id": i.question_id, "body_id": i.body_id,
                              "due_on": i.due_on.isoformat(), "status": i.status.value} for i in instructions]}
    bodies = [appointment.official.body_id, *(i.body_id for i in instructions)]
    record_event(OUTCOME_RECORDED, bodies, data, now)


def on_instruction_overdue(instruction, now: datetime, due_on=None, **_) -> None:
    """Receiver of outcomes' ``instruction_overdue``: ``instruction.overdue`` for the responsible body and the
    body of the official who gave the instruction (it follows it up)."""
    appointment = instruction.outcome.appointment
    data = {"instruction_id": instruction.id, "question_id": instruction.question_id,
            "appointment_id": appointment.id, "body_id": instruction.body_id,
            "official_body_id": appointment.official.body_id, "status": instruction.status.value,
            "due_on": (due_on or instruction.due_on).isoformat()}
    record_event(INSTRUCTION_OVERDUE, [instruction.body_id, appointment.official.body_id], data, now)


def on_request_decided(request, now: datetime, **_) -> None:
    """Receiver of requests' ``decided``: ``request.decided`` for the official's body (and, for a redirect,
    the body the request was sent to)."""
    data = {"request_id": request.id, "official_id": request.official_id, "body_id": request.official.body_id,
            "status": request.status.value, "decision": request.decision.value,
            "redirect_body_id": request.redirect_body_id,
            "offered_slot_ids": sorted(o.slot_id for o in request.offers if o.status is OfferStatus.OPEN)}
    record_event(REQUEST_DECIDED, [request.official.body_id, request.redirect_body_id], data, now)


def connect_receivers() -> None:
    """Connect at application setup (idempotent), after the areas whose own receivers run first."""
    booking.booked.connect(on_booked)
    booking.cancelled.connect(on_cancelled)
    booking.rescheduled.connect(on_rescheduled)
    booking.held.connect(on_held)
    outcomes.outcome_recorded.connect(on_outcome_recorded)
    outcomes.instruction_overdue.connect(on_instruction_overdue)
    requests.decided.connect(on_request_decided)
    webhook.register_secret_lookup(secret_for)
    webhook.register_fan_out(subscribers)
