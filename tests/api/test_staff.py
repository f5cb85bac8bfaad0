"""Staff resources with staff tokens: the day board and its steps (the page's state machine), a reception's
outcome, the body's instructions, its reports and the official's side's decision; the pages' own checks
(another body's staff, a monitor, a token lacking the scope)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reception.api.scopes import allowed_scopes
from reception.audit.models import AuditEvent
from reception.booking.models import AppointmentStatus
from reception.core.clock import local_today, utcnow
from reception.core.permissions import Permission, Role
from reception.outcomes.models import (
    Instruction,
    InstructionReport,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
)
from tests.api.conftest import bearer
from tests.hearings.conftest import add_session, first_topic, local_today_start, office, place  # noqa: F401
from tests.outcomes.conftest import messages

PROBLEM = "application/problem+json"
OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+05:00")


@pytest.fixture
def token_of(make_token):
    """``token_of(user)``: a token with every scope the user may hold (as a staff member would make it)."""
    return lambda user: bearer(make_token(user, scopes=sorted(allowed_scopes(user))))


@pytest.fixture
def board(db, office, midday, make_user):  # noqa: F811
    """Today's session of body A's official (begun 10 minutes ago) with a citizen booked in its first slot."""
    session = add_session(db, office["official"], office["venue"], local_today_start(office["venue"]), slots=3,
                          minutes=30)
    appointment = place(db, make_user(Role.CITIZEN, full_name="Citizen Bolat"), session.slots[0], first_topic(db))
    db.session.commit()
    return {**office, "session": session, "appointment": appointment}


def day_url(session) -> str:
    return f"/api/v1/staff/day?date={session.local_date.isoformat()}"


def test_the_day_board_shows_the_assistants_receptions_with_times_in_the_zone(client, db, board, token_of):
    r = client.get(day_url(board["session"]), headers=token_of(board["assistant"]))
    assert r.status_code == 200, r.json
    [session] = r.json["sessions"]
    assert session["official_name"] == "Aset Official" and session["timezone"] == "Asia/Almaty"
    assert session["can_run"] is True and OFFSET.fullmatch(session["starts_at"])
    [row] = session["appointments"]
    assert row["citizen_name"] == "Citizen Bolat" and row["status"] == "scheduled"
    assert row["format"] == "in_person" and row["topic"] and OFFSET.fullmatch(row["starts_at"])
    # Who saw the citizens' personal data is recorded, as for the page: the token's user.
    # (Only this test's records: ids of rows other tests committed and deleted come back on SQLite.)
    assert db.session.scalars(select(AuditEvent.actor_id).where(
        AuditEvent.entity == "session", AuditEvent.entity_id == board["session"].id,
        AuditEvent.id > db.audit_floor)).all() == [board["assistant"].id]


def test_the_official_sees_their_board_and_can_filter_by_official(client, board, token_of, make_official):
    r = client.get(day_url(board["session"]) + f"&official={board['official'].id}",
                   headers=token_of(board["official_user"]))
    assert [s["id"] for s in r.json["sessions"]] == [board["session"].id]
    other = make_official(body=board["body"])
    r = client.get(day_url(board["session"]) + f"&official={other.id}", headers=token_of(board["assistant"]))
    assert r.json["sessions"] == []


def test_another_bodys_assistant_sees_none_of_body_as_board(client, board, token_of, make_user, make_body):
    stranger = make_user(Role.ASSISTANT, body=make_body())
    r = client.get(day_url(board["session"]), headers=token_of(stranger))
    assert r.status_code == 200 and r.json["sessions"] == []


def test_a_monitors_token_sees_no_board(client, board, token_of, make_user):
    r = client.get(day_url(board["session"]), headers=token_of(make_user(Role.MONITOR)))
    assert r.status_code == 403 and r.mimetype == PROBLEM


def test_a_token_without_the_scope_gets_403(client, board, make_token):
    secret = make_token(board["assistant"], scopes=[Permission.BOARD_RUN_OWN.value])
    r = client.get(day_url(board["session"]), headers=bearer(secret))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    assert "booking:appointment:view:own" in r.json["detail"]


def test_a_missing_or_bad_date_is_a_422(client, board, token_of):
    for url in ("/api/v1/staff/day", "/api/v1/staff/day?date=2026-02-30"):
        r = client.get(url, headers=token_of(board["assistant"]))
        assert r.status_code == 422 and r.json["errors"][0]["field"] == "date", url


def step(client, appointment, name, headers):
    return client.post(f"/api/v1/staff/appointments/{appointment.id}/{name}", headers=headers)


def test_check_in_start_finish_holds_the_reception(client, db, board, token_of):
    headers, appointment = token_of(board["assistant"]), board["appointment"]
    r = step(client, appointment, "check-in", headers)
    assert r.status_code == 200 and r.json["status"] == "checked_in" and OFFSET.fullmatch(r.json["checked_in_at"])
    assert step(client, appointment, "start", headers).json["started_at"]
    r = step(client, appointment, "finish", headers)
    assert r.status_code == 200 and r.json["status"] == "held" and r.json["finished_at"]
    db.session.expire_all()
    assert db.session.get(type(appointment), appointment.id).status is AppointmentStatus.HELD


def test_a_step_the_state_does_not_allow_is_a_409(client, board, token_of):
    headers, appointment = token_of(board["official_user"]), board["appointment"]
    r = step(client, appointment, "finish", headers)
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert r.json["detail"] == "This reception has not started yet: start it before finishing it."
    assert step(client, appointment, "check-in", headers).status_code == 200
    r = step(client, appointment, "check-in", headers)
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert step(client, appointment, "start", headers).status_code == 200
    assert step(client, appointment, "no-show", headers).status_code == 409  # once started, never a no-show


def test_a_reception_on_another_day_cannot_be_run(client, db, board, token_of, make_user):
    later = add_session(db, board["official"], board["venue"], utcnow() + timedelta(days=2))
    appointment = place(db, make_user(Role.CITIZEN), later.slots[0], first_topic(db))
    db.session.commit()
    r = step(client, appointment, "check-in", token_of(board["assistant"]))
    assert r.status_code == 409 and r.json["detail"] == "This reception is on another day. It can be run on its day."


def test_another_bodys_staff_cannot_run_the_steps(client, db, board, token_of, make_user, make_body):
    body_b = make_body()
    for role in (Role.ASSISTANT, Role.OFFICIAL):
        r = step(client, board["appointment"], "check-in", token_of(make_user(role, body=body_b)))
        assert r.status_code == 403 and r.mimetype == PROBLEM, role
    r = client.post("/api/v1/staff/appointments/2147483647/check-in", headers=token_of(board["assistant"]))
    assert r.status_code == 404 and r.mimetype == PROBLEM
    db.session.expire_all()
    assert db.session.get(type(board["appointment"]), board["appointment"].id).status is AppointmentStatus.SCHEDULED


# --- outcomes and instructions -----------------------------------------------------------------------

@pytest.fixture
def outcome(db, board, make_body, make_user):
    """The board's reception held, its outcome: one question forwarded to body B with an instruction, which
    body B's representative has reported on."""
    now = utcnow().replace(microsecond=0)
    appointment = board["appointment"]
    appointment.status = AppointmentStatus.HELD
    body_b = make_body(name_en="Housing Department")
    rep = make_user(Role.AGENCY_REP, body=body_b)
    record = Outcome(appointment_id=appointment.id, notes="Promised a repair", recorded_at=now, updated_at=now)
    db.session.add(record)
    db.session.flush()
    question = Question(outcome_id=record.id, position=1, topic_id=appointment.topic_id, wording="No heating",
                        result=OutcomeResult.FORWARDED, body_id=body_b.id, created_at=now)
    db.session.add(question)
    db.session.flush()
    due = now.date() + timedelta(days=20)
    instruction = Instruction(question_id=question.id, body_id=body_b.id, responsible_name="Head of housing",
                              text="Repair the heating", appeal_type="complaint", due_on=due, original_due_on=due,
                              status=InstructionStatus.REPORTED, created_at=now)
    db.session.add(instruction)
    db.session.flush()
    report = InstructionReport(instruction_id=instruction.id, author_id=rep.id, text="Repaired", created_at=now)
    db.session.add(report)
    db.session.commit()
    return {**board, "body_b": body_b, "rep": rep, "instruction": instruction, "report": report}


def test_the_officials_side_reads_the_outcome_with_questions_and_instructions(client, outcome, token_of):
    r = client.get(f"/api/v1/staff/appointments/{outcome['appointment'].id}/outcome",
                   headers=token_of(outcome["assistant"]))
    assert r.status_code == 200, r.json
    [question] = r.json["questions"]
    assert question["result"] == "forwarded" and question["wording"] == "No heating"
    [instruction] = question["instructions"]
    assert instruction["id"] == outcome["instruction"].id and instruction["status"] == "reported"
    assert [x["text"] for x in instruction["reports"]] == ["Repaired"]


def test_no_outcome_yet_is_a_404_and_another_bodys_assistant_a_403(client, board, token_of, make_user, make_body):
    url = f"/api/v1/staff/appointments/{board['appointment'].id}/outcome"
    r = client.get(url, headers=token_of(board["assistant"]))
    assert r.status_code == 404 and r.json["detail"] == "No outcome has been recorded for this reception yet."
    r = client.get(url, headers=token_of(make_user(Role.ASSISTANT, body=make_body())))
    assert r.status_code == 403 and r.mimetype == PROBLEM


def test_the_body_lists_its_instructions_a_page_at_a_time(client, db, outcome, token_of):
    first = outcome["instruction"]
    second = Instruction(question_id=first.question_id, body_id=first.body_id, responsible_name="Deputy",
                         text="Check the boiler", appeal_type="complaint", due_on=first.due_on - timedelta(days=5),
                         original_due_on=first.due_on, status=InstructionStatus.OPEN, created_at=first.created_at)
    db.session.add(second)
    db.session.commit()
    headers = token_of(outcome["rep"])
    page = client.get("/api/v1/staff/instructions?limit=1", headers=headers)
    assert page.status_code == 200 and [i["id"] for i in page.json["items"]] == [second.id]  # open first
    link = re.match(r'<([^>]+)>; rel="next"', page.headers["Link"]).group(1)
    rest = client.get(link, headers=headers)
    assert [i["id"] for i in rest.json["items"]] == [first.id] and rest.json["next"] is None
    r = client.get("/api/v1/staff/instructions?after=nonsense", headers=headers)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "after"


def test_another_bodys_representative_sees_none_of_them(client, outcome, token_of, make_user, make_body):
    stranger = make_user(Role.AGENCY_REP, body=make_body())
    headers = token_of(stranger)
    assert client.get("/api/v1/staff/instructions", headers=headers).json["items"] == []
    r = client.get(f"/api/v1/staff/instructions/{outcome['instruction'].id}", headers=headers)
    assert r.status_code == 403 and r.mimetype == PROBLEM


def test_the_body_reports_once_per_idempotency_key_and_the_assistant_returns_then_accepts(
        client, db, outcome, token_of):
    instruction, rep_headers = outcome["instruction"], token_of(outcome["rep"])
    staff_headers = token_of(outcome["assistant"])
    base = f"/api/v1/staff/instructions/{instruction.id}"
    # The official's side returns the body's report with a note: the body works on it again.
    r = client.post(f"{base}/reports/{outcome['report'].id}/decision", headers=staff_headers,
                    json={"verdict": "returned", "note": "The citizen says it is still cold."})
    assert r.status_code == 200 and r.json["status"] == "open"
    assert r.json["reports"][0]["verdict"] == "returned"
    # The body reports again; the same key again reports once.
    headers = {**rep_headers, "Idempotency-Key": "report-2026-0001"}
    body = {"text": "The boiler was replaced.", "seen_status": "open"}
    first = client.post(f"{base}/reports", json=body, headers=headers)
    again = client.post(f"{base}/reports", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert first.headers["Location"] == base and again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(InstructionReport)
                             .where(InstructionReport.instruction_id == instruction.id)) == 2
    latest = first.json["reports"][-1]["id"]
    # A stale decision (the first report, already judged) is a 409; the latest one is accepted.
    r = client.post(f"{base}/reports/{outcome['report'].id}/decision", headers=staff_headers,
                    json={"verdict": "accepted"})
    assert r.status_code == 409 and r.mimetype == PROBLEM
    r = client.post(f"{base}/reports/{latest}/decision", headers=staff_headers, json={"verdict": "accepted"})
    assert r.status_code == 200 and r.json["status"] == "closed"


def test_who_may_report_and_who_may_decide(client, outcome, token_of, make_user, make_body):
    base = f"/api/v1/staff/instructions/{outcome['instruction'].id}"
    report = {"text": "Done", "seen_status": "reported"}
    decision = {"verdict": "accepted"}
    # The official's side does not report for the body, and the body does not judge its own report.
    assert client.post(f"{base}/reports", json=report, headers=token_of(outcome["assistant"])).status_code == 403
    r = client.post(f"{base}/reports/{outcome['report'].id}/decision", json=decision,
                    headers=token_of(outcome["rep"]))
    assert r.status_code == 403
    # Another body's representative or assistant: 403.
    other = make_body()
    r = client.post(f"{base}/reports", json=report, headers=token_of(make_user(Role.AGENCY_REP, body=other)))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    r = client.post(f"{base}/reports/{outcome['report'].id}/decision", json=decision,
                    headers=token_of(make_user(Role.ASSISTANT, body=other)))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    # A return needs its note.
    r = client.post(f"{base}/reports/{outcome['report'].id}/decision", json={"verdict": "returned"},
                    headers=token_of(outcome["assistant"]))
    assert r.status_code == 422
    assert r.json["errors"] == [{"field": "note", "message": "Say why the report is returned."}]



def outcome_url(appointment) -> str:
    return f"/api/v1/staff/appointments/{appointment.id}/outcome"


def forwarded_question(board, body_b, **overrides) -> dict:
    question = {"topic_id": board["appointment"].topic_id, "wording": "No heating since October",
                "result": "forwarded", "body_id": body_b.id,
                "instructions": [{"responsible_name": "Head of housing", "text": "Repair the heating",
                                  "appeal_type": "complaint"}]}
    question.update(overrides)
    return question


def test_the_assistant_records_the_outcome_then_edits_it_and_a_stale_edit_is_a_409(
        client, db, board, token_of, make_body):
    headers, appointment = token_of(board["assistant"]), board["appointment"]
    citizen = appointment.citizen
    body_b = make_body(name_en="Housing Department")
    db.session.commit()
    assert step(client, appointment, "check-in", headers).status_code == 200
    r = client.put(outcome_url(appointment), headers=headers, json={
        "notes": "Promised a repair", "seen_updated_at": None, "questions": [forwarded_question(board, body_b)]})
    assert r.status_code == 200, r.json
    assert r.json["notes"] == "Promised a repair" and OFFSET.fullmatch(r.json["updated_at"])
    [question] = r.json["questions"]
    assert question["result"] == "forwarded" and question["body_id"] == body_b.id
    [instruction] = question["instructions"]
    assert instruction["status"] == "open" and instruction["body_id"] == body_b.id and instruction["due_on"]
    assert client.get(outcome_url(appointment), headers=headers).json == r.json  # as GET shows it
    db.session.expire_all()
    assert db.session.get(type(appointment), appointment.id).status is AppointmentStatus.HELD
    told = messages(db, citizen, "outcome_recorded")
    assert told and len(told) == len({m.channel for m in told})  # told once, by each of their channels

    # An edit names the outcome's updated_at as read: the question's result changes, the citizen is not
    # told again (nothing was added).
    first = r.json["updated_at"]
    edit = {"notes": "Repair promised by Friday", "seen_updated_at": first,
            "questions": [forwarded_question(board, body_b, id=question["id"], result="forwarded_part",
                                             instructions=[])]}
    r = client.put(outcome_url(appointment), headers=headers, json=edit)
    assert r.status_code == 200, r.json
    assert r.json["notes"] == "Repair promised by Friday" and r.json["questions"][0]["result"] == "forwarded_part"
    assert r.json["updated_at"] != first and len(r.json["questions"][0]["instructions"]) == 1
    assert len(messages(db, citizen, "outcome_recorded")) == len(told)

    # The same edit again (or anyone's built from the first reading) is stale: 409, nothing changes.
    r = client.put(outcome_url(appointment), headers=headers, json={**edit, "notes": "Overwritten"})
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert r.json["detail"].startswith("Someone else changed this record")
    assert client.get(outcome_url(appointment), headers=headers).json["notes"] == "Repair promised by Friday"
    # A second "new" outcome is stale too.
    r = client.put(outcome_url(appointment), headers=headers, json={**edit, "seen_updated_at": None})
    assert r.status_code == 409 and r.mimetype == PROBLEM


def test_every_broken_rule_is_a_422_naming_its_field_with_dots(client, db, board, token_of, make_body):
    headers, appointment = token_of(board["assistant"]), board["appointment"]
    body_b = make_body()
    db.session.commit()
    assert step(client, appointment, "check-in", headers).status_code == 200
    yesterday = local_today(board["body"].timezone) - timedelta(days=1)
    late = forwarded_question(board, body_b)
    late["instructions"][0]["due_on"] = yesterday.isoformat()
    r = client.put(outcome_url(appointment), headers=headers, json={
        "notes": "", "seen_updated_at": None,
        "questions": [{"topic_id": appointment.topic_id, "wording": " ", "result": "resolved"}, late]})
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert {e["field"]: e["message"] for e in r.json["errors"]} == {
        "questions.0.wording": "Write the question in a few words.",
        "questions.1.instructions.0.due_on": "The due date cannot be in the past."}
    # Nothing was recorded: the reception is still checked in, no outcome.
    assert client.get(outcome_url(appointment), headers=headers).status_code == 404
    db.session.expire_all()
    assert db.session.get(type(appointment), appointment.id).status is AppointmentStatus.CHECKED_IN


def test_who_may_record_the_outcome_and_when(client, db, board, token_of, make_user, make_body, make_token):
    appointment = board["appointment"]
    body = {"notes": "", "seen_updated_at": None,
            "questions": [{"topic_id": appointment.topic_id, "wording": "A question", "result": "explained"}]}
    # Before check-in: nothing to record yet.
    r = client.put(outcome_url(appointment), headers=token_of(board["assistant"]), json=body)
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert r.json["detail"] == "The outcome can be recorded once the citizen has been checked in."
    assert step(client, appointment, "check-in", token_of(board["assistant"])).status_code == 200
    # Another body's assistant, a token without the scope, an unknown reception.
    r = client.put(outcome_url(appointment), headers=token_of(make_user(Role.ASSISTANT, body=make_body())),
                   json=body)
    assert r.status_code == 403 and r.mimetype == PROBLEM
    lacking = sorted(allowed_scopes(board["assistant"]) - {Permission.OUTCOME_RECORD_OWN.value})
    r = client.put(outcome_url(appointment), headers=bearer(make_token(board["assistant"], scopes=lacking)),
                   json=body)
    assert r.status_code == 403 and "outcomes:outcome:record:own" in r.json["detail"]
    r = client.put("/api/v1/staff/appointments/2147483647/outcome", headers=token_of(board["assistant"]),
                   json=body)
    assert r.status_code == 404 and r.mimetype == PROBLEM
    assert client.get(outcome_url(appointment), headers=token_of(board["assistant"])).status_code == 404
    # The official themself records it.
    r = client.put(outcome_url(appointment), headers=token_of(board["official_user"]), json=body)
    assert r.status_code == 200 and r.json["questions"][0]["result"] == "explained"

# --- the screening queue -----------------------------------------------------------------------------

@pytest.fixture
def screening(app, db, make_office, make_request, make_user):
    """A request-mode office of body A with two requests waiting: an older plain one, a newer urgent one."""
    from reception.requests.services import submit_request

    office_a = make_office(full_name="Aliya Reception Head")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        plain = make_request(office_a, make_user(Role.CITIZEN, full_name="Citizen Plain"),
                             now=utcnow() - timedelta(days=1))
        urgent = submit_request(make_user(Role.CITIZEN, full_name="Citizen Urgent"), office_a.official,
                                plain_data(plain), None, utcnow(), app.config, urgency=("health", "Surgery"))
    db.session.commit()
    return {"office": office_a, "plain": plain, "urgent": urgent}


def plain_data(request):
    from reception.booking.services import BookingData

    return BookingData(format=request.format, topic_id=request.topic_id, summary="My mother needs surgery.")


def decide(client, request, headers, **body):
    return client.post(f"/api/v1/staff/requests/{request.id}/decision", json=body, headers=headers)


def test_the_screening_queue_lists_urgent_requests_first(client, screening, token_of):
    r = client.get("/api/v1/staff/requests", headers=token_of(screening["office"].assistant))
    assert r.status_code == 200, r.json
    awaiting = r.json["awaiting"]
    assert [x["id"] for x in awaiting] == [screening["urgent"].id, screening["plain"].id]
    assert awaiting[0]["urgent"] is True and awaiting[0]["urgency_reason"] == "health"
    assert awaiting[1]["citizen_name"] == "Citizen Plain" and awaiting[1]["deadline"] == "on_time"
    assert r.json["offered"] == [] and r.json["total_awaiting"] == 2


def test_another_bodys_assistant_sees_an_empty_queue_and_an_official_none(client, screening, token_of, make_user,
                                                                          make_body):
    r = client.get("/api/v1/staff/requests", headers=token_of(make_user(Role.ASSISTANT, body=make_body())))
    assert r.status_code == 200 and r.json["awaiting"] == [] and r.json["total_awaiting"] == 0
    r = client.get("/api/v1/staff/requests", headers=token_of(make_user(Role.OFFICIAL, body=make_body())))
    assert r.status_code == 403 and r.mimetype == PROBLEM  # officials do not screen


def test_offering_times_then_deciding_again_is_a_409(client, screening, token_of):
    headers, request = token_of(screening["office"].assistant), screening["plain"]
    slot_ids = [s.id for s in screening["office"].slots[:2]]
    r = decide(client, request, headers, action="offer", slot_ids=slot_ids, note="Either suits the official.")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "screening" and r.json["decision"] == "offered"
    assert sorted(o["slot_id"] for o in r.json["offers"]) == sorted(slot_ids)
    assert OFFSET.fullmatch(r.json["offers"][0]["starts_at"])
    r = decide(client, request, headers, action="resolve", resolution="Done")
    assert r.status_code == 409 and r.json["detail"] == \
        "This request has already been decided. Reload the page to see the decision."
    queue = client.get("/api/v1/staff/requests", headers=headers).json
    assert [x["id"] for x in queue["offered"]] == [request.id]


def test_redirect_resolve_and_decline_with_what_each_needs(client, screening, token_of, make_body):
    headers = token_of(screening["office"].assistant)
    r = decide(client, screening["plain"], headers, action="redirect", body_id=make_body().id)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reasons"
    r = decide(client, screening["plain"], headers, action="decline", ground="court", note="Before the court now.")
    assert r.status_code == 200 and r.json["status"] == "closed" and r.json["decline_ground"] == "court"
    r = decide(client, screening["urgent"], headers, action="resolve", resolution="The hospital booked her in.")
    assert r.status_code == 200 and r.json["decision"] == "resolved"
    r = decide(client, screening["urgent"], headers, action="decline", ground="nonsense")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "ground"


def test_another_bodys_assistant_cannot_decide(client, db, screening, token_of, make_user, make_body):
    stranger = token_of(make_user(Role.ASSISTANT, body=make_body()))
    r = decide(client, screening["plain"], stranger, action="resolve", resolution="Not mine")
    assert r.status_code == 403 and r.mimetype == PROBLEM
    r = client.post("/api/v1/staff/requests/2147483647/decision", json={"action": "resolve", "resolution": "x"},
                    headers=token_of(screening["office"].assistant))
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(type(screening["plain"]), screening["plain"].id).status is AppointmentStatus.REQUESTED


# --- legal review ------------------------------------------------------------------------------------

@pytest.fixture
def legal_review(db, board, make_user):
    """The board's appointment flagged for legal review, taken by a consultant who signed an opinion."""
    from reception.legal.models import Addressee, LegalOpinion, LegalReview, OpinionStatus, ReviewStatus

    now = utcnow().replace(microsecond=0)
    consultant = make_user(Role.LEGAL_CONSULTANT)
    review = LegalReview(appointment_id=board["appointment"].id, reason="Land title", status=ReviewStatus.TAKEN,
                         consultant_id=consultant.id, taken_at=now, flagged_by_id=board["assistant"].id)
    db.session.add_all([review, LegalOpinion(review=review, version=1, status=OpinionStatus.SIGNED, findings="f",
                                             assessment="a", conclusion="The seizure was unlawful.",
                                             recommended_action="Appeal", addressee=Addressee.PROSECUTOR,
                                             author_id=consultant.id, signed_at=now)])
    db.session.commit()
    return {**board, "review": review}


def test_the_officials_side_reads_the_legal_reviews_state_and_opinion(client, legal_review, token_of):
    url = f"/api/v1/staff/appointments/{legal_review['appointment'].id}/legal-review"
    for user in (legal_review["assistant"], legal_review["official_user"]):
        r = client.get(url, headers=token_of(user))
        assert r.status_code == 200, r.json
        assert r.json["status"] == "taken" and r.json["can_read_opinion"] is True
        opinion = r.json["opinion"]
        assert opinion["status"] == "signed" and opinion["conclusion"] == "The seizure was unlawful."
        assert OFFSET.fullmatch(opinion["signed_at"]) and opinion["addressee"] == "prosecutor"


def test_legal_review_of_another_body_or_none(client, board, legal_review, token_of, make_user, make_body, db):
    url = f"/api/v1/staff/appointments/{board['appointment'].id}/legal-review"
    r = client.get(url, headers=token_of(make_user(Role.ASSISTANT, body=make_body())))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    r = client.get(url, headers=token_of(make_user(Role.LEGAL_CONSULTANT)))
    assert r.status_code == 403  # consultants work in their queue; this is the official's side's view
    other = place(db, make_user(Role.CITIZEN), board["session"].slots[1], first_topic(db))
    db.session.commit()
    r = client.get(f"/api/v1/staff/appointments/{other.id}/legal-review", headers=token_of(board["assistant"]))
    assert r.status_code == 404 and r.json["detail"] == "This reception has not been sent for legal review."
