"""Records of unified reception days and visiting receptions, made directly (no service), for the route sweeps
and for tests that need a day or a visit in a given state."""
from __future__ import annotations

from datetime import date, time, timedelta

from reception.core.clock import utcnow
from reception.core.workdays import WorkCalendar
from reception.extensions import db as _db
from reception.schedule import rules
from reception.schedule.models import ReceptionSession, SessionKind, Slot, UnifiedDay, VisitingReception


def working_day_after(days: int, start: date | None = None) -> date:
    """The first working day at least ``days`` days after ``start`` (default: today)."""
    calendar = WorkCalendar()
    day = (start or utcnow().date()) + timedelta(days=days)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def session_on(official, venue, day: date, start=time(10), end=time(11), *, slot_minutes=30,
               **overrides) -> ReceptionSession:
    """A planned session on the local ``day`` at ``venue`` with its slots and the standard booking window."""
    tz = venue.region.timezone
    starts_at, ends_at = rules.local_bounds(day, start, end, tz)
    values = dict(official=official, venue=venue, local_date=day, starts_at=starts_at, ends_at=ends_at,
                  allow_in_person=True, allow_video_studio=False, opens_at=starts_at - timedelta(days=30),
                  closes_at=starts_at - timedelta(hours=24))
    values.update(overrides)
    session = ReceptionSession(**values)
    session.slots = [Slot(starts_at=s, ends_at=e)
                     for s, e in rules.slot_bounds(day, start, end, slot_minutes, tz)]
    _db.session.add(session)
    return session


def event_world(official, venue) -> dict:
    """A unified day with an unpublished session of ``official`` and a visiting reception of theirs: the URL
    values ``unified_day_id``, ``unified_session_id`` and ``visiting_id`` for tests/routes.py."""
    day_date = working_day_after(45)
    day = UnifiedDay(local_date=day_date, levels="regional", start_time=time(10), end_time=time(11),
                     slot_minutes=30)
    _db.session.add(day)
    unified = session_on(official, venue, day_date, kind=SessionKind.UNIFIED_DAY, is_published=False,
                         unified_day=day)
    visit = VisitingReception(official=official, region=venue.region, venue=venue)
    _db.session.add(visit)
    session_on(official, venue, working_day_after(50), start=time(15), end=time(16), kind=SessionKind.VISITING,
               visiting=visit, restricted_region_id=venue.region_id)
    _db.session.flush()
    return {"unified_day_id": day.id, "unified_session_id": unified.id, "visiting_id": visit.id}
