"""What the audit record keeps: changes made through the pages (who, from where, old → new), nothing for a
change that rolled back, status changes made by bulk statements, and staff views of personal data."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.audit.models import AuditAction
from reception.booking.models import (
    Appointment,
    AppointmentStatus,
    Participant,
    ParticipantKind,
)
from reception.booking.services import book_slot, cancel_appointment
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.extensions import db as _db
from tests.audit.conftest import changes, events
from tests.conftest import login, post_form

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def book(client, topic):
    """Open the booking page of ``slot`` and submit it; returns the response (a redirect to the talon)."""
    def do(slot, **overrides):
        url = f"/reception/slots/{slot.id}/book"
        page = client.get(url)
        assert page.status_code == 200, text(page)
        data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                "summary": "The road to my village is broken.", "idempotency_key": KEY_RE.search(text(page))[1]}
        data.update(overrides)
        return post_form(client, url, data)
    return do


@pytest.fixture
def session(db, make_session):
    s = make_session(slots=4)
    db.session.commit()
    return s


def the_appointment(db, citizen) -> Appointment:
    db.session.expire_all()
    return db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)
                              .order_by(Appointment.id.desc())).first()


# --- changes -------------------------------------------------------------------------------------

def test_a_booking_through_the_page_is_recorded_with_the_citizen_their_address_and_the_page(
        client, db, login_as, book, session, from_ip):
    citizen = login_as(Role.CITIZEN)
    assert book(session.slots[0]).status_code == 302
    appointment = the_appointment(db, citizen)
    [created] = events(db, entity="appointment", entity_id=appointment.id, action=AuditAction.CREATE)
    assert (created.actor_id, created.actor_name) == (citizen.id, citizen.full_name)
    assert created.ip == from_ip
    assert created.path == f"/reception/slots/{session.slots[0].id}/book"
    values = changes(created)
    assert values["status"] == "scheduled" and values["summary"] == "The road to my village is broken."
    assert values["citizen_id"] == citizen.id
    # Neither the idempotency key nor anything secret is copied into the record.
    assert "idempotency_key" not in values and "video_room" not in values


def test_cancelling_through_the_page_records_the_status_from_old_to_new(client, db, login_as, book, session,
                                                                         from_ip):
    citizen = login_as(Role.CITIZEN)
    talon_url = book(session.slots[0]).headers["Location"].removesuffix("?booked=1")
    assert post_form(client, talon_url + "/cancel", form_url=talon_url).status_code == 302
    appointment = the_appointment(db, citizen)
    [update] = events(db, entity="appointment", entity_id=appointment.id, action=AuditAction.UPDATE)
    assert changes(update)["status"] == ["scheduled", "cancelled"]
    assert changes(update)["cancelled_at"][0] is None and changes(update)["cancelled_at"][1]
    assert (update.actor_id, update.ip, update.path) == (citizen.id, from_ip, talon_url + "/cancel")


def test_a_change_that_rolls_back_leaves_no_record(app, db, make_user, session, booking_data):
    citizen = make_user(Role.CITIZEN)
    with app.test_request_context():
        appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
        db.session.commit()
        before = len(events(db))
        cancel_appointment(citizen, appointment, utcnow())
        db.session.flush()
        assert len(events(db)) > before  # written in the same transaction as the change...
        db.session.rollback()
    assert len(events(db)) == before  # ...and gone with it
    assert the_appointment(db, citizen).status is AppointmentStatus.SCHEDULED


def test_a_refused_booking_records_nothing(client, db, login_as, session, make_user, booking_data, app, topic):
    login_as(Role.CITIZEN)
    url = f"/reception/slots/{session.slots[0].id}/book"
    key = KEY_RE.search(text(client.get(url)))[1]  # the form is open when another citizen takes the time
    with app.test_request_context():
        book_slot(make_user(Role.CITIZEN), session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    db.session.commit()
    before = len(events(db))
    data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "Too late.",
            "idempotency_key": key}
    assert post_form(client, url, data).status_code == 409  # just taken: nothing written
    assert len(events(db)) == before


def test_moving_an_appointment_records_the_old_ones_status_change_made_by_a_bulk_update(
        client, db, login_as, book, session):
    citizen = login_as(Role.CITIZEN)
    book(session.slots[0])
    old = the_appointment(db, citizen)
    url = f"/my/appointments/{old.id}/reschedule/{session.slots[2].id}"
    key = KEY_RE.search(text(client.get(url)))[1]
    assert post_form(client, url, {"idempotency_key": key}).status_code == 302
    [moved] = [e for e in events(db, entity="appointment", entity_id=old.id, action=AuditAction.UPDATE)
               if "status" in changes(e)]
    assert changes(moved)["status"] == ["scheduled", "rescheduled"]
    assert moved.actor_id == citizen.id and moved.path == url


def test_removing_a_participant_records_its_deletion(client, db, make_user, make_body, book, session):
    citizen = make_user(Role.CITIZEN)
    assistant = make_user(Role.ASSISTANT, body=session.official.body)
    other = make_body()
    db.session.commit()
    login(client, citizen)
    book(session.slots[0])
    appointment = the_appointment(db, citizen)
    participant = Participant(appointment_id=appointment.id, user_id=make_user(Role.AGENCY_REP, body=other).id,
                              body_id=other.id, kind=ParticipantKind.AGENCY_REP)
    db.session.add(participant)
    db.session.commit()
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                                         text(client.get("/")))[1]})
    login(client, assistant)
    page = f"/staff/appointments/{appointment.id}/participants"
    r = post_form(client, f"{page}/{participant.id}", {"moderator": "0", "remove": "1"}, form_url=page)
    assert r.status_code == 302
    [gone] = events(db, entity="participant", entity_id=participant.id, action=AuditAction.DELETE)
    assert gone.actor_id == assistant.id and changes(gone)["appointment_id"] == [appointment.id, None]


# --- screening decisions and staff views ------------------------------------------------------------

@pytest.fixture
def a_request(ctx, db, office, make_request):
    request = make_request(office)
    db.session.commit()
    return request


def test_a_screening_decision_is_recorded_with_the_assistant(client, db, office, a_request, from_ip):
    login(client, office.assistant)
    url = f"/staff/requests/{a_request.id}"
    r = post_form(client, url, {"action": "resolve", "resolution": "The heating is back on."})
    assert r.status_code == 302
    updates = events(db, entity="appointment", entity_id=a_request.id, action=AuditAction.UPDATE)
    assert updates and all((e.actor_id, e.ip, e.path) == (office.assistant.id, from_ip, url) for e in updates)
    changed = {k: v for e in updates for k, v in changes(e).items()}
    assert changed["decision"][1] == "resolved" and changed["status"][1] == "closed"
    assert changed["decision_note"][1] == "The heating is back on."


def test_staff_opening_a_request_and_the_queue_is_recorded_as_views(client, db, office, a_request, from_ip):
    login(client, office.assistant)
    assert client.get(f"/staff/requests/{a_request.id}").status_code == 200
    assert client.get("/staff/requests/").status_code == 200
    detail, queue = events(db, action=AuditAction.VIEW)
    assert (detail.entity, detail.entity_id, detail.actor_id, detail.ip) == (
        "appointment", a_request.id, office.assistant.id, from_ip)
    assert detail.path == f"/staff/requests/{a_request.id}" and changes(detail)["page"] == "request screening"
    assert queue.entity_id is None and a_request.id in changes(queue)["appointments"]


def test_a_citizen_looking_at_their_own_request_is_not_a_staff_view(client, db, office, a_request):
    login(client, a_request.citizen)
    assert client.get(f"/my/appointments/{a_request.id}").status_code == 200
    assert events(db, action=AuditAction.VIEW) == []


def test_the_participants_page_and_my_receptions_are_recorded_as_views(client, db, make_user, book, session):
    citizen = make_user(Role.CITIZEN)
    assistant = make_user(Role.ASSISTANT, body=session.official.body)
    db.session.commit()
    login(client, citizen)
    book(session.slots[0])
    appointment = the_appointment(db, citizen)
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                                         text(client.get("/")))[1]})
    login(client, assistant)
    assert client.get(f"/staff/appointments/{appointment.id}/participants").status_code == 200
    assert client.get("/my/receptions/").status_code == 200
    participants, mine = events(db, action=AuditAction.VIEW)
    assert (participants.entity_id, changes(participants)["page"]) == (appointment.id, "participants")
    assert changes(mine)["page"] == "my receptions" and mine.actor_id == assistant.id


# --- from where ---------------------------------------------------------------------------------------

def _proxied_app(sibling_app, proxies: int):
    return sibling_app(ENV="testing", SECRET_KEY="test-secret", PROXY_COUNT=proxies, FAST_PASSWORD_HASHES=True)


@pytest.mark.parametrize("proxies,expected", [(0, "10.0.0.2"), (1, "198.51.100.9")])
def test_the_address_is_the_forwarded_one_only_behind_a_trusted_proxy(sibling_app, db, office, a_request, proxies,
                                                                         expected):
    client = _proxied_app(sibling_app, proxies).test_client()
    client.environ_base.update({"HTTP_ACCEPT_LANGUAGE": "en", "REMOTE_ADDR": "10.0.0.2",
                                "HTTP_X_FORWARDED_FOR": "198.51.100.9"})
    login(client, office.assistant)
    assert client.get(f"/staff/requests/{a_request.id}").status_code == 200
    [view] = events(db, action=AuditAction.VIEW)
    assert view.ip == expected


def test_a_negative_proxy_count_refuses_to_start(sibling_app):
    from reception.config import ConfigError

    with pytest.raises(ConfigError):
        _proxied_app(sibling_app, -1)


def test_changes_outside_a_request_have_no_actor(app, db, make_user, session, booking_data):
    citizen = make_user(Role.CITIZEN)
    with app.app_context():
        appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow() - timedelta(0),
                                CONFIG)
        _db.session.flush()
    [created] = events(db, entity="appointment", entity_id=appointment.id, action=AuditAction.CREATE)
    assert (created.actor_id, created.ip, created.path) == (None, None, None)


def test_the_studio_operators_week_is_recorded_as_a_view(client, db, make_user, make_studio):
    studio = make_studio()
    operator = make_user(Role.STUDIO_OPERATOR, body=studio.body)
    db.session.commit()
    login(client, operator)
    assert client.get("/studio/").status_code == 200
    [view] = events(db, action=AuditAction.VIEW)
    assert (view.actor_id, view.path, changes(view)["page"]) == (operator.id, "/studio/", "studio week")
