"""Request mode fixtures: a request-mode office (official, sessions, assistant), requests, committed data for races."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.booking.models import Appointment, Reservation, SlotOffer
from reception.booking.services import BookingData
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from reception.extensions import db as _db
from reception.notifications.models import OutboxMessage
from reception.requests import services
from reception.schedule.models import AttendanceFormat, BookingMode, ReceptionSession, Slot
from tests.booking.fixtures import new_session
from tests.conftest import _PASSWORD_HASH, as_sent

_seq = itertools.count(1)


@dataclass
class Office:
    """A request-mode official of one body with two upcoming request-mode sessions and the body's assistant."""

    official: Official
    venue: Venue
    sessions: list[ReceptionSession]
    assistant: User

    @property
    def body(self) -> Body:
        return self.official.body

    @property
    def slots(self) -> list[Slot]:
        return [s for session in self.sessions for s in session.slots]


@pytest.fixture
def make_office(db, make_official, make_venue, make_user, make_session):
    def make(**official_overrides) -> Office:
        official = make_official(**official_overrides)
        venue = make_venue(body=official.body)
        start = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        sessions = [make_session(official, venue, start=start + timedelta(days=i), slots=3,
                                 booking_mode=BookingMode.REQUEST) for i in range(2)]
        assistant = make_user(Role.ASSISTANT, body=official.body, full_name=f"Assistant {next(_seq)}")
        return Office(official, venue, sessions, assistant)
    return make


@pytest.fixture
def office(make_office):
    return make_office(full_name="Aliya Reception Head")


@pytest.fixture
def request_data(topic):
    def make(**overrides) -> BookingData:
        values = dict(format=AttendanceFormat.IN_PERSON, topic_id=topic.id, summary="Our district has no school bus.",
                      appeal_numbers="ZT-2026-000123", needs_wheelchair=True)
        values.update(overrides)
        return BookingData(**values)
    return make


@pytest.fixture
def make_request(app, db, make_user, request_data):
    """Send a request through the service (call inside ``ctx``); a new citizen unless one is given."""
    def make(office: Office, citizen: User | None = None, *, now=None, **overrides) -> Appointment:
        citizen = citizen or make_user(Role.CITIZEN)
        appointment = services.submit_request(citizen, office.official, request_data(**overrides), None,
                                              now or utcnow(), app.config)
        db.session.flush()
        return appointment
    return make


def outbox(db, **where) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, name) == value)
    return as_sent(list(db.session.scalars(stmt)))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- committed data for concurrency tests -----------------------------------------------------

@dataclass
class RequestRaceWorld:
    assistant_id: int
    official_id: int
    slot_id: int
    citizen_ids: list[int]
    topic_id: int


@pytest.fixture
def request_race_world(app):
    """Committed on the app's engine: one request-mode official with one slot, its assistant and
    22 citizens; deleted afterwards (with every request, offer, reservation and e-mail made)."""
    with app.app_context():
        engine = _db.engine
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        n = next(_seq)
        body = Body(code=f"req-race-{n}", level=BodyLevel.PRESIDENTIAL, name_kk=f"R{n}", name_ru=f"R{n}",
                    name_en=f"Reception office {n}")
        official = Official(body=body, full_name=f"Request race official {n}", position_kk="p", position_ru="p",
                            position_en="p")
        venue = Venue(body=body, region=region, kind=VenueKind.OFFICE, name_kk=f"v{n}", name_ru=f"v{n}",
                      name_en=f"v{n}", address_kk="a", address_ru="a", address_en="a")
        session = new_session(official, venue, slots=1, booking_mode=BookingMode.REQUEST)
        people = [User(email=f"req-race{n}-{i}@example.kz", full_name=f"Request racer {i}",
                       password_hash=_PASSWORD_HASH, language="en", region_id=region.id,
                       body=body if i == 0 else None,
                       role_rows=[UserRole(role=Role.ASSISTANT if i == 0 else Role.CITIZEN)]) for i in range(23)]
        s.add_all([body, official, venue, session, *people])
        s.commit()
        world = RequestRaceWorld(assistant_id=people[0].id, official_id=official.id, slot_id=session.slots[0].id,
                                 citizen_ids=[p.id for p in people[1:]],
                                 topic_id=s.scalars(select(Topic.id).order_by(Topic.id)).first())
        made = {"body": body.id, "official": official.id, "venue": venue.id, "session": session.id,
                "users": [p.id for p in people]}
    yield world
    with engine.begin() as conn:
        appointment_ids = select(Appointment.id).where(Appointment.citizen_id.in_(made["users"]))
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(made["users"])))
        conn.execute(delete(SlotOffer).where(SlotOffer.appointment_id.in_(appointment_ids)))
        conn.execute(delete(Reservation).where(Reservation.appointment_id.in_(appointment_ids)))
        conn.execute(delete(Appointment).where(Appointment.citizen_id.in_(made["users"])))
        conn.execute(delete(Slot).where(Slot.session_id == made["session"]))
        conn.execute(delete(ReceptionSession).where(ReceptionSession.id == made["session"]))
        conn.execute(delete(Venue).where(Venue.id == made["venue"]))
        conn.execute(delete(Official).where(Official.id == made["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(made["users"])))
        conn.execute(delete(User).where(User.id.in_(made["users"])))
        conn.execute(delete(Body).where(Body.id == made["body"]))
