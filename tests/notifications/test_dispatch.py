"""The outbox dispatcher against a real SMTP server and a real HTTP SMS gateway on loopback.

What a citizen gets (one e-mail with text, HTML and the invite; one SMS, correctly encoded),
what an operator relies on (retries with backoff, failures shown to administrators, reminders
of cancelled receptions dropped, crashed dispatchers' messages taken again, the command's
counts), and that a change rolled back announces nothing.
"""
from __future__ import annotations

import re
import urllib.parse
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from reception.accounts.models import NotifyBy
from reception.booking.models import Appointment, AppointmentStatus
from reception.booking.services import book_slot, cancel_appointment, reschedule_appointment
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.models import Channel, OutboxMessage, OutboxStatus
from reception.notifications.services import dispatch_due, enqueue_email, enqueue_sms, notify
from tests.notifications.conftest import MAIL_FROM, SMS_AUTH, SMTP_LOGIN, SMTP_PASSWORD

BOOKING_CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}
RESET_LINK = "https://reception.test/reset/abc123"
INVITE = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Reception test//EN\r\nMETHOD:REQUEST\r\n"
          "BEGIN:VEVENT\r\nUID:appointment-1@reception.test\r\nDTSTAMP:20260101T080000Z\r\n"
          "DTSTART:20260105T090000Z\r\nDTEND:20260105T093000Z\r\nSUMMARY:Reception\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n")
# A name with a double quote and Kazakh letters: JSON must escape the one and keep the others. (Plain data:
# the outbox keeps a message's context as references and plain values until it renders it.)
OFFICIAL = {"full_name": '"Ақорда" Әкімі Серікұлы', "position": "Аким"}  # SMS show the surname (here quoted)


@pytest.fixture(autouse=True)
def outbox_of_this_test_only(db):
    """Rows committed by other tests (they are not ours to send) are hidden inside this test's
    transaction, which is rolled back afterwards; the dispatcher sees only what this test writes."""
    db.session.execute(delete(OutboxMessage))
    db.session.flush()


def reset_email(user, **kwargs) -> OutboxMessage:
    return enqueue_email(user, "password_reset", "Reset your password", "password_reset",
                         link=RESET_LINK, minutes=60, **kwargs)


def declined_sms(user) -> OutboxMessage:
    return enqueue_sms(user, "request_declined", "request_declined", official=OFFICIAL, link=RESET_LINK)


def add_message(db, **overrides) -> OutboxMessage:
    values = dict(kind="test", channel=Channel.EMAIL, recipient="someone@example.kz", locale="en",
                  subject="A test message", body_text="Hello.", due_at=utcnow() - timedelta(minutes=1))
    values.update(overrides)
    message = OutboxMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


# --- e-mail over SMTP -----------------------------------------------------------------------------

def test_email_with_an_invite_arrives_once_with_text_html_and_calendar(ctx, db, make_user, smtp_server):
    user = make_user(email="aigul@example.kz")
    message = reset_email(user, ics=INVITE)
    db.session.commit()

    result = dispatch_due()
    assert (result.sent, result.retried, result.failed, result.dropped) == (1, 0, 0, 0)
    assert dispatch_due().sent == 0  # nothing twice

    assert len(smtp_server.received) == 1
    received = smtp_server.received[0]
    assert received.mail_from == "noreply@reception.test"
    assert received.rcpt_tos == ["aigul@example.kz"]
    mail = received.message
    assert mail["From"] == MAIL_FROM
    assert mail["To"] == "aigul@example.kz"
    assert mail["Subject"] == "Reset your password"
    assert mail["Date"]
    assert re.fullmatch(rf"<[^<>@\s]+\.outbox-{message.id}@reception\.test>", mail["Message-ID"])
    # A resend after a crash carries the same Message-ID, so the receiving side can drop the twin.
    from reception.notifications.channels import build_email
    assert build_email(message, {"MAIL_FROM": MAIL_FROM})["Message-ID"] == mail["Message-ID"]
    assert mail.get_content_type() == "multipart/mixed"

    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Hello, Test User" in text.get_content() and RESET_LINK in text.get_content()
    assert f'<a href="{RESET_LINK}">' in html.get_content()

    attachments = list(mail.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["text/calendar"]
    invite = attachments[0]
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_filename() == "invite.ics"
    assert invite.get_payload(decode=True).decode("utf-8") == INVITE

    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    assert message.sent_at is not None and message.attempts == 1
    assert message.locked_until is None and message.last_error is None


def test_email_in_russian_keeps_its_cyrillic_subject_body_and_invite(ctx, db, make_user, smtp_server):
    user = make_user(language="ru", full_name="Әлия Нұрланқызы")
    invite = INVITE.replace("SUMMARY:Reception", "SUMMARY:Приём у акима")
    reset_email_ru = enqueue_email(user, "password_reset", "Сброс пароля", "password_reset",
                                   link=RESET_LINK, minutes=60, ics=invite)
    db.session.commit()

    assert dispatch_due().sent == 1
    mail = smtp_server.received[0].message
    assert mail["Subject"] == "Сброс пароля"
    assert mail["Content-Language"] == "ru"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Әлия Нұрланқызы" in text
    assert text.strip() == reset_email_ru.body_text.strip()
    calendar = next(mail.iter_attachments())
    # A text/* part without a charset is US-ASCII to a mail client (RFC 2046); the invite is UTF-8.
    assert calendar.get_content_charset() == "utf-8"
    assert "SUMMARY:Приём у акима" in calendar.get_content()


def test_smtp_login_is_used_when_a_username_is_configured(ctx, db, app, monkeypatch, make_user,
                                                          smtp_server_with_auth):
    monkeypatch.setitem(app.config, "SMTP_USERNAME", SMTP_LOGIN)
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", SMTP_PASSWORD)
    message = reset_email(make_user())
    db.session.commit()

    assert dispatch_due().sent == 1
    assert [r.authenticated_as for r in smtp_server_with_auth.received] == [SMTP_LOGIN]
    assert db.session.get(OutboxMessage, message.id).status is OutboxStatus.SENT


def test_wrong_smtp_password_is_retried_and_the_error_does_not_reveal_it(ctx, db, app, monkeypatch, make_user,
                                                                        smtp_server_with_auth):
    monkeypatch.setitem(app.config, "SMTP_USERNAME", SMTP_LOGIN)
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "wrong-password-xyz")
    message = reset_email(make_user())
    db.session.commit()

    assert dispatch_due().retried == 1
    assert smtp_server_with_auth.received == []
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING
    assert "answered 535" in message.last_error
    assert "wrong-password-xyz" not in message.last_error and SMTP_LOGIN not in message.last_error


# --- SMS over HTTP --------------------------------------------------------------------------------

def test_sms_is_posted_once_to_the_gateway_as_json_with_the_authorization_header(ctx, db, make_user, sms_gateway):
    user = make_user(phone="+77011234567", notify_by=NotifyBy.SMS)
    message = declined_sms(user)
    db.session.commit()
    assert message.body_text is None  # intent only: rendered by the dispatcher

    assert dispatch_due().sent == 1
    assert dispatch_due().sent == 0
    assert '"Ақорда"' in message.body_text  # what was sent is kept on the row

    assert len(sms_gateway.requests) == 1
    request = sms_gateway.requests[0]
    assert request.method == "POST"
    assert request.path == "/api/send?sender=Reception"
    assert request.headers["Authorization"] == SMS_AUTH
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"to": "+77011234567", "text": message.body_text, "reference": str(message.id)}
    assert '\\"Ақорда\\"'.encode() in request.body  # escaped quote, Kazakh letters as UTF-8
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.sent_at is not None


def test_sms_to_a_form_encoded_gateway_arrives_url_encoded(ctx, db, app, monkeypatch, make_user, sms_gateway):
    monkeypatch.setitem(app.config, "SMS_GATEWAY_CONTENT_TYPE", "application/x-www-form-urlencoded")
    monkeypatch.setitem(app.config, "SMS_GATEWAY_BODY", "to=$to&text=$text")
    message = declined_sms(make_user(phone="+77011234567"))
    db.session.commit()

    assert dispatch_due().sent == 1
    request = sms_gateway.requests[0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = request.body.decode("ascii")  # URL-encoded: nothing but ASCII on the wire
    assert urllib.parse.parse_qs(body, strict_parsing=True) == {"to": ["+77011234567"],
                                                                 "text": [message.body_text]}


@pytest.mark.parametrize("notify_by, emails, sms", [(NotifyBy.EMAIL, 1, 0), (NotifyBy.SMS, 0, 1),
                                                     (NotifyBy.BOTH, 1, 1)])
def test_a_citizen_hears_by_the_channels_they_chose(ctx, db, make_user, smtp_server, sms_gateway,
                                                   notify_by, emails, sms):
    user = make_user(phone="+77011234567", notify_by=notify_by)
    notify(user, "request_declined", "Your request was declined", "request_declined", official=OFFICIAL,
           ground_label="the issue was already answered", appointment={"decision_note": None},
           link=RESET_LINK)
    db.session.commit()

    assert dispatch_due().sent == emails + sms
    assert [r.rcpt_tos for r in smtp_server.received] == [[user.email]] * emails
    assert [r.json()["to"] for r in sms_gateway.requests] == ["+77011234567"] * sms


# --- retries and failures -------------------------------------------------------------------------

def test_failed_sms_is_retried_a_minute_later_and_sent_when_the_gateway_recovers(ctx, db, make_user,
                                                                                  sms_gateway):
    message = declined_sms(make_user(phone="+77011234567"))
    db.session.commit()
    sms_gateway.status, sms_gateway.reply = 500, b"gateway down"
    now = utcnow()

    result = dispatch_due(now=now)
    assert (result.sent, result.retried, result.failed) == (0, 1, 0)
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 1
    assert "answered 500" in message.last_error and "gateway down" in message.last_error
    assert message.due_at == now + timedelta(minutes=1)
    assert message.locked_until is None

    assert dispatch_due(now=now + timedelta(seconds=59)).retried == 0  # not before its time
    assert len(sms_gateway.requests) == 1

    sms_gateway.status = 200
    assert dispatch_due(now=now + timedelta(minutes=1)).sent == 1
    assert len(sms_gateway.requests) == 2
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.attempts == 2


def test_sms_failing_every_attempt_is_marked_failed_and_shown_to_administrators(ctx, db, app, monkeypatch,
                                                                                make_user, sms_gateway,
                                                                                login_as, client):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    message = declined_sms(make_user(phone="+77019998877"))
    db.session.commit()
    sms_gateway.status, sms_gateway.reply = 500, b"gateway down"
    now = utcnow()

    assert dispatch_due(now=now).retried == 1
    assert dispatch_due(now=now + timedelta(minutes=1)).retried == 1
    db.session.refresh(message)
    assert message.due_at == now + timedelta(minutes=3)  # backoff: 1 minute, then 2
    assert dispatch_due(now=now + timedelta(minutes=2, seconds=59)).retried == 0
    assert len(sms_gateway.requests) == 2
    assert dispatch_due(now=now + timedelta(minutes=3)).failed == 1
    assert len(sms_gateway.requests) == 3
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED and message.attempts == 3
    error = message.last_error
    assert "answered 500: gateway down" in error
    assert dispatch_due(now=now + timedelta(days=1)).retried == 0  # given up: never tried again
    assert len(sms_gateway.requests) == 3

    login_as(Role.ADMIN)
    page = client.get("/admin/outbox/?status=failed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert error in html and "+77019998877" in html
    assert "+77019998877" not in client.get("/admin/outbox/?status=sent").get_data(as_text=True)


@pytest.mark.parametrize("refusal", ["refuse_rcpt", "refuse_data"])
def test_email_refused_by_the_smtp_server_is_retried_then_failed(ctx, db, app, monkeypatch, make_user,
                                                                 smtp_server, refusal):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    setattr(smtp_server, refusal, "550 no such user")
    message = reset_email(make_user())
    db.session.commit()
    now = utcnow()

    assert dispatch_due(now=now).retried == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING and message.attempts == 1
    assert message.due_at == now + timedelta(minutes=1)
    assert "550" in message.last_error and "no such user" in message.last_error

    assert dispatch_due(now=now + timedelta(minutes=1)).retried == 1
    assert dispatch_due(now=now + timedelta(minutes=3)).failed == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED and message.attempts == 3
    assert "550" in message.last_error and "no such user" in message.last_error
    assert smtp_server.received == []
    tries = smtp_server.rcpt_attempts if refusal == "refuse_rcpt" else smtp_server.data_attempts
    assert tries == 3


# --- reminders ------------------------------------------------------------------------------------

def _reminders(db, appointment_id):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id,
                                                          OutboxMessage.kind.like("reminder%"))
                              .order_by(OutboxMessage.kind)).all()


def _reminder_mails(smtp_server):
    return [r for r in smtp_server.received if r.message["Subject"].startswith("Reminder")]


def test_reminders_of_a_cancelled_appointment_are_dropped_not_sent(ctx, db, make_user, make_session,
                                                                   booking_data, smtp_server):
    citizen = make_user(Role.CITIZEN)
    session = make_session()
    now = utcnow()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, now, BOOKING_CONFIG)
    reminders = _reminders(db, appointment.id)
    assert [m.kind for m in reminders] == ["reminder_24h", "reminder_2h"]
    assert all(m.cancel_if_inactive for m in reminders)
    cancel_appointment(citizen, appointment, now)
    db.session.commit()

    result = dispatch_due(now=session.slots[0].starts_at - timedelta(hours=1))  # both reminders due
    assert result.dropped == 2
    assert _reminder_mails(smtp_server) == []
    for reminder in _reminders(db, appointment.id):
        assert reminder.status is OutboxStatus.CANCELLED
        assert reminder.sent_at is None and "no longer scheduled" in reminder.last_error
    subjects = [r.message["Subject"] for r in smtp_server.received]
    assert any("cancelled" in s for s in subjects)  # the cancellation itself is still told


def test_reminders_of_a_scheduled_appointment_are_sent(ctx, db, make_user, make_session, booking_data,
                                                      smtp_server):
    citizen = make_user(Role.CITIZEN)
    session = make_session()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), BOOKING_CONFIG)
    db.session.commit()
    starts_at = session.slots[0].starts_at

    assert dispatch_due(now=starts_at - timedelta(hours=25)).sent == 1  # the confirmation only
    assert _reminder_mails(smtp_server) == []
    assert dispatch_due(now=starts_at - timedelta(hours=24)).sent == 1
    assert dispatch_due(now=starts_at - timedelta(hours=2)).sent == 1
    reminders = _reminders(db, appointment.id)
    assert [m.status for m in reminders] == [OutboxStatus.SENT, OutboxStatus.SENT]
    mails = _reminder_mails(smtp_server)
    assert [r.rcpt_tos for r in mails] == [[citizen.email]] * 2
    assert sorted(len(smtp_server.for_outbox_row(m.id)) for m in reminders) == [1, 1]


def test_reminders_follow_an_appointment_moved_to_another_time(ctx, db, make_user, make_session, booking_data,
                                                               smtp_server):
    citizen = make_user(Role.CITIZEN)
    session = make_session()
    now = utcnow()
    old = book_slot(citizen, session.slots[0].id, booking_data(), None, now, BOOKING_CONFIG)
    new = reschedule_appointment(citizen, old, session.slots[1].id, None, now, BOOKING_CONFIG)
    db.session.commit()
    assert db.session.get(Appointment, old.id).status is AppointmentStatus.RESCHEDULED

    result = dispatch_due(now=session.slots[0].starts_at - timedelta(hours=1))
    assert result.dropped == 2
    assert [m.status for m in _reminders(db, old.id)] == [OutboxStatus.CANCELLED] * 2
    new_reminders = _reminders(db, new.id)
    assert [m.status for m in new_reminders] == [OutboxStatus.SENT] * 2
    mails = _reminder_mails(smtp_server)
    assert len(mails) == 2
    assert all(len(smtp_server.for_outbox_row(m.id)) == 1 for m in new_reminders)


# --- due times and leases -------------------------------------------------------------------------

def test_message_not_yet_due_waits_for_its_time(ctx, db, make_user, smtp_server):
    now = utcnow()
    message = reset_email(make_user(), due_at=now + timedelta(minutes=10))
    db.session.commit()

    assert dispatch_due(now=now).sent == 0
    assert dispatch_due(now=now + timedelta(minutes=9, seconds=59)).sent == 0
    assert smtp_server.received == []
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING and message.attempts == 0

    assert dispatch_due(now=now + timedelta(minutes=10)).sent == 1
    assert len(smtp_server.for_outbox_row(message.id)) == 1


def test_message_left_sending_by_a_crashed_dispatcher_is_sent_once_its_lease_has_passed(ctx, db, smtp_server):
    now = utcnow()
    crashed = add_message(db, status=OutboxStatus.SENDING, attempts=1, due_at=now - timedelta(minutes=6),
                          locked_until=now - timedelta(seconds=1))

    assert dispatch_due(now=now).sent == 1
    assert len(smtp_server.for_outbox_row(crashed.id)) == 1
    db.session.refresh(crashed)
    assert crashed.status is OutboxStatus.SENT and crashed.attempts == 2 and crashed.locked_until is None


def test_message_claimed_by_a_live_dispatcher_is_not_taken_by_another(ctx, db, smtp_server):
    now = utcnow()
    claimed = add_message(db, status=OutboxStatus.SENDING, attempts=1, due_at=now - timedelta(minutes=1),
                          locked_until=now + timedelta(minutes=4))

    result = dispatch_due(now=now)
    assert (result.sent, result.retried, result.failed, result.dropped) == (0, 0, 0, 0)
    assert smtp_server.received == []
    db.session.refresh(claimed)
    assert claimed.status is OutboxStatus.SENDING and claimed.attempts == 1
    assert claimed.locked_until == now + timedelta(minutes=4)


# --- the outbox is part of the change's transaction -----------------------------------------------

def test_booking_rolled_back_announces_nothing(ctx, db, make_user, make_session, booking_data, smtp_server):
    citizen = make_user(Role.CITIZEN)
    slot = make_session().slots[0]
    mine = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == citizen.id)

    class RequestFailed(Exception):
        pass

    with pytest.raises(RequestFailed), db.session.begin_nested():
        book_slot(citizen, slot.id, booking_data(), None, utcnow(), BOOKING_CONFIG)
        assert db.session.scalar(mine) >= 1  # the confirmation is written with the booking...
        raise RequestFailed("the request failed after booking")

    assert db.session.scalar(mine) == 0  # ...and goes with it
    assert db.session.scalar(select(func.count()).select_from(Appointment)
                             .where(Appointment.citizen_id == citizen.id)) == 0
    db.session.commit()
    assert dispatch_due(now=utcnow() + timedelta(days=7)).sent == 0
    assert smtp_server.received == []


def test_email_enqueued_in_a_savepoint_that_is_rolled_back_leaves_no_row(ctx, db, make_user):
    user = make_user()
    savepoint = db.session.begin_nested()
    message_id = reset_email(user).id
    assert db.session.get(OutboxMessage, message_id) is not None
    savepoint.rollback()

    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.id == message_id)) == 0


# --- the command ----------------------------------------------------------------------------------

def test_dispatch_command_sends_what_is_due_and_prints_the_counts(ctx, db, app, make_user, smtp_server,
                                                                  sms_gateway):
    user = make_user(phone="+77011234567")
    email = reset_email(user)
    sms = declined_sms(user)
    later = reset_email(user, due_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    sms_gateway.status = 503

    result = app.test_cli_runner().invoke(args=["notifications", "dispatch"])
    assert result.exit_code == 0, result.output
    assert result.output == "sent 1, to retry 1, failed 0, dropped 0\n"
    assert len(smtp_server.for_outbox_row(email.id)) == 1 and len(smtp_server.received) == 1
    assert len(sms_gateway.requests) == 1
    assert db.session.get(OutboxMessage, email.id).status is OutboxStatus.SENT
    assert db.session.get(OutboxMessage, sms.id).status is OutboxStatus.PENDING
    assert db.session.get(OutboxMessage, later.id).status is OutboxStatus.PENDING
