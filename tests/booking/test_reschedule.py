"""Rescheduling: one step that moves an appointment to another free time, keeping the talon's history."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reception.booking.models import (
    Appointment,
    AppointmentStatus,
    Reservation,
    ReservationResource,
    WaitlistEntry,
    WaitlistStatus,
)
from reception.booking.services import SlotTaken, book_slot, reschedule_appointment
from reception.booking.waitlist import join_waitlist
from reception.core.clock import utcnow
from reception.core.errors import Invalid, NotFound
from reception.core.permissions import Role
from reception.schedule.models import AttendanceFormat, SessionStatus
from tests.conftest import csrf_from, post_form

CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}
KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- the service -------------------------------------------------------------------------------

@pytest.fixture
def booked(ctx, db, make_session, make_user, make_studio, booking_data):
    """A citizen's video booking with every detail filled, on the first of three slots."""
    session = make_session(slots=3)
    citizen = make_user(Role.CITIZEN)
    studio = make_studio()
    data = booking_data(format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id, appeal_numbers="ZT-1",
                        needs_wheelchair=True, co_applicants="Asel\nBolat", summary="Our yard floods")
    appointment = book_slot(citizen, session.slots[0].id, data, None, utcnow(), CONFIG)
    return session, citizen, appointment


def test_reschedule_moves_the_booking_with_all_its_details_and_a_new_talon(db, booked):
    session, citizen, old = booked
    now = utcnow()
    new = reschedule_appointment(citizen, old, session.slots[2].id, "k" * 24, now, CONFIG)

    assert old.status is AppointmentStatus.RESCHEDULED
    assert (new.status, new.slot_id, new.rescheduled_from_id) == (AppointmentStatus.SCHEDULED,
                                                                  session.slots[2].id, old.id)
    assert new.talon_number and new.talon_number != old.talon_number
    for name in ("format", "studio_id", "topic_id", "summary", "appeal_numbers", "needs_wheelchair",
                 "needs_sign_language", "co_applicants"):
        assert getattr(new, name) == getattr(old, name), name
    assert count(db, Reservation, Reservation.appointment_id == old.id, Reservation.released_at.is_(None)) == 0
    live = db.session.scalars(select(Reservation).where(Reservation.appointment_id == new.id)).all()
    assert {r.resource for r in live} == {ReservationResource.CITIZEN, ReservationResource.STUDIO}
    assert all(r.starts_at == session.slots[2].starts_at for r in live)


def test_moving_to_an_adjacent_time_is_not_refused_as_an_overlap_with_itself(db, booked):
    session, citizen, old = booked
    assert reschedule_appointment(citizen, old, session.slots[1].id, None, utcnow(), CONFIG).slot_id == \
        session.slots[1].id


def test_the_same_key_moves_once(db, booked):
    session, citizen, old = booked
    first = reschedule_appointment(citizen, old, session.slots[1].id, "same-key-123456789", utcnow(), CONFIG)
    again = reschedule_appointment(citizen, old, session.slots[1].id, "same-key-123456789", utcnow(), CONFIG)
    assert again.id == first.id
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 2


def test_a_just_taken_slot_changes_nothing(db, booked, make_user, booking_data):
    session, citizen, old = booked
    book_slot(make_user(Role.CITIZEN), session.slots[1].id, booking_data(), None, utcnow(), CONFIG)
    with pytest.raises(SlotTaken) as info:
        reschedule_appointment(citizen, old, session.slots[1].id, None, utcnow(), CONFIG)
    assert str(info.value.message) == "This time has just been taken."
    assert [s.id for s in info.value.alternatives] == [session.slots[2].id]  # not their own slot
    db.session.refresh(old)
    assert old.status is AppointmentStatus.SCHEDULED
    assert count(db, Reservation, Reservation.appointment_id == old.id, Reservation.released_at.is_(None)) == 2
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 1


@pytest.mark.parametrize("case", ["cancelled", "too_late", "other_official", "same_slot", "other_citizen",
                                  "no_slot"])
def test_reschedule_refusals_write_nothing(db, booked, make_session, make_user, case):
    session, citizen, old = booked
    slot_id, actor, error = session.slots[1].id, citizen, Invalid
    if case == "cancelled":
        old.status = AppointmentStatus.CANCELLED
    elif case == "too_late":
        session.closes_at = utcnow() - timedelta(minutes=1)
    elif case == "other_official":
        slot_id = make_session().slots[0].id
    elif case == "same_slot":
        slot_id = old.slot_id
    elif case == "other_citizen":
        actor, error = make_user(Role.CITIZEN), NotFound
    elif case == "no_slot":
        slot_id, error = 2**31 - 1, NotFound
    db.session.flush()
    before = count(db, Appointment)
    with pytest.raises(error):
        reschedule_appointment(actor, old, slot_id, None, utcnow(), CONFIG)
    assert count(db, Appointment) == before
    assert count(db, Reservation, Reservation.appointment_id == old.id, Reservation.released_at.is_(None)) == 2


def test_the_freed_old_slot_goes_to_the_waitlist(db, booked, make_user, booking_data):
    session, citizen, old = booked
    for slot in session.slots[1:]:  # the rest of the session is booked by others
        book_slot(make_user(Role.CITIZEN), slot.id, booking_data(), None, utcnow(), CONFIG)
    entry = join_waitlist(make_user(Role.CITIZEN), session.official, now=utcnow())
    later = _later_session(db, session)
    reschedule_appointment(citizen, old, later.slots[0].id, None, utcnow(), CONFIG)
    db.session.refresh(entry)
    assert entry.status is WaitlistStatus.OFFERED and entry.offered_slot_id == old.slot_id


def _later_session(db, session):
    # A session added after the citizen joined the waitlist (the waitlist does not take new time: only freed).
    from tests.booking.fixtures import new_session

    later = new_session(session.official, session.venue, slots=1, start=session.starts_at + timedelta(days=1))
    db.session.add(later)
    db.session.flush()
    return later


# --- the pages --------------------------------------------------------------------------------

@pytest.fixture
def mine(app, db, make_session, login_as, booking_data):
    """A committed session of three slots; the logged-in citizen booked the first. Returns (session, appointment)."""
    session = make_session(slots=3)
    citizen = login_as(Role.CITIZEN)
    with app.test_request_context():
        appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    db.session.commit()
    return session, appointment


def confirm(client, appointment, slot):
    url = f"/my/appointments/{appointment.id}/reschedule/{slot.id}"
    page = client.get(url)
    assert page.status_code == 200, text(page)
    return url, KEY_RE.search(text(page))[1]


def test_reschedule_pages_move_the_talon_and_show_its_history(client, db, mine):
    session, old = mine
    talon = text(client.get(f"/my/appointments/{old.id}"))
    assert f"/my/appointments/{old.id}/reschedule" in talon
    listing = text(client.get(f"/my/appointments/{old.id}/reschedule"))
    assert f"/my/appointments/{old.id}/reschedule/{session.slots[1].id}" in listing
    assert f"/reschedule/{session.slots[0].id}\"" not in listing  # not the time they already have

    url, key = confirm(client, old, session.slots[1])
    r = post_form(client, url, {"idempotency_key": key})
    assert r.status_code == 302
    first = db.session.scalars(select(Appointment).where(Appointment.rescheduled_from_id == old.id)).one()
    assert r.headers["Location"].endswith(f"/my/appointments/{first.id}")

    url, key = confirm(client, first, session.slots[2])
    second_url = post_form(client, url, {"idempotency_key": key}).headers["Location"]
    body = text(client.get(second_url))
    assert "Earlier talons of this reception" in body
    assert old.talon_number in body and first.talon_number in body
    assert "(Astana time)" in body
    db.session.refresh(old)
    assert old.status is AppointmentStatus.RESCHEDULED
    old_page = text(client.get(f"/my/appointments/{old.id}"))
    assert "no longer valid" in old_page and f"/my/appointments/{first.id}" in old_page
    assert f"/my/appointments/{old.id}/reschedule\"" not in old_page


def test_double_submit_of_the_confirmation_moves_once(client, db, mine):
    session, old = mine
    url, key = confirm(client, old, session.slots[1])
    first, second = post_form(client, url, {"idempotency_key": key}), post_form(client, url, {"idempotency_key": key})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 2


def test_just_taken_time_answers_409_with_alternatives_and_keeps_the_old_booking(app, client, db, mine, make_user,
                                                                                   booking_data):
    session, old = mine
    url, key = confirm(client, old, session.slots[1])
    with app.test_request_context():
        book_slot(make_user(Role.CITIZEN), session.slots[1].id, booking_data(), None, utcnow(), CONFIG)
    db.session.commit()
    r = post_form(client, url, {"idempotency_key": key})
    assert r.status_code == 409
    assert "This time has just been taken." in text(r)
    assert f"/my/appointments/{old.id}/reschedule/{session.slots[2].id}" in text(r)
    db.session.refresh(old)
    assert old.status is AppointmentStatus.SCHEDULED
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 2


def test_another_citizens_appointment_cannot_be_moved(client, db, mine, login_as):
    session, old = mine
    client.post("/logout", data={"csrf_token": csrf_from(client, "/reception/")})
    login_as(Role.CITIZEN)
    assert client.get(f"/my/appointments/{old.id}/reschedule").status_code == 404
    url = f"/my/appointments/{old.id}/reschedule/{session.slots[1].id}"
    assert client.get(url).status_code == 404
    r = client.post(url, data={"idempotency_key": "a" * 24, "csrf_token": csrf_from(client, "/reception/")})
    assert r.status_code == 404
    db.session.refresh(old)
    assert old.status is AppointmentStatus.SCHEDULED


def test_forged_slots_are_not_found(client, db, mine, make_session):
    _, old = mine
    other = make_session()
    db.session.commit()
    for slot_id in (2**31 - 1, 99999999999, other.slots[0].id):
        assert client.get(f"/my/appointments/{old.id}/reschedule/{slot_id}").status_code == 404


@pytest.mark.parametrize("case", ["cancelled", "too_late", "session_cancelled"])
def test_an_appointment_that_cannot_move_is_refused_with_422_and_nothing_written(client, db, mine, case):
    session, old = mine
    url, key = confirm(client, old, session.slots[1])
    if case == "cancelled":
        old.status = AppointmentStatus.CANCELLED
    elif case == "too_late":
        session.closes_at = utcnow() - timedelta(minutes=1)
    else:
        session.status = SessionStatus.CANCELLED
    db.session.commit()
    listing = client.get(f"/my/appointments/{old.id}/reschedule")
    r = post_form(client, url, {"idempotency_key": key}, form_url="/my/appointments/")
    if case == "session_cancelled":
        # The appointment itself is untouched here; the new slot's session is gone with it.
        assert r.status_code == 422 and "cancelled or has already taken place" in text(r)
    else:
        assert listing.status_code == 422
        message = {"cancelled": "Only a scheduled appointment can be moved",
                   "too_late": "too late to move this appointment online"}[case]
        assert message in text(listing) and message in text(r)
        assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
    assert db.session.scalar(select(func.count()).select_from(WaitlistEntry)) == 0


def test_the_confirmation_form_refuses_a_damaged_token(client, db, mine):
    session, old = mine
    url, _ = confirm(client, old, session.slots[1])
    r = post_form(client, url, {"idempotency_key": "<script>"})
    assert r.status_code == 422 and "The form is damaged" in text(r)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
