"""What the citizen sees of the outcome, their rating, and their reports of refused bookings."""
from __future__ import annotations

from sqlalchemy import select

from reception.core.permissions import Role
from reception.outcomes.models import AccessReport, InstructionStatus, Rating
from tests.conftest import login
from tests.outcomes.conftest import forwarded, instruction_row, question_row, switch_to


def test_the_citizen_sees_the_result_and_each_instructions_body_due_date_and_status(
        db, client, submit, reception):
    login(client, reception.assistant)
    assert submit(reception.outcome_url, {"notes": "Your roof will be repaired.",
                                          **forwarded(reception.appointment.topic_id,
                                                      reception.body_b.id)}).status_code == 302
    switch_to(client, reception.citizen)
    talon = client.get(f"/my/appointments/{reception.appointment.id}").get_data(as_text=True)
    assert "Forwarded to a competent body" in talon and "Your roof will be repaired." in talon
    assert reception.body_b.name_en in talon and "Repair the roof of the house" in talon
    assert "In progress" in talon
    assert "How was your reception?" in talon  # held: the rating form


def test_the_citizen_sees_each_questions_result_grounds_and_instructions_on_the_talon_page(
        db, client, submit, reception):
    topic = reception.appointment.topic_id
    login(client, reception.assistant)
    r = submit(reception.outcome_url, {
        **question_row(topic, 0, wording="A new roof", result="refused", grounds="The house is due for demolition"),
        **question_row(topic, 1, wording="Heating since October", result="forwarded", body_id=reception.body_b.id),
        **instruction_row(0, 0, 1, text="Restore the heating"),  # no body of its own: the question's
        **question_row(topic, 2, wording="Who pays for the repairs", result="explained")})
    assert r.status_code == 302, r.get_data(as_text=True)
    switch_to(client, reception.citizen)
    talon = client.get(f"/my/appointments/{reception.appointment.id}").get_data(as_text=True)
    roof, heating, repairs = (talon.index(w) for w in ("A new roof", "Heating since October", "Who pays for"))
    assert roof < heating < repairs
    assert "Refused" in talon[roof:heating] and "The house is due for demolition" in talon[roof:heating]
    assert "Forwarded to a competent body" in talon[heating:repairs]
    assert "Restore the heating" in talon[heating:repairs] and reception.body_b.name_en in talon[heating:repairs]
    assert "Explained" in talon[repairs:] and "Restore the heating" not in talon[repairs:]
    # The reception's result, above the questions: the least settled of theirs, forwarded in part.
    assert "Forwarded in part to a competent body" in talon[:roof]


def test_the_status_follows_the_instruction(db, client, reception, with_instruction):
    instruction = with_instruction(status=InstructionStatus.CLOSED)
    login(client, reception.citizen)
    talon = client.get(f"/my/appointments/{reception.appointment.id}").get_data(as_text=True)
    assert instruction.text in talon and "Done" in talon


def test_the_citizen_rates_a_held_reception_once(db, client, submit, reception, with_instruction):
    with_instruction()
    login(client, reception.citizen)
    url = f"/my/appointments/{reception.appointment.id}/rating"
    r = submit(url, {"score": "4", "comment": "Polite and quick"},
               form_url=f"/my/appointments/{reception.appointment.id}")
    assert r.status_code == 302
    rating = db.session.scalar(select(Rating))
    assert rating.score == 4 and rating.comment == "Polite and quick" and rating.citizen_id == reception.citizen.id
    r = submit(url, {"score": "1"}, form_url="/my/appointments/")
    assert r.status_code == 409 and "already rated" in r.get_data(as_text=True)
    assert db.session.query(Rating).count() == 1
    assert "You rated this reception: 4 of 5" in client.get(f"/my/appointments/{reception.appointment.id}") \
        .get_data(as_text=True)


def test_a_reception_not_yet_held_cannot_be_rated(db, client, submit, reception):
    login(client, reception.citizen)
    r = submit(f"/my/appointments/{reception.appointment.id}/rating", {"score": "5"}, form_url="/my/appointments/")
    assert r.status_code == 409
    assert db.session.scalar(select(Rating)) is None


def test_another_citizen_cannot_rate_or_see_it(db, client, submit, reception, with_instruction, make_user):
    with_instruction()
    login(client, make_user(Role.CITIZEN))
    url = f"/my/appointments/{reception.appointment.id}/rating"
    assert client.get(url).status_code == 404
    assert submit(url, {"score": "5"}, form_url="/my/appointments/").status_code == 404
    assert db.session.scalar(select(Rating)) is None


def test_a_refused_booking_report_reaches_the_monitors(db, client, submit, reception, make_user, make_body):
    login(client, reception.citizen)
    assert "/my/reports/new" in client.get("/home").get_data(as_text=True)  # the way in from the citizen's page
    assert "/my/reports/new" in client.get("/my/appointments/").get_data(as_text=True)
    r = submit("/my/reports/new", {"body_id": reception.body_a.id, "official_id": reception.official.id,
                                   "kind": "refused", "text": "The assistant said no places until next year"})
    assert r.status_code == 302
    mine = client.get("/my/reports/").get_data(as_text=True)
    assert "The assistant said no places until next year" in mine and "Not read yet" in mine
    # An official of another body does not fit the report.
    other = make_body()
    r = submit("/my/reports/new", {"body_id": other.id, "official_id": reception.official.id,
                                   "kind": "no_time", "text": "x"})
    assert r.status_code == 422
    assert db.session.query(AccessReport).count() == 1

    monitor = make_user(Role.MONITOR)
    switch_to(client, monitor)
    listing = client.get(f"/monitor/reports/?body_id={reception.body_a.id}").get_data(as_text=True)
    assert "The assistant said no places until next year" in listing
    assert "no places" not in client.get(f"/monitor/reports/?body_id={other.id}").get_data(as_text=True)
    report = db.session.scalar(select(AccessReport))
    r = submit(f"/monitor/reports/{report.id}", {"seen": "new"})
    assert r.status_code == 200 and "marked as reviewed" in r.get_data(as_text=True)
    db.session.refresh(report)
    assert report.reviewed_by_id == monitor.id
    assert submit(f"/monitor/reports/{report.id}", {"seen": "new"}, form_url="/").status_code == 409

    switch_to(client, reception.citizen)
    assert "Read by the monitoring staff" in client.get("/my/reports/").get_data(as_text=True)
    switch_to(client, reception.assistant)
    assert client.get("/monitor/reports/").status_code == 403
