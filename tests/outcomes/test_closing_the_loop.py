"""Closing the loop: once the bodies' work on a question is accepted, the citizen is asked whether the problem
is solved (e-mail and SMS, once), answers on the talon page or by SMS ("1" or "2"), and a "no" becomes a
follow-up task for the reception's staff."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.audit.models import AuditEvent
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.extensions import db as _db
from reception.notifications.models import Channel
from reception.notifications.services import render
from reception.notifications.signals import sms_received
from reception.outcomes import services
from reception.outcomes.models import (
    AnswerChannel,
    InstructionReport,
    InstructionStatus,
    OutcomeResult,
    SolvedCheck,
)
from tests.conftest import csrf_from, login
from tests.outcomes.conftest import add_instruction, add_question, messages, switch_to

ROOF_FIXED = "The roof of block 12 was repaired on 3 March; the contractor gave a 2-year warranty."


def reported(db, reception, instruction, text=ROOF_FIXED) -> InstructionReport:
    """The responsible body's report on ``instruction``, waiting for the official's side to check it."""
    report = InstructionReport(instruction_id=instruction.id, author_id=reception.rep.id, text=text,
                               created_at=utcnow())
    db.session.add(report)
    instruction.status = InstructionStatus.REPORTED
    db.session.commit()
    return report


def accept(submit, instruction, report):
    return submit(f"/staff/instructions/{instruction.id}/verdict", {"verdict": "accepted", "report_id": report.id})


def the_check(db) -> SolvedCheck:
    db.session.expire_all()
    return db.session.scalars(select(SolvedCheck)).one()


@pytest.fixture
def asked(db, reception, with_instruction, ctx):
    """The reception's one question, its instruction done: the citizen has been asked (the check)."""
    instruction = with_instruction(status=InstructionStatus.REPORTED)
    report = reported(db, reception, instruction)
    services.judge_report(reception.assistant, instruction, report.id, True, "", utcnow())
    db.session.commit()
    return the_check(db)


def sms_reply(sender: str, text: str):
    """Kannel's inbound SMS as reception.notifications announces it: what each receiver answered."""
    return [answer for _receiver, answer in sms_received.send(sender, text=text, received_at=utcnow())]


# --- asking ---------------------------------------------------------------------------------------

def test_accepting_the_report_asks_the_citizen_once_by_e_mail_and_sms(db, client, submit, reception,
                                                                       with_instruction):
    instruction = with_instruction(status=InstructionStatus.REPORTED)
    report = reported(db, reception, instruction)
    login(client, reception.assistant)
    assert accept(submit, instruction, report).status_code == 302
    sent = messages(db, reception.citizen, "solved_asked")
    assert sorted(m.channel for m in sent) == [Channel.EMAIL, Channel.SMS]  # the citizen chose both
    email = next(m for m in sent if m.channel is Channel.EMAIL)
    talon = f"/my/appointments/{reception.appointment.id}"
    assert ROOF_FIXED in email.body_text and talon in email.body_text and "Is your problem solved?" in email.body_text
    assert ROOF_FIXED in email.body_html and reception.appointment.talon_number in email.subject
    sms = next(m for m in sent if m.channel is Channel.SMS)
    assert "Reply 1 if solved, 2 if not" in sms.body_text and sms.body_text.endswith(talon)
    check = the_check(db)
    assert check.citizen_id == reception.citizen.id and check.answered_at is None
    # A second acceptance (a double submit) is refused and asks nothing more.
    assert accept(submit, instruction, report).status_code == 409
    assert len(messages(db, reception.citizen, "solved_asked")) == 2
    assert db.session.query(SolvedCheck).count() == 1


def test_asking_again_changes_nothing(db, reception, asked, ctx):
    question = asked.question
    assert services.ask_if_solved(question, utcnow()) is None
    assert db.session.query(SolvedCheck).count() == 1
    assert len(messages(db, reception.citizen, "solved_asked")) == 2


def test_only_email_for_a_citizen_who_chose_email(db, client, submit, reception, with_instruction):
    reception.citizen.notify_by = NotifyBy.EMAIL
    instruction = with_instruction(status=InstructionStatus.REPORTED)
    report = reported(db, reception, instruction)
    login(client, reception.assistant)
    assert accept(submit, instruction, report).status_code == 302
    assert [m.channel for m in messages(db, reception.citizen, "solved_asked")] == [Channel.EMAIL]


def test_a_question_with_two_instructions_is_asked_when_both_are_done(db, client, submit, reception, ctx):
    now = utcnow()
    from reception.booking.models import AppointmentStatus
    reception.appointment.status = AppointmentStatus.HELD
    question = add_question(db, reception.appointment, now, body_id=reception.body_b.id)
    first = add_instruction(db, question, reception.body_b.id, now, status=InstructionStatus.REPORTED)
    second = add_instruction(db, question, reception.body_b.id, now, text="Insulate the attic",
                             status=InstructionStatus.REPORTED)
    reports = [reported(db, reception, i) for i in (first, second)]
    login(client, reception.assistant)
    assert accept(submit, first, reports[0]).status_code == 302
    assert messages(db, reception.citizen, "solved_asked") == []
    assert accept(submit, second, reports[1]).status_code == 302
    assert len(messages(db, reception.citizen, "solved_asked")) == 2


def test_a_returned_report_asks_nothing(db, client, submit, reception, with_instruction):
    instruction = with_instruction(status=InstructionStatus.REPORTED)
    report = reported(db, reception, instruction)
    login(client, reception.assistant)
    r = submit(f"/staff/instructions/{instruction.id}/verdict",
               {"verdict": "returned", "note": "Only half done", "report_id": report.id})
    assert r.status_code == 302
    assert messages(db, reception.citizen, "solved_asked") == []


def _segments(text: str) -> int:
    """SMS segments: GSM-7 text 160 (153 when split), anything else UCS-2, 70 (67 when split)."""
    gsm = all(ord(c) < 128 for c in text)
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // part)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_sms_fits_two_segments_in_every_language(db, app, reception, asked, language):
    sms = next(m for m in messages(db, reception.citizen, "solved_asked") if m.channel is Channel.SMS)
    sms.locale = language
    with app.test_request_context(), force_locale(language):
        app.config["BASE_URL"], base = "https://reception.gov.kz", app.config["BASE_URL"]
        try:
            text = render(sms).body_text
        finally:
            app.config["BASE_URL"] = base
    assert "1" in text and "2" in text and text.endswith(f"/my/appointments/{reception.appointment.id}")
    assert _segments(text) <= 2, (len(text), text)
    if language != "en":
        assert not all(ord(c) < 128 for c in text)  # really translated (Cyrillic: UCS-2)


# --- the answer on the talon page ------------------------------------------------------------------

def test_the_citizen_answers_yes_on_the_talon_page_once(db, client, submit, reception, asked):
    login(client, reception.citizen)
    talon = f"/my/appointments/{reception.appointment.id}"
    page = client.get(talon).get_data(as_text=True)
    assert "Is your problem solved?" in page and "Yes, it is solved" in page and ROOF_FIXED in page
    url = f"{talon}/solved"
    r = submit(url, {"question_id": asked.question_id, "answer": "yes"}, form_url=talon)
    assert r.status_code == 302 and r.headers["Location"].endswith(talon)
    check = the_check(db)
    assert check.solved is True and check.answered_via is AnswerChannel.PAGE and check.answered_at is not None
    assert "You confirmed that the problem is solved" in client.get(talon).get_data(as_text=True)
    # A second answer is refused clearly and changes nothing.
    r = submit(url, {"question_id": asked.question_id, "answer": "no"}, form_url="/my/appointments/")
    assert r.status_code == 409 and "already answered" in r.get_data(as_text=True)
    assert the_check(db).solved is True
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "solved_check",
                                                         AuditEvent.entity_id == check.id,
                                                         AuditEvent.id > _db.audit_floor)).all()
    assert any(e.actor_id == reception.citizen.id and '"solved": [null, true]' in e.changes for e in events)
    # Staff see no follow-up task: the problem is solved.
    switch_to(client, reception.assistant)
    assert "No citizen is waiting for a call back." in client.get("/staff/follow-ups/").get_data(as_text=True)


def test_no_opens_a_follow_up_task_that_a_logged_contact_closes(db, client, submit, reception, asked):
    login(client, reception.citizen)
    talon = f"/my/appointments/{reception.appointment.id}"
    r = submit(f"{talon}/solved", {"question_id": asked.question_id, "answer": "no"}, form_url=talon)
    assert r.status_code == 302
    assert the_check(db).solved is False
    assert "You said that the problem is not solved" in client.get(talon).get_data(as_text=True)

    switch_to(client, reception.assistant)
    page = client.get("/staff/follow-ups/").get_data(as_text=True)
    unsolved = page[page.index("Citizens who say the problem is not solved"):page.index('<h2>Instructions')]
    assert reception.citizen.full_name in unsolved and "Not solved" in unsolved and "on the talon page" in unsolved
    instruction_id = asked.question.instructions[0].id
    assert f"/staff/instructions/{instruction_id}/contacts" in unsolved
    assert "says the problem is not solved" in client.get(f"/staff/instructions/{instruction_id}") \
        .get_data(as_text=True)
    r = submit(f"/staff/instructions/{instruction_id}/contacts",
               {"channel": "phone", "confirmed": "no", "note": "Still leaks; asked the body to come back"})
    assert r.status_code == 302
    check = the_check(db)
    assert check.follow_up_done_at is not None and check.follow_up_done_by_id == reception.assistant.id
    assert "No citizen is waiting for a call back." in client.get("/staff/follow-ups/").get_data(as_text=True)


def test_another_citizen_gets_404_and_staff_403(db, client, submit, reception, asked, make_user):
    url = f"/my/appointments/{reception.appointment.id}/solved"
    login(client, make_user(Role.CITIZEN))
    assert submit(url, {"question_id": asked.question_id, "answer": "yes"}, form_url="/").status_code == 404
    switch_to(client, reception.assistant)
    assert submit(url, {"question_id": asked.question_id, "answer": "yes"}, form_url="/").status_code == 403
    assert the_check(db).answered_at is None


def test_the_form_is_not_shown_to_others(db, client, reception, asked, make_user):
    login(client, reception.assistant)  # staff do not answer for the citizen, wherever they see the talon
    assert client.get(f"/my/appointments/{reception.appointment.id}").status_code in (403, 404)


def test_bad_answers_are_refused_with_a_message(db, client, submit, reception, asked):
    login(client, reception.citizen)
    talon = f"/my/appointments/{reception.appointment.id}"
    url = f"{talon}/solved"
    # No CSRF token: refused before anything is read.
    assert client.post(url, data={"question_id": asked.question_id, "answer": "yes"}).status_code == 400
    r = submit(url, {"question_id": asked.question_id, "answer": "maybe"}, form_url=talon)
    assert r.status_code == 422 and "Not a valid choice" in r.get_data(as_text=True)
    r = submit(url, {"question_id": "abc", "answer": "yes"}, form_url=talon)
    assert r.status_code == 422 and "The form is damaged" in r.get_data(as_text=True)
    assert submit(url, {"question_id": "99999999999999", "answer": "yes"}, form_url=talon).status_code == 422
    assert submit(url, {"question_id": asked.question_id + 1000, "answer": "yes"}, form_url=talon).status_code == 404
    assert client.get(url).status_code == 405
    assert the_check(db).answered_at is None


# --- the answer by SMS ----------------------------------------------------------------------------

def test_sms_reply_1_confirms_the_problem_solved(db, reception, asked, ctx):
    assert sms_reply(reception.citizen.phone, "1") == [True]
    check = the_check(db)
    assert check.solved is True and check.answered_via is AnswerChannel.SMS
    assert sms_reply(reception.citizen.phone, "2") == [False]  # answered already: nothing to answer
    assert the_check(db).solved is True


def test_sms_reply_2_opens_the_follow_up_task(db, client, reception, asked, ctx):
    assert sms_reply(reception.citizen.phone, " 2 ") == [True]
    assert the_check(db).solved is False
    db.session.commit()
    login(client, reception.assistant)
    page = client.get("/staff/follow-ups/").get_data(as_text=True)
    assert reception.citizen.full_name in page and "by SMS" in page


@pytest.mark.parametrize("text", ["", "yes", "12", "3", "1 2", "один", "Reply 1"])
def test_other_replies_are_ignored(db, reception, asked, ctx, text):
    assert sms_reply(reception.citizen.phone, text) == [False]
    assert the_check(db).answered_at is None


def test_a_reply_from_an_unknown_phone_is_ignored(db, reception, asked, ctx):
    assert sms_reply("+77779998877", "1") == [False]
    assert the_check(db).answered_at is None


def test_of_two_open_questions_the_reply_answers_the_one_asked_last(db, reception, asked, ctx):
    now = utcnow()
    question = add_question(db, reception.appointment, now, result=OutcomeResult.FORWARDED,
                            body_id=reception.body_b.id, wording="Heating in the stairwell")
    add_instruction(db, question, reception.body_b.id, now, status=InstructionStatus.CLOSED)
    later = SolvedCheck(question_id=question.id, appointment_id=reception.appointment.id,
                        citizen_id=reception.citizen.id, asked_at=asked.asked_at + timedelta(days=3))
    db.session.add(later)
    db.session.flush()
    assert sms_reply(reception.citizen.phone, "2") == [True]
    db.session.expire_all()
    assert db.session.get(SolvedCheck, later.id).solved is False
    assert db.session.get(SolvedCheck, asked.id).answered_at is None
    assert sms_reply(reception.citizen.phone, "1") == [True]  # then the other one
    assert db.session.get(SolvedCheck, asked.id).solved is True


# --- the follow-up list stays one query per kind of row ------------------------------------------------

def test_follow_ups_page_runs_as_many_queries_for_many_unsolved_answers_as_for_few(
        db, client, count_queries, reception, make_user, make_session, login_as):
    from reception.booking.models import Appointment, AppointmentStatus
    from reception.outcomes.models import Outcome, Question
    from reception.schedule.models import AttendanceFormat

    now = utcnow().replace(microsecond=0)
    names: list[str] = []

    def add_rows(count: int) -> None:
        for _ in range(count):
            n = len(names)
            citizen = make_user(Role.CITIZEN, full_name=f"Unsolved Citizen {n}")
            names.append(citizen.full_name)
            session = make_session(official=reception.official, start=now - timedelta(days=5 + n), slots=1)
            appointment = Appointment(citizen_id=citizen.id, official_id=reception.official.id,
                                      session_id=session.id, slot_id=session.slots[0].id,
                                      format=AttendanceFormat.IN_PERSON, topic_id=reception.appointment.topic_id,
                                      summary="Leaks", status=AppointmentStatus.HELD,
                                      talon_number=f"KZ71-LOOP-{n:06d}", accepted_at=now)
            db.session.add(appointment)
            db.session.flush()
            outcome = Outcome(appointment_id=appointment.id, notes="", recorded_at=now, updated_at=now)
            db.session.add(outcome)
            db.session.flush()
            question = Question(outcome_id=outcome.id, position=1, topic_id=appointment.topic_id,
                                wording=f"Leaking roof {n}", result=OutcomeResult.FORWARDED,
                                body_id=reception.body_b.id, created_at=now)
            db.session.add(question)
            db.session.flush()
            add_instruction(db, question, reception.body_b.id, now, status=InstructionStatus.CLOSED)
            db.session.add(SolvedCheck(question_id=question.id, appointment_id=appointment.id,
                                       citizen_id=citizen.id, asked_at=now, answered_at=now, solved=False,
                                       answered_via=AnswerChannel.SMS))

    login(client, reception.assistant)
    add_rows(2)
    db.session.commit()
    with count_queries() as small:
        page = client.get("/staff/follow-ups/").get_data(as_text=True)
    assert all(n in page for n in names)
    add_rows(6)
    db.session.commit()
    with count_queries() as large:
        page = client.get("/staff/follow-ups/").get_data(as_text=True)
    assert all(n in page for n in names)
    assert len(large) == len(small), "\n".join(large)


def test_the_checks_can_be_counted_for_monitoring(db, reception, asked, ctx):
    services.answer_solved(reception.citizen, asked, True, AnswerChannel.PAGE, utcnow())
    confirmed = db.session.scalar(select(_db.func.count()).select_from(SolvedCheck).where(
        SolvedCheck.answered_at.is_not(None), SolvedCheck.solved.is_(True)))
    assert confirmed == 1


def test_the_csrf_token_is_on_the_yes_no_form(db, client, reception, asked):
    login(client, reception.citizen)
    assert csrf_from(client, f"/my/appointments/{reception.appointment.id}")


def test_a_reply_through_kannels_incoming_address_answers_the_question(db, client, reception, asked, monkeypatch):
    """The whole inbound path in-process: Kannel's sms-service calls the incoming address (as it does for real in
    tests/notifications/test_kannel.py), the SMS is recorded, and this area's receiver answers the question."""
    from reception.notifications.models import InboundSms

    monkeypatch.setitem(client.application.config, "KANNEL_MO_SECRET", "mo-secret-for-the-test")
    phone = reception.citizen.phone
    r = client.get("/sms/kannel/incoming", query_string={"key": "mo-secret-for-the-test", "from": phone.lstrip("+"),
                                                         "to": "1414", "text": " 1 "})
    assert r.status_code == 200 and r.get_data(as_text=True) == ""
    check = the_check(db)
    assert check.solved is True and check.answered_via is AnswerChannel.SMS
    assert db.session.scalars(select(InboundSms.understood).where(InboundSms.sender == phone)).all() == [True]
