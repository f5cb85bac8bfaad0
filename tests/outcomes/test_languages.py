"""Outcome and follow-up messages are written in the recipient's language (kk, ru, en)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.models import Channel, OutboxMessage
from reception.outcomes.models import InstructionStatus, OutcomeResult
from reception.outcomes.services import NewInstruction, extend_instruction, record_outcome, warn_followups
from tests.notifications.test_languages import GREETING, english_phrases

KINDS = {"outcome_recorded", "instruction_extended", "followup_overdue"}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_outcome_message_is_in_the_recipients_language(db, app, ctx, reception, make_user, lang):
    citizen, now = reception.citizen, utcnow()
    citizen.language = lang
    rep = make_user(Role.AGENCY_REP, body=reception.body_b, language=lang, notify_by=NotifyBy.BOTH)
    outcome = record_outcome(reception.assistant, reception.appointment, OutcomeResult.FORWARDED, "", "",
                             [NewInstruction(reception.body_b.id, "Serik Abenov", "Repair the roof", "complaint",
                                             None)], None, now, app.config)
    instruction = outcome.instructions[0]
    extend_instruction(reception.assistant, instruction, instruction.due_on + timedelta(days=3), "Budget",
                       instruction.due_on, now)
    instruction.due_on = now.astimezone(ZoneInfo("Asia/Almaty")).date() - timedelta(days=1)
    assert instruction.status is InstructionStatus.OPEN
    db.session.commit()
    warn_followups(now, app.config)

    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id.in_([citizen.id, rep.id]),
                                                          OutboxMessage.kind.in_(KINDS))).all()
    assert {m.kind for m in sent} >= KINDS
    english = english_phrases() if lang != "en" else set()
    for message in sent:
        assert message.locale == lang
        text = f"{message.subject}\n{message.body_text}\n{message.body_html or ''}"
        if message.channel is Channel.EMAIL:
            assert message.body_text.startswith(GREETING[lang]), (message.kind, message.body_text[:80])
            if message.user_id == citizen.id:
                assert "UTC+05:00" in message.body_text  # the reception's local time names its zone
        else:
            assert len(message.body_text) <= 320, (message.kind, message.body_text)
        left = [p for p in english if p in text]
        assert not left, f"{lang} {message.channel} {message.kind}: English left: {left[:3]}"
