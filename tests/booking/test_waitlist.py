"""The waitlist at the service level: joining, leaving, offering freed slots with a hold, expiry, the next in line."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reception.booking import waitlist
from reception.booking.models import Appointment, AppointmentStatus, WaitlistEntry, WaitlistStatus
from reception.booking.queries import search_free_slots
from reception.booking.services import SlotTaken, book_slot, cancel_appointment
from reception.core.clock import utcnow
from reception.core.errors import Conflict, Invalid, NotAllowed, NotFound
from reception.core.permissions import Role
from reception.notifications.models import OutboxMessage
from reception.schedule.models import BookingMode, SessionKind, SessionStatus, VisitingReception
from tests.conftest import as_sent, region

CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def offers(db, citizen=None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer").order_by(OutboxMessage.id)
    if citizen is not None:
        stmt = stmt.where(OutboxMessage.user_id == citizen.id)
    return list(db.session.scalars(stmt))


@pytest.fixture
def citizens(make_user):
    return [make_user(Role.CITIZEN, full_name=f"Waiting Citizen {i}") for i in range(4)]


@pytest.fixture
def full(ctx, db, make_session, citizens, booking_data):
    """A session whose only slot is booked by citizens[0]; returns (session, slot, that appointment)."""
    session = make_session(slots=1)
    slot = session.slots[0]
    appointment = book_slot(citizens[0], slot.id, booking_data(), None, utcnow(), CONFIG)
    return session, slot, appointment


def join(citizen, official, **kwargs) -> WaitlistEntry:
    return waitlist.join_waitlist(citizen, official, now=kwargs.pop("now", utcnow()), **kwargs)


# --- joining and leaving -------------------------------------------------------------------

def test_citizen_joins_when_nothing_is_free_and_may_leave(db, full, citizens):
    session, _, _ = full
    entry = join(citizens[1], session.official)
    assert (entry.status, entry.citizen_id, entry.official_id) == (WaitlistStatus.WAITING, citizens[1].id,
                                                                   session.official_id)
    waitlist.leave_waitlist(citizens[1], entry, WaitlistStatus.WAITING, utcnow())
    assert entry.status is WaitlistStatus.LEFT
    again = join(citizens[1], session.official)  # joining again puts them at the end
    assert again.id != entry.id and again.status is WaitlistStatus.WAITING


def test_one_place_in_line_per_official(db, full, citizens):
    session, _, _ = full
    join(citizens[1], session.official)
    with pytest.raises(Conflict) as info:
        join(citizens[1], session.official)
    assert str(info.value.message) == "You are already on this official's waitlist."
    assert count(db, WaitlistEntry) == 1


def test_cannot_join_when_the_official_has_free_time_to_book(ctx, db, make_session, citizens):
    session = make_session(slots=2)
    with pytest.raises(Conflict) as info:
        join(citizens[1], session.official)
    assert "free reception time now: book it" in str(info.value.message)
    assert count(db, WaitlistEntry) == 0


def test_free_time_that_cannot_be_booked_does_not_count(ctx, db, make_session, make_official, citizens):
    # Not open yet, another region's visiting reception: the citizen may wait.
    official = make_official()
    now = utcnow()
    make_session(official=official, opens_at=now + timedelta(days=1))
    make_session(official=official, start=(now + timedelta(days=4)).replace(minute=0, second=0, microsecond=0),
                 restricted_region=region("KZ-15"))
    assert join(citizens[1], official).status is WaitlistStatus.WAITING


def test_an_official_with_free_request_time_is_asked_by_request_not_waited_for(ctx, db, make_session, citizens):
    session = make_session(booking_mode=BookingMode.REQUEST)
    with pytest.raises(Conflict) as info:
        join(citizens[1], session.official)
    assert str(info.value.message) == "This official takes requests: send a request instead of waiting."
    assert count(db, WaitlistEntry) == 0


def test_cannot_join_while_holding_an_appointment_with_the_official(db, full, citizens):
    session, _, _ = full
    with pytest.raises(Conflict) as info:
        join(citizens[0], session.official)
    assert str(info.value.message) == "You already have an active appointment with this official."
    assert count(db, WaitlistEntry) == 0


def test_staff_cannot_join_and_unknown_official_is_not_found(ctx, db, full, make_user):
    session, _, _ = full
    with pytest.raises(NotAllowed):
        join(make_user(Role.ASSISTANT), session.official)
    with pytest.raises(NotFound):
        join(make_user(Role.CITIZEN), None)
    assert count(db, WaitlistEntry) == 0


def test_visiting_reception_waitlist_is_for_its_region_and_official(db, full, citizens, make_official, make_venue):
    session, _, _ = full
    visiting = VisitingReception(official=session.official, region=region("KZ-15"),
                                 venue=make_venue(region_id=region("KZ-15").id))
    other = VisitingReception(official=make_official(), region=region("KZ-71"), venue=make_venue())
    db.session.add_all([visiting, other])
    db.session.flush()
    with pytest.raises(Invalid) as info:
        join(citizens[1], session.official, visiting=visiting)  # citizens live in KZ-71
    assert "only for residents of" in str(info.value.message)
    with pytest.raises(Invalid):
        join(citizens[1], session.official, visiting=other)
    assert count(db, WaitlistEntry) == 0


# --- offering a freed slot -----------------------------------------------------------------

def test_a_cancelled_slot_is_held_for_the_first_in_line_and_they_are_told(db, full, citizens):
    session, slot, appointment = full
    first = join(citizens[1], session.official)
    second = join(citizens[2], session.official)
    now = utcnow()
    cancel_appointment(citizens[0], appointment, now)

    assert first.status is WaitlistStatus.OFFERED and first.offered_slot_id == slot.id
    assert second.status is WaitlistStatus.WAITING
    db.session.refresh(slot)
    assert slot.held_for_id == citizens[1].id
    # 24 hours by default, but never past the close of booking (an hour before the session here).
    assert slot.held_until == first.offer_expires_at == min(now + timedelta(hours=24), session.closes_at)
    [message] = as_sent(offers(db))
    assert message.user_id == citizens[1].id and message.locale == "en"
    assert session.official.full_name in message.subject
    for body in (message.body_text, message.body_html):
        assert "(Astana time)" in body  # local time and deadline with the zone named
        assert f"http://reception.test/reception/slots/{slot.id}/book" in body
    assert slot not in search_free_slots(official_id=session.official_id, now=now)


def test_the_hold_period_comes_from_configuration(app, db, full, citizens):
    session, _, appointment = full
    entry = join(citizens[1], session.official)
    now = utcnow()
    app.config["WAITLIST_HOLD_HOURS"] = 2
    try:
        cancel_appointment(citizens[0], appointment, now)
    finally:
        del app.config["WAITLIST_HOLD_HOURS"]
    assert entry.offer_expires_at == now + timedelta(hours=2)


def test_nobody_else_can_book_the_held_slot_but_the_holder_can(db, full, citizens, booking_data):
    session, slot, appointment = full
    entry = join(citizens[1], session.official)
    join(citizens[2], session.official)
    cancel_appointment(citizens[0], appointment, utcnow())
    with pytest.raises(Conflict) as info:
        book_slot(citizens[2], slot.id, booking_data(), None, utcnow(), CONFIG)
    assert "kept for another citizen" in str(info.value.message)
    booked = book_slot(citizens[1], slot.id, booking_data(), None, utcnow(), CONFIG)
    assert booked.status is AppointmentStatus.SCHEDULED
    db.session.refresh(entry)
    assert entry.status is WaitlistStatus.BOOKED


def test_a_freed_slot_with_nobody_waiting_simply_becomes_free(db, full, citizens):
    session, slot, appointment = full
    now = utcnow()
    cancel_appointment(citizens[0], appointment, now)
    db.session.refresh(slot)
    assert slot.held_for_id is None
    assert slot in search_free_slots(official_id=session.official_id, now=now)
    assert offers(db) == []


def test_after_the_hold_runs_out_the_next_in_line_gets_the_slot(db, full, citizens):
    session, slot, appointment = full
    first, second = join(citizens[1], session.official), join(citizens[2], session.official)
    now = utcnow()
    cancel_appointment(citizens[0], appointment, now)
    assert waitlist.expire_offers(now + timedelta(minutes=1)).expired == 0  # not yet

    later = first.offer_expires_at + timedelta(seconds=1)
    result = waitlist.expire_offers(later)
    assert (result.expired, result.offered) == (1, 1)
    db.session.refresh(first)
    db.session.refresh(second)
    db.session.refresh(slot)
    assert first.status is WaitlistStatus.EXPIRED
    assert second.status is WaitlistStatus.OFFERED and second.offered_slot_id == slot.id
    assert slot.held_for_id == citizens[2].id
    assert second.offer_expires_at == min(later + timedelta(hours=24), session.closes_at)
    assert [m.user_id for m in offers(db)] == [citizens[1].id, citizens[2].id]
    assert waitlist.expire_offers(later).expired == 0  # nothing twice


def test_an_expired_offer_with_nobody_next_leaves_the_slot_free(db, full, citizens):
    session, slot, appointment = full
    first = join(citizens[1], session.official)
    cancel_appointment(citizens[0], appointment, utcnow())
    later = first.offer_expires_at + timedelta(seconds=1)
    assert waitlist.expire_offers(later).offered == 0
    db.session.refresh(slot)
    assert slot.held_for_id is None


def test_citizens_who_cannot_book_the_slot_are_skipped_but_keep_their_place(db, full, citizens, make_session,
                                                                           make_official, booking_data, make_venue):
    session, _, appointment = full
    # citizens[1] already has another reception at exactly that time.
    other = make_session(official=make_official(), start=session.starts_at, slots=1)
    book_slot(citizens[1], other.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    busy = join(citizens[1], session.official)
    # citizens[2] waits only for a visiting reception of this official, not for regular time.
    visiting = VisitingReception(official=session.official, region=region("KZ-71"), venue=make_venue())
    db.session.add(visiting)
    db.session.flush()
    tied = join(citizens[2], session.official, visiting=visiting)
    free = join(citizens[3], session.official)

    cancel_appointment(citizens[0], appointment, utcnow())
    assert (busy.status, tied.status, free.status) == (WaitlistStatus.WAITING, WaitlistStatus.WAITING,
                                                       WaitlistStatus.OFFERED)


def test_a_visiting_session_is_offered_only_to_citizens_of_its_region(ctx, db, make_session, make_user,
                                                                      booking_data, make_venue):
    astana = make_user(Role.CITIZEN, region_id=region("KZ-71").id)
    aktobe = [make_user(Role.CITIZEN, region_id=region("KZ-15").id) for _ in range(2)]
    venue = make_venue(region_id=region("KZ-15").id)
    session = make_session(venue=venue, slots=1, restricted_region=region("KZ-15"), kind=SessionKind.VISITING)
    visiting = VisitingReception(official=session.official, region=region("KZ-15"), venue=venue)
    db.session.add(visiting)
    session.visiting = visiting
    db.session.flush()
    appointment = book_slot(aktobe[0], session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    outsider = join(astana, session.official)
    resident = join(aktobe[1], session.official, visiting=visiting)
    cancel_appointment(aktobe[0], appointment, utcnow())
    assert outsider.status is WaitlistStatus.WAITING
    assert resident.status is WaitlistStatus.OFFERED


def test_leaving_with_an_offer_passes_the_slot_to_the_next(db, full, citizens):
    session, slot, appointment = full
    first, second = join(citizens[1], session.official), join(citizens[2], session.official)
    cancel_appointment(citizens[0], appointment, utcnow())
    with pytest.raises(Conflict):  # the citizen saw "waiting" before the offer came
        waitlist.leave_waitlist(citizens[1], first, WaitlistStatus.WAITING, utcnow())
    assert first.status is WaitlistStatus.OFFERED
    waitlist.leave_waitlist(citizens[1], first, WaitlistStatus.OFFERED, utcnow())
    db.session.refresh(second)
    db.session.refresh(slot)
    assert first.status is WaitlistStatus.LEFT
    assert second.status is WaitlistStatus.OFFERED and slot.held_for_id == citizens[2].id


def test_another_citizens_entry_cannot_be_left(db, full, citizens):
    session, _, _ = full
    entry = join(citizens[1], session.official)
    with pytest.raises(NotFound):
        waitlist.leave_waitlist(citizens[2], entry, WaitlistStatus.WAITING, utcnow())
    assert entry.status is WaitlistStatus.WAITING


def test_booking_other_time_while_a_slot_is_held_passes_that_slot_on(db, full, citizens, make_session,
                                                                      booking_data):
    session, slot, appointment = full
    first, second = join(citizens[1], session.official), join(citizens[2], session.official)
    cancel_appointment(citizens[0], appointment, utcnow())
    later = make_session(official=session.official, venue=session.venue, slots=1,
                         start=session.starts_at + timedelta(days=1))
    now = utcnow()
    book_slot(citizens[1], later.slots[0].id, booking_data(), None, now, CONFIG)
    db.session.refresh(first)
    assert first.status is WaitlistStatus.BOOKED
    result = waitlist.expire_offers(now)  # the next run gives the held slot up
    db.session.refresh(second)
    db.session.refresh(slot)
    assert result.offered == 1
    assert second.status is WaitlistStatus.OFFERED and slot.held_for_id == citizens[2].id


def test_an_offer_on_a_cancelled_session_goes_back_in_line(db, full, citizens, make_user):
    from reception.schedule.services import cancel_session

    session, slot, appointment = full
    first = join(citizens[1], session.official)
    cancel_appointment(citizens[0], appointment, utcnow())
    cancel_session(make_user(Role.ADMIN), session, "The akim is ill", now=utcnow())
    result = waitlist.expire_offers(utcnow())
    db.session.refresh(first)
    db.session.refresh(slot)
    assert result.returned == 1
    assert first.status is WaitlistStatus.WAITING and first.offered_slot_id is None
    assert slot.held_for_id is None


def test_places_in_line(db, full, citizens):
    from reception.booking.queries import places_in_line

    session, _, _ = full
    entries = [join(c, session.official) for c in citizens[1:]]
    waitlist.leave_waitlist(citizens[1], entries[0], WaitlistStatus.WAITING, utcnow())
    assert places_in_line(entries) == {entries[1].id: 1, entries[2].id: 2}


def test_expire_offers_command_commits_the_expiry(app, db, full, citizens):
    session, _, appointment = full
    first, second = join(citizens[1], session.official), join(citizens[2], session.official)
    cancel_appointment(citizens[0], appointment, utcnow())
    first.offer_expires_at = utcnow() - timedelta(seconds=1)  # ran out a moment ago
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["booking", "expire-offers"])
    assert result.exit_code == 0, result.output
    assert "expired 1 offer(s)" in result.output and "offered 1 slot(s)" in result.output
    db.session.refresh(second)
    assert second.status is WaitlistStatus.OFFERED


def test_session_cancellation_mail_offers_rebooking_or_the_waitlist(ctx, db, make_session, make_user,
                                                                    booking_data):
    from reception.schedule.services import cancel_session

    busy = make_session(slots=1)
    citizen = make_user(Role.CITIZEN)
    book_slot(citizen, busy.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    cancel_session(make_user(Role.ADMIN), busy, "Business trip", now=utcnow())
    [nothing_free] = as_sent(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "session_cancelled")).all())
    assert f"http://reception.test/my/waitlist/?official={busy.official_id}" in nothing_free.body_text
    assert "Join the waitlist" in nothing_free.body_html

    spare = make_session(official=busy.official, venue=busy.venue, start=busy.starts_at + timedelta(days=1))
    again = make_session(official=busy.official, venue=busy.venue, start=busy.starts_at + timedelta(days=2),
                         slots=1)
    other = make_user(Role.CITIZEN)
    book_slot(other, again.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    cancel_session(make_user(Role.ADMIN), again, "Business trip", now=utcnow())
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == other.id,
                                                              OutboxMessage.kind == "session_cancelled")).one()
    as_sent(message)
    for body in (message.body_text, message.body_html):
        assert f"http://reception.test/reception/?official={busy.official_id}" in body
        assert "/my/waitlist/" not in body
    assert spare.status is SessionStatus.PLANNED


def test_a_failed_booking_leaves_the_citizen_waiting(db, full, citizens, booking_data):
    session, slot, _ = full
    entry = join(citizens[1], session.official)
    with pytest.raises(SlotTaken):
        book_slot(citizens[1], slot.id, booking_data(), None, utcnow(), CONFIG)
    db.session.refresh(entry)
    assert entry.status is WaitlistStatus.WAITING
    assert count(db, Appointment, Appointment.citizen_id == citizens[1].id) == 0
