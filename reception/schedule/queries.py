"""Reads of reception time for the staff pages: schedules, upcoming sessions with booking counts, choices."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..directory.models import Official, Venue
from ..directory.queries import collation_key
from ..extensions import db
from .models import ReceptionSession, Schedule


def get_schedule(schedule_id: int) -> Schedule | None:
    return db.session.get(Schedule, schedule_id)


def get_session(session_id: int) -> ReceptionSession | None:
    return db.session.get(ReceptionSession, session_id)


def list_schedules(scope: frozenset[int] | None) -> list[Schedule]:
    """Schedules of the officials of the bodies in ``scope`` (None: every body)."""
    stmt = (select(Schedule).join(Schedule.official)
            .options(joinedload(Schedule.official).joinedload(Official.body),
                     joinedload(Schedule.venue).joinedload(Venue.region), selectinload(Schedule.topics)))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    schedules = db.session.scalars(stmt).unique().all()
    return sorted(schedules, key=lambda s: (collation_key(s.official.body.name), collation_key(s.official.full_name),
                                            s.start_time, s.id))


@dataclass
class SessionRow:
    session: ReceptionSession
    slots: int
    booked: int


def list_sessions(scope: frozenset[int] | None, start: datetime, days: int = 60) -> list[SessionRow]:
    """Sessions starting within ``days`` days from ``start``, with slot and active-booking counts."""
    from ..booking.models import ACTIVE_STATUSES, Appointment

    stmt = (select(ReceptionSession).join(ReceptionSession.official)
            .options(joinedload(ReceptionSession.official).joinedload(Official.body),
                     joinedload(ReceptionSession.venue).joinedload(Venue.region))
            .where(ReceptionSession.starts_at >= start, ReceptionSession.starts_at < start + timedelta(days=days))
            .order_by(ReceptionSession.starts_at, ReceptionSession.id))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    sessions = db.session.scalars(stmt).unique().all()
    ids = [s.id for s in sessions]
    booked, slots = {}, {}
    if ids:
        from .models import Slot
        booked = dict(db.session.execute(
            select(Appointment.session_id, func.count(Appointment.id))
            .where(Appointment.session_id.in_(ids), Appointment.status.in_(ACTIVE_STATUSES))
            .group_by(Appointment.session_id)).all())
        slots = dict(db.session.execute(
            select(Slot.session_id, func.count(Slot.id)).where(Slot.session_id.in_(ids))
            .group_by(Slot.session_id)).all())
    return [SessionRow(s, slots.get(s.id, 0), booked.get(s.id, 0)) for s in sessions]


def official_choices(scope: frozenset[int] | None) -> list[tuple[int, str]]:
    stmt = select(Official).options(joinedload(Official.body)).where(Official.is_active.is_(True))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    officials = sorted(db.session.scalars(stmt).unique(),
                       key=lambda o: (collation_key(o.body.name), not o.is_head, collation_key(o.full_name)))
    return [(o.id, f"{o.full_name}, {o.position} ({o.body.name})") for o in officials]


def venue_choices(scope: frozenset[int] | None) -> list[tuple[int, str]]:
    stmt = (select(Venue).options(joinedload(Venue.body), joinedload(Venue.region))
            .where(Venue.is_active.is_(True)))
    if scope is not None:
        stmt = stmt.where(Venue.body_id.in_(list(scope)))
    venues = sorted(db.session.scalars(stmt).unique(),
                    key=lambda v: (collation_key(v.body.name), collation_key(v.name)))
    return [(v.id, f"{v.name} ({v.body.name}; {v.region.timezone})") for v in venues]
