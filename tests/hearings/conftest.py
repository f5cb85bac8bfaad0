"""Hearings fixtures: a body with its official, assistant and venue; topics with competent bodies; appointments."""
from __future__ import annotations

import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reception.booking.models import Appointment, AppointmentStatus
from reception.booking.services import BookingData, book_slot
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Topic
from reception.schedule.models import AttendanceFormat
from tests.booking.fixtures import new_session
from tests.conftest import login

_seq = itertools.count(1)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def browser(app, db):
    """Another browser (its own cookies), logged in as ``user``."""
    def open_as(user):
        db.session.commit()
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(client, user)
        return client
    return open_as


@pytest.fixture
def make_topic(db):
    def make(parent=None, name="Topic") -> Topic:
        n = next(_seq)
        topic = Topic(code=f"hearings-topic-{n}", parent_id=parent.id if parent else None,
                      name_kk=f"{name} {n}", name_ru=f"{name} {n}", name_en=f"{name} {n}")
        db.session.add(topic)
        db.session.flush()
        return topic
    return make


@pytest.fixture
def office(db, make_body, make_official, make_venue, make_user):
    """Body A (a regional akimat in Astana) with an official who has an account, an assistant and a venue."""
    body = make_body(name_en="Akimat A")
    official_user = make_user(Role.OFFICIAL, body=body, full_name="Official Person Aset")
    world = {
        "body": body, "official_user": official_user,
        "official": make_official(body=body, user_id=official_user.id, full_name="Aset Official"),
        "assistant": make_user(Role.ASSISTANT, body=body, full_name="Assistant Gulnar"),
        "venue": make_venue(body=body),
    }
    db.session.commit()
    return world


def add_session(db, official, venue, start, slots=2, **overrides):
    tz = ZoneInfo(venue.region.timezone)
    values = {"local_date": start.astimezone(tz).date(), "closes_at": start, "slots": slots}
    values.update(overrides)
    session = new_session(official, venue, start=start, **values)
    db.session.add(session)
    db.session.flush()
    return session


def book(app, db, citizen, slot, topic, **data):
    """Book through the booking service, as the booking page does, and commit."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        appointment = book_slot(citizen, slot.id, BookingData(format=AttendanceFormat.IN_PERSON, topic_id=topic.id,
                                                              summary="The bridge in our village is broken.",
                                                              **data), None, utcnow(), app.config)
    db.session.commit()
    return appointment


def place(db, citizen, slot, topic, status=AppointmentStatus.SCHEDULED, **extra) -> Appointment:
    """An appointment written directly (for times already begun, which cannot be booked any more)."""
    session = slot.session
    values = dict(citizen_id=citizen.id, official_id=session.official_id, session_id=session.id, slot_id=slot.id,
                  format=AttendanceFormat.IN_PERSON, topic_id=topic.id, summary="My land plot was taken.",
                  status=status, talon_number=f"KZ71-H-{next(_seq):06d}", accepted_at=utcnow())
    values.update(extra)
    appointment = Appointment(**values)
    db.session.add(appointment)
    db.session.flush()
    return appointment


def local_today_start(venue, minutes_ago=10):
    """A start ``minutes_ago`` minutes before now, on today's local date (the test asks for ``midday``)."""
    now = utcnow().replace(microsecond=0, second=0)
    start = now - timedelta(minutes=minutes_ago)
    tz = ZoneInfo(venue.region.timezone)
    assert start.astimezone(tz).date() == now.astimezone(tz).date(), "use the midday fixture"
    return start


def first_topic(db):
    return db.session.scalars(select(Topic).order_by(Topic.id)).first()
