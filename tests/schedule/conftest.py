"""Factories for the schedule tests: a body with an assistant, an official and a venue; schedules, appointments."""
from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import func, select

from reception.booking.models import Appointment, AppointmentStatus, Reservation, ReservationResource
from reception.directory.models import Topic
from reception.extensions import db as _db
from reception.schedule.models import AttendanceFormat, BookingMode
from reception.schedule.services import ScheduleData, SessionHours
from tests.dates import today


def count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def text(response) -> str:
    return response.get_data(as_text=True)


def hours(**overrides) -> SessionHours:
    values = dict(start_time=time(15), end_time=time(18), slot_minutes=20,
                  formats=frozenset({AttendanceFormat.IN_PERSON}), booking_mode=BookingMode.SELF,
                  opens_days_ahead=30, closes_hours_before=24)
    values.update(overrides)
    return SessionHours(**values)


@pytest.fixture
def place(make_body, make_official, make_venue):
    """An akimat in Astana (Asia/Almaty) with one official and one reception office."""
    body = make_body()
    return body, make_official(body=body), make_venue(body=body)


@pytest.fixture
def schedule_data(place):
    def make(**overrides) -> ScheduleData:
        _, official, venue = place
        values = dict(official_id=official.id, venue_id=venue.id, rrule="FREQ=WEEKLY;BYDAY=TU",
                      starts_on=today(), hours=hours())
        values.update(overrides)
        return ScheduleData(**values)
    return make


@pytest.fixture
def make_appointment(db, make_user):
    def make(session, slot=None, citizen=None, status=AppointmentStatus.SCHEDULED, **overrides) -> Appointment:
        citizen = citizen or make_user()
        slot = slot or session.slots[0]
        values = dict(citizen=citizen, official_id=session.official_id, session=session, slot=slot,
                      format=AttendanceFormat.IN_PERSON, topic_id=_db.session.scalars(select(Topic.id)).first(),
                      summary="Water supply in our street", status=status)
        values.update(overrides)
        appointment = Appointment(**values)
        _db.session.add(appointment)
        _db.session.flush()
        _db.session.add(Reservation(resource=ReservationResource.CITIZEN, resource_id=citizen.id,
                                    appointment_id=appointment.id, starts_at=slot.starts_at, ends_at=slot.ends_at))
        _db.session.flush()
        return appointment
    return make
