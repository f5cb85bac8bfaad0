"""Booking, moving and cancelling through the pages tell the citizen by e-mail (with the calendar
invite) and SMS, received here by a real SMTP server and a real HTTP gateway on loopback."""
from __future__ import annotations

import email
import json
import re
import socket
import threading
from datetime import timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.models import OutboxMessage, OutboxStatus
from reception.notifications.services import dispatch_due
from tests.conftest import login, post_form

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd cannot be asked for port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                       "SMTP_SECURITY": "none", "SMTP_USERNAME": "",
                       "MAIL_FROM": "Reception <noreply@reception.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield inbox.messages
    controller.stop()


@pytest.fixture
def gateway(app, monkeypatch):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append({"auth": self.headers["Authorization"],
                             "body": json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for key, value in {"SMS_TRANSPORT": "http", "SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_port}/send",
                       "SMS_GATEWAY_AUTH": "Bearer gateway-key", "SMS_GATEWAY_CONTENT_TYPE": "application/json",
                       "SMS_GATEWAY_BODY": '{"phone": "$to", "message": "$text"}'}.items():
        monkeypatch.setitem(app.config, key, value)
    yield received
    server.shutdown()
    server.server_close()


def invite(message) -> Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one calendar invite per e-mail"
    return Calendar.from_ical(parts[0].get_content())


def event(calendar: Calendar):
    return next(c for c in calendar.walk("VEVENT"))


def deliver(app, now=None):
    with app.app_context():
        return dispatch_due(now=now)


@pytest.fixture
def citizen(make_user):
    return make_user(Role.CITIZEN, full_name="Асанов Марат", language="ru", phone="+77011234567",
                     notify_by=NotifyBy.BOTH)


@pytest.fixture
def session(db, make_session):
    s = make_session(slots=3, start=(utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0))
    db.session.commit()
    return s


def test_booking_moving_and_cancelling_reach_the_citizen_by_email_with_invites_and_by_sms(
        app, client, db, citizen, session, topic, smtp, gateway):
    login(client, citizen)

    # Book through the page.
    url = f"/reception/slots/{session.slots[0].id}/book"
    page = client.get(url).get_data(as_text=True)
    r = post_form(client, url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                                "summary": "Нет воды", "idempotency_key": KEY_RE.search(page)[1]})
    assert r.status_code == 302
    booked = db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()
    assert deliver(app).sent == 2
    mail, = smtp
    assert mail["To"] == citizen.email and booked.talon_number in mail["Subject"]
    plain = mail.get_body(("plain",)).get_content()
    assert plain.startswith("Здравствуйте, Асанов Марат!") and booked.talon_number in plain  # the citizen's language
    assert mail.get_body(("html",)) is not None
    first = invite(mail)
    assert first["METHOD"] == "REQUEST"
    uid = str(event(first)["UID"])
    assert int(event(first)["SEQUENCE"]) == 0
    sms, = gateway
    assert sms["auth"] == "Bearer gateway-key" and sms["body"]["phone"] == "+77011234567"
    assert booked.talon_number in sms["body"]["message"]

    # Move it to the next time through the page.
    url = f"/my/appointments/{booked.id}/reschedule/{session.slots[1].id}"
    page = client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"idempotency_key": KEY_RE.search(page)[1]}).status_code == 302
    moved = db.session.scalars(select(Appointment).where(Appointment.rescheduled_from_id == booked.id)).one()
    assert deliver(app).sent == 2
    second = invite(smtp[1])
    assert second["METHOD"] == "REQUEST" and str(event(second)["UID"]) == uid
    assert int(event(second)["SEQUENCE"]) == 1
    assert event(second)["DTSTART"].dt == session.slots[1].starts_at
    assert moved.talon_number in gateway[1]["body"]["message"]

    # Cancel it through the page.
    assert post_form(client, f"/my/appointments/{moved.id}/cancel",
                     form_url=f"/my/appointments/{moved.id}").status_code == 302
    assert deliver(app).sent == 2
    third = invite(smtp[2])
    assert third["METHOD"] == "CANCEL" and str(event(third)["UID"]) == uid
    assert int(event(third)["SEQUENCE"]) == 2
    assert moved.talon_number in gateway[2]["body"]["message"]

    # The reminders of both appointments fall due later and are dropped, not sent.
    result = deliver(app, now=utcnow() + timedelta(days=4))
    assert result.sent == 0 and result.dropped >= 4
    assert len(smtp) == 3 and len(gateway) == 3
    statuses = db.session.scalars(select(OutboxMessage.status).where(
        OutboxMessage.kind.in_(["reminder_24h", "reminder_2h"]))).all()
    assert statuses and set(statuses) == {OutboxStatus.CANCELLED}


def test_a_reminder_of_a_kept_appointment_arrives_when_due(app, client, db, citizen, session, topic, smtp, gateway):
    citizen.notify_by = NotifyBy.EMAIL
    login(client, citizen)
    url = f"/reception/slots/{session.slots[0].id}/book"
    page = client.get(url).get_data(as_text=True)
    post_form(client, url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                            "summary": "Нет воды", "idempotency_key": KEY_RE.search(page)[1]})
    assert deliver(app).sent == 1  # the confirmation; the reminders are not due yet
    start = session.slots[0].starts_at
    assert deliver(app, now=start - timedelta(hours=23)).sent == 1
    assert deliver(app, now=start - timedelta(hours=1)).sent == 1
    assert [m["Subject"] for m in smtp[1:]] == [smtp[1]["Subject"]] * 2
    assert smtp[1]["Subject"].startswith("Напоминание")  # in the citizen's language
    assert gateway == []  # e-mail only, as chosen
    appointment = db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()
    assert appointment.status is AppointmentStatus.SCHEDULED
