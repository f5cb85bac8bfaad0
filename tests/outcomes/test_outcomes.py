"""Recording outcomes with instructions, extensions, the bodies' reports and the official's side's checks."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select

from reception.booking.models import AppointmentStatus
from reception.core.clock import utcnow
from reception.notifications.models import Channel
from reception.outcomes.models import (
    CitizenContact,
    Instruction,
    InstructionReport,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    ReportVerdict,
)
from reception.outcomes.services import add_months
from tests.conftest import login
from tests.outcomes.conftest import add_instruction, forwarded, instruction_row, messages, question_row, switch_to


def _today() -> date:
    return utcnow().astimezone(ZoneInfo("Asia/Almaty")).date()


def _next_weekday_holiday(after: date) -> date:
    kz = holidays.country_holidays("KZ", years=[after.year, after.year + 1])
    return min(d for d in kz if d > after and d.weekday() < 5)


def _weekdays_between(start: date, end: date) -> int:
    return sum(1 for n in range(1, (end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)


def test_outcome_with_two_instructions_gets_default_due_dates_counted_in_working_days_over_a_holiday(
        db, app, client, submit, reception, monkeypatch):
    today = _today()
    holiday = _next_weekday_holiday(today)
    # A term that would end on the holiday if it were a working day: the deadline must skip it.
    term = _weekdays_between(today, holiday)
    monkeypatch.setitem(app.config, "FOLLOWUP_TERMS", f"complaint={term},statement={term + 1}")
    kz = holidays.country_holidays("KZ", years=[holiday.year, holiday.year + 1])
    expected = holiday + timedelta(days=1)
    while expected.weekday() >= 5 or expected in kz:
        expected += timedelta(days=1)

    login(client, reception.assistant)
    r = submit(reception.outcome_url, {
        "notes": "The roof leaks since spring.",
        **question_row(reception.appointment.topic_id, result="forwarded_part", body_id=reception.body_b.id),
        **instruction_row(reception.body_b.id, 0, appeal_type="complaint"),
        **instruction_row(reception.body_a.id, 1, appeal_type="statement", text="Check the heating",
                          responsible_name="Dana Omarova")})
    assert r.status_code == 302, r.get_data(as_text=True)

    outcome = db.session.scalar(select(Outcome).where(Outcome.appointment_id == reception.appointment.id))
    assert outcome.result is OutcomeResult.FORWARDED_PART
    (question,) = outcome.questions
    first, second = question.instructions
    assert first.body_id == reception.body_b.id and first.due_on == expected and first.due_on != holiday
    assert second.due_on > expected and second.responsible_name == "Dana Omarova"
    assert first.status is InstructionStatus.OPEN
    db.session.refresh(reception.appointment)
    assert reception.appointment.status is AppointmentStatus.HELD  # recording the outcome marks it held

    # The citizen is told by e-mail and SMS: the result, each body and due date, the talon number.
    sent = messages(db, reception.citizen, "outcome_recorded")
    assert {m.channel for m in sent} == {Channel.EMAIL, Channel.SMS}
    email = next(m for m in sent if m.channel is Channel.EMAIL)
    assert "Forwarded in part" in email.body_text
    assert reception.body_b.name_en in email.body_text and "Check the heating" in email.body_html
    sms = next(m for m in sent if m.channel is Channel.SMS)
    assert reception.appointment.talon_number in sms.body_text and len(sms.body_text) <= 320

    # Editing the outcome does not tell the citizen again.
    page = client.get(reception.outcome_url)
    assert "Check the heating" in page.get_data(as_text=True)
    r = submit(reception.outcome_url, {"notes": "Edited", "seen": outcome.updated_at.isoformat()})
    assert r.status_code == 302
    db.session.refresh(outcome)
    assert outcome.notes == "Edited"
    assert len(messages(db, reception.citizen, "outcome_recorded")) == 2


def test_a_stale_outcome_form_is_refused_with_409(db, client, submit, reception):
    topic = reception.appointment.topic_id
    login(client, reception.assistant)
    assert submit(reception.outcome_url, question_row(topic)).status_code == 302
    outcome = db.session.scalar(select(Outcome).where(Outcome.appointment_id == reception.appointment.id))
    stale, question_id = outcome.updated_at.isoformat(), outcome.questions[0].id
    assert submit(reception.outcome_url, {**question_row(topic, id=question_id, result="resolved"),
                                          "seen": stale}).status_code == 302
    r = submit(reception.outcome_url, {**question_row(topic, id=question_id, result="satisfied"), "seen": stale})
    assert r.status_code == 409 and "Someone else changed this record" in r.get_data(as_text=True)
    # A second "new" form (as if opened before the first was saved) is stale too.
    assert submit(reception.outcome_url, question_row(topic, result="satisfied")).status_code == 409
    db.session.refresh(outcome)
    assert outcome.result is OutcomeResult.RESOLVED and len(outcome.questions) == 1


def test_a_refusal_needs_grounds_shown_next_to_the_question_s_field(db, client, submit, reception):
    topic = reception.appointment.topic_id
    login(client, reception.assistant)
    r = submit(reception.outcome_url, {**question_row(topic), **question_row(topic, 1, result="refused")})
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    error = text[text.index('id="questions-1-grounds-error"'):]
    assert error[:error.index("</p>")].endswith("Give the grounds for the refusal.")
    assert 'id="questions-0-grounds-error"' not in text
    assert db.session.scalar(select(Outcome).where(Outcome.appointment_id == reception.appointment.id)) is None
    r = submit(reception.outcome_url, {**question_row(topic),
                                       **question_row(topic, 1, result="refused",
                                                      grounds="Article 12 of the Land Code")})
    assert r.status_code == 302
    outcome = db.session.scalar(select(Outcome).where(Outcome.appointment_id == reception.appointment.id))
    assert [q.grounds for q in outcome.questions] == [None, "Article 12 of the Land Code"]
    assert outcome.result is OutcomeResult.REFUSED  # explained and refused: the less settled


def test_the_outcome_waits_for_the_citizen_to_be_checked_in(db, client, submit, reception):
    reception.appointment.status = AppointmentStatus.SCHEDULED
    db.session.commit()
    login(client, reception.assistant)
    r = submit(reception.outcome_url, question_row(reception.appointment.topic_id))
    assert r.status_code == 409 and "once the citizen has been checked in" in r.get_data(as_text=True)
    assert messages(db, reception.citizen, "outcome_recorded") == []


def test_the_due_date_may_be_earlier_than_the_term_but_not_past_nor_later(db, client, submit, reception):
    login(client, reception.assistant)
    today, topic, body = _today(), reception.appointment.topic_id, reception.body_b.id
    r = submit(reception.outcome_url, forwarded(topic, body, due_on=(today - timedelta(days=1)).isoformat()))
    assert r.status_code == 422 and "cannot be in the past" in r.get_data(as_text=True)
    assert 'id="questions-0-instructions-0-due_on-error"' in r.get_data(as_text=True)
    r = submit(reception.outcome_url, forwarded(topic, body, due_on=(today + timedelta(days=90)).isoformat()))
    assert r.status_code == 422 and "cannot be later than the term" in r.get_data(as_text=True)
    assert db.session.scalar(select(Instruction.id)) is None  # nothing half-written
    early = today + timedelta(days=2)
    r = submit(reception.outcome_url, forwarded(topic, body, due_on=early.isoformat()))
    assert r.status_code == 302
    assert db.session.scalar(select(Instruction.due_on)) == early


def test_an_official_records_for_their_own_receptions_only(db, client, submit, reception, make_user, make_official):
    other_official = make_user("official", body=reception.body_a)  # same body, not this reception's official
    login(client, other_official)
    assert client.get(reception.outcome_url).status_code == 403
    switch_to(client, reception.official.user)
    assert submit(reception.outcome_url, question_row(reception.appointment.topic_id)).status_code == 302


def test_an_extension_needs_reasons_a_later_date_within_two_months_and_tells_the_citizen(
        db, client, submit, reception, with_instruction):
    instruction = with_instruction()
    url = f"/staff/instructions/{instruction.id}/extend"
    login(client, reception.assistant)
    current = instruction.due_on
    seen = {"seen_due_on": current.isoformat()}
    r = submit(url, {"due_on": (current + timedelta(days=5)).isoformat(), **seen})
    assert r.status_code == 422  # no reasons
    r = submit(url, {"due_on": (current - timedelta(days=1)).isoformat(), "reason": "More time", **seen})
    assert r.status_code == 422 and "later than the current one" in r.get_data(as_text=True)
    latest = add_months(_today(), 2)
    r = submit(url, {"due_on": (latest + timedelta(days=1)).isoformat(), "reason": "More time", **seen})
    assert r.status_code == 422 and "two months after" in r.get_data(as_text=True)
    assert messages(db, reception.citizen, "instruction_extended") == []

    r = submit(url, {"due_on": latest.isoformat(), "reason": "The contractor needs frost-free days", **seen})
    assert r.status_code == 302
    db.session.refresh(instruction)
    assert instruction.due_on == latest and instruction.original_due_on == current
    assert instruction.extension_reason == "The contractor needs frost-free days"
    sent = messages(db, reception.citizen, "instruction_extended")
    assert {m.channel for m in sent} == {Channel.EMAIL, Channel.SMS}
    email = next(m for m in sent if m.channel is Channel.EMAIL)
    assert "frost-free" in email.body_text and reception.body_b.name_en in email.body_text
    # The same (now stale) form again: 409, nothing changes.
    r = submit(url, {"due_on": latest.isoformat(), "reason": "Again", **seen})
    assert r.status_code == 409


def test_body_reports_assistant_returns_body_reports_again_assistant_accepts(
        db, client, submit, reception, with_instruction):
    instruction = with_instruction()
    page = f"/staff/instructions/{instruction.id}"
    login(client, reception.rep)
    listing = client.get("/staff/instructions/").get_data(as_text=True)
    assert "Repair the roof" in listing
    assert submit(page, {"text": "The roof was repaired on Monday", "seen_status": "open"}).status_code == 302
    db.session.refresh(instruction)
    assert instruction.status is InstructionStatus.REPORTED
    switch_to(client, reception.assistant)
    first = db.session.scalar(select(InstructionReport).where(InstructionReport.instruction_id == instruction.id))
    r = submit(f"{page}/verdict", {"verdict": "returned", "report_id": first.id})
    assert r.status_code == 422  # a return needs a note
    # The assistant checks with the citizen first.
    assert submit(f"{page}/contacts", {"channel": "phone", "confirmed": "no",
                                       "note": "Only half of the roof"}).status_code == 302
    r = submit(f"{page}/verdict", {"verdict": "returned", "note": "The citizen says only half was done",
                                   "report_id": first.id})
    assert r.status_code == 302
    db.session.refresh(instruction)
    db.session.refresh(first)
    assert instruction.status is InstructionStatus.OPEN
    assert first.verdict is ReportVerdict.RETURNED and first.verdict_note == "The citizen says only half was done"
    assert db.session.scalar(select(CitizenContact.confirmed)) is False
    switch_to(client, reception.rep)
    text = client.get(page).get_data(as_text=True)
    assert "The citizen says only half was done" in text
    assert submit(page, {"text": "The whole roof is done now", "seen_status": "open"}).status_code == 302
    switch_to(client, reception.assistant)
    second = db.session.scalars(select(InstructionReport).order_by(InstructionReport.id.desc())).first()
    # A form still showing the first report is stale.
    assert submit(f"{page}/verdict", {"verdict": "accepted", "report_id": first.id}).status_code == 409
    assert submit(f"{page}/verdict", {"verdict": "accepted", "report_id": second.id}).status_code == 302
    db.session.refresh(instruction)
    assert instruction.status is InstructionStatus.CLOSED
    assert instruction.closed_by_id == reception.assistant.id and instruction.closed_at is not None
    switch_to(client, reception.rep)
    r = submit(page, {"text": "One more thing", "seen_status": "reported"})
    assert r.status_code == 409  # done: no more reports


def test_another_bodys_representative_is_refused(db, client, submit, reception, with_instruction, make_user):
    instruction = with_instruction()
    outsider = make_user("agency_rep", body=reception.body_a)  # body A is not the responsible body
    login(client, outsider)
    page = f"/staff/instructions/{instruction.id}"
    assert client.get(page).status_code == 403
    assert submit(page, {"text": "Done", "seen_status": "open"}, form_url="/").status_code == 403
    assert "Repair the roof" not in client.get("/staff/instructions/").get_data(as_text=True)
    db.session.refresh(instruction)
    assert instruction.status is InstructionStatus.OPEN and not instruction.reports


def test_the_body_cannot_judge_its_own_report(db, client, submit, reception, with_instruction):
    instruction = with_instruction(status=InstructionStatus.REPORTED)
    login(client, reception.rep)
    assert client.get(f"/staff/instructions/{instruction.id}/verdict").status_code == 403
    assert client.get(f"/staff/instructions/{instruction.id}/extend").status_code == 403


def test_overdue_instructions_come_first_and_are_flagged_on_the_follow_up_list(
        db, client, reception, with_instruction):
    late = with_instruction(due_on=_today() - timedelta(days=3))
    add_instruction(db, late.question, reception.body_a.id, utcnow(), due_on=_today() + timedelta(days=1),
                    responsible_name="X", text="Plant trees in the yard", appeal_type="proposal")
    db.session.commit()
    login(client, reception.assistant)
    text = client.get("/staff/follow-ups/").get_data(as_text=True)
    assert text.index("Repair the roof") < text.index("Plant trees in the yard")
    row = text[text.index("Repair the roof") - 600:text.index("Repair the roof")]
    assert "Overdue" in row
    assert text.count("Overdue") == 1


def test_the_day_board_shows_the_outcome_and_overdue_instructions_with_a_link(
        db, client, reception, with_instruction):
    with_instruction(due_on=_today() - timedelta(days=1))
    login(client, reception.assistant)
    day = reception.appointment.session.local_date.isoformat()
    text = client.get(f"/staff/day/?date={day}").get_data(as_text=True)
    assert "Forwarded to a competent body" in text
    assert "1 instruction" in text and "1 overdue" in text
    assert f"/staff/appointments/{reception.appointment.id}/outcome" in text


def test_staff_views_of_the_citizens_data_are_recorded_in_the_audit_log(db, client, reception, with_instruction):
    from reception.audit.models import AuditEvent

    instruction = with_instruction()
    login(client, reception.rep)
    assert client.get(f"/staff/instructions/{instruction.id}").status_code == 200
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.id > db.audit_floor,
                                                         AuditEvent.entity == "instruction",
                                                         AuditEvent.entity_id == instruction.id,
                                                         AuditEvent.actor_id == reception.rep.id)).all()
    assert [e.action.value if hasattr(e.action, "value") else e.action for e in viewed] == ["view"]
