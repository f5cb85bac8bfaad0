"""Writing to the outbox and dispatching it.

A message is written in the same transaction as the change it announces (the caller's), so a
change that rolls back leaves no message. It is written as intent: the kind, the recipient, the
channel, the language, the due time, the template's name and its context as references
(:mod:`.intent`); nothing is rendered then. The dispatcher renders a row at its first attempt, in
the recipient's language and with the records as they are at that time, keeps what it rendered on
the row and sends that (a retry sends the same text, attachment, Date and Message-ID).

Dispatching is exactly once among live dispatchers, however slow a gateway is, on PostgreSQL (any
number of processes: ``FOR UPDATE SKIP LOCKED``) and SQLite (one writer: claims take turns):

- A dispatcher claims one row at a time, just before sending it (:func:`claim_next`): status
  ``sending``, ``attempts`` raised by one (which names this claim: nobody else's claim of the row has
  the same number) and a lease, ``locked_until``, of twice the channel's send limit plus
  :data:`LEASE_SLACK` (:func:`lease_for`).
- Every send has a hard limit (RECEPTION_SMTP_TIMEOUT, RECEPTION_SMS_TIMEOUT; see
  :class:`.channels.Deadline`), and a send starts only when at least that limit plus the slack is
  left of the lease (renewed first if not), so the send ends while the claim stands.
- Every write after the claim (what was rendered, the lease renewed, sent, to retry, failed, dropped)
  is a compare-and-set: it changes the row only where this claim still stands, in the statement that
  checks it. No transaction is open while a message is on its way.

What no protocol closes: a dispatcher that dies (or stalls past its lease) after the gateway accepted
a message and before the row was marked sent. The row cannot tell, so the message is sent again once
the lease has passed: at least once, never lost. A retry carries the same Message-ID (e-mail) or
Idempotency-Key (SMS; ``$key`` in the gateway's body) so that the receiving side can drop the twin.
A dispatcher killed before the gateway accepted the message leaves only its claim behind; the message
is sent, once, when the lease has passed.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import and_, bindparam, or_, select, text, update
from sqlalchemy import inspect as sa_inspect

from ..core.clock import utcnow
from ..extensions import db
from . import channels, signals, sms, webhook
from .intent import Unpacker, pack
from .models import FAN_OUT, Channel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
#: A claim's lease is twice the channel's send limit plus this (see :func:`lease_for`); before a send at
#: least the limit plus this must be left of it, for recording the result and for clocks a little apart.
LEASE_SLACK = timedelta(seconds=10)
#: Methods of an appointment's iCalendar invite, built at sending time (see :func:`register_invite`).
INVITE_METHODS = ("REQUEST", "CANCEL")

# What areas add to rendering: context builders by name, and the appointment invite's builder.
_context_builders: dict[str, Callable[[dict], dict]] = {}
_invite_builder: list[Callable] = []


def register_context(name: str, builder: Callable[[dict], dict]) -> None:
    """Let messages enqueued ``with_context=name`` get ``builder(context)`` added to their context at
    rendering time (e.g. an appointment's zone and addresses, computed from the appointment)."""
    _context_builders[name] = builder


def register_invite(builder: Callable) -> None:
    """``builder(appointment_id, method, attendee_email)`` returns an appointment's iCalendar text in the
    current language; used for e-mails enqueued with ``ics="REQUEST"`` or ``"CANCEL"``."""
    _invite_builder[:] = [builder]


def _wants(user, channel: Channel) -> bool:
    preference = getattr(user, "notify_by", None)
    preference = getattr(preference, "value", preference) or "email"
    if channel is Channel.EMAIL:
        return bool(user.email) and preference in ("email", "both")
    # Without an e-mail (a phone-only citizen) SMS is the only way, whatever the stored preference.
    return bool(user.phone) and (preference in ("sms", "both") or not user.email)


def _intent(subject, context: dict, with_context: str | None, invite: str | None) -> str:
    data = {"subject": pack(subject), "context": context}
    if with_context:
        data["with"] = with_context
    if invite:
        data["invite"] = invite
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _message(user, kind: str, channel: Channel, recipient: str, template: str, intent: str, *,
             dedupe_key: str | None, due_at: datetime | None, appointment_id: int | None,
             cancel_if_inactive: bool, ics: str | None = None, flush: bool = True,
             batch: list | None = None) -> OutboxMessage | None:
    """The row, added to the session (and flushed with ``flush``); with ``batch``, only its values, appended
    there for :func:`write_batch` (no object: nobody reads a row that is not written yet)."""
    values = dict(kind=kind, channel=channel, user_id=user.id, recipient=recipient, locale=user.language,
                  subject="", template=template, intent=intent, ics=ics, dedupe_key=dedupe_key,
                  due_at=due_at or utcnow(), appointment_id=appointment_id, cancel_if_inactive=cancel_if_inactive)
    if batch is not None:
        batch.append(values)
        return None
    message = OutboxMessage(**values)
    db.session.add(message)
    if flush:
        db.session.flush()
    return message


def write_batch(batch: list[dict]) -> None:
    """Insert the messages collected with ``batch=`` in one statement (their ids are not read back:
    one INSERT however many messages, on every database). On PostgreSQL the rows travel as one JSON
    parameter (:func:`_json_rows_insert`): half the CPU of the driver's executemany, 3 % of a booking's."""
    if not batch:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_json_rows_insert(tuple(batch[0])), {
            "rows": json.dumps(batch, ensure_ascii=False, separators=(",", ":"), default=_json_value),
            "status": OutboxStatus.PENDING, "attempts": 0, "created_at": utcnow()})
    else:
        db.session.execute(OutboxMessage.__table__.insert(), batch)
    batch.clear()


def _json_value(value) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in an outbox row")


@cache
def _json_rows_insert(columns: tuple[str, ...]):
    """PostgreSQL: INSERT the outbox rows of the JSON array ``:rows`` (objects with ``columns``), in its order,
    with the new rows' status, attempts and creation time; built once per shape of row."""
    table = OutboxMessage.__table__
    dialect = db.session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    typed = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect)}" for c in columns)
    given = ("status", "attempts", "created_at")
    return text(f"INSERT INTO {quote(table.name)} ({names}, {', '.join(quote(c) for c in given)}) "
                f"SELECT {names}, {', '.join(':' + c for c in given)} "
                f"FROM ROWS FROM (jsonb_to_recordset(CAST(:rows AS jsonb)) AS ({typed})) "
                f"WITH ORDINALITY AS r({names}, n) ORDER BY n").bindparams(
        *(bindparam(c, type_=table.c[c].type) for c in given))


def enqueue_event(event_type: str, event: dict, body_ids: list[int], *, batch: list | None = None) -> None:
    """Write an event for integration clients' webhooks: one row addressed to every subscriber
    (:data:`.models.FAN_OUT`), expanded by the dispatcher (:func:`expand_events`). With ``batch``, the row is
    collected there (see :func:`write_batch`); otherwise it is added to the session, unflushed."""
    values = dict(kind=event_type, channel=Channel.WEBHOOK, user_id=None, recipient=FAN_OUT, locale="en",
                  subject=event_type, template="webhook", intent=webhook.event_intent(event, body_ids), ics=None,
                  dedupe_key=None, due_at=utcnow(), appointment_id=None, cancel_if_inactive=False)
    if batch is not None:
        batch.append(values)
    else:
        db.session.add(OutboxMessage(**values))


def expand_events(now: datetime, limit: int = 100) -> int:
    """Expand due event rows into one delivery per subscribed endpoint (the event's row is then marked sent);
    returns how many deliveries were written. Exactly once: each event row is taken under ``FOR UPDATE SKIP
    LOCKED`` and a compare-and-set, and a delivery's key (event row, endpoint) is unique. The caller commits."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == Channel.WEBHOOK,
                                    OutboxMessage.recipient == FAN_OUT,
                                    OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)).all()
    written = 0
    for row in rows:
        taken = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENT, sent_at=now).execution_options(synchronize_session=False)).rowcount
        if not taken:
            continue
        stored = json.loads(row.intent)
        deliveries = [dict(kind=row.kind, channel=Channel.WEBHOOK, user_id=None, recipient=url, locale="en",
                           subject=row.kind, template="webhook", intent=webhook.intent(endpoint_id, stored["event"]),
                           ics=None, dedupe_key=f"webhook:{row.id}:{endpoint_id}", due_at=now,
                           appointment_id=None, cancel_if_inactive=False)
                      for endpoint_id, url in webhook.subscribers(row.kind, stored["bodies"])]
        written += len(deliveries)
        write_batch(deliveries)
    return written


def _packed(context: dict) -> dict:
    return {key: pack(value) for key, value in context.items()}


def enqueue_email(user, kind: str, subject, template: str, *, dedupe_key: str | None = None,
                  due_at: datetime | None = None, appointment_id: int | None = None,
                  cancel_if_inactive: bool = False, ics: str | None = None, with_context: str | None = None,
                  **context) -> OutboxMessage | None:
    """Add an e-mail for ``user`` to the outbox: templates/emails/<template>.txt and .html with
    ``context``, rendered in the user's language when it is sent. A user without an e-mail (a
    phone-only citizen) gets templates/sms/<template>.txt by SMS instead (nothing, logged, without one).

    ``subject`` is a lazily translated string (or plain text). ``ics`` is ``"REQUEST"`` or ``"CANCEL"``
    (the invite of ``appointment_id``, built when sent), or an iCalendar text given as it is. Context
    values are kept as references (:mod:`.intent`). Adds to the current transaction and flushes;
    nothing is sent until it commits and a dispatcher picks the row up.
    """
    if not user.email:  # a phone-only citizen: the same news by SMS, their only channel
        if user.phone and has_sms_template(template):
            return enqueue_sms(user, kind, template, dedupe_key=f"{dedupe_key}:sms" if dedupe_key else None,
                               due_at=due_at, appointment_id=appointment_id, cancel_if_inactive=cancel_if_inactive,
                               with_context=with_context, **context)
        log.error("no e-mail for user %s and no SMS template for %s", user.id, template)
        return None
    invite = ics if ics in INVITE_METHODS else None
    intent = _intent(subject, _packed(context), with_context, invite)
    return _message(user, kind, Channel.EMAIL, user.email, template, intent, dedupe_key=dedupe_key, due_at=due_at,
                    appointment_id=appointment_id, cancel_if_inactive=cancel_if_inactive,
                    ics=None if invite else ics)


def enqueue_sms(user, kind: str, template: str, *, dedupe_key: str | None = None, due_at: datetime | None = None,
                appointment_id: int | None = None, cancel_if_inactive: bool = False, with_context: str | None = None,
                **context) -> OutboxMessage:
    """Add an SMS for ``user`` (templates/sms/<template>.txt, rendered in the user's language when sent)."""
    intent = _intent("", _packed(context), with_context, None)
    return _message(user, kind, Channel.SMS, user.phone, template, intent, dedupe_key=dedupe_key, due_at=due_at,
                    appointment_id=appointment_id, cancel_if_inactive=cancel_if_inactive)


_sms_templates: dict[str, bool] = {}


def has_sms_template(template: str) -> bool:
    """Whether templates/sms/<template>.txt exists (looked up once per template and process)."""
    known = _sms_templates.get(template)
    if known is None:
        try:
            current_app.jinja_env.get_template(f"sms/{template}.txt")
            known = True
        except TemplateNotFound:
            known = False
        _sms_templates[template] = known
    return known


def notify(user, kind: str, subject, template: str, *, dedupe_key: str | None = None,
           due_at: datetime | None = None, appointment_id: int | None = None, cancel_if_inactive: bool = False,
           ics: str | None = None, with_context: str | None = None, batch: list | None = None,
           **context) -> list[OutboxMessage]:
    """Tell ``user`` by the channels they chose (e-mail, SMS or both), in their language.

    The e-mail uses templates/emails/<template>.txt and .html (with ``ics`` attached), the SMS
    templates/sms/<template>.txt. ``dedupe_key`` makes the announcement unique per channel
    (the database refuses a second row). Same transaction as the caller's change; one row per
    channel, holding intent (see :func:`enqueue_email`), added and flushed together; with ``batch``
    (a list), collected there instead for :func:`write_batch` to insert with others, and none returned.
    """
    packed = _packed(context)
    messages = []
    if _wants(user, Channel.EMAIL):
        invite = ics if ics in INVITE_METHODS else None
        messages.append(_message(user, kind, Channel.EMAIL, user.email, template,
                                 _intent(subject, packed, with_context, invite),
                                 dedupe_key=f"{dedupe_key}:email" if dedupe_key else None,
                                 due_at=due_at, appointment_id=appointment_id, cancel_if_inactive=cancel_if_inactive,
                                 ics=None if invite else ics, flush=False, batch=batch))
    if _wants(user, Channel.SMS):
        if has_sms_template(template):
            messages.append(_message(user, kind, Channel.SMS, user.phone, template,
                                     _intent("", packed, with_context, None),
                                     dedupe_key=f"{dedupe_key}:sms" if dedupe_key else None,
                                     due_at=due_at, appointment_id=appointment_id,
                                     cancel_if_inactive=cancel_if_inactive, flush=False, batch=batch))
        else:
            log.error("no SMS template for %s", template)
    if batch is not None:
        return []
    if messages:
        db.session.flush()
    return messages


# --- rendering ---------------------------------------------------------------------------------

@dataclass
class Rendered:
    subject: str
    body_text: str
    body_html: str | None
    ics: str | None
    segments: int | None = None  # SMS: how many segments body_text takes


def render_sms(template: str, locale: str, user=None, **context) -> tuple[str, bool]:
    """templates/sms/<template>.txt rendered in ``locale``, on one line, fitted into two segments
    (:func:`.sms.fit`: the parts marked ``sms_free`` are shortened first); and whether it had to be."""
    with force_locale(locale):
        text = render_template(f"sms/{template}.txt", user=user, **context)
    text, shortened = sms.fit(" ".join(text.split()))
    if shortened:
        log.warning("SMS %s (%s) was longer than %s segments and was shortened", template, locale,
                    sms.MAX_SEGMENTS)
    return text, shortened


def render(message: OutboxMessage) -> Rendered:
    """What ``message`` says, rendered now in its language from the records as they are now.

    A row written rendered (no template) is returned as it is. Raises whatever the templates raise
    (e.g. a referenced record was deleted).
    """
    if message.template is None:
        text = message.body_text or ""
        return Rendered(message.subject, text, message.body_html, message.ics,
                        sms.count_segments(text) if message.channel is Channel.SMS else None)
    if message.channel is Channel.WEBHOOK:  # an event as JSON: the same in every language
        return Rendered(message.kind, webhook.render_body(message), None, None)
    data = json.loads(message.intent or "{}")
    unpack = Unpacker()
    context = unpack(data.get("context") or {})
    if data.get("with"):
        context.update(_context_builders[data["with"]](context))
    users = unpack._models["User"]
    user = db.session.get(users, message.user_id) if message.user_id is not None else None
    if message.channel is Channel.SMS:
        text, _shortened = render_sms(message.template, message.locale, user, **context)
        return Rendered("", text, None, None, sms.count_segments(text))
    with force_locale(message.locale):
        subject = unpack(data.get("subject"))
        ics = message.ics
        if data.get("invite") and message.appointment_id is not None and _invite_builder:
            ics = _invite_builder[0](message.appointment_id, data["invite"], message.recipient)
        return Rendered(str(subject or ""),
                        render_template(f"emails/{message.template}.txt", user=user, **context),
                        render_template(f"emails/{message.template}.html", user=user, **context), ics)


def render_and_keep(message: OutboxMessage, now: datetime) -> None:
    """Render ``message`` once and keep the result on it (what every attempt then sends)."""
    if message.is_rendered:
        return
    rendered = render(message)
    message.subject = rendered.subject[:255]
    message.body_text, message.body_html, message.ics = rendered.body_text, rendered.body_html, rendered.ics
    message.segments = rendered.segments
    message.rendered_at = now


# --- dispatching ------------------------------------------------------------------------------

@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0


@dataclass
class Claim:
    """One dispatcher's hold on one row. ``attempts`` rises with every claim of the row, so it names this
    claim and no other; ``locked_until`` is the lease (moved on when renewed)."""

    id: int
    attempts: int
    locked_until: datetime
    channel: Channel


def lease_for(channel: Channel, config) -> timedelta:
    """How long a claim on a message of ``channel`` lasts: twice the longest send plus :data:`LEASE_SLACK`."""
    return timedelta(seconds=2 * channels.send_timeout(channel, config)) + LEASE_SLACK


def _held(claim: Claim):
    """The row as this claim left it: nobody has claimed it since (compare-and-set condition)."""
    return (OutboxMessage.id == claim.id, OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.attempts == claim.attempts, OutboxMessage.locked_until == claim.locked_until)


def _update_held(claim: Claim, **values) -> bool:
    """Change the row only where ``claim`` still stands, and commit; whether it did."""
    changed = db.session.execute(update(OutboxMessage).where(*_held(claim)).values(**values)
                                 .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return changed


def claim_next(now: datetime, config) -> Claim | None:
    """Claim the first due message (committed): pending and due at ``now``, or claimed by a dispatcher
    whose lease has run out by the clock. ``FOR UPDATE SKIP LOCKED`` lets several dispatchers claim at
    once on PostgreSQL; SQLite's one writer (``BEGIN IMMEDIATE``) makes them take turns."""
    due = and_(or_(and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now),
                   and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_until <= utcnow())),
               OutboxMessage.recipient != FAN_OUT)  # events are expanded, not sent (expand_events)
    message = db.session.scalars(select(OutboxMessage).where(due)
                                 .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(1)
                                 .with_for_update(skip_locked=True)).first()
    if message is None:
        db.session.commit()
        return None
    message.status = OutboxStatus.SENDING
    message.attempts += 1
    message.locked_until = utcnow() + lease_for(message.channel, config)
    claim = Claim(message.id, message.attempts, message.locked_until, message.channel)
    db.session.commit()
    return claim


def _renew(claim: Claim, config, **values) -> bool:
    """Move the claim's lease on from now (writing ``values`` with it) where the claim still stands."""
    locked_until = utcnow() + lease_for(claim.channel, config)
    if not _update_held(claim, locked_until=locked_until, **values):
        return False
    claim.locked_until = locked_until
    return True


def _send_budget(claim: Claim, config) -> float | None:
    """Seconds this send may take: the channel's limit, renewing the lease first if less than that (plus
    :data:`LEASE_SLACK`) is left of it. None: the claim was lost, or the database is too slow to leave
    time for a send inside the lease (the message is left for the lease to run out)."""
    limit = channels.send_timeout(claim.channel, config)
    for _ in range(2):
        left = (claim.locked_until - utcnow() - LEASE_SLACK).total_seconds()
        if left >= limit:
            return limit
        if not _renew(claim, config):
            return None
    return left if left >= 1 else None


def _still_due(message: OutboxMessage) -> bool:
    """The areas that wrote the message say whether it still holds (:data:`.signals.message_due`)."""
    answers = [answer for _receiver, answer in signals.message_due.send(message)]
    return bool(answers) and all(answers)


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** max(0, attempts - 1))


def _lost(claim: Claim, what: str) -> None:
    log.warning("outbox message %s: the claim (attempt %s) was taken over before %s", claim.id, claim.attempts,
                what)


def dispatch_due(limit: int = 100, now: datetime | None = None) -> DispatchResult:
    """Send up to ``limit`` due messages, one claim at a time (commits as it goes).

    First the events for webhooks due are expanded into their deliveries (:func:`expand_events`). Then,
    for each message: claim it (:func:`claim_next`), render it at its first attempt and keep what was
    rendered (written only where the claim still stands, with the lease renewed), make sure the lease
    outlasts the send's time limit, end the transaction, send with that limit
    (:func:`.channels.send`), and record the result only where the claim still stands. No transaction
    is open during a send (on SQLite it would hold the one write lock). A failure (of rendering or of
    sending) is retried with backoff (1, 2, 4 … minutes) until RECEPTION_NOTIFY_MAX_ATTEMPTS, then the
    message is marked failed with its last error (administrators see it at /admin/outbox/). A reminder
    whose appointment was cancelled or moved is dropped, unrendered.

    ``now`` (default: the clock at each claim) decides which messages are due and when a retry is;
    leases are always read and set by the clock, which every dispatcher shares.
    """
    config = current_app.config
    max_attempts = int(config.get("NOTIFY_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
    result = DispatchResult()
    expand_events(now or utcnow())
    db.session.commit()
    for _ in range(limit):
        moment = now or utcnow()
        claim = claim_next(moment, config)
        if claim is None:
            break
        _dispatch(claim, moment, config, max_attempts, result)
    return result


def _dispatch(claim: Claim, now: datetime, config, max_attempts: int, result: DispatchResult) -> None:
    message = db.session.get(OutboxMessage, claim.id)
    if message.cancel_if_inactive and not _still_due(message):
        if _update_held(claim, status=OutboxStatus.CANCELLED, locked_until=None,
                        last_error="dropped: the appointment is no longer scheduled"):
            result.dropped += 1
        else:
            _lost(claim, "it was dropped")
        return
    try:
        # What is sent: a copy, outside the session, that the commits below leave as it is.
        outgoing = OutboxMessage(**{attr.key: getattr(message, attr.key)
                                    for attr in sa_inspect(OutboxMessage).column_attrs})
        if not message.is_rendered:
            rendered = render(message)
            outgoing.subject = rendered.subject[:255]
            outgoing.body_text, outgoing.body_html, outgoing.ics = (rendered.body_text, rendered.body_html,
                                                                    rendered.ics)
            outgoing.rendered_at, outgoing.segments = now, rendered.segments
            if not _renew(claim, config, subject=outgoing.subject, body_text=outgoing.body_text,
                          body_html=outgoing.body_html, ics=outgoing.ics, rendered_at=now,
                          segments=rendered.segments):
                _lost(claim, "it was rendered")
                return
        budget = _send_budget(claim, config)
        if budget is None:
            _lost(claim, "it was sent")
            return
        db.session.commit()  # no transaction stays open while the message is on its way
        channels.send(outgoing, config, timeout=budget)
    except Exception as exc:  # one failure must not stop the batch
        error = str(exc) if isinstance(exc, channels.DeliveryError) else f"{exc.__class__.__name__}: {exc}"
        db.session.rollback()  # a failed rendering may have left the session unusable; the claim is kept
        log.warning("outbox message %s (attempt %s) failed: %s", claim.id, claim.attempts, error)
        if claim.attempts >= max_attempts:
            values = dict(status=OutboxStatus.FAILED)
        else:
            values = dict(status=OutboxStatus.PENDING, due_at=now + _backoff(claim.attempts))
        if not _update_held(claim, last_error=error[:2000], locked_until=None, **values):
            _lost(claim, "its failure was recorded")
        elif values["status"] is OutboxStatus.FAILED:
            result.failed += 1
        else:
            result.retried += 1
        return
    # Sent. The row is marked only where this claim still stands: the claim outlasts the send's limit, so
    # it does unless this process stalled past its lease and another dispatcher took the message over.
    if not _update_held(claim, status=OutboxStatus.SENT, locked_until=None, sent_at=utcnow()):
        log.error("outbox message %s was sent, but its claim had been taken over (this dispatcher stalled "
                  "past its lease): it may arrive twice, with the same Message-ID or Idempotency-Key", claim.id)
    result.sent += 1
