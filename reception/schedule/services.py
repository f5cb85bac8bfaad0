"""Changes to reception time: schedules, generated and one-off sessions, cancelling and moving sessions.

Every service takes the acting user, adds and flushes, and never commits;
the caller (a request or a CLI command) commits once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.clock import utcnow
from ..core.errors import Invalid, NotAllowed
from ..core.workdays import WorkCalendar
from ..directory.models import Official, Topic, Venue
from ..directory.services import check_responsible_person
from ..extensions import db
from . import policy, rules, signals
from .models import (
    AttendanceFormat,
    BookingMode,
    ReceptionSession,
    Schedule,
    SessionKind,
    SessionStatus,
    Slot,
    formats_of,
    set_formats,
)

MIN_SLOT_MINUTES, MAX_SLOT_MINUTES = 5, 240
MAX_OPENS_DAYS_AHEAD = 365
MAX_CLOSES_HOURS_BEFORE = 720
MAX_REASON_LENGTH = 2000
DEFAULT_HORIZON_DAYS = 60

RULE_MESSAGES = {
    "empty": _l("Choose the days of the reception or enter a rule."),
    "syntax": _l("This is not a valid recurrence rule (RFC 5545 RRULE), e.g. FREQ=WEEKLY;BYDAY=TU."),
    "frequency": _l("A reception rule repeats daily, weekly, monthly or yearly, not more often."),
    "unsupported": _l("This rule uses parts we do not support: the hours come from the start and end time."),
    "never": _l("This rule never gives a date (e.g. the 30th of February)."),
}
REASON_REQUIRED = _l("Give the reason: citizens will read it.")
REASON_TOO_LONG = _l("Too long: at most %(max)d characters.", max=MAX_REASON_LENGTH)
HAS_APPOINTMENTS = _l("Citizens have booked this session: it cannot be moved. Cancel it instead, "
                      "so that they are told and can book again.")
NOT_PLANNED = _l("Only a planned session can be changed.")


@dataclass
class SessionHours:
    """Local wall-clock hours, slot length, formats, booking mode and window shared by schedules and sessions."""

    start_time: time
    end_time: time
    slot_minutes: int
    formats: frozenset[AttendanceFormat]
    booking_mode: BookingMode = BookingMode.SELF
    opens_days_ahead: int = 30
    closes_hours_before: int = 24
    single_video_room: bool = False  # one Jitsi room for the whole session (else one per appointment)


@dataclass
class ScheduleData:
    official_id: int
    venue_id: int
    rrule: str
    starts_on: date
    hours: SessionHours
    until_on: date | None = None
    topic_ids: list[int] = field(default_factory=list)


# --- checks shared by the services ------------------------------------------------------

def _official_and_venue(actor, official: Official | None, venue: Venue | None) -> tuple[Official, Venue]:
    if official is None:
        raise Invalid(_l("Choose an official."), field="official_id")
    if venue is None:
        raise Invalid(_l("Choose a venue."), field="venue_id")
    if not policy.can_manage_schedules_of(actor, official.body_id):
        raise NotAllowed(_l("You may manage the schedules of your own body's officials only."))
    if not policy.can_manage_schedules_of(actor, venue.body_id):
        raise NotAllowed(_l("You may use your own body's venues only."))
    if not official.is_active:
        raise Invalid(_l("This official is inactive."), field="official_id")
    if not venue.is_active:
        raise Invalid(_l("This venue is inactive."), field="venue_id")
    return official, venue


def _check_hours(hours: SessionHours) -> None:
    if not MIN_SLOT_MINUTES <= hours.slot_minutes <= MAX_SLOT_MINUTES:
        raise Invalid(_l("A slot lasts from %(min)d to %(max)d minutes.", min=MIN_SLOT_MINUTES,
                         max=MAX_SLOT_MINUTES), field="slot_minutes")
    if hours.end_time <= hours.start_time:
        raise Invalid(_l("The end must be after the start."), field="end_time")
    length = (datetime.combine(date.min, hours.end_time) - datetime.combine(date.min, hours.start_time))
    if length < timedelta(minutes=hours.slot_minutes):
        raise Invalid(_l("The hours are shorter than one slot."), field="slot_minutes")
    if not hours.formats:
        raise Invalid(_l("Choose at least one format."), field="formats")
    if not 1 <= hours.opens_days_ahead <= MAX_OPENS_DAYS_AHEAD:
        raise Invalid(_l("Booking opens from 1 to %(max)d days ahead.", max=MAX_OPENS_DAYS_AHEAD),
                      field="opens_days_ahead")
    if not 0 <= hours.closes_hours_before <= MAX_CLOSES_HOURS_BEFORE:
        raise Invalid(_l("Booking closes from 0 to %(max)d hours before.", max=MAX_CLOSES_HOURS_BEFORE),
                      field="closes_hours_before")
    if hours.closes_hours_before >= hours.opens_days_ahead * 24:
        raise Invalid(_l("Booking would close before it opens."), field="closes_hours_before")


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise Invalid(REASON_TOO_LONG, field="reason")
    return reason


def _overlapping_session(official_id: int, starts_at: datetime, ends_at: datetime,
                         exclude_id: int | None = None) -> ReceptionSession | None:
    stmt = select(ReceptionSession).where(
        ReceptionSession.official_id == official_id,
        ReceptionSession.status == SessionStatus.PLANNED,
        ReceptionSession.starts_at < ends_at,
        ReceptionSession.ends_at > starts_at)
    if exclude_id is not None:
        stmt = stmt.where(ReceptionSession.id != exclude_id)
    return db.session.scalars(stmt.limit(1)).first()


def _build_session(official: Official, venue: Venue, local_date: date, hours: SessionHours, *,
                   kind: SessionKind, schedule: Schedule | None = None,
                   restricted_region_id: int | None = None) -> ReceptionSession:
    tz = venue.region.timezone
    starts_at, ends_at = rules.local_bounds(local_date, hours.start_time, hours.end_time, tz)
    opens_at, closes_at = rules.booking_window(starts_at, hours.opens_days_ahead, hours.closes_hours_before)
    session = ReceptionSession(
        official=official, venue=venue, schedule=schedule, kind=kind, local_date=local_date,
        starts_at=starts_at, ends_at=ends_at, restricted_region_id=restricted_region_id,
        single_video_room=hours.single_video_room,
        booking_mode=hours.booking_mode, opens_at=opens_at, closes_at=closes_at, status=SessionStatus.PLANNED)
    set_formats(session, hours.formats)
    session.slots = [Slot(starts_at=s, ends_at=e)
                     for s, e in rules.slot_bounds(local_date, hours.start_time, hours.end_time,
                                                   hours.slot_minutes, tz)]
    db.session.add(session)
    return session


# --- schedules ------------------------------------------------------------------------------

def create_schedule(actor, data: ScheduleData) -> Schedule:
    """Add a recurring schedule for an official at a venue; sessions are made by :func:`generate_sessions`.

    Raises NotAllowed when the official or venue is outside the actor's bodies, Invalid for bad input,
    Conflict when the official's body names no responsible person (its talons must name one).
    """
    official, venue = _official_and_venue(actor, db.session.get(Official, data.official_id),
                                          db.session.get(Venue, data.venue_id))
    check_responsible_person(official.body)
    try:
        rrule_text = rules.normalize_rrule(data.rrule)
    except rules.RuleError as exc:
        raise Invalid(RULE_MESSAGES[exc.code], field="rrule") from None
    if data.until_on is not None and data.until_on < data.starts_on:
        raise Invalid(_l("The last day must not be before the first day."), field="until_on")
    _check_hours(data.hours)
    topics = []
    if data.topic_ids:
        topics = list(db.session.scalars(select(Topic).where(Topic.id.in_(set(data.topic_ids)))))
        if len(topics) != len(set(data.topic_ids)):
            raise Invalid(_l("Unknown topic."), field="topic_ids")
    hours = data.hours
    schedule = Schedule(
        official=official, venue=venue, rrule=rrule_text, starts_on=data.starts_on, until_on=data.until_on,
        start_time=hours.start_time, end_time=hours.end_time, slot_minutes=hours.slot_minutes,
        single_video_room=hours.single_video_room,
        booking_mode=hours.booking_mode, opens_days_ahead=hours.opens_days_ahead,
        closes_hours_before=hours.closes_hours_before, is_active=True, topics=topics)
    set_formats(schedule, hours.formats)
    db.session.add(schedule)
    db.session.flush()
    return schedule


def schedule_hours(schedule: Schedule) -> SessionHours:
    return SessionHours(start_time=schedule.start_time, end_time=schedule.end_time,
                        slot_minutes=schedule.slot_minutes, formats=formats_of(schedule),
                        single_video_room=schedule.single_video_room, booking_mode=schedule.booking_mode,
                        opens_days_ahead=schedule.opens_days_ahead, closes_hours_before=schedule.closes_hours_before)


def generate_sessions(schedule: Schedule, today: date, horizon_days: int = DEFAULT_HORIZON_DAYS,
                      calendar: WorkCalendar | None = None, now: datetime | None = None) -> list[ReceptionSession]:
    """Create the schedule's planned sessions (with slots) from ``today`` for ``horizon_days`` days.

    Idempotent: dates that already have a session of this schedule (whatever its
    status) are left alone. Skips non-working days (public holidays, decreed days
    off), hours already begun, and hours when the official already has another
    planned session. Returns the new sessions.
    """
    if not schedule.is_active:
        return []
    calendar = calendar or WorkCalendar.from_config(current_app.config)
    now = now or utcnow()
    window_end = today + timedelta(days=horizon_days)
    dates = rules.expand_dates(schedule.rrule, schedule.starts_on, schedule.until_on, today, window_end)
    if not dates:
        return []
    existing = set(db.session.scalars(select(ReceptionSession.local_date).where(
        ReceptionSession.schedule_id == schedule.id,
        ReceptionSession.local_date.between(dates[0], dates[-1]))))
    busy = [(s.starts_at, s.ends_at) for s in db.session.scalars(select(ReceptionSession).where(
        ReceptionSession.official_id == schedule.official_id,
        ReceptionSession.status == SessionStatus.PLANNED,
        ReceptionSession.ends_at > now))]
    hours = schedule_hours(schedule)
    tz = schedule.venue.region.timezone
    created = []
    for day in dates:
        if day in existing or not calendar.is_working_day(day):
            continue
        starts_at, ends_at = rules.local_bounds(day, hours.start_time, hours.end_time, tz)
        if starts_at <= now or any(s < ends_at and e > starts_at for s, e in busy):
            continue
        created.append(_build_session(schedule.official, schedule.venue, day, hours, kind=SessionKind.REGULAR,
                                      schedule=schedule))
    db.session.flush()
    return created


def add_one_off_session(actor, official: Official | None, venue: Venue | None, local_date: date,
                        hours: SessionHours, *, now: datetime | None = None) -> ReceptionSession:
    """Add a single planned session (with slots) outside any schedule.

    Raises NotAllowed outside the actor's bodies; Invalid for bad hours, a time
    in the past, or hours overlapping another planned session of the official; Conflict when the
    official's body names no responsible person.
    """
    official, venue = _official_and_venue(actor, official, venue)
    check_responsible_person(official.body)
    _check_hours(hours)
    starts_at, ends_at = rules.local_bounds(local_date, hours.start_time, hours.end_time, venue.region.timezone)
    if starts_at <= (now or utcnow()):
        raise Invalid(_l("This time has already passed."), field="local_date")
    if _overlapping_session(official.id, starts_at, ends_at) is not None:
        raise Invalid(_l("The official already has a reception at this time."), field="start_time")
    session = _build_session(official, venue, local_date, hours, kind=SessionKind.ONE_OFF)
    db.session.flush()
    return session


# --- cancelling and moving -----------------------------------------------------------------

def count_citizens_to_notify(session: ReceptionSession) -> int:
    """How many citizens a cancellation of ``session`` would notify (one active appointment per citizen
    and official: its active bookings, :data:`.signals.bookings_counted`)."""
    return signals.count_bookings([session.id])[session.id]


def cancel_session(actor, session: ReceptionSession, reason: str, *, now: datetime | None = None) -> int:
    """Cancel a planned session, keeping it (status cancelled with the reason and time).

    Emits ``session_cancelled`` (:mod:`.signals`): reception.booking cancels its active appointments
    with the same reason, releases their reservations and writes each affected citizen one e-mail
    (kind ``session_cancelled``). Returns how many citizens were notified. Raises NotAllowed outside
    the actor's bodies, Invalid without a reason or when the session is not planned.
    """
    if not policy.can_manage_session(actor, session):
        raise NotAllowed(_l("You may manage the sessions of your own body's officials only."))
    reason = _clean_reason(reason)
    if session.status is not SessionStatus.PLANNED:
        raise Invalid(NOT_PLANNED)
    now = now or utcnow()
    session.status = SessionStatus.CANCELLED
    session.status_reason = reason
    session.status_changed_at = now
    db.session.flush()
    return sum(told or 0 for _receiver, told in signals.session_cancelled.send(session, reason=reason, now=now))


def move_session(actor, session: ReceptionSession, new_local_date: date, new_start: time, new_end: time,
                 reason: str, *, now: datetime | None = None) -> ReceptionSession:
    """Move a planned session nobody has booked to another date or hours.

    The session itself is kept as a fact: it becomes cancelled with the reason,
    and a new planned session (same official, venue, formats, slot length and
    booking window) takes its place; the new one is no longer tied to the
    schedule, so regenerating never brings the old date back. Returns the new
    session. Raises Invalid when citizens have booked it (cancel instead), for
    bad hours, a time in the past or an overlap; NotAllowed outside the actor's bodies.
    """
    if not policy.can_manage_session(actor, session):
        raise NotAllowed(_l("You may manage the sessions of your own body's officials only."))
    reason = _clean_reason(reason)
    if session.status is not SessionStatus.PLANNED:
        raise Invalid(NOT_PLANNED)
    if not session.is_published:
        raise Invalid(_l("Check and publish this unified-day session instead: its hours can be edited there."))
    if count_citizens_to_notify(session):
        raise Invalid(HAS_APPOINTMENTS)
    now = now or utcnow()
    slots = session.slots
    slot_minutes = int((slots[0].ends_at - slots[0].starts_at).total_seconds() // 60) if slots else 0
    opens_days = max(1, round((session.starts_at - session.opens_at).total_seconds() / 86400))
    closes_hours = max(0, round((session.starts_at - session.closes_at).total_seconds() / 3600))
    hours = SessionHours(start_time=new_start, end_time=new_end, slot_minutes=slot_minutes or 15,
                         formats=formats_of(session), single_video_room=session.single_video_room,
                         booking_mode=session.booking_mode, opens_days_ahead=opens_days,
                         closes_hours_before=min(closes_hours, opens_days * 24 - 1))
    _check_hours(hours)
    starts_at, ends_at = rules.local_bounds(new_local_date, new_start, new_end, session.timezone)
    if starts_at <= now:
        raise Invalid(_l("This time has already passed."), field="local_date")
    if _overlapping_session(session.official_id, starts_at, ends_at, exclude_id=session.id) is not None:
        raise Invalid(_l("The official already has a reception at this time."), field="start_time")
    session.status = SessionStatus.CANCELLED
    session.status_reason = reason
    session.status_changed_at = now
    kind = SessionKind.ONE_OFF if session.kind is SessionKind.REGULAR else session.kind
    moved = _build_session(session.official, session.venue, new_local_date, hours, kind=kind,
                           restricted_region_id=session.restricted_region_id)
    moved.visiting_id = session.visiting_id  # (a unified day allows one session per official: not copied)
    db.session.flush()
    return moved
