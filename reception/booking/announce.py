"""What the citizen (and the invited participants) are told about an appointment, and when.

Every function writes outbox rows in the caller's transaction (see reception.notifications), by
the channels the recipient chose, in the recipient's language. E-mails carry the appointment's
iCalendar invite (REQUEST, or CANCEL with the same UID); SMS carry the talon number.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.timeutil import format_local
from ..core.web import absolute_url
from ..extensions import db
from ..notifications.services import notify, register_context, register_invite, write_batch
from .invite import appointment_ics
from .models import Appointment, Participant
from .policy import call_window
from .queries import next_free_slot_per_official

#: Reminders before a reception: (hours before, message kind).
REMINDERS = ((24, "reminder_24h"), (2, "reminder_2h"))
VIDEO_DETAILS_HOURS = 24


def _context(appointment: Appointment) -> dict:
    """What every appointment message may show: the appointment, its zone and its addresses."""
    window = call_window(appointment, current_app.config) if appointment.is_video else None
    return dict(appointment=appointment, tz=appointment.session.timezone, official=appointment.official,
                talon_url=absolute_url("booking.appointment", appointment_id=appointment.id),
                join_url=(absolute_url("video.join_page", appointment_id=appointment.id)
                          if appointment.is_video else None),
                call_opens_at=window.opens_at if window else None)


def _context_at_sending(context: dict) -> dict:
    # Messages keep a reference to the appointment only; the rest is worked out when they are rendered.
    return _context(context["appointment"])


def _invite_at_sending(appointment_id: int, method: str, attendee_email: str | None) -> str | None:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.slot_id is None:
        return None
    return appointment_ics(appointment, method, attendee_email=attendee_email)


register_context("appointment", _context_at_sending)
register_invite(_invite_at_sending)


def announce_booked(appointment: Appointment, now: datetime, outbox: list | None = None) -> None:
    """Booking confirmed: the talon and the invite now; reminders and video details later (one INSERT, or
    collected in ``outbox`` for the caller's)."""
    citizen, batch = appointment.citizen, ([] if outbox is None else outbox)
    notify(citizen, "booking_confirmed",
           _l("Your reception with %(name)s is booked: talon %(talon)s",
                    name=appointment.official.full_name, talon=appointment.talon_number),
           "booking_confirmed", dedupe_key=f"booked:{appointment.id}", appointment_id=appointment.id,
           ics="REQUEST", with_context="appointment", appointment=appointment, batch=batch)
    schedule_reminders(appointment, now, batch=batch)
    if outbox is None:
        write_batch(batch)


def schedule_reminders(appointment: Appointment, now: datetime, *, batch: list | None = None) -> None:
    """Reminders 24 and 2 hours before (those still ahead), and for video the call's details;
    each is dropped at sending time if the appointment was cancelled or moved meanwhile. With
    ``batch``, the rows are collected there (see reception.notifications.services.write_batch)."""
    citizen, starts_at = appointment.citizen, appointment.slot.starts_at
    context = dict(with_context="appointment", appointment=appointment, batch=batch)
    for hours, kind in REMINDERS:
        due = starts_at - timedelta(hours=hours)
        if due > now:
            notify(citizen, kind, _l("Reminder: your reception with %(name)s",
                                                  name=appointment.official.full_name),
                   "reminder", dedupe_key=f"{kind}:{appointment.id}", due_at=due, appointment_id=appointment.id,
                   cancel_if_inactive=True, hours=hours, **context)
    if appointment.is_video:
        notify(citizen, "video_details", _l("How to join your video reception with %(name)s",
                                                      name=appointment.official.full_name),
               "video_details", dedupe_key=f"video_details:{appointment.id}",
               due_at=max(now, starts_at - timedelta(hours=VIDEO_DETAILS_HOURS)), appointment_id=appointment.id,
               cancel_if_inactive=True, **context)


def announce_rescheduled(old: Appointment, new: Appointment, now: datetime) -> None:
    """Moved to another time: the new talon and an updated invite (same UID, higher SEQUENCE)."""
    citizen = new.citizen
    notify(citizen, "rescheduled",
           _l("Your reception with %(name)s has moved: talon %(talon)s",
                    name=new.official.full_name, talon=new.talon_number),
           "rescheduled", dedupe_key=f"rescheduled:{new.id}", appointment_id=new.id,
           ics="REQUEST", previous=old, with_context="appointment", appointment=new)
    schedule_reminders(new, now)


def announce_cancelled_by_citizen(appointment: Appointment) -> None:
    citizen = appointment.citizen
    notify(citizen, "appointment_cancelled",
           _l("Your reception with %(name)s is cancelled", name=appointment.official.full_name),
           "appointment_cancelled", dedupe_key=f"cancelled:{appointment.id}", appointment_id=appointment.id,
           ics="CANCEL", official_url=absolute_url("booking.official", official_id=appointment.official_id),
           with_context="appointment", appointment=appointment)


def cancel_invite(appointment: Appointment, user) -> str:
    """The CANCEL invite for an appointment the body cancelled (used with the session's message): the
    outbox builds it, in the recipient's language, when the message is sent."""
    return "CANCEL"


def _rebooking_link(official) -> str:
    # The official's own public page when the directory has one, else the body's page listing its officials.
    if "directory.official" in current_app.view_functions:
        path = url_for("directory.official", official_id=official.id)
    else:
        path = url_for("directory.body", body_id=official.body_id)
    return current_app.config["BASE_URL"].rstrip("/") + path


def _rebooking_offer(official, now: datetime) -> dict:
    """Links offering the citizens of a cancelled session to book again: the official's free time
    (the search filtered by the official), or the official's waitlist when nothing is free."""
    base = current_app.config["BASE_URL"].rstrip("/")
    if next_free_slot_per_official([official.id], now):
        return {"book_link": base + url_for("booking.search", official=official.id), "waitlist_link": None}
    return {"book_link": None, "waitlist_link": base + url_for("booking.my_waitlist", official=official.id)}


def announce_session_cancelled(session, appointments: list[Appointment], reason: str, now: datetime) -> int:
    """The body cancelled the session: one e-mail per citizen of its ``appointments`` (cancelled), with the
    reason, the CANCEL invite and where to book again. Returns how many citizens were told."""
    official, tz = session.official, session.timezone
    link = _rebooking_link(official)
    rebook = _rebooking_offer(official, now)
    for appointment in appointments:  # one per citizen: a citizen holds one active appointment per official
        citizen = appointment.citizen
        with force_locale(citizen.language):
            subject = _("Your reception with %(name)s has been cancelled", name=official.full_name)
            when = format_local(session.starts_at, tz, "long")
        notify(citizen, "session_cancelled", subject, "session_cancelled",
               dedupe_key=f"session_cancelled:{session.id}:{citizen.id}", appointment_id=appointment.id,
               ics=cancel_invite(appointment, citizen) if appointment.slot_id else None,
               appointment=appointment, official=official, when=when, reason=reason, link=link, **rebook)
    return len({a.citizen_id for a in appointments})


# --- receivers of reception.booking.signals -----------------------------------------------------

def on_booked(appointment: Appointment, now: datetime, outbox: list | None = None, **_) -> None:
    announce_booked(appointment, now, outbox)


def on_cancelled(appointment: Appointment, now: datetime, by: str, **_) -> None:
    if by == "citizen" and appointment.slot_id is not None:  # a session's citizens get the session's message
        announce_cancelled_by_citizen(appointment)


def on_rescheduled(old: Appointment, now: datetime, new: Appointment, **_) -> None:
    announce_rescheduled(old, new, now)


def announce_participant_invited(participant: Participant) -> None:
    """A staff member invited to an appointment: where and when, the call for video, the invite."""
    appointment, user = participant.appointment, participant.user
    notify(user, "participant_invited",
           _l("You are invited to a reception with %(name)s",
                             name=appointment.official.full_name),
           "participant_invited", dedupe_key=f"invited:{participant.id}", appointment_id=appointment.id,
           ics="REQUEST", participant=participant, receptions_url=absolute_url("staff.my_receptions"),
           with_context="appointment", appointment=appointment)
