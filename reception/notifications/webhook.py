"""Webhooks: a signed HTTP POST of an outbox row (channel ``webhook``) to an integration client's endpoint, in
the Standard Webhooks convention (https://www.standardwebhooks.com/).

A row holds its endpoint's URL as ``recipient`` and its intent as ``{"endpoint": id, "event": {...}}``; the
body sent is the event as canonical JSON (:func:`render_body`), rendered at the first attempt and kept, so
every attempt sends the same bytes under the same ``webhook-id`` (the row's key). Each attempt carries its
own ``webhook-timestamp`` and is signed afresh (``v1,`` + base64 HMAC-SHA256 over
``{webhook-id}.{webhook-timestamp}.{body}`` keyed with the secret's decoded bytes), so a receiver's replay
window (typically five minutes) holds for retries hours later.

An event is written once, in the transaction of the change, as one row addressed to :data:`.models.FAN_OUT` (no
query for subscribers in the change's transaction: a booking's statements do not grow with them); the
dispatcher expands it into one delivery row per subscribed endpoint before it sends
(reception.notifications.services.expand_events).

The endpoints' table belongs to reception.api, a layer above this one: the subscribed endpoints and the
signing secret are looked up through :func:`register_fan_out` and :func:`register_secret_lookup` (api
registers both at setup), so a rotated secret signs the next attempt and a disabled endpoint gets nothing
more.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.request
from collections.abc import Callable

from .models import OutboxMessage

SECRET_PREFIX = "whsec_"
DEFAULT_WEBHOOK_TIMEOUT = 10

_secret_lookup: list[Callable[[int], str | None]] = []
_fan_out: list[Callable[[str, list[int]], list[tuple[int, str]]]] = []


def register_fan_out(subscribers: Callable[[str, list[int]], list[tuple[int, str]]]) -> None:
    """``subscribers(event_type, body_ids)`` returns (endpoint id, url) of every active endpoint subscribed to
    ``event_type`` that may hear of an event concerning ``body_ids``."""
    _fan_out[:] = [subscribers]


def subscribers(event_type: str, body_ids: list[int]) -> list[tuple[int, str]]:
    return _fan_out[0](event_type, body_ids) if _fan_out else []


def register_secret_lookup(lookup: Callable[[int], str | None]) -> None:
    """``lookup(endpoint_id)`` returns the endpoint's current signing secret, or None when the endpoint (or
    its client) is disabled or gone: then nothing is sent."""
    _secret_lookup[:] = [lookup]


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret: the bytes its base64 part decodes to."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value: ``v1,`` + base64 of HMAC-SHA256 over id, timestamp and body."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


def verify(secret: str, webhook_id: str, timestamp: str, body: bytes, signature_header: str) -> bool:
    """Whether one of the (space-separated) signatures of ``signature_header`` is right (what a receiver
    does; kept here for the tests and the README's example)."""
    expected = sign(secret, webhook_id, int(timestamp), body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signature_header.split())


def intent(endpoint_id: int, event: dict) -> str:
    return json.dumps({"endpoint": endpoint_id, "event": event}, ensure_ascii=False, separators=(",", ":"))


def event_intent(event: dict, body_ids: list[int]) -> str:
    """The intent of an event's row (:data:`.models.FAN_OUT`): the event and the bodies it concerns."""
    return json.dumps({"event": event, "bodies": body_ids}, ensure_ascii=False, separators=(",", ":"))


def endpoint_of(message: OutboxMessage) -> int:
    return int(json.loads(message.intent or "{}")["endpoint"])


def render_body(message: OutboxMessage) -> str:
    """The JSON body of a webhook row: its event (type, timestamp, data), keys sorted, no spaces."""
    event = json.loads(message.intent or "{}")["event"]
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def build_request(message: OutboxMessage, secret: str, webhook_id: str, timestamp: int) -> urllib.request.Request:
    body = (message.body_text or "").encode("utf-8")
    request = urllib.request.Request(message.recipient, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", "reception-webhooks/1")
    request.add_header("webhook-id", webhook_id)
    request.add_header("webhook-timestamp", str(timestamp))
    request.add_header("webhook-signature", sign(secret, webhook_id, timestamp, body))
    return request
