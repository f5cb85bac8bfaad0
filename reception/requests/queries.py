"""Request mode reads: who takes requests, the screening queue, the time that may be offered, a request, its offers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..accounts.models import User
from ..booking.holds import not_held_by_other
from ..booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, OfferStatus, SlotOffer
from ..directory.models import Body, Official, Venue, body_topics
from ..directory.queries import MAX_ID, by_name
from ..extensions import db
from ..schedule.models import AttendanceFormat, BookingMode, ReceptionSession, SessionStatus, Slot
from . import rules
from .models import URGENT_STATUSES, RequestUrgency

#: The screening queue shows this many requests per list, oldest first.
QUEUE_LIMIT = 200
#: The offer form lists this many free times, soonest first.
OFFERABLE_LIMIT = 60


# --- officials who take requests -------------------------------------------------------------

def _upcoming_request_sessions(now: datetime):
    return select(ReceptionSession).where(
        ReceptionSession.booking_mode == BookingMode.REQUEST, ReceptionSession.status == SessionStatus.PLANNED,
        ReceptionSession.is_published, ReceptionSession.closes_at > now)


def official_takes_requests(official_id: int, now: datetime) -> bool:
    """The official has upcoming published sessions in request mode (citizens send requests, not bookings)."""
    if not isinstance(official_id, int) or not 0 < official_id <= MAX_ID:
        return False
    stmt = _upcoming_request_sessions(now).where(ReceptionSession.official_id == official_id)
    return bool(db.session.scalar(select(exists(stmt))))


def request_formats(official_id: int, now: datetime) -> list[AttendanceFormat]:
    """The formats the official's upcoming request-mode sessions allow (a request may ask for any of them)."""
    row = db.session.execute(
        _upcoming_request_sessions(now).where(ReceptionSession.official_id == official_id)
        .with_only_columns(func.max(case((ReceptionSession.allow_in_person, 1), else_=0)),
                           func.max(case((ReceptionSession.allow_video_studio, 1), else_=0)))).one()
    formats = []
    if row[0]:
        formats.append(AttendanceFormat.IN_PERSON)
    if row[1]:
        formats.append(AttendanceFormat.VIDEO_STUDIO)
    return formats


def get_official(official_id: int) -> Official | None:
    """An active official of an active body, with the body loaded, or None."""
    if not isinstance(official_id, int) or not 0 < official_id <= MAX_ID:
        return None
    return db.session.scalar(select(Official).join(Official.body).options(contains_eager(Official.body))
                             .where(Official.id == official_id, Official.is_active, Body.is_active))


# --- one request --------------------------------------------------------------------------------

def _request_stmt():
    session = joinedload(SlotOffer.slot).joinedload(Slot.session)
    return select(Appointment).where(Appointment.redirect_due_on.is_not(None)).options(
        joinedload(Appointment.citizen).joinedload(User.region),
        joinedload(Appointment.official).joinedload(Official.body).joinedload(Body.region),
        joinedload(Appointment.topic), joinedload(Appointment.studio), joinedload(Appointment.redirect_body),
        joinedload(Appointment.decided_by),
        selectinload(Appointment.offers).options(
            session.joinedload(ReceptionSession.venue).joinedload(Venue.region),
            session.joinedload(ReceptionSession.official)),
    )


def get_request(request_id: int) -> Appointment | None:
    """A request (an appointment sent in request mode) with what the screening page shows, or None."""
    if not isinstance(request_id, int) or not 0 < request_id <= MAX_ID:
        return None
    return db.session.scalar(_request_stmt().where(Appointment.id == request_id))


def get_own_request(citizen_id: int, request_id: int) -> Appointment | None:
    """The citizen's own request, or None: another citizen's request is indistinguishable from none."""
    if not isinstance(request_id, int) or not 0 < request_id <= MAX_ID:
        return None
    return db.session.scalar(_request_stmt().where(Appointment.id == request_id,
                                                   Appointment.citizen_id == citizen_id))


# --- the screening queue ------------------------------------------------------------------------

@dataclass
class QueueRow:
    request: Appointment
    timezone: str
    flag: rules.DeadlineFlag
    offers_expired: bool
    offers_until: datetime | None  # the latest hold deadline of the live offers
    urgency: RequestUrgency | None = None
    urgent_late: bool = False  # urgent, still waiting, and its one working day has passed


def _live_offer(now: datetime):
    return exists().where(SlotOffer.appointment_id == Appointment.id, SlotOffer.status == OfferStatus.OPEN,
                          SlotOffer.expires_at > now)


def _awaiting(now: datetime):
    """SQL condition: waiting for screening (new, or every offer has run out)."""
    return and_(Appointment.redirect_due_on.is_not(None), or_(
        Appointment.status == AppointmentStatus.REQUESTED,
        and_(Appointment.status == AppointmentStatus.SCREENING, not_(_live_offer(now)))))


def _scoped(stmt, scope: frozenset[int] | None):
    stmt = stmt.join(Official, Official.id == Appointment.official_id)
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(scope))
    return stmt


def count_awaiting(scope: frozenset[int] | None, now: datetime) -> int:
    """How many requests wait for a decision in the bodies of ``scope`` (None: every body)."""
    if scope is not None and not scope:
        return 0
    stmt = _scoped(select(func.count()).select_from(Appointment), scope).where(_awaiting(now))
    return db.session.scalar(stmt)


def _row(request: Appointment, urgency: RequestUrgency | None, now: datetime, calendar,
         awaiting: bool) -> QueueRow:
    tz = request.official.body.timezone
    today = rules.local_date(now, tz)
    live = [o.expires_at for o in request.offers if o.status is OfferStatus.OPEN and o.expires_at > now]
    urgent = urgency is not None and urgency.is_urgent
    return QueueRow(request=request, timezone=tz,
                    flag=rules.deadline_flag(request.redirect_due_on, today, calendar),
                    offers_expired=request.status is AppointmentStatus.SCREENING and not live,
                    offers_until=max(live) if live else None, urgency=urgency,
                    urgent_late=awaiting and urgent and rules.is_urgent_late(urgency.due_on, today))


def _urgent_first(stmt):
    """The request's urgency with it (outer join: most have none), urgent ones first, then oldest first."""
    urgent = case((RequestUrgency.status.in_(URGENT_STATUSES), 0), else_=1)
    return (stmt.outerjoin(RequestUrgency, RequestUrgency.appointment_id == Appointment.id)
            .add_columns(RequestUrgency).order_by(urgent, Appointment.created_at, Appointment.id))


def list_awaiting(scope: frozenset[int] | None, now: datetime, calendar) -> list[QueueRow]:
    """Requests waiting for a decision: urgent ones first (the citizen's mark counts until staff clear it),
    then oldest first; with their redirect deadline flagged, and urgent ones past their day flagged late."""
    stmt = _urgent_first(_scoped(_request_stmt(), scope).where(_awaiting(now)))
    return [_row(r, u, now, calendar, True) for r, u in db.session.execute(stmt.limit(QUEUE_LIMIT)).unique()]


def list_offered(scope: frozenset[int] | None, now: datetime, calendar) -> list[QueueRow]:
    """Requests whose offered times the citizen has not chosen from yet (offers still open): urgent first,
    then oldest first."""
    stmt = _urgent_first(_scoped(_request_stmt(), scope)
                         .where(Appointment.status == AppointmentStatus.SCREENING, _live_offer(now)))
    return [_row(r, u, now, calendar, False) for r, u in db.session.execute(stmt.limit(QUEUE_LIMIT)).unique()]


# --- what screening may offer and where it may redirect -----------------------------------------

def _offerable_stmt(request: Appointment, now: datetime):
    taken = exists().where(Appointment.slot_id == Slot.id, Appointment.status.in_(ACTIVE_STATUSES))
    stmt = (
        select(Slot).join(Slot.session).join(ReceptionSession.venue).join(Venue.region)
        .where(ReceptionSession.official_id == request.official_id,
               ReceptionSession.booking_mode == BookingMode.REQUEST,
               ReceptionSession.status == SessionStatus.PLANNED, ReceptionSession.is_published,
               ReceptionSession.closes_at > now, Slot.starts_at > now,
               not_held_by_other(request.citizen_id, now), ~taken,
               or_(ReceptionSession.restricted_region_id.is_(None),
                   ReceptionSession.restricted_region_id == request.citizen.region_id))
        .options(contains_eager(Slot.session).contains_eager(ReceptionSession.venue).contains_eager(Venue.region))
    )
    if request.format is AttendanceFormat.VIDEO_STUDIO:
        stmt = stmt.where(ReceptionSession.allow_video_studio)
    else:
        stmt = stmt.where(ReceptionSession.allow_in_person)
    return stmt


def offerable_slots(request: Appointment, now: datetime, limit: int = OFFERABLE_LIMIT) -> list[Slot]:
    """Free times of the official's request-mode sessions that suit the request, soonest first.

    Unlike the public search, sessions whose booking window has not opened yet count: an
    offered slot is held for the citizen, who may book it before the window opens.
    """
    stmt = _offerable_stmt(request, now).order_by(Slot.starts_at, Slot.id).limit(limit)
    return list(db.session.scalars(stmt))


def get_offerable_slots(request: Appointment, slot_ids, now: datetime) -> dict[int, Slot]:
    """Those of ``slot_ids`` that may be offered for ``request`` now, by id."""
    ids = [i for i in slot_ids if isinstance(i, int) and 0 < i <= MAX_ID]
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(_offerable_stmt(request, now).where(Slot.id.in_(ids)))}


def redirect_body_choices(request: Appointment) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Active bodies other than the request's own: those competent for its topic first, then the others."""
    bodies = db.session.scalars(select(Body).options(joinedload(Body.region))
                                .where(Body.is_active, Body.id != request.official.body_id)).all()
    competent = set(db.session.scalars(select(body_topics.c.body_id)
                                       .where(body_topics.c.topic_id == request.topic_id)))

    def label(body: Body) -> str:
        return f"{body.name} ({body.region.name})" if body.region else body.name

    suggested = [(b.id, label(b)) for b in by_name([b for b in bodies if b.id in competent])]
    others = [(b.id, label(b)) for b in by_name([b for b in bodies if b.id not in competent])]
    return suggested, others
