"""Races around the waitlist and rescheduling, on real connections: one slot is never offered to two
citizens, and a reschedule racing a booking for the same slot leaves exactly one winner.

Committed data (not the rolled-back test transaction), threads with their own application context and
connection, a barrier to start them together and a Race (tests.races) that holds the first to finish at
the contended point until another is there too, as in test_concurrency.py. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.booking import waitlist
from reception.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Reservation,
    WaitlistEntry,
    WaitlistStatus,
)
from reception.booking.services import BookingData, SlotTaken, book_slot, cancel_appointment, reschedule_appointment
from reception.core.clock import utcnow
from reception.core.errors import Conflict
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from reception.extensions import db
from reception.notifications.models import OutboxMessage
from reception.schedule.models import AttendanceFormat, ReceptionSession, Slot
from tests.booking.fixtures import new_session
from tests.conftest import _PASSWORD_HASH
from tests.races import run_racers, statement

_seq = itertools.count(1)
JOINERS = 10
# Joining and offering queue on the official's row (reception.booking.waitlist._lock_official).
OFFICIAL_LOCK = statement(r"^SELECT officials\.id\s+FROM officials\s+WHERE officials\.id = ")
# A reschedule's first write locks the slot rows; a booking locks the slot row as it loads it.
SLOT_LOCK = statement(r"^SELECT slots\.id\s+FROM slots\s+WHERE slots\.id IN|\sFROM users JOIN slots ON slots\.id = ")


@dataclass
class World:
    official_id: int
    slot_ids: list[int]
    citizen_ids: list[int]
    topic_id: int

    def data(self) -> BookingData:
        return BookingData(format=AttendanceFormat.IN_PERSON, topic_id=self.topic_id, summary="race")


@pytest.fixture
def world(app):
    """One official with one session of two slots and 16 citizens, committed; deleted afterwards."""
    with app.app_context():
        engine = db.engine
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        n = next(_seq)
        body = Body(code=f"wl-race-{n}", level=BodyLevel.REGIONAL, region=region, name_kk=f"W {n}",
                    name_ru=f"W {n}", name_en=f"W {n}")
        official = Official(body=body, full_name=f"Waitlist race official {n}", position_kk="p", position_ru="p",
                            position_en="p")
        venue = Venue(body=body, region=region, kind=VenueKind.OFFICE, name_kk="v", name_ru="v", name_en="v",
                      address_kk="a", address_ru="a", address_en="a")
        session = new_session(official, venue, slots=2)
        citizens = [User(email=f"wl-race{n}-{i}@example.kz", full_name=f"Waiter {i}", password_hash=_PASSWORD_HASH,
                         language="en", region_id=region.id, role_rows=[UserRole(role=Role.CITIZEN)])
                    for i in range(16)]
        s.add_all([body, official, venue, session, *citizens])
        s.commit()
        made = World(official_id=official.id, slot_ids=[x.id for x in session.slots],
                     citizen_ids=[c.id for c in citizens],
                     topic_id=s.scalars(select(Topic.id).order_by(Topic.id)).first())
        ids = {"body": body.id, "official": official.id, "venue": venue.id, "session": session.id}
    yield made
    with engine.begin() as conn:
        users = made.citizen_ids
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(users)))
        conn.execute(delete(WaitlistEntry).where(WaitlistEntry.citizen_id.in_(users)))
        appointment_ids = select(Appointment.id).where(Appointment.citizen_id.in_(users))
        conn.execute(delete(Reservation).where(Reservation.appointment_id.in_(appointment_ids)))
        conn.execute(Appointment.__table__.update().where(Appointment.citizen_id.in_(users))
                     .values(rescheduled_from_id=None))
        conn.execute(delete(Appointment).where(Appointment.citizen_id.in_(users)))
        conn.execute(delete(Slot).where(Slot.session_id == ids["session"]))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id == ids["session"]))
        conn.execute(delete(Venue).where(Venue.id == ids["venue"]))
        conn.execute(delete(Official).where(Official.id == ids["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(users)))
        conn.execute(delete(User).where(User.id.in_(users)))
        conn.execute(delete(Body).where(Body.id == ids["body"]))


def _run(app, fn, *args):
    with app.app_context():
        try:
            result = fn(*args)
            db.session.commit()
            return result
        finally:
            db.session.remove()


def _read(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def _book(citizen_id, slot_id, world):
    citizen = db.session.get(User, citizen_id)
    return book_slot(citizen, slot_id, world.data(), None, utcnow(), {"MAX_ACTIVE_APPOINTMENTS": 3}).id


def _join(citizen_id, official_id):
    def job():
        waitlist.join_waitlist(db.session.get(User, citizen_id), db.session.get(Official, official_id), now=utcnow())
    return job


def _offer_state(world, slot_id):
    slot = db.session.get(Slot, slot_id)
    offered = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.offered_slot_id == slot_id,
                                                             WaitlistEntry.status == WaitlistStatus.OFFERED)).all()
    waiting = db.session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.official_id == world.official_id, WaitlistEntry.status == WaitlistStatus.WAITING))
    mails = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "waitlist_offer", OutboxMessage.dedupe_key.like(f"waitlist_offer:%:{slot_id}:email")))
    return slot.held_for_id, [e.citizen_id for e in offered], waiting, mails


def test_joins_racing_a_cancellation_never_offer_one_slot_twice_nor_leave_it_beside_a_waiting_line(app, world):
    holders = world.citizen_ids[:2]
    appointment_ids = [_run(app, _book, holders[i], world.slot_ids[i], world) for i in range(2)]

    def cancel():
        appointment = db.session.get(Appointment, appointment_ids[0])
        cancel_appointment(db.session.get(User, holders[0]), appointment, utcnow())

    joiners = world.citizen_ids[2:2 + JOINERS]
    # The race is the cancellation against the joins (joins racing each other is not the point here).
    outcomes = run_racers(app, [cancel] + [_join(c, world.official_id) for c in joiners], OFFICIAL_LOCK,
                          sides=["cancel"] + ["join"] * JOINERS)

    assert outcomes[0] == "done"
    refused = [o for o in outcomes[1:] if o != "done"]
    # A join that came after the cancellation saw the free slot: "book it instead".
    assert all(isinstance(o, Conflict) and "book it instead" in str(o.message) for o in refused), refused
    held_for, offered_to, waiting, mails = _read(app, lambda: _offer_state(world, world.slot_ids[0]))
    if len(refused) < JOINERS:  # someone joined before the slot was freed: the first of them has it
        assert len(offered_to) == 1 and held_for == offered_to[0] and mails == 1
        assert waiting == JOINERS - len(refused) - 1
    else:  # the slot was freed before anyone joined: free for all, nobody waiting
        assert (held_for, offered_to, waiting, mails) == (None, [], 0, 0)


def test_concurrent_offers_and_expiry_runs_hold_a_freed_slot_for_one_citizen(app, world):
    holder = world.citizen_ids[0]
    appointment_id = _run(app, _book, holder, world.slot_ids[0], world)
    _run(app, _book, world.citizen_ids[1], world.slot_ids[1], world)
    for citizen_id in world.citizen_ids[2:8]:
        _run(app, _join(citizen_id, world.official_id))
    # The slot is freed without the waitlist noticing (as if by staff), then several offer runs race for it.
    with app.app_context():
        db.session.execute(Appointment.__table__.update().where(Appointment.id == appointment_id)
                           .values(status=AppointmentStatus.CANCELLED))
        db.session.commit()
        db.session.remove()

    def offer():
        return waitlist.offer_freed_slot(db.session.get(Slot, world.slot_ids[0]), utcnow())

    def expire():
        waitlist.expire_offers(utcnow())

    # The offer runs race each other at the official's row. The expiry runs find no offer due (a new
    # offer runs for hours), so they never get there: they only must not disturb the offers.
    outcomes = run_racers(app, [offer] * 6 + [expire] * 2, OFFICIAL_LOCK)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    held_for, offered_to, waiting, mails = _read(app, lambda: _offer_state(world, world.slot_ids[0]))
    assert offered_to == [world.citizen_ids[2]]  # the first in line, once
    assert held_for == world.citizen_ids[2] and mails == 1 and waiting == 5


def test_a_reschedule_racing_bookings_of_the_same_slot_has_one_winner_and_is_atomic(app, world):
    mover = world.citizen_ids[0]
    old_id = _run(app, _book, mover, world.slot_ids[0], world)
    target = world.slot_ids[1]

    def move():
        appointment = db.session.get(Appointment, old_id)
        return reschedule_appointment(db.session.get(User, mover), appointment, target, None, utcnow(),
                                      {"MAX_ACTIVE_APPOINTMENTS": 3}).id

    rivals = world.citizen_ids[1:12]
    outcomes = run_racers(app, [move] + [(lambda c=c: _book(c, target, world)) for c in rivals], SLOT_LOCK,
                          sides=["move"] + ["book"] * len(rivals))

    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if not isinstance(o, int)]
    assert len(winners) == 1
    assert all(isinstance(o, SlotTaken) for o in losers), losers

    def state():
        active = Appointment.status.in_(ACTIVE_STATUSES)
        on_target = db.session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.slot_id == target, active))
        old = db.session.get(Appointment, old_id)
        mine = db.session.scalars(select(Appointment).where(Appointment.citizen_id == mover, active)).all()
        live_old = db.session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.appointment_id == old_id, Reservation.released_at.is_(None)))
        return on_target, old.status, [(a.slot_id, a.rescheduled_from_id) for a in mine], live_old

    on_target, old_status, mine, live_old = _read(app, state)
    assert on_target == 1
    if isinstance(outcomes[0], int):  # the move won: old moved, new one points back
        assert old_status is AppointmentStatus.RESCHEDULED and live_old == 0
        assert mine == [(target, old_id)]
    else:  # a rival won: the mover keeps the old time, untouched
        assert old_status is AppointmentStatus.SCHEDULED and live_old == 1
        assert mine == [(world.slot_ids[0], None)]
