"""Who may join an appointment's video call, as whom, and when.

Seats: the official and the assistants of the official's body (moderators), the citizen
(video from home only; at a studio the studio joins), the operators of the booked studio's
akimat, and the appointment's participants (agency representatives, legal consultants,
others the official's side invited; moderators only if the official's side delegated it).
The citizen and the studio are never moderators.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from ..booking.models import Appointment, AppointmentStatus, ParticipantResponse
from ..booking.policy import Window, call_window  # noqa: F401  (the call's window: booking tells citizens)
from ..core.permissions import Role
from ..schedule.models import AttendanceFormat


class Seat(enum.StrEnum):
    OFFICIAL = "official"
    ASSISTANT = "assistant"
    PARTICIPANT = "participant"
    STUDIO = "studio"
    CITIZEN = "citizen"


SEAT_LABELS = {
    Seat.OFFICIAL: _l("Official"),
    Seat.ASSISTANT: _l("Reception assistant"),
    Seat.PARTICIPANT: _l("Participant"),
    Seat.STUDIO: _l("Video studio"),
    Seat.CITIZEN: _l("Citizen"),
}


@dataclass(frozen=True)
class Access:
    seat: Seat
    moderator: bool
    participant: object | None = None  # the Participant row for Seat.PARTICIPANT


def access_of(user, appointment: Appointment) -> Access | None:
    """The user's seat in the appointment's call, or None when they are not one of its participants."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    official = appointment.official
    if official.user_id is not None and official.user_id == user.id:
        return Access(Seat.OFFICIAL, moderator=True)
    if user.has_role(Role.ASSISTANT) and user.body_id is not None and user.body_id == official.body_id:
        return Access(Seat.ASSISTANT, moderator=True)
    for participant in appointment.participants:
        if participant.user_id == user.id and participant.response is not ParticipantResponse.DECLINED:
            return Access(Seat.PARTICIPANT, moderator=participant.is_moderator, participant=participant)
    if appointment.citizen_id == user.id:
        return Access(Seat.CITIZEN, moderator=False)
    studio = appointment.studio
    if (appointment.format is AttendanceFormat.VIDEO_STUDIO and studio is not None
            and user.has_role(Role.STUDIO_OPERATOR) and user.body_id == studio.body_id):
        return Access(Seat.STUDIO, moderator=False)
    return None


def joins_by_token(access: Access, appointment: Appointment) -> bool:
    """Whether this seat connects a device to the call. A citizen booked at a studio does not:
    the studio's device connects them."""
    return not (access.seat is Seat.CITIZEN and appointment.format is AttendanceFormat.VIDEO_STUDIO)


class CallState(enum.StrEnum):
    OPEN = "open"                  # within the window: tokens are given
    EARLY = "early"                # the call opens later: a countdown
    ENDED = "ended"                # after the window, or the reception was held
    CANCELLED = "cancelled"        # cancelled, moved to another time, or the citizen did not come
    NOT_SCHEDULED = "not_scheduled"  # a request still waiting for a time


#: HTTP status of the join page in each state (GET); asking for a token outside OPEN is 403.
STATE_STATUS = {CallState.OPEN: 200, CallState.EARLY: 200, CallState.ENDED: 410, CallState.CANCELLED: 410,
                CallState.NOT_SCHEDULED: 409}

STATE_MESSAGES = {
    CallState.EARLY: _l("The call has not opened yet."),
    CallState.ENDED: _l("This reception has ended."),
    CallState.CANCELLED: _l("This reception was cancelled or moved to another time: there is no call."),
    CallState.NOT_SCHEDULED: _l("This request has no reception time yet: there is no call."),
}


def call_state(appointment: Appointment, window: Window | None, now: datetime) -> CallState:
    status = appointment.status
    if status in (AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED, AppointmentStatus.NO_SHOW,
                  AppointmentStatus.CLOSED):
        return CallState.CANCELLED
    if window is None or status in (AppointmentStatus.REQUESTED, AppointmentStatus.SCREENING):
        return CallState.NOT_SCHEDULED
    if status is AppointmentStatus.HELD or now >= window.closes_at:
        return CallState.ENDED
    if now < window.opens_at:
        return CallState.EARLY
    return CallState.OPEN
