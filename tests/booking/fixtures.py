"""Booking fixtures: sessions with slots, studios, topics, and committed data for races on real connections."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.booking.models import Appointment, Reservation
from reception.booking.services import BookingData
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from reception.extensions import db as _db
from reception.notifications.models import OutboxMessage
from reception.schedule.models import AttendanceFormat, ReceptionSession, Slot
from tests.conftest import _PASSWORD_HASH

_seq = itertools.count(1)


def new_office(region: Region, code: str, **body) -> tuple[Body, Official, Venue]:
    """A regional body named ``code`` with its head official and an office in ``region``, not yet added (for the
    worlds races commit on their own connections)."""
    body = Body(code=code, level=BodyLevel.REGIONAL, region=region, name_kk=code, name_ru=code, name_en=code,
                responsible_surname="Сейітова", responsible_first_name="Айгүл", **body)
    official = Official(body=body, full_name=f"Official {code}", position_kk="p", position_ru="p", position_en="p",
                        is_head=True)
    venue = Venue(body=body, region=region, kind=VenueKind.OFFICE, name_kk="v", name_ru="v", name_en="v",
                  address_kk="a", address_ru="a", address_en="a")
    return body, official, venue


def new_session(official, venue, *, start=None, slots=3, minutes=30, **overrides) -> ReceptionSession:
    """A planned, self-booked session ``start`` (default: in two days) with ``slots`` consecutive slots."""
    now = utcnow().replace(microsecond=0)
    start = start or (now + timedelta(days=2)).replace(minute=0, second=0)
    values = dict(official=official, venue=venue, local_date=start.date(), starts_at=start,
                  ends_at=start + timedelta(minutes=minutes * slots), allow_in_person=True,
                  allow_video_studio=True, opens_at=now - timedelta(days=10), closes_at=start - timedelta(hours=1))
    values.update(overrides)
    session = ReceptionSession(**values)
    session.slots = [Slot(starts_at=start + timedelta(minutes=minutes * i),
                          ends_at=start + timedelta(minutes=minutes * (i + 1))) for i in range(slots)]
    return session


@pytest.fixture
def topic(db):
    return db.session.scalars(select(Topic).order_by(Topic.id)).first()


@pytest.fixture
def make_session(db, make_official, make_venue):
    def make(official=None, venue=None, **kwargs) -> ReceptionSession:
        official = official or make_official()
        venue = venue or make_venue(body=official.body)
        session = new_session(official, venue, **kwargs)
        db.session.add(session)
        db.session.flush()
        return session
    return make


@pytest.fixture
def make_studio(db, make_venue):
    def make(**overrides) -> Venue:
        return make_venue(kind=VenueKind.STUDIO, floor="2, room 204", phone="+77172000000", **overrides)
    return make


@pytest.fixture
def booking_data(topic):
    def make(**overrides) -> BookingData:
        values = dict(format=AttendanceFormat.IN_PERSON, topic_id=topic.id, summary="My land plot was taken.")
        values.update(overrides)
        return BookingData(**values)
    return make


# --- committed data for concurrency tests ------------------------------------------------

@dataclass
class RaceWorld:
    citizen_ids: list[int]
    slot_ids: list[int]
    studio_id: int
    topic_id: int
    official_ids: list[int] = field(default_factory=list)


@pytest.fixture
def race_world(app):
    """Committed on the app's engine (not the rolled-back test connection), and deleted afterwards.

    Two officials of two bodies, each with one session and one slot at the same time, a studio,
    and 24 citizens.
    """
    with app.app_context():
        engine = _db.engine
    made: dict[str, list[int]] = {}
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        n = next(_seq)
        bodies, officials, venues = (list(x) for x in zip(*(new_office(region, f"race-{n}-{i}") for i in range(2)),
                                                          strict=True))
        studio = Venue(body=bodies[0], region=region, kind=VenueKind.STUDIO, name_kk=f"s{n}", name_ru=f"s{n}",
                       name_en=f"s{n}", address_kk="a", address_ru="a", address_en="a")
        sessions = [new_session(o, v, slots=1) for o, v in zip(officials, venues, strict=True)]
        citizens = [User(email=f"race{n}-{i}@example.kz", full_name=f"Racer {i}", password_hash=_PASSWORD_HASH,
                         language="en", region_id=region.id, role_rows=[UserRole(role=Role.CITIZEN)])
                    for i in range(24)]
        s.add_all([*bodies, *officials, *venues, studio, *sessions, *citizens])
        s.commit()
        topic_id = s.scalars(select(Topic.id).order_by(Topic.id)).first()
        made = {"bodies": [b.id for b in bodies], "officials": [o.id for o in officials],
                "venues": [v.id for v in venues] + [studio.id], "sessions": [x.id for x in sessions],
                "users": [c.id for c in citizens]}
        world = RaceWorld(citizen_ids=made["users"], slot_ids=[x.slots[0].id for x in sessions],
                          studio_id=studio.id, topic_id=topic_id, official_ids=made["officials"])
    yield world
    with engine.begin() as conn:
        appointment_ids = select(Appointment.id).where(Appointment.citizen_id.in_(made["users"]))
        conn.execute(delete(Reservation).where(Reservation.appointment_id.in_(appointment_ids)))
        # Bookings announce themselves: their outbox rows go too.
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(made["users"])))
        conn.execute(delete(Appointment).where(Appointment.citizen_id.in_(made["users"])))
        conn.execute(delete(Slot).where(Slot.session_id.in_(made["sessions"])))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id.in_(made["sessions"])))
        conn.execute(delete(Venue).where(Venue.id.in_(made["venues"])))
        conn.execute(delete(Official).where(Official.id.in_(made["officials"])))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(made["users"])))
        conn.execute(delete(User).where(User.id.in_(made["users"])))
        conn.execute(delete(Body).where(Body.id.in_(made["bodies"])))
