"""The day board: sessions and appointments of the day, warnings, history, the buttons, the case brief."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.audit.models import AuditAction, AuditEvent
from reception.booking.models import AppointmentStatus, Participant, ParticipantKind
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.hearings.models import BodyInvitation
from reception.schedule.models import SessionStatus
from tests.conftest import csrf_from, post_form
from tests.hearings.conftest import add_session, first_topic, local_today_start, place, text

WARNING = "have not confirmed attendance"
DAY = "/staff/day/?date={}"
STEP = "/staff/appointments/{}/board"


def reload(db, obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture
def today_session(db, office, midday):
    """A session of body A's official that began 10 minutes ago, with three slots."""
    start = local_today_start(office["venue"])
    return add_session(db, office["official"], office["venue"], start, slots=3, minutes=30)


@pytest.fixture
def soon(db, make_user, make_body, office):
    """An appointment in 3 hours with a required body invited (not answered) and an interpreter taking part."""
    start = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    session = add_session(db, office["official"], office["venue"], start)
    appointment = place(db, make_user(Role.CITIZEN, full_name="Citizen Bolat", phone="+77015550011"),
                        session.slots[0], first_topic(db), needs_wheelchair=True, appeal_numbers="ZT-2025-001",
                        co_applicants="Saule Bolatova")
    body = make_body(name_en="Health Office Astana")
    invitation = BodyInvitation(appointment_id=appointment.id, body_id=body.id, required=True)
    interpreter = make_user(Role.ASSISTANT, full_name="Interpreter Aliya")
    db.session.add_all([invitation, Participant(appointment_id=appointment.id, user_id=interpreter.id,
                                                kind=ParticipantKind.INTERPRETER)])
    db.session.commit()
    return {"appointment": appointment, "invitation": invitation, "session": session, "body": body}


def test_board_warns_when_a_required_body_has_not_confirmed_within_a_day(db, browser, office, soon):
    page = text(browser(office["assistant"]).get(DAY.format(soon["session"].local_date.isoformat())))
    assert "Citizen Bolat" in page and "Health Office Astana" in page and WARNING in page
    assert "Interpreter Aliya" in page and "Wheelchair access" in page


def test_no_warning_once_the_body_confirmed(db, browser, make_user, office, soon):
    rep = make_user(Role.AGENCY_REP, body=soon["body"])
    r = post_form(browser(rep), f"/staff/invitations/{soon['invitation'].id}", {"answer": "accept"})
    assert r.status_code == 302
    page = text(browser(office["assistant"]).get(DAY.format(soon["session"].local_date.isoformat())))
    assert "Will attend" in page and WARNING not in page


def test_no_warning_more_than_a_day_ahead(db, browser, make_user, make_body, office):
    start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    session = add_session(db, office["official"], office["venue"], start)
    appointment = place(db, make_user(Role.CITIZEN, full_name="Citizen Later"), session.slots[0], first_topic(db))
    db.session.add(BodyInvitation(appointment_id=appointment.id, body_id=make_body().id, required=True))
    page = text(browser(office["assistant"]).get(DAY.format(session.local_date.isoformat())))
    assert "Citizen Later" in page and WARNING not in page


def test_board_shows_earlier_appointments_and_a_repeat_appeal(db, browser, make_user, office, today_session):
    citizen = make_user(Role.CITIZEN, full_name="Citizen Again")
    topic = first_topic(db)
    past = add_session(db, office["official"], office["venue"], today_session.starts_at - timedelta(days=30))
    place(db, citizen, past.slots[0], topic, status=AppointmentStatus.HELD, talon_number="KZ71-OLD-000001")
    place(db, citizen, today_session.slots[1], topic)
    page = text(browser(office["assistant"]).get("/staff/day/"))
    assert "Citizen Again" in page and "KZ71-OLD-000001" in page and "Repeat appeal" in page


def test_first_appeal_has_no_repeat_badge(db, browser, make_user, office, today_session):
    place(db, make_user(Role.CITIZEN, full_name="Citizen New"), today_session.slots[1], first_topic(db))
    page = text(browser(office["assistant"]).get("/staff/day/"))
    assert "Citizen New" in page and "Repeat appeal" not in page


def step(client, appointment, name):
    return client.post(STEP.format(appointment.id), data={"step": name, "csrf_token": csrf_from(client, "/staff/day/")})


def test_check_in_start_and_finish_through_the_board(db, browser, make_user, office, today_session):
    appointment = place(db, make_user(Role.CITIZEN, full_name="Citizen Present"), today_session.slots[0],
                        first_topic(db))
    client = browser(office["assistant"])
    assert "Check in" in text(client.get("/staff/day/"))
    assert step(client, appointment, "check_in").status_code == 302
    a = reload(db, appointment)
    assert a.status is AppointmentStatus.CHECKED_IN and a.checked_in_at is not None
    # The same button pressed in a second window: the lost race is a clear 409, nothing changes.
    r = step(client, appointment, "check_in")
    assert r.status_code == 409 and "Someone has just changed this reception" in text(r)
    assert step(client, appointment, "finish").status_code == 409  # not started yet
    assert step(client, appointment, "start").status_code == 302
    assert reload(db, appointment).started_at is not None
    assert step(client, appointment, "start").status_code == 409
    assert step(client, appointment, "finish").status_code == 302
    a = reload(db, appointment)
    assert a.status is AppointmentStatus.HELD and a.finished_at is not None
    assert step(client, appointment, "no_show").status_code == 409
    changes = db.session.scalars(select(AuditEvent).where(AuditEvent.id > db.audit_floor,
                                                          AuditEvent.entity == "appointment",
                                                          AuditEvent.entity_id == appointment.id,
                                                          AuditEvent.action == AuditAction.UPDATE)).all()
    assert len(changes) == 3, [(c.path, c.changes) for c in changes]
    assert all(c.actor_id == office["assistant"].id for c in changes)


def test_no_show_only_once_the_time_has_begun(db, browser, make_user, office, today_session):
    started = place(db, make_user(Role.CITIZEN), today_session.slots[0], first_topic(db))
    later = place(db, make_user(Role.CITIZEN), today_session.slots[2], first_topic(db))
    client = browser(office["official_user"])  # the official runs their own reception
    r = step(client, later, "no_show")
    assert r.status_code == 409 and "only once their time has begun" in text(r)
    assert reload(db, later).status is AppointmentStatus.SCHEDULED
    assert step(client, started, "no_show").status_code == 302
    assert reload(db, started).status is AppointmentStatus.NO_SHOW


def test_a_reception_of_a_later_day_cannot_be_run(db, browser, make_user, office):
    session = add_session(db, office["official"], office["venue"], utcnow() + timedelta(days=2))
    appointment = place(db, make_user(Role.CITIZEN), session.slots[0], first_topic(db))
    r = step(browser(office["assistant"]), appointment, "check_in")
    assert r.status_code == 409
    assert reload(db, appointment).status is AppointmentStatus.SCHEDULED


def test_staff_of_another_body_cannot_run_the_board(db, browser, make_user, make_body, office, today_session):
    appointment = place(db, make_user(Role.CITIZEN), today_session.slots[0], first_topic(db))
    for user in (make_user(Role.ASSISTANT, body=make_body()), make_user(Role.OFFICIAL, body=office["body"])):
        assert step(browser(user), appointment, "check_in").status_code == 403
    assert reload(db, appointment).status is AppointmentStatus.SCHEDULED


def test_a_forged_step_is_refused(db, browser, make_user, office, today_session):
    appointment = place(db, make_user(Role.CITIZEN), today_session.slots[0], first_topic(db))
    assert step(browser(office["assistant"]), appointment, "teleport").status_code == 400
    assert step(browser(office["assistant"]), type("A", (), {"id": 999999999})(), "check_in").status_code == 404


def session_status(client, session, data):
    return client.post(f"/staff/sessions/{session.id}/status",
                       data={**data, "csrf_token": csrf_from(client, "/staff/day/")})


def test_session_marked_not_held_needs_a_reason(db, browser, office, today_session):
    client = browser(office["assistant"])
    r = session_status(client, today_session, {"held": "not_held", "reason": ""})
    assert r.status_code == 422 and "why the session was not held" in text(r)
    assert reload(db, today_session).status is SessionStatus.PLANNED
    not_held = {"held": "not_held", "reason": "The official was ill"}
    assert session_status(client, today_session, not_held).status_code == 302
    s = reload(db, today_session)
    assert s.status is SessionStatus.NOT_HELD and s.status_reason == "The official was ill" and s.status_changed_at
    assert "The official was ill" in text(client.get("/staff/day/"))


def test_session_marked_held(db, browser, office, today_session):
    assert session_status(browser(office["official_user"]), today_session, {"held": "held"}).status_code == 302
    assert reload(db, today_session).status is SessionStatus.HELD


def test_a_session_cannot_be_marked_before_its_day(db, browser, office):
    session = add_session(db, office["official"], office["venue"], utcnow() + timedelta(days=2))
    r = session_status(browser(office["assistant"]), session, {"held": "held"})
    assert r.status_code == 422
    assert reload(db, session).status is SessionStatus.PLANNED


def test_the_board_records_who_saw_the_citizens(db, browser, office, soon):
    browser(office["assistant"]).get(DAY.format(soon["session"].local_date.isoformat()))
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.id > db.audit_floor,
                                                       AuditEvent.action == AuditAction.VIEW,
                                                       AuditEvent.entity == "session",
                                                       AuditEvent.entity_id == soon["session"].id))
    assert event is not None and event.actor_id == office["assistant"].id and "day board" in event.changes


def test_the_brief_shows_the_case_and_is_audited(db, browser, office, soon):
    r = browser(office["official_user"]).get(f"/staff/appointments/{soon['appointment'].id}/brief")
    assert r.status_code == 200
    page = text(r)
    for expected in ("Citizen Bolat", "ZT-2025-001", "Saule Bolatova", "Wheelchair access", "Interpreter Aliya",
                     "Health Office Astana", "Not answered yet", "Case brief"):
        assert expected in page
    assert "555" in page.replace(" ", "")  # the contact phone
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.id > db.audit_floor,
                                                      AuditEvent.action == AuditAction.VIEW,
                                                      AuditEvent.entity == "appointment",
                                                      AuditEvent.entity_id == soon["appointment"].id,
                                                      AuditEvent.actor_id == office["official_user"].id))


def test_the_brief_is_refused_to_another_body(db, browser, make_user, make_body, soon):
    for role in (Role.ASSISTANT, Role.AGENCY_REP):
        r = browser(make_user(role, body=make_body())).get(f"/staff/appointments/{soon['appointment'].id}/brief")
        assert r.status_code == 403 and "Citizen Bolat" not in text(r)


# --- the day's name in words, and a compact card -------------------------------------------------------

@pytest.mark.parametrize("language,weekday,expected", [
    ("ru", 2, "Приёмы в среду, "), ("ru", 4, "Приёмы в пятницу, "), ("ru", 6, "Приёмы в воскресенье, "),
    ("kk", 2, "Сәрсенбідегі қабылдаулар, "), ("kk", 0, "Дүйсенбідегі қабылдаулар, "),
    ("en", 3, "Receptions on Thursday, "),
])
def test_the_board_names_the_day_in_a_whole_sentence_of_the_language(db, app, make_user, office, language,
                                                                      weekday, expected):
    """"Приёмы на среда" glued a nominative day into a sentence: each language says it in its own words."""
    from tests.conftest import login

    office["assistant"].language = language
    db.session.commit()
    client = app.test_client()
    login(client, office["assistant"])
    from reception.core.clock import local_today

    today = local_today(office["venue"].region.timezone)
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    page = text(client.get(DAY.format(day.isoformat())))
    heading = page.partition("<h1>")[2].partition("</h1>")[0]
    assert heading.startswith(expected), heading
    assert str(day.year) in heading and str(day.day) in heading


def test_a_card_shows_the_buttons_before_the_folded_case_details(db, browser, make_user, office, soon):
    """The compact card: time, citizen, state, the required bodies' warning and the actions come first; the
    summary, participants and invitations are one tap away and still on the page."""
    page = text(browser(office["assistant"]).get(DAY.format(soon["session"].local_date.isoformat())))
    card = page.partition(f'id="appointment-{soon["appointment"].id}"')[2].partition("</article>")[0]
    actions, details = card.index('class="actions"'), card.index('<details class="board-more"')
    assert card.index(WARNING) < actions < details
    assert card.index("Wheelchair access") < actions  # needs shown at a glance, as a badge
    assert "Case brief" in card[actions:details] and "Participants" in card[actions:details]
    assert "Interpreter Aliya" in card[details:] and "Health Office Astana" in card[details:]
