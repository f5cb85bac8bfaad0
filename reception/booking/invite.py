"""iCalendar (RFC 5545) invitations of an appointment, and the pieces every calendar text shares.

Times are written in the region's IANA zone with its VTIMEZONE, so calendars show the wall clock
of the place of the reception whatever their own zone. ``icalendar`` folds lines, escapes text
and writes CRLF line ends. Every text is in the current locale: callers that write for someone
else wrap the call in ``force_locale``. The invitation travels with booking's messages
(:mod:`.announce`); reception.calendars builds its subscribable feeds from the same pieces.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from ..core.clock import utcnow
from ..core.web import absolute_url
from ..extensions import db
from ..schedule.models import AttendanceFormat
from .models import Appointment
from .talon import talon_verify_url

PRODID = "-//Reception system//reception//EN"
#: The span each VTIMEZONE describes around the events' dates.
TZ_MARGIN_BEFORE = timedelta(days=31)
TZ_MARGIN_AFTER = timedelta(days=731)


# --- shared pieces ------------------------------------------------------------------------

def host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "reception.local"


def join_url(appointment) -> str | None:
    """The join page of a video appointment (it hands out call tokens itself; none is ever written here)."""
    return absolute_url("video.join_page", appointment_id=appointment.id) if appointment.is_video else None


def new_calendar(method: str | None = None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def finish(calendar: Calendar) -> str:
    """The text, with one VTIMEZONE per zone used (before the events), covering the events' dates
    with a margin rather than the zone's whole history."""
    days = [e.decoded("dtstart").date() for e in calendar.walk("VEVENT")]
    if days:
        calendar.add_missing_timezones(first_date=min(days) - TZ_MARGIN_BEFORE,
                                       last_date=max(days) + TZ_MARGIN_AFTER)
    return calendar.to_ical().decode("utf-8")


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def event(uid: str, starts_at: datetime, ends_at: datetime, tz: str, *, stamp: datetime, summary: str,
           location: str, description: str, url: str | None, status: str = "CONFIRMED") -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(ZoneInfo("UTC")))
    event.add("dtstart", local(starts_at, tz))
    event.add("dtend", local(ends_at, tz))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    event.add("description", description)
    if url:
        event.add("url", url)
    event.add("status", status)
    return event


def join(*parts) -> str:
    return ", ".join(p for p in parts if p)


def venue_place(venue) -> str:
    return join(venue.name, venue.address, venue.floor)


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
    return f"appointment-{chain_position(appointment)[0]}@{host()}"


def citizens_place(appointment) -> str:
    """Where the citizen goes: the venue, the studio, or home for a video call from home."""
    if appointment.format is AttendanceFormat.VIDEO_STUDIO and appointment.studio is not None:
        return venue_place(appointment.studio)
    if appointment.format is AttendanceFormat.VIDEO_REMOTE:
        return _("By video from home")
    return venue_place(appointment.session.venue)


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
    call_url = join_url(appointment)
    lines = [f"{official.full_name}, {official.position}", official.body.name]
    if appointment.talon_number:
        lines.append(_("Talon number: %(number)s", number=appointment.talon_number))
    lines.append(_("Topic: %(topic)s", topic=appointment.topic.name))
    if call_url:
        lines.append(_("The call page:") + " " + call_url)
    cancel = method == "CANCEL"
    vevent = event(appointment_uid(appointment), slot.starts_at, slot.ends_at, session.timezone, stamp=utcnow(),
                   summary=_("Reception: %(name)s", name=official.full_name), location=citizens_place(appointment),
                   description="\n".join(lines),
                   url=call_url or talon_verify_url(appointment),
                   status="CANCELLED" if cancel else "CONFIRMED")
    vevent.add("sequence", moves + (1 if cancel else 0))
    sender = parseaddr(current_app.config.get("MAIL_FROM") or "")[1] or f"noreply@{host()}"
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(official.body.name)
    vevent["organizer"] = organizer
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["rsvp"] = "FALSE"
        vevent.add("attendee", attendee, encode=0)
    if not cancel:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(hours=-1))
        alarm.add("description", _("Reception: %(name)s", name=official.full_name))
        vevent.add_component(alarm)
    calendar = new_calendar(method)
    calendar.add_component(vevent)
    return finish(calendar)
