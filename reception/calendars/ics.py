"""iCalendar (RFC 5545) texts: an appointment's invitation and cancellation, and subscribable feeds.

Times are written in the region's IANA zone with its VTIMEZONE, so calendars show the wall clock
of the place of the reception whatever their own zone. ``icalendar`` folds lines, escapes text
and writes CRLF line ends. Every text is in the current locale: callers that write for someone
else wrap the call in ``force_locale``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, vCalAddress, vDuration, vText
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..booking.models import Appointment, AppointmentStatus
from ..core.clock import utcnow
from ..core.web import absolute_url
from ..directory.models import Body, Official, Venue, VenueKind
from ..extensions import db
from ..schedule.models import FORMAT_LABELS, AttendanceFormat, ReceptionSession, SessionStatus, Slot
from .models import CalendarFeed, FeedKind

PRODID = "-//Reception system//reception//EN"

#: What a feed covers, around the moment it is fetched.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
#: How often subscribed calendars are asked to fetch a feed again (RFC 7986 REFRESH-INTERVAL).
FEED_REFRESH = timedelta(hours=1)
#: The span each VTIMEZONE describes around the events' dates.
TZ_MARGIN_BEFORE = timedelta(days=31)
TZ_MARGIN_AFTER = timedelta(days=731)


# --- shared pieces ------------------------------------------------------------------------

def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "reception.local"


def _join_url(appointment) -> str | None:
    """The join page of a video appointment (it hands out call tokens itself; none is ever written here)."""
    return absolute_url("video.join_page", appointment_id=appointment.id) if appointment.is_video else None


def _calendar(method: str | None = None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def _finish(calendar: Calendar) -> str:
    """The text, with one VTIMEZONE per zone used (before the events), covering the events' dates
    with a margin rather than the zone's whole history."""
    days = [e.decoded("dtstart").date() for e in calendar.walk("VEVENT")]
    if days:
        calendar.add_missing_timezones(first_date=min(days) - TZ_MARGIN_BEFORE,
                                       last_date=max(days) + TZ_MARGIN_AFTER)
    return calendar.to_ical().decode("utf-8")


def _local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def _event(uid: str, starts_at: datetime, ends_at: datetime, tz: str, *, stamp: datetime, summary: str,
           location: str, description: str, url: str | None, status: str = "CONFIRMED") -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(ZoneInfo("UTC")))
    event.add("dtstart", _local(starts_at, tz))
    event.add("dtend", _local(ends_at, tz))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    event.add("description", description)
    if url:
        event.add("url", url)
    event.add("status", status)
    return event


def _join(*parts) -> str:
    return ", ".join(p for p in parts if p)


def _venue_place(venue: Venue) -> str:
    return _join(venue.name, venue.address, venue.floor)


# --- one appointment's invitation -----------------------------------------------------------

def chain_position(appointment) -> tuple[int, int]:
    """(the first appointment's id, how many reschedules came before) of a reschedule chain."""
    root, moves, seen = appointment, 0, {appointment.id}
    while root.rescheduled_from_id is not None and root.rescheduled_from_id not in seen:
        earlier = db.session.get(Appointment, root.rescheduled_from_id)
        if earlier is None:
            break
        seen.add(earlier.id)
        root, moves = earlier, moves + 1
    return root.id, moves


def appointment_uid(appointment) -> str:
    """Stable across the appointment's reschedules: the invitation moves, it is not a new event."""
    return f"appointment-{chain_position(appointment)[0]}@{_host()}"


def _place(appointment) -> str:
    """Where the citizen goes: the venue, the studio, or home for a video call from home."""
    if appointment.format is AttendanceFormat.VIDEO_STUDIO and appointment.studio is not None:
        return _venue_place(appointment.studio)
    if appointment.format is AttendanceFormat.VIDEO_REMOTE:
        return _("By video from home")
    return _venue_place(appointment.session.venue)


def appointment_ics(appointment, method: str = "REQUEST", *, attendee_email: str | None = None) -> str:
    """The invitation (REQUEST) or its withdrawal (CANCEL) of one appointment that holds a slot.

    UID is the same for the whole reschedule chain; SEQUENCE counts the changes (each
    reschedule before this appointment, and the cancellation).
    """
    method = method.upper()
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    if appointment.slot is None or appointment.session is None:
        raise ValueError("an appointment without a reception time has no invitation")
    session, slot, official = appointment.session, appointment.slot, appointment.official
    _root, moves = chain_position(appointment)
    join_url = _join_url(appointment)
    lines = [f"{official.full_name}, {official.position}", official.body.name]
    if appointment.talon_number:
        lines.append(_("Talon number: %(number)s", number=appointment.talon_number))
    lines.append(_("Topic: %(topic)s", topic=appointment.topic.name))
    if join_url:
        lines.append(_("The call page:") + " " + join_url)
    cancel = method == "CANCEL"
    event = _event(appointment_uid(appointment), slot.starts_at, slot.ends_at, session.timezone, stamp=utcnow(),
                   summary=_("Reception: %(name)s", name=official.full_name), location=_place(appointment),
                   description="\n".join(lines),
                   url=join_url or absolute_url("booking.verify_talon", talon_number=appointment.talon_number or "-"),
                   status="CANCELLED" if cancel else "CONFIRMED")
    event.add("sequence", moves + (1 if cancel else 0))
    sender = parseaddr(current_app.config.get("MAIL_FROM") or "")[1] or f"noreply@{_host()}"
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(official.body.name)
    event["organizer"] = organizer
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee, encode=0)
    if not cancel:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(hours=-1))
        alarm.add("description", _("Reception: %(name)s", name=official.full_name))
        event.add_component(alarm)
    calendar = _calendar(method)
    calendar.add_component(event)
    return _finish(calendar)


# --- subscribable feeds ------------------------------------------------------------------------

#: Appointments a staff feed shows: those that hold their time, and those held.
SHOWN_APPOINTMENTS = (AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN, AppointmentStatus.HELD)
#: Sessions the official's own feed shows (the public body feed: planned and published only).
SHOWN_SESSIONS = (SessionStatus.PLANNED, SessionStatus.HELD)


def feed_target(feed: CalendarFeed):
    """The official, studio or body a feed is about; None when it is gone or no longer active
    (its address then answers 404, like an unknown one)."""
    if feed.kind is FeedKind.OFFICIAL:
        target = db.session.get(Official, feed.target_id)
    elif feed.kind is FeedKind.STUDIO:
        target = db.session.get(Venue, feed.target_id)
        if target is not None and target.kind is not VenueKind.STUDIO:
            return None
    else:
        target = db.session.get(Body, feed.target_id)
    return target if target is not None and target.is_active else None


def feed_name(feed: CalendarFeed, target) -> str:
    """The calendar's name (X-WR-CALNAME), also the feed's label on the owners' page."""
    if feed.kind is FeedKind.OFFICIAL:
        return _("Reception agenda: %(name)s", name=target.full_name)
    if feed.kind is FeedKind.STUDIO:
        return _("Studio receptions: %(studio)s", studio=target.name)
    return _("Reception hours: %(name)s", name=target.name)


def _appointments_stmt(start: datetime, end: datetime):
    return (select(Appointment).join(Appointment.slot)
            .where(Appointment.status.in_(SHOWN_APPOINTMENTS), Slot.starts_at >= start, Slot.starts_at < end)
            .options(joinedload(Appointment.slot), joinedload(Appointment.citizen), joinedload(Appointment.topic),
                     joinedload(Appointment.studio),
                     joinedload(Appointment.official).joinedload(Official.body),
                     joinedload(Appointment.session).joinedload(ReceptionSession.venue).joinedload(Venue.region))
            .order_by(Slot.starts_at, Appointment.id))


def _sessions_stmt(start: datetime, end: datetime):
    return (select(ReceptionSession)
            .where(ReceptionSession.starts_at >= start, ReceptionSession.starts_at < end)
            .options(joinedload(ReceptionSession.venue).joinedload(Venue.region),
                     joinedload(ReceptionSession.official).joinedload(Official.body),
                     joinedload(ReceptionSession.restricted_region))
            .order_by(ReceptionSession.starts_at, ReceptionSession.id))


def _staff_place(appointment) -> str:
    """Where an appointment happens, as the official's side sees it."""
    if appointment.format is AttendanceFormat.VIDEO_STUDIO:
        studio = appointment.studio
        return _("By video with the studio: %(studio)s", studio=_venue_place(studio)) if studio else \
            str(FORMAT_LABELS[appointment.format])
    if appointment.format is AttendanceFormat.VIDEO_REMOTE:
        return _("By video from home")
    return _venue_place(appointment.session.venue)


def _appointment_lines(appointment, *, official: bool, topic: bool) -> list[str]:
    lines = [_("Citizen: %(name)s", name=appointment.citizen.full_name)]
    if official:
        o = appointment.official
        lines += [_("Official: %(name)s, %(position)s", name=o.full_name, position=o.position), o.body.name]
    if appointment.talon_number:
        lines.append(_("Talon number: %(number)s", number=appointment.talon_number))
    if topic:
        lines.append(_("Topic: %(topic)s", topic=appointment.topic.name))
    lines.append(_("Format: %(format)s.", format=FORMAT_LABELS[appointment.format]))
    if appointment.needs_wheelchair:
        lines.append(_("Needs wheelchair access."))
    if appointment.needs_sign_language:
        lines.append(_("Needs a sign language interpreter."))
    join_url = _join_url(appointment)
    if join_url:
        lines.append(_("The call page:") + " " + join_url)
    return lines


def _official_events(feed: CalendarFeed, official: Official, start: datetime, end: datetime, stamp: datetime):
    """The official's planned and held sessions and the appointments in them (private: citizens' names)."""
    host, prefix = _host(), f"official-{official.id}"
    sessions = db.session.scalars(_sessions_stmt(start, end).where(
        ReceptionSession.official_id == official.id,
        ReceptionSession.status.in_(SHOWN_SESSIONS))).unique().all()
    for session in sessions:
        lines = [f"{official.full_name}, {official.position}", official.body.name]
        if not session.is_published:
            lines.append(_("Not published yet: citizens cannot book this time."))
        yield _event(f"{prefix}-session-{session.id}@{host}", session.starts_at, session.ends_at,
                     session.timezone, stamp=stamp, summary=_("Reception hours"),
                     location=_venue_place(session.venue), description="\n".join(lines), url=None,
                     status="CONFIRMED" if session.is_published else "TENTATIVE")
    appointments = db.session.scalars(_appointments_stmt(start, end).where(
        Appointment.official_id == official.id)).unique().all()
    for a in appointments:
        lines = _appointment_lines(a, official=False, topic=True)
        yield _event(f"{prefix}-appointment-{a.id}@{host}", a.slot.starts_at, a.slot.ends_at, a.session.timezone,
                     stamp=stamp, summary=_("Appointment: %(name)s", name=a.citizen.full_name),
                     location=_staff_place(a), description="\n".join(lines), url=_join_url(a))


def _studio_events(feed: CalendarFeed, studio: Venue, start: datetime, end: datetime, stamp: datetime):
    """The studio's video receptions: when, with which official, for which citizen."""
    host = _host()
    appointments = db.session.scalars(_appointments_stmt(start, end).where(
        Appointment.studio_id == studio.id, Appointment.format == AttendanceFormat.VIDEO_STUDIO)).unique().all()
    for a in appointments:
        official = a.official
        lines = _appointment_lines(a, official=True, topic=False)
        yield _event(f"studio-{studio.id}-appointment-{a.id}@{host}", a.slot.starts_at, a.slot.ends_at,
                     a.session.timezone, stamp=stamp,
                     summary=_("Video reception: %(citizen)s with %(official)s", citizen=a.citizen.full_name,
                               official=official.full_name),
                     location=_venue_place(studio), description="\n".join(lines), url=_join_url(a))


def _body_events(feed: CalendarFeed, body: Body, start: datetime, end: datetime, stamp: datetime):
    """The body's published planned sessions: public facts only, nothing about who booked."""
    host = _host()
    sessions = db.session.scalars(_sessions_stmt(start, end).join(ReceptionSession.official).where(
        Official.body_id == body.id, Official.is_active, ReceptionSession.status == SessionStatus.PLANNED,
        ReceptionSession.is_published)).unique().all()
    for session in sessions:
        official = session.official
        lines = [f"{official.full_name}, {official.position}", body.name]
        if session.restricted_region is not None:
            lines.append(_("For citizens of %(region)s only.", region=session.restricted_region.name))
        booking_url = absolute_url("booking.official", official_id=official.id)
        lines.append(_("Book a time: %(url)s", url=booking_url))
        yield _event(f"body-{body.id}-session-{session.id}@{host}", session.starts_at, session.ends_at,
                     session.timezone, stamp=stamp,
                     summary=_("Reception hours: %(name)s", name=official.full_name),
                     location=_venue_place(session.venue), description="\n".join(lines), url=booking_url)


_FEED_EVENTS = {FeedKind.OFFICIAL: _official_events, FeedKind.STUDIO: _studio_events, FeedKind.BODY: _body_events}


def feed_ics(feed: CalendarFeed, now: datetime, target=None) -> str:
    """A subscribable calendar (no METHOD) of the feed's events from 30 days ago to 90 days ahead.

    ``target`` (the official, studio or body) is looked up when not given; a feed whose target is
    gone raises LookupError. Cancelled, not held and moved sessions and appointments are left out,
    so they disappear from subscribed calendars at the next refresh.
    """
    target = target if target is not None else feed_target(feed)
    if target is None:
        raise LookupError("the feed's official, studio or body is gone")
    calendar = _calendar(name=feed_name(feed, target))
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for event in _FEED_EVENTS[feed.kind](feed, target, now - FEED_PAST, now + FEED_AHEAD, now):
        calendar.add_component(event)
    return _finish(calendar)
