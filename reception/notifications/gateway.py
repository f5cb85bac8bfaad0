"""What the SMS gateway tells the application: delivery reports of sent SMS and SMS sent by citizens.

Kannel calls two addresses (see the README, "SMS through Kannel"):

- the delivery-report address given with each SMS (:func:`.channels.kannel_report_url`), signed per
  outbox row with the application's secret key: :func:`record_delivery_report`;
- the sms-service's get-url for SMS citizens send to the system's number, carrying the shared secret
  RECEPTION_KANNEL_MO_SECRET: :func:`receive_sms`, which records the SMS and sends
  :data:`.signals.sms_received`.

Both change the database in the caller's transaction and never commit.
"""
from __future__ import annotations

import hmac
import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update

from ..core.errors import NotAllowed, NotFound
from ..core.phones import PhoneError, normalize_phone
from ..core.web import valid_id
from ..extensions import db
from . import signals
from .channels import message_key, report_signature
from .models import Channel, DeliveryStatus, InboundSms, OutboxMessage

log = logging.getLogger(__name__)

# Kannel's report types (its %d): 1 delivered to the phone, 2 not delivered to the phone, 4 queued on the
# SMSC, 8 accepted by the SMSC, 16 refused by the SMSC.
DELIVERED, UNDELIVERED, QUEUED, ACCEPTED, REJECTED = 1, 2, 4, 8, 16
#: What each report type makes of the row, and from which statuses: a report never takes a row back (an
#: "accepted" after "delivered" changes nothing), and a failure wins over a delivery (a message sent in
#: two parts whose second part failed did not reach the phone whole). A report arriving twice changes
#: nothing the second time.
_TRANSITIONS = {
    DELIVERED: (DeliveryStatus.DELIVERED, (None, DeliveryStatus.ACCEPTED)),
    ACCEPTED: (DeliveryStatus.ACCEPTED, (None,)),
    UNDELIVERED: (DeliveryStatus.FAILED, (None, DeliveryStatus.ACCEPTED, DeliveryStatus.DELIVERED)),
    REJECTED: (DeliveryStatus.FAILED, (None, DeliveryStatus.ACCEPTED, DeliveryStatus.DELIVERED)),
}


def record_delivery_report(message_id, signature: str, report_type: int, reply: str, secret: str,
                           now: datetime) -> bool:
    """Mark the SMS outbox row ``message_id`` as the gateway reports (``report_type``: Kannel's %d, ``reply``
    its %A, the operator's words, kept for a failure). Returns whether the row changed.

    Raises NotFound for an id no SMS row has, NotAllowed when ``signature`` is not the row's (see
    :func:`.channels.report_signature`). Report types other than 1, 2, 8 and 16 are accepted and change
    nothing. One guarded UPDATE: reports racing each other (or the dispatcher marking the row sent)
    cannot undo one another.
    """
    row = db.session.get(OutboxMessage, message_id) if valid_id(message_id) else None
    if row is None or row.channel is not Channel.SMS:
        raise NotFound(_l("No such message."))
    expected = report_signature(row.id, message_key(row), secret)
    if not hmac.compare_digest(expected.encode(), (signature or "").encode()):
        raise NotAllowed(_l("This delivery report is not signed for this message."))
    if report_type not in _TRANSITIONS:
        return False
    status, from_statuses = _TRANSITIONS[report_type]
    allowed = [OutboxMessage.delivery_status.is_(None) if s is None else OutboxMessage.delivery_status == s
               for s in from_statuses]
    values = dict(delivery_status=status, delivery_reported_at=now)
    if status is DeliveryStatus.FAILED:
        values["delivery_error"] = (reply or "").strip()[:255] or f"report {report_type}"
    changed = db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id, or_(*allowed))
                                 .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    if changed:
        db.session.expire(row)
    return changed


def sender_number(raw: str) -> str:
    """The sender as E.164 when it reads as a phone number (Kannel gives ``+77011234567``, ``77011234567``
    or ``87011234567`` as the operator sends it), else as given (at most 32 characters)."""
    raw = (raw or "").strip()
    candidate = "+" + raw if raw.isdigit() and len(raw) == 11 and raw.startswith("7") else raw
    try:
        return normalize_phone(candidate)
    except PhoneError:
        return raw[:32]


def receive_sms(sender: str, receiver: str, text: str, now: datetime) -> InboundSms:
    """Record an SMS a citizen sent to the system's number, then send :data:`.signals.sms_received` (for
    a sender that reads as a phone number) and note whether a receiver understood it. Adds and flushes."""
    number = sender_number(sender)
    message = InboundSms(sender=number, receiver=(receiver or "").strip()[:32], text=(text or "").strip(),
                         received_at=now)
    db.session.add(message)
    db.session.flush()
    if number.startswith("+"):
        answers = signals.sms_received.send(number, text=message.text, received_at=now)
        message.understood = any(bool(answer) for _receiver, answer in answers)
    log.info("SMS %s from %s: %s", message.id, number, "understood" if message.understood else "not understood")
    return message
