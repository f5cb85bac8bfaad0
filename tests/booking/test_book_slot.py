"""Booking rules at the service level: what book_slot and cancel_appointment accept and refuse."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reception.audit.models import AuditEvent
from reception.booking.models import Appointment, AppointmentStatus, Reservation, ReservationResource
from reception.booking.services import SlotTaken, book_slot, cancel_appointment
from reception.core.clock import utcnow
from reception.core.errors import Invalid, NotFound
from reception.core.permissions import Role
from reception.schedule.models import AttendanceFormat, BookingMode, SessionStatus
from tests.conftest import region

CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}


@pytest.fixture
def citizen(make_user):
    return make_user(Role.CITIZEN)


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_booking_issues_a_talon_and_reserves_the_citizens_time(ctx, db, citizen, make_session, booking_data):
    slot = make_session().slots[0]
    now = utcnow()
    appointment = book_slot(citizen, slot.id, booking_data(), "k" * 20, now, CONFIG)
    assert appointment.status is AppointmentStatus.SCHEDULED
    assert re.fullmatch(r"KZ71-\d{8}-\d{6}", appointment.talon_number)
    assert appointment.accepted_at == now.replace(microsecond=appointment.accepted_at.microsecond)
    reservations = db.session.scalars(select(Reservation).where(Reservation.appointment_id == appointment.id)).all()
    assert [(r.resource, r.resource_id) for r in reservations] == [(ReservationResource.CITIZEN, citizen.id)]
    assert (reservations[0].starts_at, reservations[0].ends_at) == (slot.starts_at, slot.ends_at)


def test_talon_names_the_reception_offices_responsible_person_by_surname_and_initials(
        ctx, citizen, make_user, make_official, make_session, booking_data):
    official = make_official()
    body = official.body
    body.responsible_surname, body.responsible_first_name, body.responsible_patronymic = (
        "Жақсылықова", "Айгүл", "Бақытқызы")
    make_user(Role.ASSISTANT, body=body, full_name="Мұратова Гүлжан Ерланқызы")
    slot = make_session(official=official).slots[0]
    assert book_slot(citizen, slot.id, booking_data(), None, utcnow(), CONFIG).accepted_by_name == "Жақсылықова А. Б."


def test_without_a_responsible_person_the_talon_names_the_first_active_assistant(
        ctx, db, citizen, make_user, make_official, make_session, booking_data):
    official = make_official()
    official.body.responsible_surname = official.body.responsible_first_name = None
    make_user(Role.ASSISTANT, body=official.body, full_name="Сейітова Айгерім Маратқызы", is_active=False)
    make_user(Role.ASSISTANT, body=official.body, full_name="Мұратова Гүлжан Ерланқызы")
    slot = make_session(official=official).slots[0]
    assert book_slot(citizen, slot.id, booking_data(), None, utcnow(), CONFIG).accepted_by_name == "Мұратова Г. Е."


def test_the_talon_never_names_the_body_as_the_person_who_accepted(ctx, citizen, make_session, booking_data):
    session = make_session()
    body = session.official.body
    body.responsible_surname = body.responsible_first_name = None  # and no assistant either
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    assert appointment.accepted_by_name is None


def test_video_booking_reserves_the_studio_of_the_citizens_region(ctx, db, citizen, make_session, make_studio,
                                                                  booking_data):
    studio = make_studio()
    slot = make_session().slots[0]
    appointment = book_slot(citizen, slot.id, booking_data(format=AttendanceFormat.VIDEO_STUDIO,
                                                           studio_id=studio.id), None, utcnow(), CONFIG)
    assert appointment.studio_id == studio.id
    assert count(db, Reservation, Reservation.resource == ReservationResource.STUDIO,
                 Reservation.resource_id == studio.id) == 1


@pytest.mark.parametrize("change,message", [
    (dict(start_offset=timedelta(hours=-1)), "already passed"),
    (dict(opens_at_offset=timedelta(days=1)), "not open yet"),
    (dict(closes_at_offset=timedelta(minutes=-1)), "closed"),
    (dict(status=SessionStatus.CANCELLED), "cancelled"),
    (dict(booking_mode=BookingMode.REQUEST), "takes requests"),
    (dict(allow_in_person=False), "format"),
], ids=["past_slot", "window_not_open", "window_closed", "cancelled_session", "request_mode", "format"])
def test_cannot_book_outside_the_rules(ctx, db, citizen, make_session, booking_data, change, message):
    now = utcnow()
    kwargs = {k: v for k, v in change.items() if not k.endswith("_offset")}
    if "start_offset" in change:
        kwargs.update(start=(now + change["start_offset"]).replace(microsecond=0),
                      opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=1))
    if "opens_at_offset" in change:
        kwargs["opens_at"] = now + change["opens_at_offset"]
    if "closes_at_offset" in change:
        kwargs["closes_at"] = now + change["closes_at_offset"]
    slot = make_session(**kwargs).slots[0]
    with pytest.raises(Invalid, match=message):
        book_slot(citizen, slot.id, booking_data(), None, now, CONFIG)
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 0


def test_cannot_book_a_slot_that_does_not_exist(ctx, citizen, booking_data):
    with pytest.raises(NotFound):
        book_slot(citizen, 2**31 - 1, booking_data(), None, utcnow(), CONFIG)


def test_cannot_book_a_studio_of_another_region(ctx, db, citizen, make_session, make_studio, make_body,
                                                booking_data):
    studio = make_studio(body=make_body(region=region("KZ-15")))
    slot = make_session().slots[0]
    with pytest.raises(Invalid, match="studio"):
        book_slot(citizen, slot.id, booking_data(format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id),
                  None, utcnow(), CONFIG)


def test_visiting_reception_is_only_for_citizens_of_its_region(ctx, citizen, make_session, booking_data):
    slot = make_session(restricted_region=region("KZ-15")).slots[0]
    with pytest.raises(Invalid, match="only for residents of"):
        book_slot(citizen, slot.id, booking_data(), None, utcnow(), CONFIG)


def test_visiting_reception_accepts_citizens_of_its_region(ctx, citizen, make_session, booking_data):
    slot = make_session(restricted_region=region("KZ-71")).slots[0]
    assert book_slot(citizen, slot.id, booking_data(), None, utcnow(), CONFIG).id


def test_unknown_topic_and_empty_summary_are_refused(ctx, citizen, make_session, booking_data):
    slot = make_session().slots[0]
    with pytest.raises(Invalid, match="topic"):
        book_slot(citizen, slot.id, booking_data(topic_id=2**31 - 1), None, utcnow(), CONFIG)
    with pytest.raises(Invalid, match="issue"):
        book_slot(citizen, slot.id, booking_data(summary="  "), None, utcnow(), CONFIG)


def test_a_taken_slot_is_refused_with_the_nearest_free_slots_of_the_official(ctx, db, citizen, make_user,
                                                                             make_session, booking_data):
    session = make_session(slots=5)
    book_slot(make_user(Role.CITIZEN), session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    with pytest.raises(SlotTaken) as caught:
        book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    assert str(caught.value.message) == "This time has just been taken."
    assert [s.id for s in caught.value.alternatives] == [s.id for s in session.slots[1:4]]
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 0


def test_after_a_studio_clash_the_suggestions_are_times_the_studio_is_free(
        ctx, db, citizen, make_user, make_session, make_studio, booking_data):
    """The citizen's studio is taken at 15:00 and 16:00 by other officials' receptions: a booking at 15:00
    from that studio is refused, and the suggestions are 15:30 and 16:30, never a time the studio is taken."""
    studio = make_studio()
    video = booking_data(format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id)
    session = make_session(slots=4)
    for taken in (session.slots[0], session.slots[2]):
        elsewhere = make_session(start=taken.starts_at, slots=1)  # another official, the same studio
        book_slot(make_user(Role.CITIZEN), elsewhere.slots[0].id, video, None, utcnow(), CONFIG)
    with pytest.raises(SlotTaken, match="studio is already reserved") as caught:
        book_slot(citizen, session.slots[0].id, video, None, utcnow(), CONFIG)
    assert [s.id for s in caught.value.alternatives] == [session.slots[1].id, session.slots[3].id]
    book_slot(make_user(Role.CITIZEN), session.slots[1].id, booking_data(), None, utcnow(), CONFIG)
    with pytest.raises(SlotTaken) as caught:  # in person the studio does not matter
        book_slot(citizen, session.slots[1].id, booking_data(), None, utcnow(), CONFIG)
    assert [s.id for s in caught.value.alternatives] == [s.id for s in (session.slots[0], *session.slots[2:])]


def test_one_active_appointment_per_official(ctx, citizen, make_session, booking_data):
    session = make_session()
    book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    with pytest.raises(SlotTaken, match="already have an active appointment with this official"):
        book_slot(citizen, session.slots[1].id, booking_data(), None, utcnow(), CONFIG)


def test_citizen_cannot_hold_two_overlapping_receptions_with_different_officials(ctx, db, citizen, make_session,
                                                                                  booking_data):
    first, second = make_session(), make_session()
    book_slot(citizen, first.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    with pytest.raises(SlotTaken, match="another reception at this time"):
        book_slot(citizen, second.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 1


def test_a_booking_refused_at_its_reservation_leaves_no_trace(ctx, db, citizen, make_user, make_session,
                                                               make_studio, booking_data):
    """The appointment is written before its reservations refuse it (the citizen's time, the studio's): then
    neither it, nor a reservation, nor its audit record is left."""
    studio = make_studio()
    video = booking_data(format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id)
    book_slot(citizen, make_session().slots[0].id, video, None, utcnow(), CONFIG)
    other = make_user(Role.CITIZEN)
    for who, data, refusal in ((citizen, booking_data(), "another reception at this time"),
                               (other, video, "studio is already reserved")):
        with pytest.raises(SlotTaken, match=refusal):
            book_slot(who, make_session().slots[0].id, data, None, utcnow(), CONFIG)
    db.session.flush()
    assert count(db, Appointment) == 1
    assert count(db, Reservation) == 2  # the first booking's: its citizen's time and the studio
    assert count(db, AuditEvent, AuditEvent.entity == "appointment", AuditEvent.id > db.audit_floor) == 1


def test_a_reserved_studio_cannot_be_reserved_by_another_officials_overlapping_booking(
        ctx, db, citizen, make_user, make_session, make_studio, booking_data):
    studio = make_studio()
    video = booking_data(format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id)
    book_slot(citizen, make_session().slots[0].id, video, None, utcnow(), CONFIG)
    other = make_user(Role.CITIZEN)
    with pytest.raises(SlotTaken, match="studio is already reserved"):
        book_slot(other, make_session().slots[0].id, video, None, utcnow(), CONFIG)
    assert count(db, Appointment, Appointment.citizen_id == other.id) == 0


def test_active_appointments_per_citizen_are_capped(ctx, citizen, make_session, booking_data):
    now = utcnow()
    for day in range(2):
        session = make_session(start=(now + timedelta(days=2 + day)).replace(microsecond=0))
        book_slot(citizen, session.slots[0].id, booking_data(), None, now, {"MAX_ACTIVE_APPOINTMENTS": 2})
    with pytest.raises(Invalid, match="2 active appointments"):
        book_slot(citizen, make_session(start=(now + timedelta(days=5)).replace(microsecond=0)).slots[0].id,
                  booking_data(), None, now, {"MAX_ACTIVE_APPOINTMENTS": 2})


def test_the_same_idempotency_key_books_once(ctx, db, citizen, make_session, booking_data):
    session = make_session()
    first = book_slot(citizen, session.slots[0].id, booking_data(), "same-key-123456789", utcnow(), CONFIG)
    again = book_slot(citizen, session.slots[0].id, booking_data(), "same-key-123456789", utcnow(), CONFIG)
    assert again.id == first.id
    assert count(db, Appointment, Appointment.citizen_id == citizen.id) == 1


def test_cancelling_frees_the_slot_and_the_studio(ctx, db, citizen, make_user, make_session, make_studio,
                                                  booking_data):
    studio = make_studio()
    video = booking_data(format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id)
    slot = make_session().slots[0]
    appointment = book_slot(citizen, slot.id, video, None, utcnow(), CONFIG)
    cancel_appointment(citizen, appointment, utcnow())
    assert appointment.status is AppointmentStatus.CANCELLED and appointment.cancelled_at is not None
    assert count(db, Reservation, Reservation.appointment_id == appointment.id,
                 Reservation.released_at.is_(None)) == 0
    assert book_slot(make_user(Role.CITIZEN), slot.id, video, None, utcnow(), CONFIG).studio_id == studio.id


def test_cannot_cancel_another_citizens_appointment(ctx, citizen, make_user, make_session, booking_data):
    appointment = book_slot(citizen, make_session().slots[0].id, booking_data(), None, utcnow(), CONFIG)
    with pytest.raises(NotFound):
        cancel_appointment(make_user(Role.CITIZEN), appointment, utcnow())


def test_cannot_cancel_after_the_booking_window_closed(ctx, citizen, make_session, booking_data):
    session = make_session()
    appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    with pytest.raises(Invalid, match="too late"):
        cancel_appointment(citizen, appointment, session.closes_at)


def test_cannot_cancel_twice(ctx, citizen, make_session, booking_data):
    appointment = book_slot(citizen, make_session().slots[0].id, booking_data(), None, utcnow(), CONFIG)
    cancel_appointment(citizen, appointment, utcnow())
    with pytest.raises(Invalid, match="no longer active"):
        cancel_appointment(citizen, appointment, utcnow())
