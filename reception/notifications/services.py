"""Writing to the outbox and dispatching it."""
from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from ..core.types import utcnow
from ..extensions import db
from .models import Channel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def enqueue_email(user, kind: str, subject, template: str, *, dedupe_key: str | None = None,
                  due_at: datetime | None = None, **context) -> OutboxMessage:
    """Add an e-mail for ``user`` to the outbox, rendered in the user's language.

    Adds to the current transaction and flushes; nothing is sent until the
    transaction commits and a dispatcher picks the row up.
    """
    with force_locale(user.language):
        message = OutboxMessage(
            kind=kind,
            channel=Channel.EMAIL,
            user_id=user.id,
            recipient=user.email,
            locale=user.language,
            subject=str(subject),
            body_text=render_template(f"emails/{template}.txt", user=user, **context),
            body_html=render_template(f"emails/{template}.html", user=user, **context),
            dedupe_key=dedupe_key,
            due_at=due_at or utcnow(),
        )
    db.session.add(message)
    db.session.flush()
    return message


def _deliver(message: OutboxMessage) -> None:
    transport = current_app.config.get("MAIL_TRANSPORT", "console")
    if transport != "console":
        raise RuntimeError(f"mail transport {transport!r} is not available yet")
    out = current_app.config.get("CONSOLE_STREAM") or sys.stdout
    out.write(f"----- {message.channel} to {message.recipient} [{message.kind}] -----\n"
              f"Subject: {message.subject}\n\n{message.body_text}\n-----\n")
    out.flush()


def dispatch_due(limit: int = 100, now: datetime | None = None) -> int:
    """Send due pending messages once each; returns how many were sent. The caller commits.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that
    several dispatchers never take the same message; SQLite serializes
    writers (BEGIN IMMEDIATE), which gives the same guarantee.
    """
    now = now or utcnow()
    stmt = (select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True))
    sent = 0
    for message in db.session.scalars(stmt).all():
        message.attempts += 1
        try:
            _deliver(message)
        except Exception as exc:  # a channel failure must not stop the batch
            log.warning("outbox message %s failed: %s", message.id, exc)
            message.last_error = str(exc)[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
            else:
                message.due_at = now + timedelta(seconds=30 * 2 ** message.attempts)
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            sent += 1
    db.session.flush()
    return sent
