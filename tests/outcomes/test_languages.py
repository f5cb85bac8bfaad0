"""Outcome and follow-up messages are written in the recipient's language (kk, ru, en)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.models import Channel, OutboxMessage
from reception.outcomes.models import OUTCOME_RESULT_LABELS, InstructionStatus, OutcomeResult
from reception.outcomes.services import (
    NewInstruction,
    QuestionData,
    extend_instruction,
    record_outcome,
    warn_followups,
)
from tests.conftest import as_sent
from tests.notifications.test_languages import GREETING, english_phrases

KINDS = {"outcome_recorded", "instruction_extended", "followup_overdue"}
QUESTION = {"kk": "%(n)d-сұрақ", "ru": "Вопрос %(n)d", "en": "Question %(n)d"}

ZONE = {"kk": "(Астана уақыты)", "ru": "(время Астаны)", "en": "(Astana time)"}  # the zone in words


def _questions(reception) -> list[QuestionData]:
    """The roof, forwarded to body B with an instruction; the heating charges, explained."""
    topic = reception.appointment.topic_id
    return [QuestionData(topic_id=topic, wording="Шатыр ағады / Крыша течёт", result=OutcomeResult.FORWARDED,
                         body_id=reception.body_b.id,
                         instructions=[NewInstruction(None, "Serik Abenov", "Repair the roof", "complaint", None)]),
            QuestionData(topic_id=topic, wording="Жылу төлемі / Плата за отопление", result=OutcomeResult.EXPLAINED)]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_outcome_message_is_in_the_recipients_language(db, app, ctx, reception, make_user, lang):
    citizen, now = reception.citizen, utcnow()
    citizen.language = lang
    rep = make_user(Role.AGENCY_REP, body=reception.body_b, language=lang, notify_by=NotifyBy.BOTH)
    outcome = record_outcome(reception.assistant, reception.appointment, _questions(reception), "", None, now,
                             app.config)
    instruction = outcome.instructions[0]
    extend_instruction(reception.assistant, instruction, instruction.due_on + timedelta(days=3), "Budget",
                       instruction.due_on, now)
    instruction.due_on = now.astimezone(ZoneInfo("Asia/Almaty")).date() - timedelta(days=1)
    assert instruction.status is InstructionStatus.OPEN
    db.session.commit()
    warn_followups(now, app.config)

    sent = as_sent(db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id.in_([citizen.id, rep.id]),
                                                                  OutboxMessage.kind.in_(KINDS))).all())
    assert {m.kind for m in sent} >= KINDS
    english = english_phrases() if lang != "en" else set()
    for message in sent:
        assert message.locale == lang
        text = f"{message.subject}\n{message.body_text}\n{message.body_html or ''}"
        if message.channel is Channel.EMAIL:
            assert message.body_text.startswith(GREETING[lang]), (message.kind, message.body_text[:80])
            if message.user_id == citizen.id:
                assert ZONE[lang] in message.body_text  # the reception's local time names its zone
        else:
            assert len(message.body_text) <= 320, (message.kind, message.body_text)
        left = [p for p in english if p in text]
        assert not left, f"{lang} {message.channel} {message.kind}: English left: {left[:3]}"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_outcome_e_mail_lists_each_question_with_its_result_in_the_citizens_language(
        db, app, ctx, reception, lang):
    reception.citizen.language = lang
    record_outcome(reception.assistant, reception.appointment, _questions(reception), "", None, utcnow(), app.config)
    email = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == reception.citizen.id,
                                                           OutboxMessage.kind == "outcome_recorded",
                                                           OutboxMessage.channel == Channel.EMAIL)).one()
    as_sent(email)
    with force_locale(lang):
        labels = {r: str(OUTCOME_RESULT_LABELS[r]) for r in OutcomeResult}
    for body in (email.body_text, email.body_html):
        first = body.index(QUESTION[lang] % {"n": 1})
        second = body.index(QUESTION[lang] % {"n": 2})
        assert first < body.index("Шатыр ағады / Крыша течёт") < second < body.index("Жылу төлемі")
        roof, heating = body[first:second], body[second:]
        assert labels[OutcomeResult.FORWARDED] in roof and "Repair the roof" in roof
        assert getattr(reception.body_b, f"name_{lang}") in roof  # the responsible body, in the language too
        assert labels[OutcomeResult.EXPLAINED] in heating and "Repair the roof" not in heating
        # The reception's result, derived from the questions: forwarded in part.
        assert labels[OutcomeResult.FORWARDED_PART] in body[:first]
