"""Visiting receptions: an official receives the citizens of one region at a venue there, on given dates.

Announcing creates published sessions that only the region's citizens may book, and tells the region's
citizens who asked for it, once each, through the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app, url_for
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.errors import Invalid, NotAllowed
from ..core.timeutil import to_local, zone_name
from ..core.workdays import WorkCalendar
from ..directory.models import Official, Region, Venue
from ..directory.queries import get
from ..directory.services import check_responsible_person
from ..extensions import db
from ..notifications.services import enqueue_email
from . import policy, queries, rules
from .models import AttendanceFormat, ReceptionSession, SessionKind, VisitingReception
from .services import SessionHours, _build_session, _check_hours, _overlapping_session
from .unified import CLOSES_HOURS_BEFORE, OPENS_DAYS_AHEAD, clean_note, day_off_message

MAX_DATES = 5


@dataclass
class VisitingData:
    official_id: int
    region_id: int
    venue_id: int
    dates: list[date]  # errors about the i-th date name the field ``dates-<i>``
    start_time: time
    end_time: time
    slot_minutes: int
    formats: frozenset[AttendanceFormat]
    note: str | None = None


def format_hours(starts_at: datetime, ends_at: datetime, tz_name: str) -> str:
    """"Monday, 14 December 2026, 10:00 – 13:00 (Astana time)" in the current language."""
    start, end = to_local(starts_at, tz_name), to_local(ends_at, tz_name)
    # Naive local times: Flask-Babel would otherwise shift them into its own default zone.
    return (f"{format_date(start.date(), 'full')}, {format_time(start.replace(tzinfo=None), 'short')} – "
            f"{format_time(end.replace(tzinfo=None), 'short')} ({zone_name(tz_name)})")


def _check_dates(official: Official, venue: Venue, dates: list[date], hours: SessionHours, now: datetime,
                 calendar: WorkCalendar) -> None:
    if not dates:
        raise Invalid(_l("Give at least one date."), field="dates-0")
    if len(dates) > MAX_DATES:
        raise Invalid(_l("At most %(n)d dates at once.", n=MAX_DATES), field=f"dates-{MAX_DATES}")
    tz = venue.region.timezone
    for i, day in enumerate(dates):
        field = f"dates-{i}"
        if day in dates[:i]:
            raise Invalid(_l("This date is given twice."), field=field)
        if not calendar.is_working_day(day):
            raise Invalid(day_off_message(day), field=field)
        starts_at, ends_at = rules.local_bounds(day, hours.start_time, hours.end_time, tz)
        if starts_at <= now:
            raise Invalid(_l("This time has already passed."), field=field)
        if _overlapping_session(official.id, starts_at, ends_at) is not None:
            raise Invalid(_l("The official already has another reception at this time."), field=field)


def announce_visiting(actor, data: VisitingData, *, now: datetime,
                      calendar: WorkCalendar | None = None) -> VisitingReception:
    """Announce a visiting reception: published VISITING sessions (with slots) on each date, bookable only by
    citizens of the region (``restricted_region_id``), with the standard booking window.

    Emits one e-mail (kind ``visiting_announced``, deduplicated per visiting reception and citizen)
    to every active citizen of the region who asked to be told. Raises NotAllowed for an official
    of another body; Invalid for an unknown or inactive official, a venue that is not an active
    office or hall in the region, no date, a date twice, a past date, a non-working day, hours
    overlapping another planned session of the official, bad hours or a long note; Conflict when the
    official's body names no responsible person (its talons must name one).
    """
    official = get(Official, data.official_id)
    if official is None:
        raise Invalid(_l("Choose an official."), field="official_id")
    if not policy.can_announce_visiting_for(actor, official):
        raise NotAllowed(_l("You may announce visiting receptions of your own body's officials only."))
    if not official.is_active or not official.body.is_active:
        raise Invalid(_l("This official is inactive."), field="official_id")
    check_responsible_person(official.body)
    region = get(Region, data.region_id)
    if region is None:
        raise Invalid(_l("Choose a region."), field="region_id")
    venue = get(Venue, data.venue_id)
    if venue is None or not venue.is_active or venue.kind not in queries.RECEPTION_VENUE_KINDS:
        raise Invalid(_l("Choose an active reception office or hall (not a video studio)."), field="venue_id")
    if venue.region_id != region.id:
        raise Invalid(_l("This venue is not in %(region)s. Choose a venue in the region of the visiting reception.",
                         region=region.name), field="venue_id")
    hours = SessionHours(start_time=data.start_time, end_time=data.end_time, slot_minutes=data.slot_minutes,
                         formats=frozenset(data.formats), opens_days_ahead=OPENS_DAYS_AHEAD,
                         closes_hours_before=CLOSES_HOURS_BEFORE)
    _check_hours(hours)
    note = clean_note(data.note)
    calendar = calendar or WorkCalendar.from_config(current_app.config)
    dates = list(data.dates)
    _check_dates(official, venue, dates, hours, now, calendar)

    visit = VisitingReception(official=official, region=region, venue=venue, note=note, announced_by_id=actor.id,
                              announced_at=now)
    db.session.add(visit)
    for day in sorted(dates):
        session = _build_session(official, venue, day, hours, kind=SessionKind.VISITING,
                                 restricted_region_id=region.id)
        session.visiting = visit
    db.session.flush()
    _tell_citizens(visit)
    return visit


def _tell_citizens(visit: VisitingReception) -> int:
    citizens = queries.citizens_to_tell_about_visiting(visit.region_id)
    if not citizens:
        return 0
    official, venue, tz = visit.official, visit.venue, visit.venue.region.timezone
    sessions: list[ReceptionSession] = sorted(visit.sessions, key=lambda s: s.starts_at)
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("events.visiting", visiting_id=visit.id)
    by_language: dict[str, tuple[str, list[str]]] = {}
    for citizen in citizens:
        if citizen.language not in by_language:
            with force_locale(citizen.language):
                subject = _("Visiting reception in %(region)s: %(name)s", region=visit.region.name,
                            name=official.full_name)
                by_language[citizen.language] = (subject, [format_hours(s.starts_at, s.ends_at, tz)
                                                           for s in sessions])
        subject, whens = by_language[citizen.language]
        enqueue_email(citizen, "visiting_announced", subject, "visiting_announced",
                      dedupe_key=f"visiting_announced:{visit.id}:{citizen.id}",
                      visit=visit, official=official, venue=venue, whens=whens, link=link)
    return len(citizens)
