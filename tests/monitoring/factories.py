"""Small monitoring histories: held receptions with their questions, on any date."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from reception.booking.models import Appointment, AppointmentStatus
from reception.directory.models import Topic
from reception.outcomes.models import Outcome, OutcomeResult, Question
from reception.schedule.models import AttendanceFormat, ReceptionSession, SessionStatus, Slot

UTC = ZoneInfo("UTC")


def topic(db, code: str) -> Topic:
    return db.session.scalars(select(Topic).where(Topic.code == code)).one()


def session_on(db, official, venue, day: date, *, slots: int = 1, status=SessionStatus.PLANNED,
               published: bool = True) -> ReceptionSession:
    """A session of ``official`` at 10:00 on ``day`` (the venue's zone) with ``slots`` slots of 30 minutes."""
    start = datetime.combine(day, time(10), tzinfo=ZoneInfo(venue.region.timezone)).astimezone(UTC)
    session = ReceptionSession(official=official, venue=venue, local_date=day, starts_at=start,
                               ends_at=start + timedelta(minutes=30 * slots), opens_at=start - timedelta(days=30),
                               closes_at=start - timedelta(hours=1), status=status, is_published=published)
    session.slots = [Slot(starts_at=start + timedelta(minutes=30 * i), ends_at=start + timedelta(minutes=30 * (i + 1)))
                     for i in range(slots)]
    db.session.add(session)
    db.session.flush()
    return session


def held_reception(db, official, venue, citizen, day: date, *questions, result=OutcomeResult.EXPLAINED):
    """``citizen`` received by ``official`` on ``day``, raising a question on each topic code of ``questions``
    (each with ``result``). Returns the appointment."""
    session = session_on(db, official, venue, day, status=SessionStatus.HELD)
    appointment = Appointment(citizen_id=citizen.id, official_id=official.id, session_id=session.id,
                              slot_id=session.slots[0].id, format=AttendanceFormat.IN_PERSON,
                              topic_id=topic(db, questions[0]).id, summary="s", status=AppointmentStatus.HELD,
                              created_at=session.starts_at - timedelta(days=3))
    db.session.add(appointment)
    db.session.flush()
    outcome = Outcome(appointment_id=appointment.id, notes="")
    outcome.questions = [Question(position=n, topic_id=topic(db, code).id, wording=code, result=result)
                         for n, code in enumerate(questions, 1)]
    db.session.add(outcome)
    db.session.flush()
    return appointment
