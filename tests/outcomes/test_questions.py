"""The outcome is recorded per question: each its own result, responsible body and instructions; the form
adds rows without JavaScript; an edit changes, adds or removes questions (never one with instructions)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from reception.audit.models import AuditEvent
from reception.core.clock import utcnow
from reception.core.errors import Conflict
from reception.notifications.models import Channel
from reception.outcomes.models import Instruction, Outcome, OutcomeResult, Question
from reception.outcomes.services import QuestionData, QuestionsInvalid, record_outcome
from tests.conftest import csrf_from, login
from tests.outcomes.conftest import (
    add_instruction,
    add_question,
    forwarded,
    instruction_row,
    messages,
    question_row,
    switch_to,
)


def _outcome(db, reception) -> Outcome | None:
    db.session.expire_all()
    return db.session.scalar(select(Outcome).where(Outcome.appointment_id == reception.appointment.id))


def _error(page: str, field_id: str) -> str:
    """The error message shown next to the field ``field_id`` ("" when there is none)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error"[^>]*>([^<]*)</p>', page)
    return match.group(1) if match else ""


def test_several_questions_keep_their_own_results_and_the_reception_takes_the_derived_one(
        db, client, submit, reception):
    topic, body_b = reception.appointment.topic_id, reception.body_b.id
    login(client, reception.assistant)
    r = submit(reception.outcome_url, {
        **question_row(topic, 0, wording="Repair the roof", result="resolved"),
        **question_row(topic, 1, wording="A flat from the waiting list", result="refused",
                       grounds="The family owns a house"),
        **question_row(topic, 2, wording="Heating since October", result="forwarded", body_id=body_b),
        **instruction_row(body_b, 0, 2, text="Restore the heating"),
        **instruction_row(reception.body_a.id, 1, 2, text="Check the boiler room", responsible_name="Dana Omarova")})
    assert r.status_code == 302, r.get_data(as_text=True)

    outcome = _outcome(db, reception)
    roof, flat, heating = outcome.questions
    assert [q.position for q in outcome.questions] == [1, 2, 3]
    assert (roof.result, roof.grounds, roof.body_id, roof.instructions) == (OutcomeResult.RESOLVED, None, None, [])
    assert flat.result is OutcomeResult.REFUSED and flat.grounds == "The family owns a house"
    assert heating.result is OutcomeResult.FORWARDED and heating.body_id == body_b
    assert [(i.body_id, i.text) for i in heating.instructions] == [
        (body_b, "Restore the heating"), (reception.body_a.id, "Check the boiler room")]
    assert all(q.topic_id == topic for q in outcome.questions) and heating.wording == "Heating since October"
    # One question forwarded among settled ones: the reception was forwarded in part.
    assert outcome.result is OutcomeResult.FORWARDED_PART
    assert db.session.scalar(select(Instruction.id).where(Instruction.question_id == roof.id)) is None


def test_a_forwarded_question_needs_a_body_and_an_instruction(db, client, submit, reception):
    topic = reception.appointment.topic_id
    login(client, reception.assistant)
    r = submit(reception.outcome_url, {**question_row(topic), **question_row(topic, 1, result="forwarded_part")})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert _error(page, "questions-1-body_id") == "Choose the body the question is forwarded to."
    assert _error(page, "questions-1-instructions") == ("A forwarded question needs at least one instruction to a "
                                                         "body, with its deadline.")
    assert not _error(page, "questions-0-body_id")
    r = submit(reception.outcome_url, {**question_row(topic, result="forwarded", body_id=reception.body_b.id)})
    assert r.status_code == 422 and _error(r.get_data(as_text=True), "questions-0-instructions")
    assert _outcome(db, reception) is None  # nothing written


def test_every_broken_rule_is_shown_at_once_next_to_its_field(db, client, submit, reception):
    topic = reception.appointment.topic_id
    login(client, reception.assistant)
    r = submit(reception.outcome_url, {
        **question_row(topic, 0, wording=""),
        **question_row(topic, 1, result=""),
        **question_row(topic, 2, result="refused"),
        **forwarded(topic, reception.body_b.id, 3, responsible_name="", text="")})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert _error(page, "questions-0-wording") == "Write the question in a few words."
    assert _error(page, "questions-1-result") == "Choose the result."
    assert _error(page, "questions-2-grounds") == "Give the grounds for the refusal."
    assert _error(page, "questions-3-instructions-0-responsible_name") == "Name the person responsible in the body."
    assert _error(page, "questions-3-instructions-0-text") == "Say what must be done."
    assert 'aria-invalid="true"' in page and "Please correct the fields marked below." in page


def test_blank_rows_are_left_out_and_errors_still_land_on_their_rows(db, client, submit, reception):
    """A blank question between two filled ones is ignored; the service's errors name the filled ones."""
    topic = reception.appointment.topic_id
    login(client, reception.assistant)
    blank = question_row(topic, 1, wording="", result="")
    r = submit(reception.outcome_url, {**question_row(topic, 0), **blank, **question_row(topic, 2, result="refused")})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert _error(page, "questions-2-grounds") == "Give the grounds for the refusal."
    assert not _error(page, "questions-1-grounds") and not _error(page, "questions-1-wording")
    r = submit(reception.outcome_url, {**question_row(topic, 0), **blank,
                                       **question_row(topic, 2, result="refused", grounds="Not in our power")})
    assert r.status_code == 302
    assert [q.result for q in _outcome(db, reception).questions] == [OutcomeResult.EXPLAINED, OutcomeResult.REFUSED]


def test_errors_are_shown_in_the_users_language(db, client, submit, reception):
    reception.assistant.language = "ru"
    db.session.commit()
    login(client, reception.assistant)
    r = submit(reception.outcome_url, question_row(reception.appointment.topic_id, result="refused"))
    assert r.status_code == 422
    assert _error(r.get_data(as_text=True), "questions-0-grounds") == "Укажите основания отказа."


def test_the_first_question_starts_from_the_booking_topic_and_summary(db, client, reception):
    login(client, reception.assistant)
    page = client.get(reception.outcome_url).get_data(as_text=True)
    appointment = reception.appointment
    topic = re.search(r'<select[^>]*name="questions-0-topic_id"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert f'<option selected value="{appointment.topic_id}">' in topic
    wording = re.search(r'<textarea[^>]*name="questions-0-wording"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert wording.strip() == appointment.summary.strip()
    assert "questions-1-wording" not in page  # one question to begin with, more on demand


def test_add_buttons_show_one_more_row_and_save_nothing(db, client, submit, reception):
    topic = reception.appointment.topic_id
    login(client, reception.assistant)
    typed = {**question_row(topic, wording="The roof leaks", result="forwarded", body_id=reception.body_b.id),
             **instruction_row(reception.body_b.id)}
    r = submit(reception.outcome_url, {**typed, "questions-0-add_instruction": "Add another instruction"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Please correct" not in page
    assert 'name="questions-0-instructions-1-text"' in page and "questions-0-instructions-2" not in page
    assert "The roof leaks" in page and "Repair the roof of the house" in page  # what was typed stays
    r = submit(reception.outcome_url, {**typed, "add_question": "Add another question"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="questions-1-wording"' in page and "questions-2-wording" not in page
    new_topic = re.search(r'<select[^>]*name="questions-1-topic_id"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert f'<option selected value="{topic}">' in new_topic  # a new question starts on the booking's topic
    assert _outcome(db, reception) is None and messages(db, reception.citizen, "outcome_recorded") == []
    # The rows the buttons added are sent with the form: the blank ones are left out.
    r = submit(reception.outcome_url, {**typed, **question_row(topic, 1, wording="", result=""),
                                       **instruction_row(0, 1, 0, responsible_name="", text="")})
    assert r.status_code == 302
    assert len(_outcome(db, reception).questions) == 1 and len(_outcome(db, reception).instructions) == 1


def test_an_edit_changes_a_question_adds_another_and_tells_the_citizen_only_what_it_added(
        db, client, submit, reception):
    topic, body_b = reception.appointment.topic_id, reception.body_b.id
    login(client, reception.assistant)
    assert submit(reception.outcome_url, forwarded(topic, body_b)).status_code == 302
    outcome = _outcome(db, reception)
    (roof,) = outcome.questions
    told = messages(db, reception.citizen, "outcome_recorded")
    assert {m.channel for m in told} == {Channel.EMAIL, Channel.SMS}

    # The form shows the recorded question with its instruction, and keeps the instruction (only adds).
    page = client.get(reception.outcome_url).get_data(as_text=True)
    assert f'name="questions-0-id" type="hidden" value="{roof.id}"' in page
    assert f"/staff/instructions/{roof.instructions[0].id}" in page
    r = submit(reception.outcome_url, {
        "seen": outcome.updated_at.isoformat(),
        **question_row(topic, 0, id=roof.id, wording="The roof and the attic", result="forwarded_part",
                       body_id=body_b),
        **instruction_row(0, 0, 0, responsible_name="", text=""),
        **question_row(topic, 1, wording="The yard is dark at night", result="under_consideration"),
        **instruction_row(reception.body_a.id, 0, 1, text="Install street lights", appeal_type="proposal")})
    assert r.status_code == 302, r.get_data(as_text=True)
    outcome = _outcome(db, reception)
    roof, yard = outcome.questions
    assert roof.wording == "The roof and the attic" and roof.result is OutcomeResult.FORWARDED_PART
    assert len(roof.instructions) == 1 and yard.position == 2 and yard.instructions[0].text == "Install street lights"
    assert outcome.result is OutcomeResult.UNDER_CONSIDERATION

    update = [m for m in messages(db, reception.citizen, "outcome_recorded") if m not in told]
    email = next(m for m in update if m.channel is Channel.EMAIL)
    assert "New questions or instructions have been recorded" in email.body_text
    assert "Question 2: The yard is dark at night" in email.body_text and "Install street lights" in email.body_text
    assert "The roof and the attic" not in email.body_text  # changed, not added: not told again
    # The audit has each question's creation and change.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > db.audit_floor,
                                                         AuditEvent.entity == "question")).all()
    assert {(e.entity_id, getattr(e.action, "value", e.action)) for e in events} >= {
        (roof.id, "create"), (roof.id, "update"), (yard.id, "create")}


def test_a_question_without_instructions_may_be_removed_one_with_instructions_stays(
        db, client, submit, reception):
    topic, body_b, now = reception.appointment.topic_id, reception.body_b.id, utcnow()
    roof = add_question(db, reception.appointment, now, body_id=body_b)
    add_instruction(db, roof, body_b, now)
    rent = add_question(db, reception.appointment, now, result=OutcomeResult.EXPLAINED, wording="The rent")
    dark = add_question(db, reception.appointment, now, result=OutcomeResult.RESOLVED, wording="The yard is dark")
    db.session.commit()
    outcome = _outcome(db, reception)
    rows = {**question_row(topic, 0, id=roof.id, wording=roof.wording, result="forwarded", body_id=body_b),
            **question_row(topic, 1, id=rent.id, wording="The rent", remove="y"),
            **question_row(topic, 2, id=dark.id, wording="The yard is dark", result="resolved")}
    login(client, reception.assistant)
    page = client.get(reception.outcome_url).get_data(as_text=True)
    assert 'name="questions-0-remove"' not in page and 'name="questions-1-remove"' in page

    r = submit(reception.outcome_url, {**rows, "questions-0-remove": "y", "seen": outcome.updated_at.isoformat()})
    assert r.status_code == 422
    assert "has instructions to bodies, so it stays" in _error(r.get_data(as_text=True), "questions-0-remove")
    assert len(_outcome(db, reception).questions) == 3

    r = submit(reception.outcome_url, {**rows, "seen": outcome.updated_at.isoformat()})
    assert r.status_code == 302
    outcome = _outcome(db, reception)
    assert [q.wording for q in outcome.questions] == [roof.wording, "The yard is dark"]
    assert [q.position for q in outcome.questions] == [1, 3]  # positions are kept; pages number by order
    assert outcome.result is OutcomeResult.FORWARDED_PART



def test_an_outcome_needs_at_least_one_question(db, client, submit, reception):
    login(client, reception.assistant)
    r = submit(reception.outcome_url, question_row(reception.appointment.topic_id, wording="", result=""))
    assert r.status_code == 422
    assert "Record at least one question the citizen raised" in r.get_data(as_text=True)
    assert _outcome(db, reception) is None


def test_the_last_question_cannot_be_removed(db, ctx, app, reception):
    now = utcnow()
    outcome = record_outcome(reception.assistant, reception.appointment,
                             [QuestionData(topic_id=reception.appointment.topic_id, wording="The rent",
                                           result=OutcomeResult.EXPLAINED)], "", None, now, app.config)
    question = outcome.questions[0]
    with pytest.raises(QuestionsInvalid) as raised:
        record_outcome(reception.assistant, reception.appointment,
                       [QuestionData(topic_id=question.topic_id, wording="The rent", result=question.result,
                                     id=question.id, remove=True)], "", outcome.updated_at, now, app.config)
    assert [field for field, _ in raised.value.problems] == ["questions"] and raised.value.status == 422


def test_a_question_of_another_outcome_cannot_be_changed(db, ctx, app, reception, make_user, make_session):
    now = utcnow()
    outcome = record_outcome(reception.assistant, reception.appointment,
                             [QuestionData(topic_id=reception.appointment.topic_id, wording="The rent",
                                           result=OutcomeResult.EXPLAINED)], "", None, now, app.config)
    stranger = db.session.scalar(select(Question.id).order_by(Question.id.desc())) + 1000
    with pytest.raises(Conflict):
        record_outcome(reception.assistant, reception.appointment,
                       [QuestionData(topic_id=reception.appointment.topic_id, wording="x",
                                     result=OutcomeResult.RESOLVED, id=stranger)], "", outcome.updated_at, now,
                       app.config)


def test_the_outcome_form_needs_its_csrf_token(db, client, reception):
    login(client, reception.assistant)
    csrf_from(client, reception.outcome_url)
    r = client.post(reception.outcome_url, data=question_row(reception.appointment.topic_id))
    assert r.status_code == 400
    assert _outcome(db, reception) is None


def test_follow_ups_show_the_question_each_instruction_belongs_to(db, client, reception, make_user):
    now = utcnow()
    roof = add_question(db, reception.appointment, now, body_id=reception.body_b.id, wording="The roof leaks")
    heating = add_question(db, reception.appointment, now, body_id=reception.body_b.id,
                           result=OutcomeResult.FORWARDED_PART, wording="No heating since October")
    first = add_instruction(db, roof, reception.body_b.id, now, text="Repair the roof")
    second = add_instruction(db, heating, reception.body_b.id, now, text="Restore the heating")
    db.session.commit()

    def row_of(page: str, instruction) -> str:
        start = page.index(f'/staff/instructions/{instruction.id}"')
        return page[start:page.index("</tr>", start)]

    login(client, reception.assistant)
    follow_ups = client.get("/staff/follow-ups/").get_data(as_text=True)
    assert "The roof leaks" in row_of(follow_ups, first) and "No heating" not in row_of(follow_ups, first)
    assert "No heating since October" in row_of(follow_ups, second)
    assert "Forwarded in part to a competent body" in row_of(follow_ups, second)
    switch_to(client, reception.rep)
    listing = client.get("/staff/instructions/").get_data(as_text=True)
    assert "The roof leaks" in row_of(listing, first) and "No heating since October" in row_of(listing, second)
    page = client.get(f"/staff/instructions/{second.id}").get_data(as_text=True)
    assert "No heating since October" in page and "The roof leaks" not in page


def test_the_day_board_shows_each_question_with_its_result_and_instructions(db, client, reception):
    now = utcnow()
    roof = add_question(db, reception.appointment, now, body_id=reception.body_b.id, wording="The roof leaks")
    add_instruction(db, roof, reception.body_b.id, now)
    add_question(db, reception.appointment, now, result=OutcomeResult.EXPLAINED, wording="The rent is too high")
    db.session.commit()
    login(client, reception.assistant)
    day = reception.appointment.session.local_date.isoformat()
    page = client.get(f"/staff/day/?date={day}").get_data(as_text=True)
    board = page[page.index('class="board-outcome"'):]
    board = board[:board.index("</div>")]
    assert "Forwarded in part to a competent body" in board  # the reception's, derived
    roof_row, rent_row = board[board.index("The roof leaks"):], board[board.index("The rent is too high"):]
    assert "Forwarded to a competent body" in roof_row[:roof_row.index("</li>")]
    assert "1 instruction" in roof_row[:roof_row.index("</li>")]
    assert "Explained" in rent_row[:rent_row.index("</li>")] and "instruction" not in rent_row[:rent_row.index("</li>")]
