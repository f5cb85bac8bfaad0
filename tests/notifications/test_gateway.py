"""What the SMS gateway tells the application, asked directly: delivery reports (signed per message) and
SMS from citizens (with the shared key); Kannel's sendsms request; the generic gateway's success rule;
and the administrators' outbox page showing segments and delivery. (tests/notifications/test_kannel.py
has Kannel itself in the loop.)"""
from __future__ import annotations

import secrets
import urllib.parse
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.config import ConfigError, build_config
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.channels import KANNEL_DLR_MASK, kannel_query, message_key, report_signature
from reception.notifications.models import Channel, DeliveryStatus, InboundSms, OutboxMessage, OutboxStatus
from reception.notifications.services import dispatch_due, enqueue_sms
from reception.notifications.signals import sms_received

SECRET = "test-secret"  # the test app's SECRET_KEY
MO_KEY = "mo-key-for-the-tests-0123456789"


@pytest.fixture
def sent_sms(db, make_user):
    """An SMS the dispatcher handed to the gateway (sent), not reported on yet."""
    def make(**overrides) -> OutboxMessage:
        user = make_user(phone="+77011234567", notify_by=NotifyBy.SMS, language="ru")
        values = dict(kind="booking_confirmed", channel=Channel.SMS, user_id=user.id, recipient=user.phone,
                      locale="ru", body_text="Талон KZ15-1: приём завтра.", rendered_at=utcnow(),
                      status=OutboxStatus.SENT, sent_at=utcnow(), attempts=1, segments=1)
        values.update(overrides)
        message = OutboxMessage(**values)
        db.session.add(message)
        db.session.commit()
        return message
    return make


def report(client, message, type_, reply="", sig=None):
    sig = report_signature(message.id, message_key(message), SECRET) if sig is None else sig
    query = urllib.parse.urlencode({"id": message.id, "sig": sig, "type": type_, "reply": reply})
    return client.get(f"/sms/kannel/dlr?{query}")


def test_a_delivery_report_marks_the_sms_delivered_and_a_second_one_changes_nothing(client, db, sent_sms):
    message = sent_sms()
    assert report(client, message, 8, "ACK/").status_code == 200
    db.session.refresh(message)
    assert message.delivery_status is DeliveryStatus.ACCEPTED
    r = report(client, message, 1)
    assert r.status_code == 200 and r.mimetype == "text/plain" and r.data == b""
    db.session.refresh(message)
    delivered_at = message.delivery_reported_at
    assert message.delivery_status is DeliveryStatus.DELIVERED and delivered_at is not None
    for type_ in (1, 8, 4):  # twice, late, or a kind not asked for: harmless
        assert report(client, message, type_).status_code == 200
    db.session.refresh(message)
    assert (message.delivery_status, message.delivery_reported_at) == (DeliveryStatus.DELIVERED, delivered_at)
    assert message.status is OutboxStatus.SENT  # the dispatcher's status is its own


@pytest.mark.parametrize("type_", [2, 16])
def test_a_failure_report_marks_the_sms_not_delivered_with_the_operators_words(client, db, sent_sms, type_):
    message = sent_sms()
    report(client, message, 1)
    assert report(client, message, type_, "NACK/0x0000000b/Invalid Destination Address").status_code == 200
    db.session.refresh(message)
    # A failure wins over a delivery (a second part that did not arrive), and is never taken back.
    assert message.delivery_status is DeliveryStatus.FAILED
    assert message.delivery_error == "NACK/0x0000000b/Invalid Destination Address"
    report(client, message, 1)
    db.session.refresh(message)
    assert message.delivery_status is DeliveryStatus.FAILED


def test_forged_and_unknown_reports_are_refused_and_change_nothing(client, db, sent_sms):
    message, other = sent_sms(), sent_sms()
    forged = report_signature(other.id, message_key(other), SECRET)
    assert report(client, message, 1, sig=forged).status_code == 403
    assert report(client, message, 1, sig="").status_code == 403
    assert report(client, message, 1, sig=report_signature(message.id, message_key(message), "another")
                  ).status_code == 403
    assert client.get("/sms/kannel/dlr?id=999999999&sig=x&type=1").status_code == 404
    assert client.get("/sms/kannel/dlr?id=99999999999&sig=x&type=1").status_code == 400
    assert client.get(f"/sms/kannel/dlr?id={message.id}&sig=x&type=%d").status_code == 400  # %d not filled in
    assert client.get("/sms/kannel/dlr").status_code == 400
    email = sent_sms(channel=Channel.EMAIL, recipient="a@example.kz")
    assert report(client, email, 1).status_code == 404  # only SMS have delivery reports
    db.session.refresh(message)
    assert message.delivery_status is None


def test_kannel_is_asked_to_report_back_to_a_signed_address(app, db, sent_sms, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://reception.gov.kz/")
    monkeypatch.setitem(app.config, "SMS_SENDER", "Qabyldau")
    message = sent_sms()
    query = kannel_query(message, app.config)
    assert query["coding"] == "2" and query["charset"] == "UTF-8" and query["from"] == "Qabyldau"
    assert query["dlr-mask"] == str(KANNEL_DLR_MASK) == "27"
    sig = report_signature(message.id, message_key(message), SECRET)
    assert query["dlr-url"] == f"https://reception.gov.kz/sms/kannel/dlr?id={message.id}&sig={sig}&type=%d&reply=%A"
    plain = kannel_query(sent_sms(body_text="Talon KZ15-1: reception tomorrow."), app.config)
    assert "coding" not in plain  # GSM-7: Kannel's default coding


# --- SMS from citizens ------------------------------------------------------------------------------------

@pytest.fixture
def mo_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "KANNEL_MO_SECRET", MO_KEY)
    return MO_KEY


def incoming(client, key=MO_KEY, **params):
    return client.get("/sms/kannel/incoming?" + urllib.parse.urlencode({"key": key, **params}))


def test_an_sms_from_a_citizen_is_recorded_and_offered_to_the_receivers(client, db, mo_key):
    heard = []

    def understand(sender, text, received_at, **_):
        heard.append((sender, text))
        return text == "2"

    sms_received.connect(understand)
    try:
        r = incoming(client, **{"from": "87011234567", "to": "1414", "text": "  2 "})
        r2 = incoming(client, **{"from": "Beeline", "to": "1414", "text": "Promo"})  # not a phone: kept, not offered
    finally:
        sms_received.disconnect(understand)
    assert (r.status_code, r.mimetype, r.data) == (200, "text/plain", b"")
    assert r2.status_code == 200
    assert heard == [("+77011234567", "2")]
    rows = db.session.scalars(select(InboundSms).order_by(InboundSms.id)).all()[-2:]
    assert [(m.sender, m.receiver, m.text, m.understood) for m in rows] == [
        ("+77011234567", "1414", "2", True), ("Beeline", "1414", "Promo", False)]


def test_the_incoming_address_needs_the_key_and_a_sender(client, db, app, mo_key, monkeypatch):
    before = db.session.scalar(select(InboundSms.id).order_by(InboundSms.id.desc()).limit(1))
    assert incoming(client, key="wrong", **{"from": "+77011234567", "text": "1"}).status_code == 403
    assert incoming(client, key="", **{"from": "+77011234567", "text": "1"}).status_code == 403
    assert incoming(client, **{"text": "1"}).status_code == 400
    assert incoming(client, **{"from": "+77011234567", "text": "x" * 2001}).status_code == 400
    monkeypatch.setitem(app.config, "KANNEL_MO_SECRET", "")
    assert incoming(client, key="", **{"from": "+77011234567", "text": "1"}).status_code == 404  # switched off
    assert db.session.scalar(select(InboundSms.id).order_by(InboundSms.id.desc()).limit(1)) == before


# --- the generic HTTP gateway: a 2xx answer with an error inside ------------------------------------------

def test_a_gateway_answer_without_the_success_mark_is_retried(ctx, db, app, monkeypatch, make_user, sms_gateway):
    monkeypatch.setitem(app.config, "SMS_GATEWAY_SUCCESS", r'"accepted":\s*true')
    message = enqueue_sms(make_user(phone="+77011234567", language="en"), "legal_review_queued",
                          "legal_review_queued", case_url="https://reception.test/legal/reviews/1")
    db.session.commit()
    sms_gateway.status, sms_gateway.reply = 200, b'{"accepted": false, "error": "balance"}'
    now = utcnow()
    assert dispatch_due(now=now).retried == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING and "balance" in message.last_error
    sms_gateway.reply = b'{"accepted": true}'
    assert dispatch_due(now=now + timedelta(minutes=1)).sent == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.segments == 1


# --- the administrators' page ---------------------------------------------------------------------------

def test_administrators_see_segments_and_delivery_on_the_outbox_page(client, db, login_as, sent_sms):
    delivered, failed = sent_sms(segments=2), sent_sms()
    report(client, delivered, 1)
    report(client, failed, 16, "NACK/no SMSC")
    login_as(Role.ADMIN, language="ru")
    page = client.get("/admin/outbox/?status=sent").get_data(as_text=True)
    assert "Частей SMS" in page and "Доставлено на телефон" in page
    assert "Не доставлено на телефон" in page and "NACK/no SMSC" in page
    one = client.get(f"/admin/outbox/{failed.id}").get_data(as_text=True)
    assert "Не доставлено на телефон" in one and "NACK/no SMSC" in one


# --- production settings --------------------------------------------------------------------------------

def test_production_refuses_a_weak_kannel_password_or_sms_key(tmp_path):
    strong = secrets.token_urlsafe(24)
    production = {"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": secrets.token_urlsafe(32),
                  "RECEPTION_DATABASE_URL": "postgresql+psycopg://x/y", "RECEPTION_SMS_TRANSPORT": "kannel"}
    for weak in ("", "foobar", "…", "changeme"):
        with pytest.raises(ConfigError, match="RECEPTION_KANNEL_PASSWORD"):
            build_config(str(tmp_path), environ={**production, "RECEPTION_KANNEL_PASSWORD": weak})
    with pytest.raises(ConfigError, match="RECEPTION_KANNEL_MO_SECRET"):
        build_config(str(tmp_path), environ={**production, "RECEPTION_KANNEL_PASSWORD": strong,
                                             "RECEPTION_KANNEL_MO_SECRET": "short"})
    config = build_config(str(tmp_path), environ={**production, "RECEPTION_KANNEL_PASSWORD": strong,
                                                  "RECEPTION_KANNEL_MO_SECRET": strong})
    assert (config["SMS_TRANSPORT"], config["KANNEL_URL"]) == ("kannel", "http://127.0.0.1:13013")
