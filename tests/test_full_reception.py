"""A whole reception run through the pages, by everyone who takes part in it.

The citizen books; the body competent for the topic is invited and its representative confirms;
the assistant asks for a legal review and a consultant signs and sends an opinion; on the day the
assistant checks the citizen in and the official receives them; the outcome is recorded with an
instruction to the competent body, which reports; the deadline passes and the follow-up list flags it;
the assistant accepts the report; the citizen sees all of it and rates the reception; and the
administrator finds each step in the audit log.
"""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from reception.booking.models import Appointment, AppointmentStatus, Reservation
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import BodyLevel, Topic
from reception.extensions import db as _db
from reception.hearings.models import BodyInvitation, InvitationStatus
from reception.legal.models import LegalReview
from reception.outcomes.models import Instruction, InstructionStatus
from tests.booking.fixtures import new_session
from tests.conftest import login, post_form, region

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def _text(response) -> str:
    return response.get_data(as_text=True)


def _browser(app, user):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, user)
    return client


def _the_day_comes(appointment_id: int) -> None:
    """Time passes: the reception's session now started ten minutes ago (moved in the database, since
    the pages take the clock as it is)."""
    appointment = _db.session.get(Appointment, appointment_id)
    shift = (utcnow() - timedelta(minutes=10)) - appointment.slot.starts_at
    session = appointment.session
    for slot in session.slots:
        slot.starts_at, slot.ends_at = slot.starts_at + shift, slot.ends_at + shift
    session.starts_at, session.ends_at = session.starts_at + shift, session.ends_at + shift
    session.opens_at, session.closes_at = session.opens_at + shift, session.closes_at + shift
    session.local_date = session.starts_at.astimezone(ZoneInfo(session.timezone)).date()
    for held in _db.session.scalars(select(Reservation).where(Reservation.appointment_id == appointment_id)):
        held.starts_at, held.ends_at = held.starts_at + shift, held.ends_at + shift
    _db.session.commit()


def test_a_whole_reception_from_booking_to_the_citizens_rating(app, db, make_body, make_official, make_venue,
                                                                 make_user, midday):
    # At noon: the reception "began ten minutes ago" on the same local date as the rest of the story.
    aktobe = region("KZ-15")
    topic = db.session.scalars(select(Topic).where(Topic.parent_id.is_(None)).order_by(Topic.id)).first()
    akimat = make_body(level=BodyLevel.REGIONAL, region=aktobe, name_en="Aktobe Region Akimat")
    district = make_body(level=BodyLevel.DISTRICT, region=aktobe, parent=akimat, name_en="Alga District Akimat")
    district.topics = [topic]
    elsewhere = make_body(level=BodyLevel.DISTRICT, region=region("KZ-71"), name_en="Astana Housing Department")
    elsewhere.topics = [topic]
    akim_user = make_user(Role.OFFICIAL, body=akimat, full_name="Yerzhan Baizhanov")
    akim = make_official(body=akimat, full_name="Yerzhan Baizhanov", user_id=akim_user.id)
    venue = make_venue(body=akimat, region=aktobe)
    start = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    session = new_session(akim, venue, start=start, slots=2)
    db.session.add(session)
    citizen = make_user(Role.CITIZEN, full_name="Darkhan Seitov", region_id=aktobe.id)
    assistant = make_user(Role.ASSISTANT, body=akimat, full_name="Gulzhan Muratova")
    rep = make_user(Role.AGENCY_REP, body=district, full_name="Nurbol Kassenov")
    consultant = make_user(Role.LEGAL_CONSULTANT, full_name="Zhanna Akhmetova", region_id=aktobe.id)
    admin = make_user(Role.ADMIN)
    db.session.commit()
    slot_id = session.slots[0].id
    people = {name: _browser(app, user) for name, user in
              [("citizen", citizen), ("assistant", assistant), ("akim", akim_user), ("rep", rep),
               ("consultant", consultant), ("admin", admin)]}

    # 1. The citizen books the akim's time through the booking page.
    url = f"/reception/slots/{slot_id}/book"
    key = KEY_RE.search(_text(people["citizen"].get(url)))[1]
    r = post_form(people["citizen"], url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                                           "summary": "No heating in our house since October.",
                                           "idempotency_key": key})
    assert r.status_code == 302, _text(r)
    appointment_id = db.session.scalar(select(Appointment.id).where(Appointment.citizen_id == citizen.id))

    # 2. The body competent for the topic in the citizen's region is invited (not the one in Astana);
    #    its representative confirms that he attends.
    invitations = db.session.scalars(select(BodyInvitation)
                                     .where(BodyInvitation.appointment_id == appointment_id)).all()
    assert [i.body_id for i in invitations] == [district.id]
    assert "Yerzhan Baizhanov" in _text(people["rep"].get("/staff/invitations/"))
    r = post_form(people["rep"], f"/staff/invitations/{invitations[0].id}", {"answer": "accept",
                                                                            "attendee_id": rep.id})
    assert r.status_code == 302, _text(r)
    db.session.expire_all()
    assert db.session.get(BodyInvitation, invitations[0].id).status is InvitationStatus.ACCEPTED

    # 3. The assistant asks for a legal review; the region's consultant takes it, signs and sends an opinion.
    r = post_form(people["assistant"], f"/staff/appointments/{appointment_id}/legal-review",
                  {"reason": "Did the district akimat answer within the legal term?"})
    assert r.status_code == 302, _text(r)
    review_id = db.session.scalar(select(LegalReview.id).where(LegalReview.appointment_id == appointment_id))
    assert f"/legal/reviews/{review_id}" in _text(people["consultant"].get("/legal/"))
    case_page = f"/legal/reviews/{review_id}"
    assert post_form(people["consultant"], f"{case_page}/take", form_url=case_page).status_code == 302
    assert post_form(people["consultant"], f"{case_page}/opinions", form_url=case_page).status_code == 302
    db.session.expire_all()
    opinion = db.session.get(LegalReview, review_id).opinions[-1]
    r = post_form(people["consultant"], f"/legal/opinions/{opinion.id}", {
        "findings": "Two answers promised repairs without a date.",
        "assessment": "An answer must say what is done and by when.",
        "conclusion": "The akimat's answers did not meet the law.",
        "recommended_action": "Instruct the district akimat to restore heating.",
        "addressee": "prosecutor", "addressee_body_id": "0", "addressee_detail": "", "sign": "1"},
        form_url=case_page)
    assert r.status_code == 302, _text(r)
    assert post_form(people["consultant"], f"/legal/opinions/{opinion.id}/send", form_url=case_page).status_code == 302

    # 4. The day comes. The board shows the case with the confirmed body and the opinion's conclusion;
    #    the assistant checks the citizen in and the akim receives him.
    _the_day_comes(appointment_id)
    board = _text(people["assistant"].get("/staff/day/"))
    assert "Darkhan Seitov" in board and "The akimat&#39;s answers did not meet the law." in board
    assert "Nurbol Kassenov" in board
    for step, who in (("check_in", "assistant"), ("start", "akim"), ("finish", "akim")):
        r = post_form(people[who], f"/staff/appointments/{appointment_id}/board", {"step": step},
                      form_url="/staff/day/")
        assert r.status_code == 302, (step, _text(r))
    db.session.expire_all()
    assert db.session.get(Appointment, appointment_id).status is AppointmentStatus.HELD

    # 5. The akim's side records the outcome, question by question: the heating, forwarded to the district
    #    akimat with an instruction (the default term); the heating charges, explained.
    outcome_page = f"/staff/appointments/{appointment_id}/outcome"
    topic_id = str(db.session.get(Appointment, appointment_id).topic_id)
    assert f'<option selected value="{topic_id}">' in _text(people["akim"].get(outcome_page))  # from the booking
    r = post_form(people["akim"], outcome_page, {
        "notes": "The district akimat must restore heating.",
        "questions-0-id": "", "questions-0-topic_id": topic_id, "questions-0-wording": "No heating since October",
        "questions-0-result": "forwarded", "questions-0-grounds": "", "questions-0-body_id": str(district.id),
        "questions-0-instructions-0-body_id": "0", "questions-0-instructions-0-responsible_name": "Head of housing",
        "questions-0-instructions-0-text": "Restore heating and tell the citizen.",
        "questions-0-instructions-0-appeal_type": "complaint", "questions-0-instructions-0-due_on": "",
        "questions-1-id": "", "questions-1-topic_id": topic_id, "questions-1-wording": "Charges for the cold months",
        "questions-1-result": "explained", "questions-1-grounds": "", "questions-1-body_id": "0",
        "questions-1-instructions-0-body_id": "0", "questions-1-instructions-0-responsible_name": "",
        "questions-1-instructions-0-text": "", "questions-1-instructions-0-appeal_type": "complaint",
        "questions-1-instructions-0-due_on": ""})
    assert r.status_code == 302, _text(r)
    instruction = db.session.scalars(select(Instruction)).one()
    assert instruction.body_id == district.id and instruction.due_on > utcnow().date()

    # 6. The district akimat reports what it did; the deadline passes before the assistant checks it,
    #    and the follow-up list flags it; the assistant accepts the report.
    page = f"/staff/instructions/{instruction.id}"
    assert f"/staff/instructions/{instruction.id}" in _text(people["rep"].get("/staff/instructions/"))
    r = post_form(people["rep"], page, {"text": "Heating restored on Monday.", "seen_status": "open"})
    assert r.status_code == 302, _text(r)
    db.session.execute(update(Instruction).where(Instruction.id == instruction.id)
                       .values(due_on=utcnow().date() - timedelta(days=2)))
    db.session.commit()
    follow_ups = _text(people["assistant"].get("/staff/follow-ups/"))
    assert "Restore heating" in follow_ups and "Overdue" in follow_ups
    db.session.expire_all()
    report_id = db.session.get(Instruction, instruction.id).reports[-1].id
    r = post_form(people["assistant"], f"{page}/verdict", {"verdict": "accepted", "note": "",
                                                           "report_id": report_id})
    assert r.status_code == 302, _text(r)
    db.session.expire_all()
    assert db.session.get(Instruction, instruction.id).status is InstructionStatus.CLOSED

    # 7. The citizen sees the result, the instruction done and the opinion's conclusion, and rates it once.
    mine = _text(people["citizen"].get(f"/my/appointments/{appointment_id}"))
    assert "Forwarded in part to a competent body" in mine  # the reception: one question of two forwarded
    heating, charges = mine.index("No heating since October"), mine.index("Charges for the cold months")
    assert "Forwarded to a competent body" in mine[heating:charges] and "Alga District Akimat" in mine[heating:charges]
    assert "Explained" in mine[charges:]
    assert "The akimat&#39;s answers did not meet the law." in mine
    rating = f"/my/appointments/{appointment_id}/rating"
    assert post_form(people["citizen"], rating, {"score": "5", "comment": "Heating works."},
                     form_url=f"/my/appointments/{appointment_id}").status_code == 302
    assert post_form(people["citizen"], rating, {"score": "1", "comment": ""},
                     form_url=f"/my/appointments/{appointment_id}").status_code == 409

    # 8. The administrator finds the appointment's history in the audit log, with who did each step.
    history = _text(people["admin"].get(f"/admin/audit/appointment/{appointment_id}"))
    for name in ("Darkhan Seitov", "Gulzhan Muratova", "Yerzhan Baizhanov"):
        assert name in history
