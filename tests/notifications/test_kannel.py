"""SMS through a real Kannel on loopback (tests/notifications/kannel.py): the dispatcher's sendsms, the
delivery reports Kannel sends back to the running application, and SMS citizens send to the system.

The application is served for real (werkzeug on a loopback port, in a thread: the ``served`` and
``kannel`` fixtures of tests/notifications/conftest.py) so that Kannel's smsbox can call it; the rows are
committed for real (Kannel's requests are other connections) and deleted afterwards. Nothing is mocked:
the dispatcher talks HTTP to smsbox, smsbox to bearerbox, bearerbox to the fake SMSC and its client
(fakesmsc), and smsbox calls the application back.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.accounts.models import NotifyBy, User
from reception.extensions import db
from reception.notifications.models import DeliveryStatus, InboundSms, OutboxMessage, OutboxStatus
from reception.notifications.services import enqueue_sms
from reception.notifications.signals import sms_received
from tests.notifications.kannel import PASSWORD, SENDER, UNROUTABLE, dispatch, wait_until

THEN = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)  # due long ago: the dispatcher takes these first
PHONE = "+77011234567"


@pytest.fixture
def committed(app, engine):
    """Rows committed for real (a citizen, their SMS, what arrived), deleted afterwards."""
    made = {"users": [], "messages": []}

    def citizen(language: str, phone: str) -> User:
        with Session(engine, expire_on_commit=False) as s:
            n = len(made["users"]) + int(time.time() * 1000) % 10**9
            user = User(email=f"kannel{n}@example.kz", full_name="Әлия Серікқызы", password_hash="-",
                        language=language, phone=phone, notify_by=NotifyBy.SMS)
            s.add(user)
            s.commit()
        made["users"].append(user.id)
        return user

    def sms(user: User, **context) -> int:
        with app.test_request_context():
            message = enqueue_sms(user, "legal_review_queued", "legal_review_queued", due_at=THEN, **context)
            db.session.commit()
            made["messages"].append(message.id)
            return message.id

    yield citizen, sms
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(made["messages"])))
        conn.execute(delete(InboundSms).where(InboundSms.sender == PHONE))
        conn.execute(delete(User).where(User.id.in_(made["users"])))


def _row(engine, message_id: int) -> OutboxMessage:
    with Session(engine) as s:
        row = s.get(OutboxMessage, message_id)
        s.expunge_all()
        return row


def test_an_sms_goes_out_through_kannel_whole_in_cyrillic_and_its_delivery_report_marks_it_delivered(
        app, engine, kannel, committed):
    citizen, sms = committed
    message_id = sms(citizen("ru", PHONE), case_url="https://reception.gov.kz/legal/reviews/123456")
    dispatch(app)

    row = _row(engine, message_id)
    assert row.status is OutboxStatus.SENT, (row.status, row.last_error, kannel.logs())
    assert row.body_text.startswith("В вашей очереди дело ожидает правовой проверки")
    assert row.segments == 2  # 93 UCS-2 characters: two parts
    wait_until(lambda: [m for m in kannel.received() if m.receiver == PHONE], "the SMS to reach the phone", kannel)
    [got] = [m for m in kannel.received() if m.receiver == PHONE]
    assert (got.sender, got.text, got.parts) == (SENDER, row.body_text, 2)

    # The fake SMSC reports the handover (Kannel's type 8) and the delivery (type 1) to the address the
    # dispatcher gave, signed for this row; the application marks the row delivered.
    wait_until(lambda: _row(engine, message_id).delivery_status is DeliveryStatus.DELIVERED,
                "the delivery report", kannel)
    row = _row(engine, message_id)
    assert row.delivery_reported_at is not None and row.delivery_error is None
    assert row.status is OutboxStatus.SENT and row.attempts == 1


def test_a_message_kannel_cannot_route_is_reported_not_delivered_and_retried(app, engine, kannel, committed):
    """Kannel refuses the number ("Not routable", 403): the dispatcher keeps the message for a retry, and
    Kannel's own delivery report (type 16) marks it not delivered, with its words."""
    citizen, sms = committed
    message_id = sms(citizen("kk", UNROUTABLE + "1234567"), case_url="https://reception.gov.kz/legal/reviews/1")
    dispatch(app)

    row = _row(engine, message_id)
    assert row.status is OutboxStatus.PENDING and row.attempts == 1
    assert "403" in row.last_error and "Not routable" in row.last_error
    assert PASSWORD not in row.last_error
    wait_until(lambda: _row(engine, message_id).delivery_status is DeliveryStatus.FAILED,
                "Kannel's report of the failure", kannel)
    assert "no SMSC" in _row(engine, message_id).delivery_error
    assert not [m for m in kannel.received() if m.receiver.startswith(UNROUTABLE)]


def test_wrong_kannel_credentials_leave_the_message_to_retry(app, engine, kannel, committed, monkeypatch):
    monkeypatch.setitem(app.config, "KANNEL_PASSWORD", "not-the-password-of-kannel")
    citizen, sms = committed
    message_id = sms(citizen("en", PHONE), case_url="https://reception.gov.kz/legal/reviews/2")
    dispatch(app)
    row = _row(engine, message_id)
    assert row.status is OutboxStatus.PENDING and "Authorization failed" in row.last_error
    assert "not-the-password" not in row.last_error and row.delivery_status is None


def test_an_sms_from_a_citizen_reaches_the_application_and_its_receivers(app, engine, kannel, committed):
    heard = []

    def receiver(sender, text, received_at, **_):
        heard.append((sender, text, received_at))
        return text == "1"

    def recorded(count: int):
        def check():
            with Session(engine) as s:
                return len(s.scalars(select(InboundSms).where(InboundSms.sender == PHONE)).all()) == count
        return check

    sms_received.connect(receiver)
    try:
        kannel.send_from_phone(PHONE, "Да, решено")
        wait_until(recorded(1), "the first SMS to reach the application", kannel)
        kannel.send_from_phone(PHONE.removeprefix("+"), " 1 ")  # an operator that gives no "+"
        wait_until(recorded(2), "the second SMS to reach the application", kannel)
    finally:
        sms_received.disconnect(receiver)
    assert [(sender, text) for sender, text, _ in heard] == [(PHONE, "Да, решено"), (PHONE, "1")]
    with Session(engine) as s:
        rows = s.scalars(select(InboundSms).where(InboundSms.sender == PHONE).order_by(InboundSms.id)).all()
        assert [(r.text, r.receiver, r.understood) for r in rows] == [("Да, решено", "1414", False),
                                                                      ("1", "1414", True)]
    # Kannel sent no reply to the phone (the service answers with an empty body, omit-empty).
    assert not [m for m in kannel.received() if m.receiver == PHONE]


def test_the_incoming_address_refuses_a_wrong_key(app, kannel):
    url = f"{app.config['BASE_URL']}/sms/kannel/incoming?key=wrong&from=%2B77011234567&text=1"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=5)
    with refused.value:
        assert refused.value.code == 403 and refused.value.read()  # a short text, in the default language
