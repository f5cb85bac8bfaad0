"""Bodies invited by competence when a reception is scheduled, and their representatives' answers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.booking.models import Appointment, AppointmentStatus, Participant, ParticipantKind
from reception.booking.services import reschedule_appointment
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import BodyLevel
from reception.hearings.models import BodyInvitation, InvitationStatus
from reception.hearings.services import invite_competent_bodies
from reception.notifications.models import OutboxMessage
from tests.conftest import as_sent, csrf_from, post_form, region
from tests.hearings.conftest import add_session, book, text

RESPOND = "/staff/invitations/{}"


def invited(db, appointment) -> dict[int, BodyInvitation]:
    db.session.expire_all()
    rows = db.session.scalars(select(BodyInvitation).where(BodyInvitation.appointment_id == appointment.id))
    return {i.body_id: i for i in rows}


@pytest.fixture
def competence(db, make_body, make_topic, office):
    """A topic (with a parent topic) and bodies competent for it or not, in and out of the citizen's region."""
    parent = make_topic(name="Land")
    topic = make_topic(parent=parent, name="Land plots")
    other_topic = make_topic(name="Roads")
    bodies = {
        "competent": make_body(name_en="Land Office Astana", topics=[topic]),
        "by_parent": make_body(name_en="Land Committee Astana", topics=[parent]),
        "elsewhere": make_body(name_en="Land Office Almaty", region=region("KZ-75"), topics=[topic]),
        "not_competent": make_body(name_en="Roads Office Astana", topics=[other_topic]),
        "inactive": make_body(name_en="Closed Office", topics=[topic], is_active=False),
        "central": make_body(name_en="Ministry of Land", level=BodyLevel.CENTRAL, topics=[topic]),
    }
    office["body"].topics = [topic]  # the official's own body is competent too, but never invited
    db.session.commit()
    return {"topic": topic, "bodies": bodies}


def in_days(days=3):
    return (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def test_booking_invites_the_bodies_competent_in_the_citizens_region_but_not_the_officials_own(
        app, db, make_user, office, competence):
    session = add_session(db, office["official"], office["venue"], in_days())
    appointment = book(app, db, make_user(Role.CITIZEN), session.slots[0], competence["topic"])
    bodies = competence["bodies"]
    got = invited(db, appointment)
    assert set(got) == {bodies["competent"].id, bodies["by_parent"].id}
    assert all(i.required and i.status is InvitationStatus.INVITED for i in got.values())
    assert office["body"].id not in got


def test_a_central_official_also_gets_the_competent_central_bodies(app, db, make_user, make_official, make_venue,
                                                                   make_body, office, competence):
    ministry = make_body(name_en="Ministry B", level=BodyLevel.CENTRAL)
    official = make_official(body=ministry)
    session = add_session(db, official, make_venue(body=ministry, region_id=region("KZ-71").id), in_days())
    appointment = book(app, db, make_user(Role.CITIZEN), session.slots[0], competence["topic"])
    bodies = competence["bodies"]
    # Akimat A is competent in the citizen's region too: only the official's own body is left out.
    assert set(invited(db, appointment)) == {bodies["competent"].id, bodies["by_parent"].id, bodies["central"].id,
                                             office["body"].id}


def test_representatives_are_told_in_their_language_with_local_time(app, db, make_user, office, competence):
    rep = make_user(Role.AGENCY_REP, body=competence["bodies"]["competent"], language="ru", notify_by=NotifyBy.BOTH)
    session = add_session(db, office["official"], office["venue"], in_days())
    appointment = book(app, db, make_user(Role.CITIZEN), session.slots[0], competence["topic"])
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == rep.id,
                                                              OutboxMessage.kind == "body_invited")).all()
    assert {m.channel.value for m in messages} == {"email", "sms"}
    sms = as_sent(next(m for m in messages if m.channel.value == "sms"))
    assert "(время Астаны)" in sms.body_text  # the local time, its zone in words
    invitation = invited(db, appointment)[competence["bodies"]["competent"].id]
    assert RESPOND.format(invitation.id) in sms.body_text
    assert all(m.locale == "ru" for m in messages)


def test_inviting_again_adds_no_second_invitation(app, db, make_user, office, competence):
    session = add_session(db, office["official"], office["venue"], in_days())
    appointment = book(app, db, make_user(Role.CITIZEN), session.slots[0], competence["topic"])
    with app.test_request_context():
        assert invite_competent_bodies(db.session.get(Appointment, appointment.id), utcnow()) == []
    assert len(invited(db, appointment)) == 2


def test_a_moved_appointment_keeps_the_invitations_and_their_answers(app, db, make_user, office, competence, browser):
    rep = make_user(Role.AGENCY_REP, body=competence["bodies"]["competent"], full_name="Rep Dana")
    citizen = make_user(Role.CITIZEN)
    session = add_session(db, office["official"], office["venue"], in_days(), slots=3)
    appointment = book(app, db, citizen, session.slots[0], competence["topic"])
    invitation = invited(db, appointment)[competence["bodies"]["competent"].id]
    r = post_form(browser(rep), RESPOND.format(invitation.id), {"answer": "accept", "attendee_id": rep.id})
    assert r.status_code == 302
    with app.test_request_context(headers={"Accept-Language": "en"}):
        new = reschedule_appointment(citizen, db.session.get(Appointment, appointment.id), session.slots[2].id,
                                     None, utcnow(), app.config)
    db.session.commit()
    moved = invited(db, new)
    assert set(moved) == {competence["bodies"]["competent"].id, competence["bodies"]["by_parent"].id}
    assert moved[competence["bodies"]["competent"].id].status is InvitationStatus.ACCEPTED
    assert moved[competence["bodies"]["competent"].id].attendee_id == rep.id
    assert db.session.scalar(select(Participant).where(Participant.appointment_id == new.id,
                                                       Participant.user_id == rep.id)) is not None


@pytest.fixture
def invitation(app, db, make_user, office, competence):
    session = add_session(db, office["official"], office["venue"], in_days())
    appointment = book(app, db, make_user(Role.CITIZEN, full_name="Citizen Aigerim"), session.slots[0],
                       competence["topic"])
    return invited(db, appointment)[competence["bodies"]["competent"].id]


def test_rep_accepts_naming_a_colleague_who_then_sees_the_reception(db, browser, make_user, invitation):
    body = invitation.body
    rep = make_user(Role.AGENCY_REP, body=body, full_name="Rep Dana")
    colleague = make_user(Role.AGENCY_REP, body=body, full_name="Colleague Nurlan")
    client = browser(rep)
    page = client.get("/staff/invitations/")
    assert page.status_code == 200 and "Aset Official" in text(page)
    r = post_form(client, RESPOND.format(invitation.id), {"answer": "accept", "attendee_id": colleague.id})
    assert r.status_code == 302
    db.session.expire_all()
    answer = db.session.get(BodyInvitation, invitation.id)
    assert answer.status is InvitationStatus.ACCEPTED and answer.attendee_id == colleague.id
    participant = db.session.scalar(select(Participant).where(Participant.appointment_id == invitation.appointment_id))
    assert participant.user_id == colleague.id and participant.kind is ParticipantKind.AGENCY_REP
    assert "Aset Official" in text(browser(colleague).get("/my/receptions/"))
    # The colleague is told they are expected.
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == colleague.id,
                                                         OutboxMessage.kind == "participant_invited"))


def test_naming_someone_else_replaces_the_attendee(db, browser, make_user, invitation):
    rep = make_user(Role.AGENCY_REP, body=invitation.body)
    colleague = make_user(Role.AGENCY_REP, body=invitation.body)
    client = browser(rep)
    post_form(client, RESPOND.format(invitation.id), {"answer": "accept", "attendee_id": rep.id})
    post_form(client, RESPOND.format(invitation.id), {"answer": "accept", "attendee_id": colleague.id})
    db.session.expire_all()
    users = set(db.session.scalars(select(Participant.user_id)
                                   .where(Participant.appointment_id == invitation.appointment_id)))
    assert users == {colleague.id}


def test_declining_needs_a_reason_and_removes_the_attendee(db, browser, make_user, invitation):
    rep = make_user(Role.AGENCY_REP, body=invitation.body)
    client = browser(rep)
    post_form(client, RESPOND.format(invitation.id), {"answer": "accept", "attendee_id": rep.id})
    r = post_form(client, RESPOND.format(invitation.id), {"answer": "decline", "reason": "  "})
    assert r.status_code == 422 and "why your body cannot attend" in text(r)
    db.session.expire_all()
    assert db.session.get(BodyInvitation, invitation.id).status is InvitationStatus.ACCEPTED
    r = post_form(client, RESPOND.format(invitation.id), {"answer": "decline", "reason": "Not our competence"})
    assert r.status_code == 302
    db.session.expire_all()
    answer = db.session.get(BodyInvitation, invitation.id)
    assert answer.status is InvitationStatus.DECLINED and answer.reason == "Not our competence"
    assert db.session.scalar(select(Participant).where(Participant.appointment_id == invitation.appointment_id)) is None


def test_a_rep_of_another_body_gets_403(db, browser, make_user, make_body, invitation):
    stranger = make_user(Role.AGENCY_REP, body=make_body())
    client = browser(stranger)
    assert client.get(RESPOND.format(invitation.id)).status_code == 403
    assert "Aset Official" not in text(client.get("/staff/invitations/"))


def test_the_attendee_must_be_a_rep_of_the_same_body(db, browser, make_user, make_body, invitation):
    rep = make_user(Role.AGENCY_REP, body=invitation.body)
    outsider = make_user(Role.AGENCY_REP, body=make_body())
    r = post_form(browser(rep), RESPOND.format(invitation.id), {"answer": "accept", "attendee_id": outsider.id})
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(BodyInvitation, invitation.id).status is InvitationStatus.INVITED


def test_a_cancelled_reception_cannot_be_answered(db, browser, make_user, invitation):
    rep = make_user(Role.AGENCY_REP, body=invitation.body)
    client = browser(rep)
    token_page = RESPOND.format(invitation.id)
    token = csrf_from(client, token_page)
    appointment = db.session.get(Appointment, invitation.appointment_id)
    appointment.status = AppointmentStatus.CANCELLED
    db.session.commit()
    r = client.post(token_page, data={"csrf_token": token, "answer": "accept", "attendee_id": rep.id})
    assert r.status_code == 409 and "can no longer be answered" in text(r)


def test_assistant_invites_another_body_and_withdraws_it(db, browser, make_body, make_user, office, invitation):
    extra = make_body(name_en="Prosecutor Office Astana")
    rep = make_user(Role.AGENCY_REP, body=extra)
    client = browser(office["assistant"])
    page_url = f"/staff/appointments/{invitation.appointment_id}/participants"
    page = client.get(page_url)
    assert "Land Office Astana" in text(page) and "Not answered yet" in text(page)
    r = post_form(client, f"/staff/appointments/{invitation.appointment_id}/invitations",
                  {"body_id": extra.id}, form_url=page_url)
    assert r.status_code == 302
    made = invited(db, invitation.appointment)[extra.id]
    assert made.required is False and made.invited_by_id == office["assistant"].id
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == rep.id))
    r = post_form(client, f"/staff/appointments/{invitation.appointment_id}/invitations", {"body_id": extra.id},
                  form_url=page_url)
    assert r.status_code == 422
    r = post_form(client, f"/staff/appointments/{invitation.appointment_id}/invitations/{made.id}/withdraw",
                  form_url=page_url)
    assert r.status_code == 302
    assert extra.id not in invited(db, invitation.appointment)


def test_the_officials_own_body_cannot_be_invited(db, browser, office, invitation):
    client = browser(office["assistant"])
    page_url = f"/staff/appointments/{invitation.appointment_id}/participants"
    r = post_form(client, f"/staff/appointments/{invitation.appointment_id}/invitations",
                  {"body_id": office["body"].id}, form_url=page_url)
    assert r.status_code == 422


def test_assistant_of_another_body_cannot_invite_or_withdraw(db, browser, make_user, make_body, office, invitation):
    client = browser(make_user(Role.ASSISTANT, body=make_body()))
    url = f"/staff/appointments/{invitation.appointment_id}/invitations/{invitation.id}/withdraw"
    r = client.post(url, data={"csrf_token": csrf_from(client, "/")})
    assert r.status_code == 403
    assert invitation.body_id in invited(db, invitation.appointment)


def test_the_invitations_page_lists_upcoming_first_then_past(db, browser, make_user, make_body, office):
    from tests.hearings.conftest import first_topic, place

    body = make_body(name_en="Water Office")
    rep = make_user(Role.AGENCY_REP, body=body)
    ids = {}
    for days, name in ((-5, "past"), (6, "later"), (2, "sooner")):
        session = add_session(db, office["official"], office["venue"], in_days(days))
        appointment = place(db, make_user(Role.CITIZEN), session.slots[0], first_topic(db))
        invitation = BodyInvitation(appointment_id=appointment.id, body_id=body.id, required=True)
        db.session.add(invitation)
        db.session.flush()
        ids[name] = invitation.id
    rows = text(browser(rep).get("/staff/invitations/")).split("<tr>")[2:]
    assert len(rows) == 3
    assert RESPOND.format(ids["sooner"]) in rows[0] and RESPOND.format(ids["later"]) in rows[1]
    # A past reception can no longer be answered: no button.
    assert RESPOND.format(ids["past"]) not in rows[2] and "Answer" not in rows[2]


def test_the_agency_rep_home_page_links_to_the_invitations(db, browser, make_user, make_body):
    page = text(browser(make_user(Role.AGENCY_REP, body=make_body())).get("/home"))
    assert 'href="/staff/invitations/"' in page


def test_a_request_whose_offered_time_is_accepted_invites_the_competent_bodies(app, db, make_user, office,
                                                                                competence):
    from reception.booking.services import BookingData
    from reception.requests import services as requests
    from reception.schedule.models import AttendanceFormat, BookingMode

    session = add_session(db, office["official"], office["venue"], in_days(), booking_mode=BookingMode.REQUEST)
    citizen = make_user(Role.CITIZEN)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        now = utcnow()
        request = requests.submit_request(citizen, office["official"], BookingData(
            format=AttendanceFormat.IN_PERSON, topic_id=competence["topic"].id, summary="No school bus."),
            None, now, app.config)
        assert invited(db, request) == {}  # a request without a time invites nobody yet
        [offer] = requests.offer_slots(office["assistant"], request, [session.slots[0].id], None, now, app.config)
        requests.accept_offer(citizen, request, offer.id, now)
    db.session.commit()
    bodies = competence["bodies"]
    assert set(invited(db, request)) == {bodies["competent"].id, bodies["by_parent"].id}
