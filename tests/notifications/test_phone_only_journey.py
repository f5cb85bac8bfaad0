"""A phone-only citizen's whole journey, every SMS through a real Kannel on loopback: the citizen registers in
Kazakh with a phone and no e-mail, confirms the phone with the code that reached it, books through the booking
page, gets the talon by SMS (its delivery report marks it delivered), is asked "is it solved?" by SMS once the
body's report is accepted, and answers "1" from the phone; a second citizen's "2" opens a follow-up task.

The application is served for Kannel to call (delivery reports, SMS from phones: the ``served`` and ``kannel``
fixtures of tests/notifications/conftest.py) and the pages are used through a test client on the same
application, so every row is committed for real, on SQLite and PostgreSQL alike; the ``world`` fixture deletes
them afterwards and checks that every table (but the append-only audit log) has as many rows as before.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from reception.accounts.models import NotifyBy, PhoneCode, User, UserRole
from reception.booking.models import Appointment, AppointmentStatus, Participant, Reservation
from reception.booking.services import BookingData, book_slot
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Body, Official, Region, Topic, Venue
from reception.extensions import db, limiter
from reception.hearings.models import BodyInvitation
from reception.notifications.models import FAN_OUT, Channel, DeliveryStatus, InboundSms, OutboxMessage, OutboxStatus
from reception.outcomes import services as outcomes
from reception.outcomes.models import (
    AnswerChannel,
    CitizenContact,
    Instruction,
    InstructionReport,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
    SolvedCheck,
)
from reception.schedule.models import AttendanceFormat, ReceptionSession, Slot
from tests.accounts.conftest import valid_iin
from tests.booking.fixtures import new_office, new_session
from tests.conftest import _PASSWORD_HASH, PASSWORD, _drop_unexpanded_events, login, post_form
from tests.notifications.kannel import SENDER, Kannel, dispatch, wait_until

PHONE, SECOND_PHONE = "+77017770101", "+77017770102"  # none of the other tests' numbers (+7701555…, +77010000000)
IIN = valid_iin(7701)
KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
_seq = itertools.count(1)


@dataclass
class World:
    """Body A's official receives in Aktobe (a session of two free slots); body B gets the instruction."""

    region_id: int
    topic_id: int
    slot_ids: list[int]
    assistant: int  # of body A: records the outcome and checks the report
    rep: int  # of body B: reports what it did
    body_b: int
    made: dict[str, list[int]] = field(default_factory=dict)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
                if t.name != "audit_events"}


@pytest.fixture
def world(app, engine):
    """Committed on the app's engine, deleted afterwards with everything the journey added (the citizens are
    found by their IIN and phone: they register through the page)."""
    _drop_unexpanded_events(engine)
    before = _counts(engine)
    with engine.connect() as conn:
        outbox_floor = conn.scalar(select(func.max(OutboxMessage.id))) or 0
    n = f"{next(_seq)}-{utcnow():%H%M%S%f}"
    with Session(engine) as s:
        aktobe = s.scalars(select(Region).where(Region.code == "KZ-15")).one()
        body_a, official, venue = new_office(aktobe, f"journey-a-{n}")
        official.full_name = "Ерлан Сейітқалиұлы Байжанов"
        body_b, official_b, venue_b = new_office(aktobe, f"journey-b-{n}")
        session = new_session(official, venue, slots=2)
        staff = [User(email=f"journey-{role.value}-{n}@example.kz", full_name=f"Journey {role.value}",
                      password_hash=_PASSWORD_HASH, language="en", body=body, role_rows=[UserRole(role=role)])
                 for role, body in ((Role.ASSISTANT, body_a), (Role.AGENCY_REP, body_b))]
        s.add_all([body_a, body_b, official, official_b, venue, venue_b, session, *staff])
        s.commit()
        topic_id = s.scalars(select(Topic.id).where(Topic.parent_id.is_(None)).order_by(Topic.id)).first()
        made = {"bodies": [body_a.id, body_b.id], "officials": [official.id, official_b.id],
                "venues": [venue.id, venue_b.id], "sessions": [session.id], "users": [u.id for u in staff]}
        world = World(region_id=aktobe.id, topic_id=topic_id, slot_ids=[x.id for x in session.slots],
                      assistant=staff[0].id, rep=staff[1].id, body_b=body_b.id,
                      made=made)
    limiter.reset()
    yield world
    with engine.begin() as conn:
        citizens = select(User.id).where(or_(User.iin == IIN, User.phone.in_([PHONE, SECOND_PHONE])))
        users = or_(User.id.in_(made["users"]), User.id.in_(citizens))
        user_ids = [row[0] for row in conn.execute(select(User.id).where(users))]
        appointments = select(Appointment.id).where(Appointment.citizen_id.in_(user_ids))
        outcome_ids = select(Outcome.id).where(Outcome.appointment_id.in_(appointments))
        questions = select(Question.id).where(Question.outcome_id.in_(outcome_ids))
        instructions = select(Instruction.id).where(Instruction.question_id.in_(questions))
        conn.execute(delete(SolvedCheck).where(SolvedCheck.appointment_id.in_(appointments)))
        conn.execute(delete(CitizenContact).where(CitizenContact.instruction_id.in_(instructions)))
        conn.execute(delete(InstructionReport).where(InstructionReport.instruction_id.in_(instructions)))
        conn.execute(delete(Instruction).where(Instruction.id.in_(instructions)))
        conn.execute(delete(Question).where(Question.id.in_(questions)))
        conn.execute(delete(Outcome).where(Outcome.id.in_(outcome_ids)))
        conn.execute(delete(BodyInvitation).where(BodyInvitation.appointment_id.in_(appointments)))
        conn.execute(delete(Participant).where(Participant.appointment_id.in_(appointments)))
        conn.execute(delete(Reservation).where(Reservation.appointment_id.in_(appointments)))
        conn.execute(delete(OutboxMessage).where(or_(OutboxMessage.user_id.in_(user_ids),
                                                     OutboxMessage.appointment_id.in_(appointments),
                                                     OutboxMessage.recipient.in_([PHONE, SECOND_PHONE]))))
        # The webhook events of the bookings and outcomes (no user, no appointment: the dispatcher expanded them).
        conn.execute(delete(OutboxMessage).where(OutboxMessage.recipient == FAN_OUT, OutboxMessage.id > outbox_floor))
        conn.execute(delete(InboundSms).where(InboundSms.sender.in_([PHONE, SECOND_PHONE])))
        conn.execute(delete(PhoneCode).where(PhoneCode.user_id.in_(user_ids)))
        conn.execute(delete(Appointment).where(Appointment.id.in_(appointments)))
        conn.execute(delete(Slot).where(Slot.session_id.in_(made["sessions"])))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id.in_(made["sessions"])))
        conn.execute(delete(Venue).where(Venue.id.in_(made["venues"])))
        conn.execute(delete(Official).where(Official.id.in_(made["officials"])))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(user_ids)))
        conn.execute(delete(User).where(User.id.in_(user_ids)))
        conn.execute(delete(Body).where(Body.id.in_(made["bodies"])))
    after = _counts(engine)
    assert after == before, {name: (before[name], after[name]) for name in before if after[name] != before[name]}


# --- what the phone got, and what the application knows ----------------------------------------------

def _sms_to(kannel: Kannel, phone: str) -> list:
    return [m for m in kannel.received() if m.receiver == phone]


def _next_sms(kannel: Kannel, phone: str, seen: int, what: str):
    """Wait for the phone's SMS number ``seen`` + 1 (counting from one) and return it."""
    wait_until(lambda: len(_sms_to(kannel, phone)) > seen, what, kannel)
    return _sms_to(kannel, phone)[seen]


def _sms_starting(kannel: Kannel, phone: str, opening: str):
    """Wait for the one SMS to ``phone`` that starts with ``opening`` and return it."""
    def arrived():
        return [m for m in _sms_to(kannel, phone) if m.text.startswith(opening)]
    wait_until(arrived, f"an SMS starting {opening!r} to reach {phone}", kannel)
    [got] = arrived()
    return got


def _sms_row(engine, user_id: int, kind: str) -> OutboxMessage:
    with Session(engine) as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.kind == kind,
                                                    OutboxMessage.channel == Channel.SMS)).one()
        s.expunge_all()
        return row


def _assert_delivered(engine, kannel: Kannel, user_id: int, kind: str, got) -> OutboxMessage:
    """The SMS of ``kind`` was sent once, arrived whole (``got``) within two segments, and Kannel's delivery
    report marked its outbox row delivered."""
    row = _sms_row(engine, user_id, kind)
    assert row.status is OutboxStatus.SENT and row.attempts == 1, (row.status, row.last_error)
    assert (got.sender, got.text) == (SENDER, row.body_text)
    assert got.parts == row.segments <= 2
    wait_until(lambda: _sms_row(engine, user_id, kind).delivery_status is DeliveryStatus.DELIVERED,
               f"the delivery report of the {kind} SMS", kannel)
    return row


def _browser(app, language: str):
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return browser


def _text(response) -> str:
    return response.get_data(as_text=True)


def _close_the_loop(app, world: World, appointment_id: int, wording: str) -> None:
    """As the pages do it: the reception held, its outcome recorded by body A's assistant (one question forwarded
    to body B with an instruction), body B's report, the assistant's acceptance."""
    with app.test_request_context():
        try:
            assistant, rep = db.session.get(User, world.assistant), db.session.get(User, world.rep)
            appointment = db.session.get(Appointment, appointment_id)
            appointment.status = AppointmentStatus.CHECKED_IN  # as the day board leaves it
            db.session.commit()
            question = outcomes.QuestionData(
                topic_id=appointment.topic_id, wording=wording, result=OutcomeResult.FORWARDED, body_id=world.body_b,
                instructions=[outcomes.NewInstruction(body_id=None, responsible_name="Асқар Нұрланов",
                                                      text="Жолды жөндеп, азаматқа хабарлау",
                                                      appeal_type="complaint", due_on=None)])
            outcome = outcomes.record_outcome(assistant, appointment, [question], "", None, utcnow(), app.config)
            db.session.commit()
            [instruction] = outcome.instructions
            report = outcomes.report_instruction(rep, instruction, "Жол 3 наурызда жөнделді.",
                                                 InstructionStatus.OPEN, utcnow())
            db.session.commit()
            outcomes.judge_report(assistant, instruction, report.id, True, "", utcnow())
            db.session.commit()
        finally:
            db.session.remove()


def _check(engine, appointment_id: int) -> SolvedCheck:
    with Session(engine) as s:
        check = s.scalars(select(SolvedCheck).where(SolvedCheck.appointment_id == appointment_id)).one()
        s.expunge_all()
        return check


# --- the journey ------------------------------------------------------------------------------------------

def test_a_phone_only_citizen_registers_books_gets_the_talon_through_kannel_and_answers_solved_by_sms(
        app, engine, kannel, world):
    browser = _browser(app, "kk")

    # 1. Registration in Kazakh: a phone, no e-mail, the region chosen (none is preselected).
    r = post_form(browser, "/register", {
        "iin": IIN, "full_name": "Әлия Серікқызы Жұмабаева", "phone": "8 701 777 01 01", "email": "",
        "region_id": str(world.region_id), "language": "kk", "password": PASSWORD, "password_confirm": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/profile/phone"), _text(r)
    with Session(engine) as s:
        citizen = s.scalars(select(User).where(User.iin == IIN)).one()
        s.expunge_all()
    assert (citizen.email, citizen.phone, citizen.notify_by, citizen.language) == (None, PHONE, NotifyBy.SMS, "kk")
    assert citizen.phone_confirmed_at is None
    assert browser.get(f"/reception/slots/{world.slot_ids[0]}/book").status_code == 422  # not before confirming

    # 2. The dispatcher sends the code through Kannel; the citizen types what the phone shows.
    dispatch(app)
    code_sms = _next_sms(kannel, PHONE, 0, "the confirmation code to reach the phone")
    assert code_sms.text.startswith("Телефонды растау коды: ") and "Ешкімге айтпаңыз." in code_sms.text
    _assert_delivered(engine, kannel, citizen.id, "phone_code", code_sms)
    code = re.search(r"\b(\d{6})\b", code_sms.text).group(1)
    r = post_form(browser, "/profile/phone", {"code": code})
    assert r.status_code == 302, _text(r)
    assert "Телефон нөміріңіз расталды." in _text(browser.get(r.headers["Location"]))
    with Session(engine) as s:
        assert s.get(User, citizen.id).phone_confirmed_at is not None

    # 3. The citizen books the first free slot through the booking page.
    url = f"/reception/slots/{world.slot_ids[0]}/book"
    key = KEY_RE.search(_text(browser.get(url)))[1]
    r = post_form(browser, url, {"format": "in_person", "studio_id": "0", "topic_id": str(world.topic_id),
                                 "summary": "Ауылдағы жол екі жылдан бері жөнделмейді.", "idempotency_key": key})
    assert r.status_code == 302, _text(r)
    with Session(engine) as s:
        appointment = s.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()
        s.expunge_all()
    talon_url = f"/my/appointments/{appointment.id}"
    assert r.headers["Location"].endswith(talon_url + "?booked=1")
    page = _text(browser.get(r.headers["Location"]))
    assert "Сіз қабылдауға жазылдыңыз." in page and appointment.talon_number in page

    # 4. The talon by SMS, in Kazakh, whole, within two segments; the delivery report marks it delivered.
    dispatch(app)
    talon_sms = _next_sms(kannel, PHONE, 1, "the booking confirmation to reach the phone")
    assert talon_sms.text.startswith(f"Талон {appointment.talon_number}: қабылдау ")
    assert talon_sms.text.endswith(talon_url)
    _assert_delivered(engine, kannel, citizen.id, "booking_confirmed", talon_sms)

    # 5. The reception is held, body B reports, the report is accepted: "is it solved?" by SMS.
    _close_the_loop(app, world, appointment.id, "Ауылдағы жол жөнделмеген")
    dispatch(app)
    asked = _sms_starting(kannel, PHONE, "Орган сұрағыңыз шешілді дейді.")
    assert "Шешілсе 1, шешілмесе 2" in asked.text and asked.text.endswith(talon_url)
    _assert_delivered(engine, kannel, citizen.id, "solved_asked", asked)
    assert _check(engine, appointment.id).answered_at is None

    # 6. The citizen answers "1" from the phone (the operator gives the number without "+"): solved.
    received = len(_sms_to(kannel, PHONE))
    kannel.send_from_phone(PHONE.removeprefix("+"), "1")
    wait_until(lambda: _check(engine, appointment.id).answered_at is not None, "the answer to be recorded", kannel)
    check = _check(engine, appointment.id)
    assert (check.solved, check.answered_via, check.citizen_id) == (True, AnswerChannel.SMS, citizen.id)
    with Session(engine) as s:
        inbound = s.scalars(select(InboundSms).where(InboundSms.sender == PHONE)).all()
        assert [(m.text, m.understood) for m in inbound] == [("1", True)]
    assert "Сіз мәселенің шешілгенін растадыңыз" in _text(browser.get(talon_url))
    assert len(_sms_to(kannel, PHONE)) == received  # no reply went to the phone


def test_a_second_citizens_sms_answer_2_opens_a_follow_up_task_for_the_staff(app, engine, kannel, world):
    """The same path from the acceptance on, for a citizen who replies "2" (not solved): the reception's staff
    see a call back to make, told it came by SMS."""
    with Session(engine) as s:
        citizen = User(iin=valid_iin(7702), full_name="Бақыт Сейітов", phone=SECOND_PHONE, email=None,
                       password_hash=_PASSWORD_HASH, language="ru", region_id=world.region_id,
                       notify_by=NotifyBy.SMS, phone_confirmed_at=utcnow(), role_rows=[UserRole(role=Role.CITIZEN)])
        s.add(citizen)
        s.flush()
        citizen_id = citizen.id
        s.commit()
    with app.test_request_context():
        try:
            appointment = book_slot(db.session.get(User, citizen_id), world.slot_ids[1], BookingData(
                format=AttendanceFormat.IN_PERSON, topic_id=world.topic_id, summary="Нет отопления."), None,
                utcnow(), app.config)
            db.session.commit()
            appointment_id = appointment.id
        finally:
            db.session.remove()
    _close_the_loop(app, world, appointment_id, "Нет отопления с октября")
    dispatch(app)
    asked = _sms_starting(kannel, SECOND_PHONE, "Орган сообщил, что вопрос решён.")
    assert "Ответьте 1, если решён, 2 — если нет" in asked.text
    _assert_delivered(engine, kannel, citizen_id, "solved_asked", asked)

    kannel.send_from_phone(SECOND_PHONE, "2")
    wait_until(lambda: _check(engine, appointment_id).answered_at is not None, "the answer to be recorded", kannel)
    check = _check(engine, appointment_id)
    assert (check.solved, check.answered_via, check.follow_up_done_at) == (False, AnswerChannel.SMS, None)
    staff = _browser(app, "en")
    with Session(engine) as s:
        assistant = s.get(User, world.assistant)
        s.expunge_all()
    login(staff, assistant)
    page = _text(staff.get("/staff/follow-ups/"))
    unsolved = page[page.index("Citizens who say the problem is not solved"):page.index("<h2>Instructions")]
    assert "Бақыт Сейітов" in unsolved and "by SMS" in unsolved
