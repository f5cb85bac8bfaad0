"""Booking rules without the database: may this slot be booked now, may this appointment be cancelled."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, Invalid
from ..core.permissions import Permission, acts_for_official
from ..schedule.models import AttendanceFormat, BookingMode, SessionStatus, formats_of
from .holds import is_held_for
from .models import Appointment


def check_slot_bookable(slot, citizen, now: datetime) -> None:
    """Raise :class:`Invalid` with the citizen-facing reason when ``slot`` cannot be booked at ``now``.

    A slot held for the citizen (offered by screening or the waitlist) may be booked before the
    window opens and in request mode; a slot held for someone else is answered with Conflict.
    """
    session = slot.session
    check_session_receives(session, citizen)
    if slot.starts_at <= now:
        raise Invalid(_l("This time has already passed."))
    if now >= session.closes_at:
        raise Invalid(_l("Booking has closed."))
    if is_held_for(slot, citizen.id, now):
        return
    if slot.held_until is not None and slot.held_until > now:
        raise Conflict(_l("This time is being kept for another citizen for now."))
    if now < session.opens_at:
        raise Invalid(_l("Booking is not open yet."))
    if session.booking_mode is not BookingMode.SELF:
        raise Invalid(_l("This official takes requests: time is given after a review of the request."))
    if session.awaits_draw:
        raise Invalid(_l("The times of this reception are given by a draw: apply for the draw instead."))


def check_phone_confirmed(citizen) -> None:
    """Raise :class:`Invalid` for a phone-only account whose phone is not confirmed yet (see
    reception.accounts.models.User.must_confirm_phone): it books, sends requests and joins waitlists once
    it is."""
    if getattr(citizen, "must_confirm_phone", False):
        raise Invalid(_l("Confirm your phone number first: enter the code we sent you by SMS (see your "
                         "profile). Then you can book."))


def check_session_receives(session, citizen) -> None:
    """Raise :class:`Invalid` when ``session`` takes nobody (cancelled, held, unpublished) or not ``citizen``
    (a visiting reception for residents of another region), or not yet (:func:`check_phone_confirmed`)."""
    check_phone_confirmed(citizen)
    if session.status is not SessionStatus.PLANNED:
        raise Invalid(_l("This reception has been cancelled or has already taken place."))
    if not session.is_published:
        raise Invalid(_l("This reception has not been published yet."))
    if session.restricted_region_id is not None and citizen.region_id != session.restricted_region_id:
        raise Invalid(_l("This visiting reception is only for residents of %(region)s.",
                         region=session.restricted_region.name))


def check_can_apply_for_draw(session, citizen, now: datetime) -> None:
    """Raise :class:`Invalid` when ``citizen`` cannot apply for ``session``'s draw at ``now``."""
    check_session_receives(session, citizen)
    if session.ballot_closes_at is None:
        raise Invalid(_l("This reception is not booked by a draw."))
    if now < session.opens_at:
        raise Invalid(_l("Applications for the draw are not open yet."))
    if session.ballot_drawn_at is not None or now >= session.ballot_closes_at:
        raise Invalid(_l("Applications for the draw have closed."))


def allowed_formats(session) -> list[AttendanceFormat]:
    allowed = formats_of(session)
    return [f for f in AttendanceFormat if f in allowed]


def is_usable_studio(studio, citizen) -> bool:
    """A studio the citizen may book: an active studio in the citizen's own region."""
    return (studio is not None and studio.is_studio and studio.is_active
            and citizen.region_id is not None and studio.region_id == citizen.region_id)


def can_view_appointment(user, appointment: Appointment) -> bool:
    return user.is_authenticated and appointment.citizen_id == user.id


def can_cancel(user, appointment: Appointment, now: datetime) -> bool:
    return (can_view_appointment(user, appointment) and appointment.is_active
            and (appointment.session is None or now < appointment.session.closes_at))


def is_officials_side(user, appointment: Appointment, permission: Permission = Permission.PARTICIPANT_MANAGE) -> bool:
    """The official's side of ``appointment`` for ``permission``: the official themself (their linked
    account), an assistant of the official's body holding its ``:own`` variant, or an administrator.

    Each area names what the side is about to do: who takes part (the default), legal review
    (LEGAL_FLAG), outcomes (OUTCOME_RECORD).
    """
    return acts_for_official(user, appointment.official, permission)


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime


def call_window(appointment: Appointment, config) -> Window | None:
    """When the video call of a scheduled appointment is open: a margin before its slot to a margin after
    (``JITSI_JOIN_BEFORE_MINUTES``, ``JITSI_JOIN_AFTER_MINUTES``). Booking's messages and pages show it;
    reception.video opens the call by it."""
    slot = appointment.slot
    if slot is None:
        return None
    return Window(opens_at=slot.starts_at - timedelta(minutes=int(config["JITSI_JOIN_BEFORE_MINUTES"])),
                  closes_at=slot.ends_at + timedelta(minutes=int(config["JITSI_JOIN_AFTER_MINUTES"])))
