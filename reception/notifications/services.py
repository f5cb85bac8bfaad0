"""Writing to the outbox and dispatching it.

A message is written in the same transaction as the change it announces (the caller's), so a
change that rolls back leaves no message. Dispatchers claim due rows with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer at a time) and a lease, send each
outside the claiming transaction, and record the result; several dispatchers never take the
same row. A dispatcher that dies between sending and recording leaves the row claimed until its
lease runs out; it is then sent again (at least once, never twice by two live dispatchers).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import and_, or_, select

from ..core.clock import utcnow
from ..extensions import db
from . import channels, signals
from .models import Channel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)


def _wants(user, channel: Channel) -> bool:
    preference = getattr(user, "notify_by", None)
    preference = getattr(preference, "value", preference) or "email"
    if channel is Channel.EMAIL:
        return bool(user.email) and preference in ("email", "both")
    return bool(user.phone) and preference in ("sms", "both")


def enqueue_email(user, kind: str, subject, template: str, *, dedupe_key: str | None = None,
                  due_at: datetime | None = None, appointment_id: int | None = None,
                  cancel_if_inactive: bool = False, ics=None, **context) -> OutboxMessage:
    """Add an e-mail for ``user`` to the outbox, rendered in the user's language.

    ``ics`` is an iCalendar attachment, or a callable returning it (called in the user's
    language). Adds to the current transaction and flushes; nothing is sent until the
    transaction commits and a dispatcher picks the row up.
    """
    with force_locale(user.language):
        message = OutboxMessage(
            kind=kind, channel=Channel.EMAIL, user_id=user.id, recipient=user.email, locale=user.language,
            subject=str(subject),
            body_text=render_template(f"emails/{template}.txt", user=user, **context),
            body_html=render_template(f"emails/{template}.html", user=user, **context),
            ics=ics() if callable(ics) else ics,
            dedupe_key=dedupe_key, due_at=due_at or utcnow(), appointment_id=appointment_id,
            cancel_if_inactive=cancel_if_inactive)
    db.session.add(message)
    db.session.flush()
    return message


def enqueue_sms(user, kind: str, template: str, *, dedupe_key: str | None = None, due_at: datetime | None = None,
                appointment_id: int | None = None, cancel_if_inactive: bool = False, **context) -> OutboxMessage:
    """Add an SMS for ``user`` (templates/sms/<template>.txt, in the user's language) to the outbox."""
    with force_locale(user.language):
        text = " ".join(render_template(f"sms/{template}.txt", user=user, **context).split())
    message = OutboxMessage(
        kind=kind, channel=Channel.SMS, user_id=user.id, recipient=user.phone, locale=user.language, subject="",
        body_text=text, dedupe_key=dedupe_key, due_at=due_at or utcnow(), appointment_id=appointment_id,
        cancel_if_inactive=cancel_if_inactive)
    db.session.add(message)
    db.session.flush()
    return message


def notify(user, kind: str, subject, template: str, *, dedupe_key: str | None = None,
           due_at: datetime | None = None, appointment_id: int | None = None, cancel_if_inactive: bool = False,
           ics=None, **context) -> list[OutboxMessage]:
    """Tell ``user`` by the channels they chose (e-mail, SMS or both), in their language.

    The e-mail uses templates/emails/<template>.txt and .html (with ``ics`` attached), the SMS
    templates/sms/<template>.txt. ``dedupe_key`` makes the announcement unique per channel
    (the database refuses a second row). Same transaction as the caller's change.
    """
    common = dict(due_at=due_at, appointment_id=appointment_id, cancel_if_inactive=cancel_if_inactive, **context)
    messages = []
    if _wants(user, Channel.EMAIL):
        messages.append(enqueue_email(user, kind, subject, template, ics=ics,
                                      dedupe_key=f"{dedupe_key}:email" if dedupe_key else None, **common))
    if _wants(user, Channel.SMS):
        try:
            messages.append(enqueue_sms(user, kind, template,
                                        dedupe_key=f"{dedupe_key}:sms" if dedupe_key else None, **common))
        except TemplateNotFound:
            log.error("no SMS template for %s", template)
    return messages


# --- dispatching ------------------------------------------------------------------------------

@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0


def claim_due(limit: int, now: datetime) -> list[int]:
    """Claim up to ``limit`` due messages for this dispatcher (committed); returns their ids."""
    due = or_(and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now),
              and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_until <= now))
    rows = db.session.scalars(select(OutboxMessage).where(due)
                              .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
                              .with_for_update(skip_locked=True)).all()
    for message in rows:
        message.status = OutboxStatus.SENDING
        message.locked_until = now + LEASE
        message.attempts += 1
    ids = [m.id for m in rows]
    db.session.commit()
    return ids


def _still_due(message: OutboxMessage) -> bool:
    """The areas that wrote the message say whether it still holds (:data:`.signals.message_due`)."""
    answers = [answer for _receiver, answer in signals.message_due.send(message)]
    return bool(answers) and all(answers)


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** max(0, attempts - 1))


def dispatch_due(limit: int = 100, now: datetime | None = None) -> DispatchResult:
    """Send due messages: claim a batch, send each, record each result (commits as it goes).

    A failure is retried with backoff (1, 2, 4 … minutes) until RECEPTION_NOTIFY_MAX_ATTEMPTS,
    then the message is marked failed with its last error (administrators see it at
    /admin/outbox/). A reminder whose appointment was cancelled or moved is dropped.
    """
    now = now or utcnow()
    config = current_app.config
    max_attempts = int(config.get("NOTIFY_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
    result = DispatchResult()
    for message_id in claim_due(limit, now):
        message = db.session.get(OutboxMessage, message_id)
        if message.cancel_if_inactive and not _still_due(message):
            message.status, message.locked_until = OutboxStatus.CANCELLED, None
            message.last_error = "dropped: the appointment is no longer scheduled"
            db.session.commit()
            result.dropped += 1
            continue
        try:
            channels.send(message, config)
        except Exception as exc:  # one failure must not stop the batch
            error = str(exc) if isinstance(exc, channels.DeliveryError) else f"{exc.__class__.__name__}: {exc}"
            log.warning("outbox message %s (%s, attempt %s) failed: %s", message.id, message.kind,
                        message.attempts, error)
            message.last_error = error[:2000]
            message.locked_until = None
            if message.attempts >= max_attempts:
                message.status = OutboxStatus.FAILED
                result.failed += 1
            else:
                message.status = OutboxStatus.PENDING
                message.due_at = now + _backoff(message.attempts)
                result.retried += 1
        else:
            message.status, message.locked_until, message.sent_at = OutboxStatus.SENT, None, utcnow()
            result.sent += 1
        db.session.commit()
    return result
