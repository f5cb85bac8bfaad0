"""Reads for the day board, the case brief and a body's invitations: sessions of a day, invitations,
citizens' earlier appointments."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import false, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..booking.models import Appointment, AppointmentStatus, Participant
from ..core.permissions import Permission, Role
from ..directory.models import Official, Venue
from ..extensions import db
from ..schedule.models import ReceptionSession, Slot
from .models import BodyInvitation, InvitationStatus
from .services import LIVE_STATUSES, WARN_BEFORE

#: Earlier appointments that count for a "repeat appeal": the citizen was received, or the request closed.
REPEAT_STATUSES = (AppointmentStatus.HELD, AppointmentStatus.CLOSED)


@dataclass
class BoardRow:
    """One appointment on the board with what the official's side needs to see beside it."""

    appointment: Appointment
    invitations: list[BodyInvitation] = field(default_factory=list)
    earlier: list[Appointment] = field(default_factory=list)
    repeat: bool = False
    unconfirmed: list[BodyInvitation] = field(default_factory=list)  # required bodies not confirmed in time


@dataclass
class BoardSession:
    session: ReceptionSession
    rows: list[BoardRow]


def _details(stmt):
    return stmt.options(
        joinedload(Appointment.official).joinedload(Official.body),
        joinedload(Appointment.session).joinedload(ReceptionSession.venue).joinedload(Venue.region),
        joinedload(Appointment.slot), joinedload(Appointment.studio).joinedload(Venue.body),
        joinedload(Appointment.topic), joinedload(Appointment.citizen),
        selectinload(Appointment.participants).joinedload(Participant.user))


def invitations_by_appointment(appointment_ids) -> dict[int, list[BodyInvitation]]:
    result: dict[int, list[BodyInvitation]] = defaultdict(list)
    if appointment_ids:
        rows = db.session.scalars(select(BodyInvitation).where(BodyInvitation.appointment_id.in_(appointment_ids))
                                  .options(joinedload(BodyInvitation.body), joinedload(BodyInvitation.attendee))
                                  .order_by(BodyInvitation.required.desc(), BodyInvitation.id))
        for invitation in rows:
            result[invitation.appointment_id].append(invitation)
    return result


def _moment(appointment: Appointment) -> datetime:
    return appointment.slot.starts_at if appointment.slot is not None else appointment.created_at


def earlier_appointments(appointment: Appointment, candidates: list[Appointment]) -> list[Appointment]:
    """The citizen's appointments before this one (latest first), without moved-away copies."""
    moment = _moment(appointment)
    return sorted((a for a in candidates if a.id != appointment.id and a.status is not AppointmentStatus.RESCHEDULED
                   and _moment(a) < moment), key=_moment, reverse=True)


def citizens_appointments(citizen_ids) -> dict[int, list[Appointment]]:
    result: dict[int, list[Appointment]] = defaultdict(list)
    if citizen_ids:
        rows = db.session.scalars(select(Appointment).where(Appointment.citizen_id.in_(citizen_ids))
                                  .options(joinedload(Appointment.slot), joinedload(Appointment.official),
                                           joinedload(Appointment.topic),
                                           joinedload(Appointment.session).joinedload(ReceptionSession.venue)
                                           .joinedload(Venue.region)))
        for a in rows.unique():
            result[a.citizen_id].append(a)
    return result


def is_repeat(appointment: Appointment, earlier: list[Appointment]) -> bool:
    """An earlier held or closed appointment on the same topic or with the same official."""
    return any(a.status in REPEAT_STATUSES and (a.topic_id == appointment.topic_id
                                                or a.official_id == appointment.official_id) for a in earlier)


def unconfirmed_required(appointment: Appointment, invitations: list[BodyInvitation], now: datetime):
    """Required bodies that have not confirmed, when the reception is within a day and still to be held."""
    if appointment.status not in LIVE_STATUSES or appointment.slot is None or appointment.finished_at:
        return []
    if appointment.slot.starts_at - now > WARN_BEFORE or appointment.slot.ends_at <= now:
        return []
    return [i for i in invitations if i.required and i.status is not InvitationStatus.ACCEPTED]


def build_rows(appointments: list[Appointment], now: datetime) -> list[BoardRow]:
    invitations = invitations_by_appointment([a.id for a in appointments])
    history = citizens_appointments({a.citizen_id for a in appointments})
    rows = []
    for a in appointments:
        earlier = earlier_appointments(a, history.get(a.citizen_id, []))
        invited = invitations.get(a.id, [])
        rows.append(BoardRow(appointment=a, invitations=invited, earlier=earlier, repeat=is_repeat(a, earlier),
                             unconfirmed=unconfirmed_required(a, invited, now)))
    return rows


def appointment_scope(user):
    """Which appointments the user's day board shows (a condition on Official, or None for all): all,
    their body's (assistants), or their own official record's."""
    if user.can(Permission.APPOINTMENT_VIEW):
        return None
    conditions = []
    if user.can(Permission.APPOINTMENT_VIEW_OWN):
        conditions.append(Official.user_id == user.id)
        if user.body_id is not None and user.has_role(Role.ASSISTANT):
            conditions.append(Official.body_id == user.body_id)
    return or_(*conditions) if conditions else false()


def board(scope, day: date, now: datetime, official_id: int | None = None) -> list[BoardSession]:
    """The day's sessions within ``scope`` (a condition on Official, or None for all), of one official
    when ``official_id`` is given, each with its appointments in order (moved-away ones left out)."""
    stmt = (select(ReceptionSession).join(ReceptionSession.official).where(ReceptionSession.local_date == day)
            .options(joinedload(ReceptionSession.official), joinedload(ReceptionSession.venue))
            .order_by(ReceptionSession.starts_at, ReceptionSession.id))
    if scope is not None:
        stmt = stmt.where(scope)
    if official_id is not None:
        stmt = stmt.where(ReceptionSession.official_id == official_id)
    sessions = db.session.scalars(stmt).unique().all()
    if not sessions:
        return []
    appointments = db.session.scalars(_details(
        select(Appointment).join(Appointment.slot)
        .where(Appointment.session_id.in_([s.id for s in sessions]),
               Appointment.status != AppointmentStatus.RESCHEDULED)
        .order_by(Slot.starts_at, Appointment.id))).unique().all()
    rows = build_rows(list(appointments), now)
    by_session: dict[int, list[BoardRow]] = defaultdict(list)
    for row in rows:
        by_session[row.appointment.session_id].append(row)
    return [BoardSession(session=s, rows=by_session.get(s.id, [])) for s in sessions]


def shown_appointments(sessions: list[BoardSession]) -> list[Appointment]:
    """Every appointment the board shows: the day's, and the citizens' earlier ones (for the partials of
    later areas, which load what they show beside each appointment in one query for all of them)."""
    shown = {}
    for item in sessions:
        for row in item.rows:
            for a in (row.appointment, *row.earlier):
                shown.setdefault(a.id, a)
    return list(shown.values())


def list_body_invitations(user, now: datetime, limit: int = 200) -> list[BodyInvitation]:
    """The user's body's invitations: upcoming first (soonest first), then past ones (latest first), with
    the reception (time, place, official, topic) and the attendee loaded."""
    if user.body_id is None:
        return []
    appointment = contains_eager(BodyInvitation.appointment)
    base = (select(BodyInvitation).join(BodyInvitation.appointment).join(Appointment.slot)
            .where(BodyInvitation.body_id == user.body_id,
                   Appointment.status != AppointmentStatus.RESCHEDULED)
            .options(joinedload(BodyInvitation.attendee), appointment.contains_eager(Appointment.slot),
                     appointment.joinedload(Appointment.topic),
                     appointment.joinedload(Appointment.official).joinedload(Official.body),
                     appointment.joinedload(Appointment.session).joinedload(ReceptionSession.venue)
                     .joinedload(Venue.region)))
    upcoming = db.session.scalars(base.where(Slot.ends_at > now).order_by(Slot.starts_at).limit(limit)).all()
    past = db.session.scalars(base.where(Slot.ends_at <= now).order_by(Slot.starts_at.desc()).limit(limit)).all()
    return list(upcoming) + list(past)
