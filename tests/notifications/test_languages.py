"""Every message a citizen or participant gets is written in their language: Kazakh, Russian or English."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.booking.models import ParticipantKind
from reception.booking.participants import add_participant
from reception.booking.services import book_slot, cancel_appointment, reschedule_appointment
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.models import Channel, OutboxMessage
from reception.notifications.services import render_and_keep
from reception.schedule.models import AttendanceFormat
from reception.schedule.services import cancel_session

POT = Path(__file__).resolve().parents[2] / "reception" / "translations" / "messages.pot"
KINDS = {"booking_confirmed", "reminder_24h", "reminder_2h", "video_details", "rescheduled", "appointment_cancelled",
         "session_cancelled", "participant_invited"}
ZONE = {"kk": "(Астана уақыты)", "ru": "(время Астаны)", "en": "(Astana time)"}  # the zone in words
GREETING = {"kk": "Сәлеметсіз бе", "ru": "Здравствуйте", "en": "Hello"}


def english_phrases() -> set[str]:
    """Stretches of English text of the message catalog (between placeholders), long enough to be telling."""
    with POT.open("rb") as f:
        catalog = read_po(f)
    phrases = set()
    for message in catalog:
        for msgid in (message.id if isinstance(message.id, (list, tuple)) else [message.id]):
            for part in re.split(r"%\(\w+\)[sd]", msgid or ""):
                part = part.strip(" .:,;!?()")
                if len(part) >= 14 and " " in part:
                    phrases.add(part)
    return phrases


@pytest.fixture
def everything_for(ctx, db, app, make_session, make_user, booking_data):
    """Produce every kind of appointment message for a citizen (and a participant) speaking ``lang``."""
    def run(lang: str):
        now = utcnow()
        citizen = make_user(Role.CITIZEN, language=lang, phone="+77011112233", notify_by=NotifyBy.BOTH)
        rep = make_user(Role.AGENCY_REP, language=lang, phone="+77019998877", notify_by=NotifyBy.BOTH)
        session = make_session(slots=3, allow_video_remote=True,
                               start=(now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0))
        first = book_slot(citizen, session.slots[0].id, booking_data(format=AttendanceFormat.VIDEO_REMOTE), None,
                          now, app.config)
        add_participant(make_user(Role.ADMIN), first, rep.id, ParticipantKind.AGENCY_REP, False, now)
        moved = reschedule_appointment(citizen, first, session.slots[1].id, None, now, app.config)
        cancel_appointment(citizen, moved, now)
        again = book_slot(citizen, session.slots[2].id, booking_data(), None, now, app.config)
        cancel_session(make_user(Role.ADMIN), again.session, "Командировка / іссапар", now=now)
        messages = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.user_id.in_([citizen.id, rep.id]))).all()
        # The outbox holds intent; each message as the dispatcher renders it (reminders of the cancelled
        # appointments too, which it would drop unsent).
        for message in messages:
            render_and_keep(message, now)
        return messages
    return run


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_appointment_message_is_in_the_recipients_language(everything_for, lang):
    messages = everything_for(lang)
    assert {m.kind for m in messages} >= KINDS
    english = english_phrases() if lang != "en" else set()
    for message in messages:
        assert message.locale == lang
        text = f"{message.subject}\n{message.body_text}\n{message.body_html or ''}"
        if message.channel is Channel.EMAIL:
            assert message.body_text.startswith(GREETING[lang]), (message.kind, message.body_text[:80])
            assert ZONE[lang] in message.body_text  # the local time names its zone
        else:
            assert len(message.body_text) <= 320, (message.kind, message.body_text)  # at most two SMS parts
        left = [p for p in english if p in text]
        assert not left, f"{lang} {message.channel} {message.kind}: English left: {left[:3]}"
