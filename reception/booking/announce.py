"""What the citizen (and the invited participants) are told about an appointment, and when.

Every function writes outbox rows in the caller's transaction (see reception.notifications), by
the channels the recipient chose, in the recipient's language. E-mails carry the appointment's
iCalendar invite (REQUEST, or CANCEL with the same UID); SMS carry the talon number.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.web import absolute_url
from ..notifications.services import notify
from .invite import appointment_ics
from .models import Appointment, Participant
from .policy import call_window

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


def _invite(appointment: Appointment, method: str, user):
    return lambda: appointment_ics(appointment, method, attendee_email=user.email)



def announce_booked(appointment: Appointment, now: datetime) -> None:
    """Booking confirmed: the talon and the invite now; reminders and video details later."""
    citizen = appointment.citizen
    notify(citizen, "booking_confirmed",
           _l("Your reception with %(name)s is booked: talon %(talon)s",
                    name=appointment.official.full_name, talon=appointment.talon_number),
           "booking_confirmed", dedupe_key=f"booked:{appointment.id}", appointment_id=appointment.id,
           ics=_invite(appointment, "REQUEST", citizen), **_context(appointment))
    schedule_reminders(appointment, now)


def schedule_reminders(appointment: Appointment, now: datetime) -> None:
    """Reminders 24 and 2 hours before (those still ahead), and for video the call's details;
    each is dropped at sending time if the appointment was cancelled or moved meanwhile."""
    citizen, starts_at = appointment.citizen, appointment.slot.starts_at
    context = _context(appointment)
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
           ics=_invite(new, "REQUEST", citizen), previous=old, **_context(new))
    schedule_reminders(new, now)


def announce_cancelled_by_citizen(appointment: Appointment) -> None:
    citizen = appointment.citizen
    notify(citizen, "appointment_cancelled",
           _l("Your reception with %(name)s is cancelled", name=appointment.official.full_name),
           "appointment_cancelled", dedupe_key=f"cancelled:{appointment.id}", appointment_id=appointment.id,
           ics=_invite(appointment, "CANCEL", citizen),
           official_url=absolute_url("booking.official", official_id=appointment.official_id), **_context(appointment))


def cancel_invite(appointment: Appointment, user):
    """The CANCEL invite for an appointment the body cancelled (used with the session's message)."""
    return _invite(appointment, "CANCEL", user)


# --- receivers of reception.booking.signals -----------------------------------------------------

def on_booked(appointment: Appointment, now: datetime, **_) -> None:
    announce_booked(appointment, now)


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
           ics=_invite(appointment, "REQUEST", user), participant=participant,
           receptions_url=absolute_url("staff.my_receptions"), **_context(appointment))
