"""The outbox holds intent: a booking writes small rows of references; the dispatcher renders each at its
first attempt, in the recipient's language and with the records as they are then, keeps what it rendered,
and sends exactly that again on a retry (same bytes, same Date, same Message-ID)."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import delete, select, update

from reception.booking.services import book_slot
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.models import Channel, OutboxMessage, OutboxStatus
from reception.notifications.services import dispatch_due, render, write_batch

BOOKING_CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}


def _rows(db, appointment_id: int) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id)
                                   .order_by(OutboxMessage.due_at, OutboxMessage.id)))


def test_a_booking_writes_intent_not_rendered_messages(ctx, db, make_user, make_session, booking_data):
    citizen = make_user(Role.CITIZEN, language="ru")
    session = make_session()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), BOOKING_CONFIG)
    db.session.commit()

    rows = _rows(db, appointment.id)
    assert [r.kind for r in rows] == ["booking_confirmed", "reminder_24h", "reminder_2h"]
    for row in rows:
        assert (row.channel, row.recipient, row.locale, row.user_id) == (Channel.EMAIL, citizen.email, "ru",
                                                                         citizen.id)
        assert row.body_text is None and row.body_html is None and row.ics is None and row.rendered_at is None
        intent = json.loads(row.intent)
        assert intent["context"]["appointment"] == {"$m": "Appointment", "id": appointment.id}
        assert set(intent["context"]) <= {"appointment", "hours"}
        assert intent["with"] == "appointment"
        assert len(row.intent) < 400  # references, not text
    assert json.loads(rows[0].intent)["invite"] == "REQUEST"


def test_a_batch_of_messages_is_written_as_given_in_its_order(app, ctx, db, make_user, monkeypatch):
    # One statement for the lot (on PostgreSQL the rows travel as one JSON parameter): nothing may be lost or
    # changed on the way, the new rows are pending, never tried, created at the clock's time.
    db.session.execute(delete(OutboxMessage))
    user = make_user(language="kk")
    created = utcnow().replace(microsecond=123456) - timedelta(days=3)
    monkeypatch.setitem(app.config, "CLOCK", lambda: created)
    due = created + timedelta(hours=5, microseconds=1)
    rows = [dict(kind=kind, channel=channel, user_id=user.id if n else None, recipient=recipient, locale="kk",
                 subject=subject, template="booking_confirmed", intent=json.dumps({"subject": subject},
                                                                                  ensure_ascii=False),
                 ics=ics, dedupe_key=f"batch:{n}" if n else None, due_at=due + timedelta(minutes=n),
                 appointment_id=None, cancel_if_inactive=bool(n % 2))
            for n, (kind, channel, recipient, subject, ics) in enumerate([
                ("webhook_event", Channel.WEBHOOK, "*", "", None),
                ("booking_confirmed", Channel.EMAIL, user.email, "Қабылдау «уақыты» \\ \"сіздікі\"", "BEGIN:VCALENDAR"),
                ("reminder_2h", Channel.SMS, "+77010000000", "Напоминание: 😀", None)])]
    write_batch(rows)
    assert rows == []  # the batch is emptied once written
    db.session.commit()

    written = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.channel, m.user_id, m.recipient, m.subject, m.ics, m.dedupe_key, m.cancel_if_inactive)
            for m in written] == [
        ("webhook_event", Channel.WEBHOOK, None, "*", "", None, None, False),
        ("booking_confirmed", Channel.EMAIL, user.id, user.email, "Қабылдау «уақыты» \\ \"сіздікі\"",
         "BEGIN:VCALENDAR", "batch:1", True),
        ("reminder_2h", Channel.SMS, user.id, "+77010000000", "Напоминание: 😀", None, "batch:2", False)]
    assert [json.loads(m.intent)["subject"] for m in written] == [m.subject for m in written]
    assert [m.due_at for m in written] == [due, due + timedelta(minutes=1), due + timedelta(minutes=2)]
    assert {(m.status, m.attempts, m.created_at, m.locale) for m in written} == {
        (OutboxStatus.PENDING, 0, created, "kk")}


def test_a_message_is_rendered_when_sent_with_the_records_as_they_are_then(ctx, db, make_user, make_session,
                                                                            booking_data, smtp_server):
    db.session.execute(delete(OutboxMessage))
    citizen = make_user(Role.CITIZEN, language="en")
    session = make_session()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), BOOKING_CONFIG)
    session.official.full_name = "Renamed Before Sending"  # a change after the booking, before the dispatcher
    db.session.commit()

    assert dispatch_due().sent == 1
    mail = smtp_server.received[0].message
    assert "Renamed Before Sending" in mail.get_body(preferencelist=("plain",)).get_content()
    assert "METHOD:REQUEST" in next(mail.iter_attachments()).get_content()
    confirmation = _rows(db, appointment.id)[0]
    assert confirmation.rendered_at is not None and "Renamed Before Sending" in confirmation.body_text
    assert confirmation.ics.startswith("BEGIN:VCALENDAR")


def test_a_resend_after_a_crash_is_the_same_message_byte_for_byte(ctx, db, make_user, make_session, booking_data,
                                                                  smtp_server):
    db.session.execute(delete(OutboxMessage))
    citizen = make_user(Role.CITIZEN)
    session = make_session()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), BOOKING_CONFIG)
    db.session.commit()
    assert dispatch_due().sent == 1
    confirmation = _rows(db, appointment.id)[0]

    # The dispatcher died after sending, before recording it: the row is still claimed, its lease ran out. Then
    # the records change: the resend must not show it (what was sent once is sent again).
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == confirmation.id).values(
        status=OutboxStatus.SENDING, locked_until=utcnow() - timedelta(seconds=1)))
    session.official.full_name = "Changed After The First Attempt"
    db.session.commit()
    assert dispatch_due().sent == 1

    first, second = smtp_server.for_outbox_row(confirmation.id)
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.message["Date"] == second.message["Date"]
    assert first.message.as_bytes() == second.message.as_bytes()
    assert "Changed After The First Attempt" not in second.message.as_string()


def test_a_failed_rendering_is_retried_like_a_failed_delivery(ctx, db, make_user, smtp_server):
    db.session.execute(delete(OutboxMessage))
    user = make_user()
    message = OutboxMessage(kind="test", channel=Channel.EMAIL, user_id=user.id, recipient=user.email, locale="en",
                            template="no_such_template", intent='{"subject": "x", "context": {}}',
                            due_at=utcnow() - timedelta(minutes=1))
    db.session.add(message)
    db.session.commit()

    result = dispatch_due()
    assert (result.sent, result.retried) == (0, 1)
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING and "TemplateNotFound" in message.last_error
    assert message.rendered_at is None and smtp_server.received == []


def test_the_preview_of_a_pending_message_is_what_the_dispatcher_would_send(ctx, db, make_user, make_session,
                                                                           booking_data):
    citizen = make_user(Role.CITIZEN, language="kk")
    session = make_session()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), BOOKING_CONFIG)
    reminder = _rows(db, appointment.id)[1]

    preview = render(reminder)
    assert preview.body_text.startswith("Сәлеметсіз бе")
    assert appointment.talon_number in preview.body_text
    assert reminder.body_text is None  # a preview keeps nothing


def test_administrators_see_what_a_pending_message_will_say_and_what_a_sent_one_said(client, db, login_as, make_user,
                                                                                   make_session, booking_data, app):
    db.session.execute(delete(OutboxMessage))
    citizen = make_user(Role.CITIZEN)
    session = make_session()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), BOOKING_CONFIG)
    db.session.commit()
    confirmation, reminder = _rows(db, appointment.id)[:2]
    with app.test_request_context():
        dispatch_due()  # the confirmation is due now, the reminder later
    login_as(Role.ADMIN)

    pending = client.get(f"/admin/outbox/{reminder.id}").get_data(as_text=True)
    assert "Not rendered yet" in pending and appointment.talon_number in pending
    sent = client.get(f"/admin/outbox/{confirmation.id}").get_data(as_text=True)
    assert "What was sent" in sent and appointment.talon_number in sent
    listing = client.get("/admin/outbox/?status=pending").get_data(as_text=True)
    assert f"/admin/outbox/{reminder.id}" in listing
    assert client.get("/admin/outbox/999999999").status_code == 404
