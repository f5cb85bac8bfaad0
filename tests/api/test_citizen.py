"""The citizen's other API resources (reception.api.citizen): moving an appointment, requests (send, read,
accept an offered time, withdraw), the waitlist (join, read, take a kept time, leave), and the outcome of a held
reception with the "is it solved?" answer. The same rules as the pages, as problems."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reception.booking.models import Appointment, AppointmentStatus, OfferStatus, WaitlistEntry, WaitlistStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.outcomes.models import (
    AnswerChannel,
    Instruction,
    InstructionReport,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
    ReportVerdict,
    SolvedCheck,
)
from reception.requests import services as requests
from reception.schedule.models import Slot
from tests.api.conftest import bearer, booking_body
from tests.booking.fixtures import new_session

PROBLEM = "application/problem+json"


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def book(client, secret, slot_id, topic_id) -> dict:
    r = client.post("/api/v1/me/appointments", json=booking_body(slot_id, topic_id), headers=bearer(secret))
    assert r.status_code == 201, r.json
    return r.json


# --- moving an appointment ---------------------------------------------------------------------------

def test_moving_an_appointment_gives_a_new_talon_and_the_old_one_ends(client, citizen_token, free_session, topic):
    _user, secret = citizen_token
    old = book(client, secret, free_session.slots[0].id, topic.id)
    r = client.post(f"/api/v1/me/appointments/{old['id']}/reschedule", json={"slot_id": free_session.slots[2].id},
                    headers=bearer(secret))
    assert r.status_code == 201, r.json
    new = r.json
    assert r.headers["Location"] == f"/api/v1/me/appointments/{new['id']}"
    assert new["status"] == "scheduled" and new["id"] != old["id"]
    assert new["talon"]["number"] != old["talon"]["number"] and new["summary"] == old["summary"]
    assert new["starts_at"].endswith("+05:00") and new["starts_at"] > old["starts_at"]
    before = client.get(f"/api/v1/me/appointments/{old['id']}", headers=bearer(secret)).json
    assert before["status"] == "rescheduled" and before["can_cancel"] is False


def test_moving_twice_with_the_same_key_moves_once(client, db, citizen_token, free_session, topic):
    user, secret = citizen_token
    old = book(client, secret, free_session.slots[0].id, topic.id)
    headers = {**bearer(secret), "Idempotency-Key": "move-2026-12-05-0001"}
    url = f"/api/v1/me/appointments/{old['id']}/reschedule"
    first = client.post(url, json={"slot_id": free_session.slots[1].id}, headers=headers)
    again = client.post(url, json={"slot_id": free_session.slots[1].id}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert count(db, Appointment, Appointment.citizen_id == user.id) == 2  # the old one and one new one
    other = client.post(url, json={"slot_id": free_session.slots[2].id}, headers=headers)
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"


def test_moving_to_a_time_just_taken_is_a_409_with_alternatives_and_changes_nothing(
        client, make_user, make_token, citizen_token, free_session, topic):
    _user, secret = citizen_token
    mine = book(client, secret, free_session.slots[0].id, topic.id)
    book(client, make_token(make_user()), free_session.slots[1].id, topic.id)
    r = client.post(f"/api/v1/me/appointments/{mine['id']}/reschedule",
                    json={"slot_id": free_session.slots[1].id}, headers=bearer(secret))
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert r.json["detail"] == "This time has just been taken."
    assert [s["id"] for s in r.json["alternatives"]] == [free_session.slots[2].id]
    still = client.get(f"/api/v1/me/appointments/{mine['id']}", headers=bearer(secret)).json
    assert still["status"] == "scheduled" and still["talon"] == mine["talon"]


def test_moving_is_refused_as_the_page_refuses_it(client, make_token, make_user, make_session, citizen_token,
                                                   free_session, topic):
    _user, secret = citizen_token
    other_official = make_session()
    mine = book(client, secret, free_session.slots[0].id, topic.id)
    url = f"/api/v1/me/appointments/{mine['id']}/reschedule"

    def move(slot_id, token=secret):
        return client.post(url, json={"slot_id": slot_id}, headers=bearer(token))

    r = move(free_session.slots[0].id)
    assert r.status_code == 422 and r.json["detail"] == "This is the time you already have."
    r = move(other_official.slots[0].id)
    assert r.status_code == 422 and r.json["detail"] == "Choose another time of the same official."
    assert move(2147483647).status_code == 404
    r = move(free_session.slots[1].id, make_token(make_user()))  # another citizen: not even its existence
    assert r.status_code == 404 and r.mimetype == PROBLEM
    r = client.post(url, json={}, headers=bearer(secret))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "slot_id"
    client.post(f"/api/v1/me/appointments/{mine['id']}/cancel", headers=bearer(secret))
    r = move(free_session.slots[1].id)
    assert r.status_code == 422 and r.json["detail"] == "Only a scheduled appointment can be moved to another time."


# --- requests -------------------------------------------------------------------------------------------

def request_body(official_id: int, topic_id: int, **overrides) -> dict:
    body = {"official_id": official_id, "format": "in_person", "topic_id": topic_id,
            "summary": "Our district has no school bus."}
    body.update(overrides)
    return body


@pytest.fixture
def request_office(db, make_office):
    office = make_office()
    db.session.commit()
    return office


def test_a_citizen_sends_a_request_and_reads_it(client, db, citizen_token, request_office, topic):
    user, secret = citizen_token
    headers = {**bearer(secret), "Idempotency-Key": "request-2026-12-05-01"}
    body = request_body(request_office.official.id, topic.id, urgency_reason="health",
                        urgency_note="My mother needs surgery")
    r = client.post("/api/v1/me/requests", json=body, headers=headers)
    assert r.status_code == 201, r.json
    sent = r.json
    assert sent["status"] == "requested" and sent["decision"] is None and sent["offers"] == []
    assert sent["urgent"] is True and sent["can_withdraw"] is True and sent["can_accept"] is False
    assert sent["redirect_due_on"] and sent["timezone"] == "Asia/Almaty"
    assert r.headers["Location"] == f"/api/v1/me/requests/{sent['id']}"
    again = client.post("/api/v1/me/requests", json=body, headers=headers)
    assert again.status_code == 201 and again.json == sent and again.headers["Idempotent-Replayed"] == "true"
    assert count(db, Appointment, Appointment.citizen_id == user.id) == 1
    assert client.get(r.headers["Location"], headers=bearer(secret)).json == sent
    assert [x["id"] for x in client.get("/api/v1/me/requests", headers=bearer(secret)).json["items"]] == [sent["id"]]
    # It is among the citizen's appointments too, without a time yet.
    listed = client.get("/api/v1/me/appointments", headers=bearer(secret)).json["items"]
    assert [(a["id"], a["status"], a["starts_at"]) for a in listed] == [(sent["id"], "requested", None)]
    twice = client.post("/api/v1/me/requests", json=body, headers=bearer(secret))  # no key: a second request
    assert twice.status_code == 409 and twice.json["detail"].startswith(
        "You already have an active request or appointment with this official.")


def test_a_request_follows_the_pages_rules(client, citizen_token, free_session, request_office, topic):
    _user, secret = citizen_token
    r = client.post("/api/v1/me/requests", json=request_body(free_session.official_id, topic.id),
                    headers=bearer(secret))
    assert r.status_code == 422 and r.json["detail"].startswith("This official does not take requests")
    r = client.post("/api/v1/me/requests", json=request_body(2147483647, topic.id), headers=bearer(secret))
    assert r.status_code == 404 and r.mimetype == PROBLEM
    r = client.post("/api/v1/me/requests", headers=bearer(secret),
                    json=request_body(request_office.official.id, topic.id, format="video_studio"))
    assert r.status_code == 422 and r.json["errors"] == [
        {"field": "studio_id", "message": "Choose a video studio of an akimat in your region."}]
    r = client.post("/api/v1/me/requests", json={}, headers=bearer(secret))
    assert r.status_code == 422 and {"official_id", "summary"} <= {e["field"] for e in r.json["errors"]}


def test_a_phone_not_confirmed_sends_no_request_and_joins_no_waitlist(client, make_user, make_token,
                                                                       make_official, request_office, topic):
    phone_only = make_user(email=None, phone="+77015550101", phone_confirmed_at=None)
    assert phone_only.must_confirm_phone
    secret = make_token(phone_only)
    r = client.post("/api/v1/me/requests", json=request_body(request_office.official.id, topic.id),
                    headers=bearer(secret))
    assert r.status_code == 422 and r.json["detail"].startswith("Confirm your phone number first")
    r = client.post("/api/v1/me/waitlist", json={"official_id": make_official().id}, headers=bearer(secret))
    assert r.status_code == 422 and r.json["detail"].startswith("Confirm your phone number first")


@pytest.fixture
def offered(app, db, citizen_token, request_office, make_request):
    """The citizen's request with two times offered by the body's assistant (committed)."""
    user, secret = citizen_token
    with app.test_request_context():
        sent = make_request(request_office, user)
        offers = requests.offer_slots(request_office.assistant, sent, [s.id for s in request_office.slots[:2]],
                                      None, utcnow(), app.config)
    db.session.commit()
    return sent.id, [o.id for o in offers], secret


def test_accepting_an_offered_time_books_it(client, offered, request_office):
    request_id, offer_ids, secret = offered
    seen = client.get(f"/api/v1/me/requests/{request_id}", headers=bearer(secret)).json
    assert seen["status"] == "screening" and seen["decision"] == "offered" and seen["can_accept"] is True
    assert [o["id"] for o in seen["offers"]] == offer_ids
    assert seen["offers"][0]["slot"]["id"] == request_office.slots[0].id
    assert seen["offers"][0]["expires_at"].endswith("+05:00")
    r = client.post(f"/api/v1/me/requests/{request_id}/accept", json={"offer_id": offer_ids[1]},
                    headers=bearer(secret))
    assert r.status_code == 200, r.json
    assert r.json["id"] == request_id and r.json["status"] == "scheduled" and r.json["talon"]["number"]
    assert r.json["starts_at"] == seen["offers"][1]["slot"]["starts_at"]
    again = client.post(f"/api/v1/me/requests/{request_id}/accept", json={"offer_id": offer_ids[1]},
                        headers=bearer(secret))
    assert again.status_code == 409 and again.json["detail"].startswith("You have already accepted this time.")
    withdraw = client.post(f"/api/v1/me/requests/{request_id}/withdraw", headers=bearer(secret))
    assert withdraw.status_code == 409
    assert withdraw.json["detail"] == "This request is already an appointment: cancel the appointment instead."


def test_only_an_offer_of_the_request_can_be_accepted(client, offered):
    request_id, _offer_ids, secret = offered
    r = client.post(f"/api/v1/me/requests/{request_id}/accept", json={"offer_id": 2147483647},
                    headers=bearer(secret))
    assert r.status_code == 422 and r.json["errors"] == [
        {"field": "offer_id", "message": "Choose one of the times offered to you."}]


def test_withdrawing_a_request_frees_the_offered_times(client, db, offered, request_office):
    request_id, _offer_ids, secret = offered
    r = client.post(f"/api/v1/me/requests/{request_id}/withdraw", headers=bearer(secret))
    assert r.status_code == 200, r.json
    assert r.json["status"] == "cancelled" and r.json["offers"] == [] and r.json["can_withdraw"] is False
    again = client.post(f"/api/v1/me/requests/{request_id}/withdraw", headers=bearer(secret))
    assert again.status_code == 422 and again.json["detail"] == "This appointment is no longer active."
    # The times that were kept for the citizen are kept for nobody now.
    db.session.expire_all()
    assert [db.session.get(Slot, s.id).held_for_id for s in request_office.slots[:2]] == [None, None]
    assert {o.status for o in db.session.get(Appointment, request_id).offers} == {OfferStatus.WITHDRAWN}


def test_another_citizens_request_is_not_found(client, offered, make_user, make_token):
    request_id, offer_ids, _secret = offered
    other = bearer(make_token(make_user()))
    for r in (client.get(f"/api/v1/me/requests/{request_id}", headers=other),
              client.post(f"/api/v1/me/requests/{request_id}/accept", json={"offer_id": offer_ids[0]},
                          headers=other),
              client.post(f"/api/v1/me/requests/{request_id}/withdraw", headers=other)):
        assert r.status_code == 404 and r.mimetype == PROBLEM
    assert client.get("/api/v1/me/requests", headers=other).json["items"] == []


# --- the waitlist ---------------------------------------------------------------------------------

@pytest.fixture
def busy_official(db, make_official, make_session):
    """An official whose only reception time (one slot) is booked by another citizen: nothing free."""
    official = make_official()
    session = make_session(official=official, slots=1)
    db.session.commit()
    return official, session.slots[0]


def test_joining_reading_and_leaving_the_waitlist(client, db, citizen_token, make_official, topic):
    user, secret = citizen_token
    official = make_official()  # no reception time at all: waiting is the way in
    db.session.commit()
    headers = {**bearer(secret), "Idempotency-Key": "waitlist-2026-12-05-01"}
    body = {"official_id": official.id, "topic_id": topic.id}
    r = client.post("/api/v1/me/waitlist", json=body, headers=headers)
    assert r.status_code == 201, r.json
    entry = r.json
    assert (entry["status"], entry["place_in_line"], entry["offered_slot"]) == ("waiting", 1, None)
    assert r.headers["Location"] == f"/api/v1/me/waitlist/{entry['id']}"
    again = client.post("/api/v1/me/waitlist", json=body, headers=headers)
    assert again.status_code == 201 and again.json == entry and again.headers["Idempotent-Replayed"] == "true"
    assert count(db, WaitlistEntry, WaitlistEntry.citizen_id == user.id) == 1
    twice = client.post("/api/v1/me/waitlist", json=body, headers=bearer(secret))
    assert twice.status_code == 409 and twice.json["detail"] == "You are already on this official's waitlist."
    assert [e["id"] for e in client.get("/api/v1/me/waitlist", headers=bearer(secret)).json["items"]] == [entry["id"]]
    leave = f"/api/v1/me/waitlist/{entry['id']}/leave"
    assert client.post(leave, json={}, headers=bearer(secret)).status_code == 422
    r = client.post(leave, json={"expected_status": "waiting"}, headers=bearer(secret))
    assert r.status_code == 200 and r.json["status"] == "left" and r.json["place_in_line"] is None
    r = client.post(leave, json={"expected_status": "waiting"}, headers=bearer(secret))
    assert r.status_code == 422 and r.json["detail"] == "You are no longer on this waitlist."
    assert client.get("/api/v1/me/waitlist", headers=bearer(secret)).json["items"][0]["status"] == "left"


def test_the_waitlist_is_refused_where_the_page_refuses_it(client, citizen_token, free_session, request_office):
    _user, secret = citizen_token
    r = client.post("/api/v1/me/waitlist", json={"official_id": free_session.official_id}, headers=bearer(secret))
    assert r.status_code == 409 and r.json["detail"] == \
        "This official has free reception time now: book it instead of waiting."
    r = client.post("/api/v1/me/waitlist", json={"official_id": request_office.official.id},
                    headers=bearer(secret))
    assert r.status_code == 409 and r.json["detail"] == \
        "This official takes requests: send a request instead of waiting."
    r = client.post("/api/v1/me/waitlist", json={"official_id": 2147483647}, headers=bearer(secret))
    assert r.status_code == 404 and r.mimetype == PROBLEM


def test_a_freed_time_is_kept_for_the_first_in_line_who_books_it(client, db, make_user, make_token, busy_official,
                                                                topic):
    official, slot = busy_official
    first, waiting = make_token(make_user()), make_user()
    second = make_token(waiting)
    booked = book(client, first, slot.id, topic.id)
    entry = client.post("/api/v1/me/waitlist", json={"official_id": official.id}, headers=bearer(second)).json
    assert client.post(f"/api/v1/me/appointments/{booked['id']}/cancel", headers=bearer(first)).status_code == 200
    kept = client.get(f"/api/v1/me/waitlist/{entry['id']}", headers=bearer(second)).json
    assert kept["status"] == "offered" and kept["offered_slot"]["id"] == slot.id
    assert kept["offer_expires_at"].endswith("+05:00")
    stale = client.post(f"/api/v1/me/waitlist/{entry['id']}/leave", json={"expected_status": "waiting"},
                        headers=bearer(second))
    assert stale.status_code == 409 and stale.json["detail"] == \
        "Your place in line has just changed. Check it and confirm again."
    # Someone else cannot have the kept time; the one it is kept for books it as any time is booked.
    stranger = client.post("/api/v1/me/appointments", json=booking_body(slot.id, topic.id),
                           headers=bearer(make_token(make_user())))
    assert stranger.status_code == 409
    taken = client.post("/api/v1/me/appointments", json=booking_body(slot.id, topic.id), headers=bearer(second))
    assert taken.status_code == 201, taken.json
    assert db.session.scalar(select(WaitlistEntry.status).where(WaitlistEntry.id == entry["id"])) \
        is WaitlistStatus.BOOKED


def test_another_citizens_place_in_line_is_not_found(client, citizen_token, make_official, make_user, make_token):
    _user, secret = citizen_token
    official = make_official()
    entry = client.post("/api/v1/me/waitlist", json={"official_id": official.id}, headers=bearer(secret)).json
    other = bearer(make_token(make_user()))
    for r in (client.get(f"/api/v1/me/waitlist/{entry['id']}", headers=other),
              client.post(f"/api/v1/me/waitlist/{entry['id']}/leave", json={"expected_status": "waiting"},
                          headers=other)):
        assert r.status_code == 404 and r.mimetype == PROBLEM
    assert client.get("/api/v1/me/waitlist", headers=other).json["items"] == []


# --- the outcome ----------------------------------------------------------------------------------------

@pytest.fixture
def held(db, citizen_token, make_official, make_venue, make_body):
    """The citizen's held reception with its outcome: question 1 forwarded to body B whose instruction is done
    (the report accepted, the citizen asked whether it is solved); question 2 with an instruction still open."""
    user, secret = citizen_token
    official = make_official()
    body_b = make_body(name_en="Housing Department")
    now = utcnow().replace(microsecond=0)
    session = new_session(official, make_venue(body=official.body),
                          start=(now - timedelta(days=10)).replace(minute=0, second=0))
    db.session.add(session)
    db.session.flush()
    appointment = Appointment(citizen_id=user.id, official_id=official.id, session_id=session.id,
                              slot_id=session.slots[0].id, format="in_person", topic_id=1, summary="No heating",
                              status=AppointmentStatus.HELD, talon_number="KZ71-API-000001",
                              accepted_at=now - timedelta(days=12))
    db.session.add(appointment)
    db.session.flush()
    outcome = Outcome(appointment_id=appointment.id, notes="Two questions", recorded_at=now, updated_at=now)
    db.session.add(outcome)
    db.session.flush()
    questions, due = [], now.date() + timedelta(days=5)
    for position, status in ((1, InstructionStatus.CLOSED), (2, InstructionStatus.OPEN)):
        question = Question(outcome_id=outcome.id, position=position, topic_id=1, wording=f"Question {position}",
                            result=OutcomeResult.FORWARDED, body_id=body_b.id, created_at=now)
        db.session.add(question)
        db.session.flush()
        instruction = Instruction(question_id=question.id, body_id=body_b.id, responsible_name="Head",
                                  text=f"Do {position}", appeal_type="complaint", due_on=due, original_due_on=due,
                                  status=status, created_at=now)
        db.session.add(instruction)
        db.session.flush()
        if status is InstructionStatus.CLOSED:
            db.session.add(InstructionReport(instruction_id=instruction.id, author_id=user.id, text="Repaired",
                                             created_at=now, verdict=ReportVerdict.ACCEPTED, verdict_at=now))
            db.session.add(SolvedCheck(question_id=question.id, appointment_id=appointment.id, citizen_id=user.id,
                                       asked_at=now))
        questions.append(question.id)
    db.session.commit()
    return appointment.id, questions, secret


def test_the_citizen_reads_the_outcome_with_each_questions_status(client, held):
    appointment_id, (done, open_), secret = held
    r = client.get(f"/api/v1/me/appointments/{appointment_id}/outcome", headers=bearer(secret))
    assert r.status_code == 200, r.json
    outcome = r.json
    assert outcome["result"] == "forwarded" and outcome["notes"] == "Two questions"
    assert outcome["timezone"] == "Asia/Almaty" and outcome["recorded_at"].endswith("+05:00")
    first, second = outcome["questions"]
    assert (first["id"], first["wording"], first["result"]) == (done, "Question 1", "forwarded")
    assert [(i["status"], i["done"], i["overdue"]) for i in first["instructions"]] == [("closed", "Repaired", False)]
    assert first["instructions"][0]["body_name"] == "Housing Department" and first["instructions"][0]["due_on"]
    assert first["solved_check"]["can_answer"] is True and first["solved_check"]["solved"] is None
    assert second["id"] == open_ and second["instructions"][0]["status"] == "open"
    assert second["instructions"][0]["done"] is None and second["solved_check"] is None


def test_the_citizen_answers_solved_once(client, db, held):
    appointment_id, (done, open_), secret = held
    url = f"/api/v1/me/appointments/{appointment_id}/questions/{{}}/solved"
    r = client.post(url.format(done), json={"solved": False}, headers=bearer(secret))
    assert r.status_code == 200, r.json
    check = r.json["questions"][0]["solved_check"]
    assert (check["solved"], check["can_answer"]) == (False, False) and check["answered_at"]
    # Staff see how the answer came: through an application, not on the talon page.
    db.session.expire_all()
    stored = db.session.scalar(select(SolvedCheck).where(SolvedCheck.question_id == done))
    assert stored.answered_via is AnswerChannel.API and stored.answered_via_label == "in an application"
    again = client.post(url.format(done), json={"solved": True}, headers=bearer(secret))
    assert again.status_code == 409 and again.json["detail"] == \
        "You have already answered whether this problem is solved. Thank you."
    early = client.post(url.format(open_), json={"solved": True}, headers=bearer(secret))
    assert early.status_code == 409 and early.json["detail"].startswith("You will be asked whether the problem")
    assert client.post(url.format(2147483647), json={"solved": True}, headers=bearer(secret)).status_code == 404
    assert client.post(url.format(done), json={}, headers=bearer(secret)).status_code == 422


def test_an_outcome_not_recorded_yet_and_another_citizens_are_not_found(client, held, citizen_token, free_session,
                                                                        make_user, make_token, topic):
    appointment_id, (done, _open), _secret = held
    _user, secret = citizen_token
    booked = book(client, secret, free_session.slots[0].id, topic.id)
    r = client.get(f"/api/v1/me/appointments/{booked['id']}/outcome", headers=bearer(secret))
    assert r.status_code == 404 and r.json["detail"] == "No outcome has been recorded for this reception yet."
    other = bearer(make_token(make_user(Role.CITIZEN)))
    for r in (client.get(f"/api/v1/me/appointments/{appointment_id}/outcome", headers=other),
              client.post(f"/api/v1/me/appointments/{appointment_id}/questions/{done}/solved",
                          json={"solved": True}, headers=other)):
        assert r.status_code == 404 and r.mimetype == PROBLEM


# --- statements ---------------------------------------------------------------------------------------------

def _statements(client, count_queries, url, secret) -> int:
    client.get(url, headers=bearer(secret))  # the token's last use is written once a minute: not in the count
    with count_queries() as queries:
        assert client.get(url, headers=bearer(secret)).status_code == 200
    return len(queries)


def test_the_requests_and_the_waitlist_take_the_same_statements_for_one_or_three(
        app, client, db, count_queries, citizen_token, make_office, make_official, make_session, make_user,
        make_token, request_data):
    user, secret = citizen_token
    offices = [make_office() for _ in range(3)]
    busy = []
    for _ in range(3):
        official = make_official()
        busy.append((official, make_session(official=official, slots=1).slots[0]))
    db.session.commit()

    def add(i):
        """A place in line with a time kept, and a request with a time offered (urgent, but the first)."""
        official, slot = busy[i]
        holder = make_token(make_user())
        booked = book(client, holder, slot.id, request_data().topic_id)
        client.post("/api/v1/me/waitlist", json={"official_id": official.id}, headers=bearer(secret))
        client.post(f"/api/v1/me/appointments/{booked['id']}/cancel", headers=bearer(holder))
        with app.test_request_context():
            sent = requests.submit_request(user, offices[i].official, request_data(), None, utcnow(), app.config,
                                           urgency=("health", None) if i else None)
            requests.offer_slots(offices[i].assistant, sent, [offices[i].slots[0].id], None, utcnow(), app.config)
        db.session.commit()

    add(0)
    one = (_statements(client, count_queries, "/api/v1/me/requests", secret),
           _statements(client, count_queries, "/api/v1/me/waitlist", secret))
    add(1), add(2)
    listed = client.get("/api/v1/me/requests", headers=bearer(secret)).json["items"]
    assert [(len(r["offers"]), r["urgent"]) for r in listed] == [(1, True), (1, True), (1, False)]
    kept = client.get("/api/v1/me/waitlist", headers=bearer(secret)).json["items"]
    assert [e["status"] for e in kept] == ["offered"] * 3
    assert (_statements(client, count_queries, "/api/v1/me/requests", secret),
            _statements(client, count_queries, "/api/v1/me/waitlist", secret)) == one
