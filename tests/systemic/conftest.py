"""Systemic issues' fixtures: body A with its assistant, official and citizens' receptions (talons) and a request,
body B outside the working group, and an issue of body A made through the service."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.accounts.models import NotifyBy
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import Topic
from reception.schedule.models import AttendanceFormat
from reception.systemic.services import IssueData, create_issue


@dataclass
class World:
    body_a: object
    body_b: object
    assistant: object
    official: object
    citizens: list
    talons: list  # the citizens' talon numbers, one each
    request: object  # the first citizen's request to body A (no talon): linked, the citizen is linked twice
    outside: object  # a talon of body B's official


def add_appointment(db, citizen, official, *, talon: bool = True, request: bool = False) -> Appointment:
    now = utcnow()
    topic_id = db.session.scalars(select(Topic.id).order_by(Topic.id)).first()
    appointment = Appointment(
        citizen_id=citizen.id, official_id=official.id, format=AttendanceFormat.IN_PERSON, topic_id=topic_id,
        summary="No heating since October", accepted_at=now - timedelta(days=3),
        status=AppointmentStatus.REQUESTED if request else AppointmentStatus.HELD,
        redirect_due_on=(now + timedelta(days=3)).date() if request else None, created_at=now - timedelta(days=5))
    db.session.add(appointment)
    db.session.flush()
    if talon:
        appointment.talon_number = f"KZ71-20261201-{appointment.id:06d}"
        db.session.flush()
    return appointment


@pytest.fixture
def world(db, make_body, make_user, make_official) -> World:
    body_a, body_b = make_body(), make_body()
    assistant = make_user(Role.ASSISTANT, body=body_a, full_name="Assistant Of Body A")
    official = make_official(body=body_a)
    citizens = [make_user(Role.CITIZEN, full_name=f"Citizen {i}", language=lang, notify_by=NotifyBy.BOTH,
                          phone=f"+7701000000{i}")
                for i, lang in enumerate(("ru", "kk", "en"))]
    talons = [add_appointment(db, c, official).talon_number for c in citizens]
    request = add_appointment(db, citizens[0], official, talon=False, request=True)
    outside = add_appointment(db, citizens[1], make_official(body=body_b)).talon_number
    db.session.commit()
    return World(body_a, body_b, assistant, official, citizens, talons, request, outside)


@pytest.fixture
def make_issue(db, world, app):
    def make(**overrides):
        values = dict(title="No heating in Alga district", description="Houses without heating since October",
                      body_ids=[world.body_a.id], coordinator_id=world.assistant.id)
        values.update(overrides)
        with app.test_request_context():
            issue = create_issue(world.assistant, IssueData(**values), utcnow())
            db.session.commit()
        return issue
    return make
