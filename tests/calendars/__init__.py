"""Calendar tests: helpers to make appointments directly (no booking service) and to read iCalendar text."""
from __future__ import annotations

import itertools

from icalendar import Calendar
from sqlalchemy import select

from reception.booking.models import Appointment, AppointmentStatus
from reception.directory.models import Topic
from reception.extensions import db as _db
from reception.schedule.models import AttendanceFormat

_talons = itertools.count(1)


def appointment(session, citizen, *, slot=None, status=AppointmentStatus.SCHEDULED,
                format=AttendanceFormat.IN_PERSON, **overrides) -> Appointment:
    """An appointment in ``session`` (its first slot unless given) with a talon number, flushed."""
    slot = slot or session.slots[0]
    values = dict(citizen_id=citizen.id, official_id=session.official_id, session_id=session.id, slot_id=slot.id,
                  format=format, topic_id=_db.session.scalars(select(Topic.id).order_by(Topic.id)).first(),
                  summary="The road to our village", status=status, talon_number=f"KZ-CAL-{next(_talons):06d}")
    values.update(overrides)
    row = Appointment(**values)
    _db.session.add(row)
    _db.session.flush()
    return row


def parse(text: str) -> Calendar:
    return Calendar.from_ical(text)


def events(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def by_uid(calendar: Calendar) -> dict:
    return {str(e["UID"]): e for e in events(calendar)}
