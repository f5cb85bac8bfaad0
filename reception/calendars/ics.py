"""iCalendar (RFC 5545) subscribable feeds (an appointment's invitation is reception.booking.invite's).

Times are written in the region's IANA zone with its VTIMEZONE, so calendars show the wall clock
of the place of the reception whatever their own zone. ``icalendar`` folds lines, escapes text
and writes CRLF line ends. Every text is in the current locale: callers that write for someone
else wrap the call in ``force_locale``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import vDuration
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..booking.invite import appointment_ics, appointment_uid, chain_position  # noqa: F401  (re-exported)
from ..booking.invite import event as _event
from ..booking.invite import finish as _finish
from ..booking.invite import host as _host
from ..booking.invite import join_url as _join_url
from ..booking.invite import new_calendar as _calendar
from ..booking.invite import venue_place as _venue_place
from ..booking.models import Appointment, AppointmentStatus
from ..core.web import absolute_url
from ..directory.models import Body, Official, Venue, VenueKind
from ..extensions import db
from ..schedule.models import FORMAT_LABELS, AttendanceFormat, ReceptionSession, SessionStatus, Slot
from .models import CalendarFeed, FeedKind

#: What a feed covers, around the moment it is fetched.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
#: How often subscribed calendars are asked to fetch a feed again (RFC 7986 REFRESH-INTERVAL).
FEED_REFRESH = timedelta(hours=1)


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


def appointment_download_ics(appointment) -> str:
    """The citizen's own copy of an appointment for "Add to my calendar" on the talon: the invitation's event
    (same UID and SEQUENCE as the e-mailed invitation, so importing both makes one event), published rather
    than sent as an invitation to answer (iTIP PUBLISH)."""
    return appointment_ics(appointment, "REQUEST").replace("METHOD:REQUEST\r\n", "METHOD:PUBLISH\r\n", 1)
