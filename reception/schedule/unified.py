"""Unified reception days: announcing a day, creating a session for every covered head, editing and publishing.

Every service takes the acting user and ``now``, adds and flushes, and never commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.clock import CAPITAL_TZ, local_today
from ..core.errors import Invalid, NotAllowed, NotFound
from ..core.workdays import WorkCalendar
from ..directory.models import BodyLevel, Region
from ..directory.services import check_responsible_person
from ..extensions import db
from . import policy, queries, rules, signals
from .models import (
    AttendanceFormat,
    BookingMode,
    ReceptionSession,
    SessionKind,
    SessionStatus,
    Slot,
    UnifiedDay,
    set_formats,
)
from .services import NOT_PLANNED, SessionHours, _build_session, _check_hours, _overlapping_session

#: The booking window of every unified-day session: opens 30 days ahead and closes 24 hours before. When the
#: day is nearer than 30 days, the window is already open, so booking opens the moment the body publishes.
OPENS_DAYS_AHEAD = 30
CLOSES_HOURS_BEFORE = 24
MAX_NOTE_LENGTH = 2000

NOT_ALLOWED = _l("Only administrators announce unified reception days.")
NOTE_TOO_LONG = _l("Too long: at most %(max)d characters.", max=MAX_NOTE_LENGTH)


@dataclass
class UnifiedDayData:
    local_date: date
    levels: list[BodyLevel]
    region_ids: list[int]  # empty: every region
    start_time: time
    end_time: time
    slot_minutes: int
    note: str | None = None


@dataclass
class Announcement:
    """What announcing (or re-announcing) did: the day, the sessions it created, the bodies it could not serve."""

    day: UnifiedDay
    created: list[ReceptionSession]
    problems: list[queries.BodyCoverage]
    is_new: bool


def default_hours(day: UnifiedDay, formats=frozenset({AttendanceFormat.IN_PERSON})) -> SessionHours:
    return SessionHours(start_time=day.start_time, end_time=day.end_time, slot_minutes=day.slot_minutes,
                        formats=frozenset(formats), booking_mode=BookingMode.SELF,
                        opens_days_ahead=OPENS_DAYS_AHEAD, closes_hours_before=CLOSES_HOURS_BEFORE)


def day_off_message(day: date):
    return _l("%(date)s is not a working day (a weekend, a public holiday or a decreed day off). "
              "Choose a working day.", date=format_date(day, "full"))


def clean_note(note: str | None) -> str | None:
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise Invalid(NOTE_TOO_LONG, field="note")
    return note


def _levels(values) -> list[BodyLevel]:
    try:
        chosen = {BodyLevel(v) for v in values or ()}
    except ValueError:
        raise Invalid(_l("Unknown level."), field="levels") from None
    if not chosen:
        raise Invalid(_l("Choose at least one level."), field="levels")
    return [level for level in BodyLevel if level in chosen]


def _regions(region_ids) -> list[Region]:
    ids = set(region_ids or ())
    if not ids:
        return []
    regions = list(db.session.scalars(select(Region).where(Region.id.in_(ids))))
    if len(regions) != len(ids):
        raise Invalid(_l("Unknown region."), field="region_ids")
    return regions


def announce_unified_day(actor, data: UnifiedDayData, *, now: datetime,
                         calendar: WorkCalendar | None = None) -> Announcement:
    """Announce a unified reception day, or announce an already announced date again.

    Creates an unpublished UNIFIED_DAY session, with slots, with the default hours for every
    active head of every active covered body, at the body's first active reception office or hall.
    Announcing a date again widens what it covers (levels and regions are added, never removed)
    and creates only the sessions still missing; the first announcement's hours and note stay.
    Bodies without an active head or without a venue get no session: they are returned as problems.
    Raises NotAllowed for anyone but an administrator; Invalid for a date that is not a future
    working day, no level, an unknown region, bad hours or a long note.
    """
    if not policy.can_manage_unified_days(actor):
        raise NotAllowed(NOT_ALLOWED)
    calendar = calendar or WorkCalendar.from_config(current_app.config)
    levels = _levels(data.levels)
    regions = _regions(data.region_ids)
    hours = SessionHours(start_time=data.start_time, end_time=data.end_time, slot_minutes=data.slot_minutes,
                         formats=frozenset({AttendanceFormat.IN_PERSON}), opens_days_ahead=OPENS_DAYS_AHEAD,
                         closes_hours_before=CLOSES_HOURS_BEFORE)
    _check_hours(hours)
    note = clean_note(data.note)
    if data.local_date <= local_today(CAPITAL_TZ, now):
        raise Invalid(_l("Choose a date after today."), field="local_date")
    if not calendar.is_working_day(data.local_date):
        raise Invalid(day_off_message(data.local_date), field="local_date")

    day = queries.get_unified_day_on(data.local_date)
    is_new = day is None
    if is_new:
        day = UnifiedDay(local_date=data.local_date, levels=",".join(level.value for level in levels),
                         start_time=data.start_time, end_time=data.end_time, slot_minutes=data.slot_minutes,
                         note=note, announced_by_id=actor.id, announced_at=now, regions=regions)
        db.session.add(day)
        db.session.flush()
    else:
        merged = set(day.level_list) | set(levels)
        day.levels = ",".join(level.value for level in BodyLevel if level in merged)
        # No regions means every region: if either announcement covers every region, so does the day.
        if day.regions and regions:
            known = {r.id for r in day.regions}
            day.regions = list(day.regions) + [r for r in regions if r.id not in known]
        else:
            day.regions = []
        db.session.flush()
    created, problems = _add_missing_sessions(day)
    return Announcement(day=day, created=created, problems=problems, is_new=is_new)


def add_missing_sessions(actor, day: UnifiedDay, *, now: datetime) -> Announcement:
    """Create the sessions still missing on ``day`` (bodies, heads or venues added since it was announced).

    Same rules as :func:`announce_unified_day`. Raises NotAllowed for anyone but an administrator,
    Invalid when the day is today or has passed.
    """
    if not policy.can_manage_unified_days(actor):
        raise NotAllowed(NOT_ALLOWED)
    if day.local_date <= local_today(CAPITAL_TZ, now):
        raise Invalid(_l("This day has begun or passed: no sessions can be added to it."))
    created, problems = _add_missing_sessions(day)
    return Announcement(day=day, created=created, problems=problems, is_new=False)


def _add_missing_sessions(day: UnifiedDay) -> tuple[list[ReceptionSession], list[queries.BodyCoverage]]:
    coverage = queries.unified_day_coverage(day)
    hours = default_hours(day)
    created = []
    for body in coverage:
        if not body.covered or body.venue is None:
            continue
        for head in body.missing_heads:
            session = _build_session(head, body.venue, day.local_date, hours, kind=SessionKind.UNIFIED_DAY)
            # Not bookable until the body's assistant confirms the hours and publishes it.
            session.is_published = False
            session.unified_day = day
            created.append(session)
    db.session.flush()
    return created, [body for body in coverage if body.problem]


def update_unified_session(actor, session: ReceptionSession, *, start_time: time, end_time: time,
                           slot_minutes: int, formats, publish: bool, now: datetime) -> ReceptionSession:
    """Change the hours, slot length and formats of an unpublished unified-day session; optionally publish it.

    Changed hours or slot length remake the session's slots (nobody can have booked an unpublished
    session); the booking window follows the new start. Publishing makes the session bookable and
    public; afterwards it is changed through the usual move and cancel flows.
    Raises NotAllowed outside the actor's bodies; NotFound for a session of no unified day; Invalid
    when it is published or not planned, for bad hours, a time already passed or hours that overlap
    another planned session of the official; Conflict when publishing and the body's reception office names
    no responsible person (the talon must name one, see reception.directory).
    """
    if session.unified_day_id is None:
        raise NotFound(_l("This is not a session of a unified reception day."))
    if not policy.can_manage_session(actor, session):
        raise NotAllowed(_l("You may manage the sessions of your own body's officials only."))
    if session.status is not SessionStatus.PLANNED:
        raise Invalid(NOT_PLANNED)
    if session.is_published:
        raise Invalid(_l("This session is already published: to change it, move or cancel it."))
    if publish:
        check_responsible_person(session.official.body)
    hours = SessionHours(start_time=start_time, end_time=end_time, slot_minutes=slot_minutes,
                         formats=frozenset(AttendanceFormat(f) for f in formats or ()),
                         opens_days_ahead=OPENS_DAYS_AHEAD, closes_hours_before=CLOSES_HOURS_BEFORE)
    _check_hours(hours)
    tz = session.timezone
    starts_at, ends_at = rules.local_bounds(session.local_date, start_time, end_time, tz)
    if starts_at <= now:
        raise Invalid(_l("This time has already passed."), field="start_time")
    if _overlapping_session(session.official_id, starts_at, ends_at, exclude_id=session.id) is not None:
        raise Invalid(_l("The official already has another reception at this time. Change the hours, "
                         "or move or cancel the other reception first."), field="start_time")
    bounds = rules.slot_bounds(session.local_date, start_time, end_time, slot_minutes, tz)
    if [(s.starts_at, s.ends_at) for s in session.slots] != bounds:
        if signals.is_referenced(session):
            raise Invalid(_l("Times of this session have already been offered to citizens: its hours can no "
                             "longer be changed."))
        session.slots.clear()
        db.session.flush()  # the old slots go before the new ones reuse their start times
        session.slots.extend(Slot(starts_at=s, ends_at=e) for s, e in bounds)
    session.starts_at, session.ends_at = starts_at, ends_at
    session.opens_at, session.closes_at = rules.booking_window(starts_at, OPENS_DAYS_AHEAD, CLOSES_HOURS_BEFORE)
    set_formats(session, hours.formats)
    if publish:
        session.is_published = True
    db.session.flush()
    return session
