"""The race at a draw's close, on real connections (SQLite and PostgreSQL): applicants send their
applications in the last second while the draw is held. Each application is either in the draw (drawn or
not) or refused as too late; none is left waiting after the draw, none is drawn twice, and the draw is held
once even when two dispatchers start it at the same moment."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.audit.models import AuditEvent
from reception.booking import ballot
from reception.booking.models import Appointment, BallotEntry, BallotStatus, Reservation, WaitlistEntry
from reception.booking.services import BookingData
from reception.core.clock import utcnow
from reception.core.errors import Invalid
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from reception.extensions import db
from reception.notifications.models import OutboxMessage
from reception.schedule.models import AttendanceFormat, ReceptionSession, Slot
from tests.booking.fixtures import new_session
from tests.conftest import _PASSWORD_HASH
from tests.races import run_racers, statement

_seq = itertools.count(1)
APPLICANTS, SLOTS = 8, 3
CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}
# The draw begins by updating the session's row; an application by reading it (a latecomer that reads the
# row once the draw is committed is refused there, before its own guarded update of the row).
SESSION_ROW = statement(r"^UPDATE reception_sessions SET|^SELECT reception_sessions\.id\b")


@pytest.fixture
def world(app):
    """A session of three slots whose ballot closes in a minute, with early applicants and latecomers;
    committed, and deleted afterwards."""
    with app.app_context():
        engine = db.engine
    now = utcnow().replace(microsecond=0)
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        n = next(_seq)
        body = Body(code=f"ballot-race-{n}", level=BodyLevel.CITY, region=region, name_kk=f"B {n}",
                    name_ru=f"B {n}", name_en=f"B {n}")
        official = Official(body=body, full_name=f"Ballot official {n}", position_kk="p", position_ru="p",
                            position_en="p")
        venue = Venue(body=body, region=region, kind=VenueKind.OFFICE, name_kk="v", name_ru="v", name_en="v",
                      address_kk="a", address_ru="a", address_en="a")
        session = new_session(official, venue, slots=SLOTS, opens_at=now - timedelta(hours=1))
        session.ballot_closes_at = now + timedelta(minutes=1)
        citizens = [User(email=f"ballot{n}-{i}@example.kz", full_name=f"Applicant {i}", language="en",
                         password_hash=_PASSWORD_HASH, region_id=region.id, role_rows=[UserRole(role=Role.CITIZEN)])
                    for i in range(2 * APPLICANTS)]
        s.add_all([body, official, venue, session, *citizens])
        s.commit()
        ids = {"body": body.id, "official": official.id, "venue": venue.id, "session": session.id,
               "citizens": [c.id for c in citizens], "closes": session.ballot_closes_at,
               "topic": s.scalars(select(Topic.id).order_by(Topic.id)).first()}
    yield ids
    with engine.begin() as conn:
        users = ids["citizens"]
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(users)))
        conn.execute(delete(WaitlistEntry).where(WaitlistEntry.citizen_id.in_(users)))
        conn.execute(delete(BallotEntry).where(BallotEntry.citizen_id.in_(users)))
        appointment_ids = select(Appointment.id).where(Appointment.citizen_id.in_(users))
        conn.execute(delete(Reservation).where(Reservation.appointment_id.in_(appointment_ids)))
        conn.execute(delete(Appointment).where(Appointment.citizen_id.in_(users)))
        conn.execute(delete(Slot).where(Slot.session_id == ids["session"]))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id == ids["session"]))
        conn.execute(delete(Venue).where(Venue.id == ids["venue"]))
        conn.execute(delete(Official).where(Official.id == ids["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(users)))
        conn.execute(delete(User).where(User.id.in_(users)))
        conn.execute(delete(Body).where(Body.id == ids["body"]))


def _data(world) -> BookingData:
    return BookingData(format=AttendanceFormat.IN_PERSON, topic_id=world["topic"], summary="race")


def _apply(app, world, citizen_id):
    def job():
        with app.test_request_context():
            session = db.session.get(ReceptionSession, world["session"])
            # The last second before the close.
            ballot.apply(db.session.get(User, citizen_id), session, _data(world), True,
                         world["closes"] - timedelta(seconds=1), CONFIG)
    return job


def _draw(app, world):
    def job():
        with app.test_request_context():
            return ballot.draw(world["session"], world["closes"], CONFIG)
    return job


def _run(app, job):
    with app.app_context():
        try:
            result = job()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def test_applications_at_the_close_are_either_drawn_or_refused_and_none_is_left_waiting(app, world):
    early, late = world["citizens"][:APPLICANTS], world["citizens"][APPLICANTS:]
    for citizen_id in early:
        _run(app, _apply(app, world, citizen_id))

    outcomes = run_racers(app, [_draw(app, world), _draw(app, world)] + [_apply(app, world, c) for c in late],
                          SESSION_ROW, sides=["draw", "draw"] + ["apply"] * len(late))

    draws = [o for o in outcomes[:2] if isinstance(o, ballot.DrawResult)]
    assert len(draws) == 1 and outcomes[:2].count("done") == 1, outcomes[:2]  # held once
    refused = [o for o in outcomes[2:] if o != "done"]
    assert all(isinstance(o, Invalid) and "closed" in str(o.message) for o in refused), refused

    def state():
        entries = db.session.execute(select(BallotEntry.id, BallotEntry.status).where(
            BallotEntry.session_id == world["session"])).all()
        booked = db.session.scalars(select(Appointment.slot_id).where(
            Appointment.session_id == world["session"])).all()
        seeds = db.session.scalars(select(AuditEvent.changes).where(
            AuditEvent.entity == "session", AuditEvent.entity_id == world["session"],
            AuditEvent.changes.like("%ballot_seed%"))).all()
        return entries, booked, seeds

    entries, booked, seeds = _run(app, state)
    # Every application that was accepted took part in the one draw: none is still waiting for it.
    assert len(entries) == len(early) + len(late) - len(refused)
    assert {e.status for e in entries} <= {BallotStatus.WON, BallotStatus.LOST}, entries
    assert sorted(e.id for e in entries) == sorted(draws[0].order)
    assert sum(e.status is BallotStatus.WON for e in entries) == SLOTS
    assert len(booked) == len(set(booked)) == SLOTS and len(seeds) == 1


def test_a_withdrawal_racing_the_draw_is_either_in_time_or_refused(app, world):
    citizens = world["citizens"][:SLOTS + 2]
    for citizen_id in citizens:
        _run(app, _apply(app, world, citizen_id))

    def withdraw():
        with app.test_request_context():
            entry = ballot.own_entry(citizens[0], world["session"])
            ballot.withdraw(db.session.get(User, citizens[0]), entry, world["closes"] - timedelta(seconds=1))

    outcomes = run_racers(app, [_draw(app, world), withdraw], SESSION_ROW, sides=["draw", "withdraw"])
    entry = _run(app, lambda: db.session.execute(select(BallotEntry.id, BallotEntry.status).where(
        BallotEntry.citizen_id == citizens[0], BallotEntry.session_id == world["session"])).one())
    if outcomes[1] == "done":
        assert entry.status is BallotStatus.WITHDRAWN and entry.id not in outcomes[0].order
    else:
        assert "already been held" in str(outcomes[1].message) and entry.status in (BallotStatus.WON,
                                                                                   BallotStatus.LOST)
