"""Booking reads: free slots for the public search, a citizen's appointments, talons, the waitlist, form choices."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from sqlalchemy import Select, String, bindparam, cast, exists, func, null, or_, select, true, tuple_
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from ..accounts.models import User, UserRole
from ..core.i18n import localized
from ..core.permissions import Role
from ..directory.kept import kept
from ..directory.models import Body, Official, Region, Topic, Venue, VenueKind, body_topics
from ..directory.queries import MAX_ID, competence_shape, competent_bodies
from ..extensions import db
from ..schedule.models import AttendanceFormat, BookingMode, ReceptionSession, SessionStatus, Slot, VisitingReception
from .holds import not_held_by_other
from .models import ACTIVE_STATUSES, Appointment, Reservation, ReservationResource, WaitlistEntry, WaitlistStatus

LIVE_WAITLIST = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)

DEFAULT_LIMIT = 50
SEARCH_PAGE = 20  # results per page of the public search: a phone shows them without endless scrolling


def _free_slots_stmt(now, yesterday=None, two_days_ago=None, *, of_officials=()):
    """The ids of free slots: slots of planned sessions whose booking window is open, in the future, held by no
    active appointment, of an active official of an active body (``of_officials``: more conditions on the
    official, :class:`Official`, e.g. its body).

    Narrow on purpose: ids only, the session the one table joined, the official and body asked by EXISTS. A
    region's first day at ten million slots holds 2,000 candidates, and carrying every column of the session,
    official, body, venue and region through their sort took twice as long as finding them; :func:`_loaded`
    then loads the page's few slots with all of that.

    ``now`` is a datetime or a bind parameter; with a parameter, so are ``yesterday`` and ``two_days_ago``
    (see :func:`_future_sessions`), and the statement can be built once and run with other values."""
    taken = exists().where(Appointment.slot_id == Slot.id, Appointment.status.in_(ACTIVE_STATUSES))
    official = (select(Official.id).join(Official.body)
                .where(Official.id == ReceptionSession.official_id, Official.is_active, Body.is_active, *of_officials)
                .exists())
    return (
        select(Slot.id)
        .join(Slot.session)
        .where(ReceptionSession.status == SessionStatus.PLANNED,
               ReceptionSession.is_published, ReceptionSession.opens_at <= now, ReceptionSession.closes_at > now,
               Slot.starts_at > now, not_held_by_other(None, now), official, ~taken,
               *_future_sessions(now, yesterday, two_days_ago))
    )


def _future_sessions(now, yesterday=None, two_days_ago=None):
    """Bounds implied by ``Slot.starts_at > now`` that let the session indexes skip the past.

    A session's hours lie within its local date (the schedule services refuse an end before the start),
    so a slot still to come belongs to a session of a local date no earlier than yesterday's UTC date,
    which started less than a day (25 hours on a daylight-saving day) before ``now``.
    """
    if yesterday is None:
        yesterday, two_days_ago = (now - timedelta(days=1)).date(), now - timedelta(days=2)
    return (ReceptionSession.local_date >= yesterday, ReceptionSession.starts_at > two_days_ago)


def _loaded(ids: Select, order=(Slot.starts_at, Slot.id)):
    """Select the slots whose ids the statement ``ids`` (of one column) gives, with session, official, body,
    venue and region loaded, in ``order``."""
    ids = ids.subquery()
    return _eager(select(Slot).join(ids, ids.c[0] == Slot.id).join(Slot.session).join(ReceptionSession.official)
                  .join(Official.body).join(ReceptionSession.venue).join(Venue.region)).order_by(*order)


def _eager(stmt):
    session = contains_eager(Slot.session)
    return stmt.options(
        session.contains_eager(ReceptionSession.official).contains_eager(Official.body),
        session.contains_eager(ReceptionSession.venue).contains_eager(Venue.region),
    )


def page_cursor(slot: Slot) -> str:
    """Where a page of search results ends: the last slot's start (microseconds since the epoch) and id."""
    return f"{(slot.starts_at - _EPOCH) // timedelta(microseconds=1)}-{slot.id}"


def parse_page_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The start and id a :func:`page_cursor` holds; None for one no slot can have made."""
    micros, _, slot_id = cursor.partition("-")
    try:
        starts_at = _EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    return (starts_at, int(slot_id)) if 0 < int(slot_id) <= MAX_ID else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def search_free_slots(region_code: str | None = None, body_id: int | None = None, official_id: int | None = None,
                      topic_id: int | None = None, date_from: date | None = None, date_to: date | None = None,
                      format: AttendanceFormat | None = None, *, now: datetime,
                      limit: int = DEFAULT_LIMIT, after: tuple[datetime, int] | None = None,
                      studio_id: int | None = None) -> list[Slot]:
    """Free slots, soonest first, with session, official, body, venue and region loaded, in one query.

    ``region_code`` is the region where the reception takes place; dates are the session's local dates.
    ``after`` (a start and a slot id, see :func:`page_cursor`): only the slots that come after it.
    ``studio_id`` (with the video-from-a-studio format): only times when that studio is free, i.e. no
    unreleased reservation of the studio overlaps the slot (booking such a time would fail).
    """
    on_official = []
    if body_id:
        on_official.append(Official.body_id == body_id)
    if topic_id:
        on_official.append(exists().where(body_topics.c.body_id == Official.body_id,
                                          body_topics.c.topic_id == topic_id))
    stmt = _free_slots_stmt(now, of_officials=on_official)
    if after is not None:
        starts_at, slot_id = after
        # A session of a later slot has a local date no earlier than the UTC date before that start.
        stmt = stmt.where(tuple_(Slot.starts_at, Slot.id) > tuple_(starts_at, slot_id),
                          ReceptionSession.local_date >= (starts_at - timedelta(days=1)).date())
    order = (Slot.starts_at, Slot.id)
    if region_code:
        # One region has one time zone and a session's slots lie within its local date, so within a region
        # the local date orders slots as their start does: leading with it, the sessions are read day by day
        # and one day's slots sorted, not the whole period's.
        order = (ReceptionSession.local_date, *order)
    if official_id:
        stmt = stmt.where(ReceptionSession.official_id == official_id)
    if date_from:
        stmt = stmt.where(ReceptionSession.local_date >= date_from)
    if date_to:
        stmt = stmt.where(ReceptionSession.local_date <= date_to)
    if format is not None:
        stmt = stmt.where(_FORMAT_COLUMNS[format])
    if studio_id and format is AttendanceFormat.VIDEO_STUDIO:
        stmt = stmt.where(~_studio_taken(studio_id))
    if region_code:
        stmt = _in_region(stmt, region_code, order, limit)
    else:
        stmt = stmt.order_by(*order).limit(limit)
    return list(db.session.scalars(_loaded(stmt, order)))


def _in_region(stmt: Select, region_code: str, order, limit: int) -> Select:
    """``stmt`` (free slot ids) narrowed to the sessions held at the venues of the region, its first ``limit``
    in ``order`` (the local date first).

    On PostgreSQL, venue by venue (a LATERAL join; ix_reception_sessions_venue_id_local_date): each venue's
    sessions are read day by day from the first date and stop once its first ``limit`` slots are found, and
    the venues' few are sorted together. The sessions of other regions are never read, so the search does not
    grow with theirs. SQLite (no LATERAL) reads the region's sessions by local date.
    """
    venues = select(Venue.id).join(Venue.region).where(Region.code == region_code)
    if db.session.get_bind().dialect.name != "postgresql":
        return stmt.where(ReceptionSession.venue_id.in_(venues)).order_by(*order).limit(limit)
    venue = venues.subquery()
    first = (stmt.add_columns(*order[:2]).where(ReceptionSession.venue_id == venue.c.id)
             .order_by(*order).limit(limit).lateral())
    return (select(first.c.id).select_from(venue).join(first, true())
            .order_by(first.c.local_date, first.c.starts_at, first.c.id).limit(limit))


def _studio_taken(studio_id: int):
    """Whether the studio is reserved for a reception overlapping the slot (ix_reservations_resource)."""
    return exists().where(Reservation.resource == ReservationResource.STUDIO, Reservation.resource_id == studio_id,
                          Reservation.released_at.is_(None), Reservation.starts_at < Slot.ends_at,
                          Reservation.ends_at > Slot.starts_at)


_FORMAT_COLUMNS = {AttendanceFormat.IN_PERSON: ReceptionSession.allow_in_person,
                   AttendanceFormat.VIDEO_STUDIO: ReceptionSession.allow_video_studio,
                   AttendanceFormat.VIDEO_REMOTE: ReceptionSession.allow_video_remote}


def next_free_slot_per_official(official_ids, now: datetime, *, by: datetime | None = None) -> dict[int, Slot]:
    """The soonest free slot of each official (officials with none are absent), in one query.

    ``by``: a time by which each of these officials is known to have a free slot (the search passes the
    latest of their first slots in its results), so that nothing later need be read.

    Set-based: a correlated subquery per official takes the first free slot (``ORDER BY ... LIMIT 1``: what
    a LATERAL join does, in a form SQLite runs too). On PostgreSQL it reads the official's sessions up to
    ``by`` (ix_reception_sessions_official_id_starts_at) or, without ``by``, the official's sessions still
    open for booking (ix_reception_sessions_official_open), and the slots of those sessions only.
    """
    official_ids = list(dict.fromkeys(official_ids))
    if not official_ids:
        return {}
    params = {"officials": official_ids, "now": now, "yesterday": (now - timedelta(days=1)).date(),
              "two_days_ago": now - timedelta(days=2), "by": by}
    return {slot.session.official_id: slot
            for slot in db.session.scalars(_next_free_stmt(by is not None), params)}


@cache
def _next_free_stmt(bounded: bool):
    """The statement of :func:`next_free_slot_per_official`, built once per shape (the search page runs it on
    every first page: building it anew cost more CPU than PostgreSQL spends running it)."""
    now = bindparam("now", type_=Slot.starts_at.type)
    wanted = aliased(Official)
    first_free = _free_slots_stmt(now, bindparam("yesterday", type_=ReceptionSession.local_date.type),
                                  bindparam("two_days_ago", type_=Slot.starts_at.type))
    first_free = first_free.where(ReceptionSession.official_id == wanted.id)
    if bounded:
        by = bindparam("by", type_=Slot.starts_at.type)
        first_free = first_free.where(Slot.starts_at <= by, ReceptionSession.starts_at <= by)
    first_free = first_free.order_by(Slot.starts_at, Slot.id).limit(1).correlate(wanted).scalar_subquery()
    return _loaded(select(first_free.label("slot_id")).select_from(wanted)
                   .where(wanted.id.in_(bindparam("officials", expanding=True))), order=())


def next_free_of_listed(slots: list[Slot], now: datetime, *, narrowed: bool) -> dict[int, Slot]:
    """The soonest free slot of each official among ``slots`` (a search's results, soonest first).

    When the search was ``narrowed`` by anything that can leave out some of an official's free time (region,
    topic, dates, format) this asks the database (one query, bounded by the last slot listed); otherwise
    every official's first listed slot is their soonest, and no query is needed.
    """
    if narrowed:
        return next_free_slot_per_official((s.session.official_id for s in slots), now,
                                           by=max((s.starts_at for s in slots), default=None))
    first: dict[int, Slot] = {}
    for slot in slots:
        first.setdefault(slot.session.official_id, slot)
    return first


def bookable_free_slots(official_id: int, citizen, now: datetime, *, visiting_id: int | None = None,
                        format: AttendanceFormat | None = None, exclude_slot_id: int | None = None,
                        limit: int = DEFAULT_LIMIT) -> list[Slot]:
    """Free slots of the official that ``citizen`` could book right now, soonest first, in one query.

    Self-booked sessions only (request mode goes through screening), visiting sessions of other
    regions left out; ``visiting_id`` keeps one visiting reception's sessions only.
    """
    stmt = _free_slots_stmt(now).where(
        ReceptionSession.official_id == official_id, ReceptionSession.booking_mode == BookingMode.SELF,
        or_(ReceptionSession.restricted_region_id.is_(None),
            ReceptionSession.restricted_region_id == citizen.region_id))
    if visiting_id is not None:
        stmt = stmt.where(ReceptionSession.visiting_id == visiting_id)
    if format is not None:
        stmt = stmt.where(_FORMAT_COLUMNS[format])
    if exclude_slot_id is not None:
        stmt = stmt.where(Slot.id != exclude_slot_id)
    return list(db.session.scalars(_loaded(stmt.order_by(Slot.starts_at, Slot.id).limit(limit))))


def has_free_request_time(official_id: int, now: datetime) -> bool:
    """Whether the official has free time in request mode (given after screening, not self-booked)."""
    stmt = _free_slots_stmt(now).where(ReceptionSession.official_id == official_id,
                                       ReceptionSession.booking_mode == BookingMode.REQUEST)
    return db.session.scalar(select(stmt.limit(1).exists()))


def get_public_official(official_id: int) -> Official | None:
    """An active official of an active body (with the body), or None."""
    if not isinstance(official_id, int) or not 0 < official_id <= MAX_ID:
        return None
    return db.session.scalar(select(Official).join(Official.body).options(contains_eager(Official.body))
                             .where(Official.id == official_id, Official.is_active, Body.is_active))


def get_slot(slot_id: int, *, lock_for_citizen: int | None = None) -> Slot | None:
    """A slot with everything the booking page shows, or None (also for ids no row can have).

    With ``lock_for_citizen`` (a booking), the same statement locks that citizen's row and the slot's
    row until the transaction ends (PostgreSQL; SQLite writes one transaction at a time): two bookings
    of one citizen are then counted one after the other (the cap on active appointments), and a hold
    placed on the slot meanwhile waits for the booking (and the booking sees a hold placed before it).
    """
    if not isinstance(slot_id, int) or not 0 < slot_id <= MAX_ID:
        return None
    return db.session.scalar(_slot_stmt(lock_for_citizen is not None),
                             {"slot_id": slot_id, "citizen_id": lock_for_citizen})


def get_slot_to_book(slot_id: int) -> tuple[Slot | None, int | None]:
    """The slot of a booking form (as :func:`get_slot`) and who holds it already: the citizen of its active
    appointment, None while it is free; (None, None) when there is no such slot. One statement."""
    if not isinstance(slot_id, int) or not 0 < slot_id <= MAX_ID:
        return None, None
    row = db.session.execute(_form_slot_stmt(), {"slot_id": slot_id}).first()
    return (row[0], row[1]) if row is not None else (None, None)


@cache
def _form_slot_stmt():
    holder = (select(Appointment.citizen_id)
              .where(Appointment.slot_id == Slot.id, Appointment.status.in_(ACTIVE_STATUSES))
              .limit(1).scalar_subquery())
    return _slot_stmt(False).add_columns(holder)


@cache
def _slot_stmt(locking: bool):
    """The statement of :func:`get_slot`, built once (the booking path runs it on every request)."""
    slot_id = bindparam("slot_id")
    if not locking:
        stmt = select(Slot)
    else:  # the citizen's row first: the lock order of check_active_cap (user, then slot)
        stmt = (select(Slot).select_from(User).join(Slot, Slot.id == slot_id)
                .where(User.id == bindparam("citizen_id")).with_for_update(of=[User, Slot], key_share=True)
                .execution_options(populate_existing=True))  # the hold as it is now, not as loaded before
    return _eager(stmt.join(Slot.session).join(ReceptionSession.official).join(Official.body)
                  .join(ReceptionSession.venue).join(Venue.region).where(Slot.id == slot_id))


# The topics a booking with the body (bind parameter "body") may name: its competences, or every topic when it
# records none. The booking's checks and its form's choices both use it.
_COMPETENCES = select(body_topics.c.topic_id).where(body_topics.c.body_id == bindparam("body"))
_RECEIVED_BY_BODY = or_(~_COMPETENCES.exists(), Topic.id.in_(_COMPETENCES))


@dataclass
class BookingChecks:
    """What a booking must know before it writes, read in one statement (:func:`booking_checks`)."""

    twin_id: int | None           # the appointment already booked with this idempotency key
    active: int                   # the citizen's active appointments
    slot_taken: bool              # an active appointment holds the slot
    same_official: bool           # the citizen has an active appointment with the slot's official
    topic_ok: bool                # the topic exists and is among the body's competences (if it records any)
    studio_region_id: int | None  # the chosen studio's region, if it is an active studio
    assistant_name: str | None    # the body's first active assistant (see .talon.accepting_person)
    waitlist_entry_id: int | None  # the citizen's live waitlist entry for the official
    next_id: int                  # the new appointment's id
    competent_body_ids: list[int]  # the bodies competent for the topic (reception.directory.queries.competent_bodies)


def booking_checks(citizen, slot: Slot, topic_id: int, studio_id: int | None,
                   idempotency_key: str | None) -> BookingChecks:
    """Everything :func:`reception.booking.services.book_slot` checks against the database, in one statement,
    and the bodies competent for the topic (whom the booking invites).

    Run it after :func:`get_slot` locked the citizen's row: on PostgreSQL each statement reads what was
    committed when it starts, so the counts include a booking of the same citizen that just committed.
    """
    session = slot.session
    body = session.official.body
    competence = competence_shape(body.level, citizen.region_id)
    stmt = _booking_checks_stmt(db.session.get_bind().dialect.name, idempotency_key is not None,
                                studio_id is not None, competence)
    # On the session's connection: a plain row (the ORM's result layer cost 2 % of a booking's CPU instructions),
    # after flushing what is pending, as session.execute would.
    db.session.flush()
    row = db.session.connection().execute(stmt, {
        "key": idempotency_key, "citizen": citizen.id, "slot": slot.id, "official": session.official_id,
        "body": body.id, "topic": topic_id, "studio": studio_id, "region": citizen.region_id}).one()
    competent = sorted(int(i) for i in row[9].split(",")) if row[9] else []
    return BookingChecks(row[0], row[1], bool(row[2]), bool(row[3]), bool(row[4]), row[5], row[6], row[7], row[8],
                         competent)


@cache
def _booking_checks_stmt(dialect: str, with_key: bool, with_studio: bool, competence: tuple[bool, bool] | None):
    """The statement of :func:`booking_checks`, built once per dialect and shape (every booking runs it:
    building it anew each time cost more than running it). ``competence``: the shape of the competent bodies'
    statement (None: no body can be competent)."""
    citizen, official, body = bindparam("citizen"), bindparam("official"), bindparam("body")
    active = Appointment.status.in_(ACTIVE_STATUSES)
    if dialect == "postgresql":
        next_id = func.nextval(func.pg_get_serial_sequence("appointments", "id"))
    else:  # SQLite: the transaction holds the one write lock (BEGIN IMMEDIATE), so nobody takes this id meanwhile.
        next_id = select(func.coalesce(func.max(Appointment.id), 0) + 1).scalar_subquery()
    columns = [
        select(Appointment.id).where(Appointment.idempotency_key == bindparam("key")).scalar_subquery()
        if with_key else null(),
        select(func.count()).select_from(Appointment).where(Appointment.citizen_id == citizen, active)
        .scalar_subquery(),
        exists().where(Appointment.slot_id == bindparam("slot"), active),
        exists().where(Appointment.citizen_id == citizen, Appointment.official_id == official, active),
        exists().where(Topic.id == bindparam("topic"), _RECEIVED_BY_BODY),
        select(Venue.region_id).where(Venue.id == bindparam("studio"), Venue.kind == VenueKind.STUDIO,
                                      Venue.is_active).scalar_subquery() if with_studio else null(),
        select(User.full_name).join(UserRole, UserRole.user_id == User.id)
        .where(User.body_id == body, User.is_active, UserRole.role == Role.ASSISTANT)
        .order_by(User.id).limit(1).scalar_subquery(),
        select(WaitlistEntry.id).where(WaitlistEntry.citizen_id == citizen, WaitlistEntry.official_id == official,
                                       WaitlistEntry.status.in_(LIVE_WAITLIST)).limit(1).scalar_subquery(),
        next_id,
    ]
    if competence is None:
        columns.append(null())
    else:  # the ids as one text ("3,17"): one column on every database
        competent = competent_bodies(*competence).subquery()
        columns.append(select(func.aggregate_strings(cast(competent.c.id, String), ",")).scalar_subquery())
    return select(*columns)


def nearest_free_slots(slot: Slot, now: datetime, limit: int = 3, *, citizen_id: int | None = None,
                       studio_id: int | None = None) -> list[Slot]:
    """A cheap suggestion for a citizen who just lost a slot: the next free times of the same session.

    Never the lost time again (another slot of the session at the same start loses the same way), nor a time
    when ``citizen_id`` already has a reception or ``studio_id`` (a booking from a studio) is reserved.
    """
    stmt = _nearest_free_stmt(citizen_id is not None, studio_id is not None)
    return list(db.session.scalars(stmt, {"session": slot.session_id, "lost_start": slot.starts_at, "now": now,
                                          "citizen": citizen_id, "studio": studio_id, "limit": limit}))


@cache
def _nearest_free_stmt(for_citizen: bool, for_studio: bool):
    """The statement of :func:`nearest_free_slots`, built once per shape (every refused booking runs it)."""
    taken = exists().where(Appointment.slot_id == Slot.id, Appointment.status.in_(ACTIVE_STATUSES))
    busy = [(ReservationResource.CITIZEN, "citizen", for_citizen), (ReservationResource.STUDIO, "studio", for_studio)]
    held = [exists().where(Reservation.resource == resource, Reservation.resource_id == bindparam(name),
                           Reservation.released_at.is_(None), Reservation.starts_at < Slot.ends_at,
                           Reservation.ends_at > Slot.starts_at)
            for resource, name, wanted in busy if wanted]
    now = bindparam("now")
    return (select(Slot).where(Slot.session_id == bindparam("session"), Slot.starts_at != bindparam("lost_start"),
                               Slot.starts_at > now, not_held_by_other(None, now), ~taken, *(~h for h in held))
            .order_by(Slot.starts_at, Slot.id).limit(bindparam("limit")))


def count_active_appointments(citizen_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.citizen_id == citizen_id, Appointment.status.in_(ACTIVE_STATUSES)))


def responsible_assistant_name(body: Body) -> str:
    """Who accepts the booking on the talon when no assistant decided it: the body's reception office's
    responsible person, else its first active reception assistant, else "" (never the body's name: the talon
    page then names the responsible person once one is set)."""
    if body.has_responsible_person:
        return body.responsible_short_name
    name = db.session.scalar(
        select(User.full_name).join(UserRole, UserRole.user_id == User.id)
        .where(User.body_id == body.id, User.is_active, UserRole.role == Role.ASSISTANT)
        .order_by(User.id).limit(1))
    return name or ""


def _appointment_stmt():
    return select(Appointment).options(
        joinedload(Appointment.official).joinedload(Official.body),
        joinedload(Appointment.session).joinedload(ReceptionSession.venue).joinedload(Venue.region),
        joinedload(Appointment.slot), joinedload(Appointment.studio), joinedload(Appointment.topic))


def list_my_appointments(citizen_id: int) -> list[Appointment]:
    """The citizen's appointments and requests, newest first (with a request's offers and redirect body)."""
    stmt = (_appointment_stmt().options(selectinload(Appointment.offers), joinedload(Appointment.redirect_body))
            .where(Appointment.citizen_id == citizen_id).order_by(Appointment.id.desc()))
    return list(db.session.scalars(stmt))


def get_own_appointment(citizen_id: int, appointment_id: int) -> Appointment | None:
    """The citizen's appointment, or None: another citizen's appointment is indistinguishable from none."""
    if not isinstance(appointment_id, int) or not 0 < appointment_id <= MAX_ID:
        return None
    return db.session.scalar(_appointment_stmt().where(Appointment.id == appointment_id,
                                                       Appointment.citizen_id == citizen_id))


def talon_history(appointment: Appointment, limit: int = 50) -> list[tuple[Appointment, datetime]]:
    """The earlier talons this appointment was moved from, newest first, each with when it was moved."""
    history = []
    current = appointment
    while current.rescheduled_from_id is not None and len(history) < limit:
        earlier = db.session.scalar(_appointment_stmt().where(Appointment.id == current.rescheduled_from_id))
        if earlier is None:
            break
        history.append((earlier, current.created_at))
        current = earlier
    return history


def get_moved_to(appointment_id: int) -> Appointment | None:
    """The appointment that replaced this one when it was moved to another time, if any."""
    return db.session.scalar(select(Appointment).where(Appointment.rescheduled_from_id == appointment_id)
                             .order_by(Appointment.id).limit(1))


def get_by_talon(number: str) -> Appointment | None:
    if not number or len(number) > 32:
        return None
    return db.session.scalar(_appointment_stmt().where(Appointment.talon_number == number))


def get_by_talon_token(token: str) -> Appointment | None:
    """The appointment whose talon carries ``token`` (only an issued talon has one that opens it)."""
    if not token or len(token) > 43:
        return None
    return db.session.scalar(_appointment_stmt().where(Appointment.talon_token == token,
                                                       Appointment.talon_number.is_not(None)))


# --- the waitlist ----------------------------------------------------------------------

def _waitlist_stmt():
    return select(WaitlistEntry).options(
        joinedload(WaitlistEntry.official).joinedload(Official.body),
        joinedload(WaitlistEntry.visiting).joinedload(VisitingReception.region),
        joinedload(WaitlistEntry.topic),
        joinedload(WaitlistEntry.offered_slot).joinedload(Slot.session).joinedload(ReceptionSession.venue)
        .joinedload(Venue.region))


def list_my_waitlist(citizen_id: int, *, live: bool = True, limit: int = 20) -> list[WaitlistEntry]:
    """The citizen's places in line (``live``), or their ended entries, newest first."""
    statuses = LIVE_WAITLIST if live else tuple(s for s in WaitlistStatus if s not in LIVE_WAITLIST)
    stmt = (_waitlist_stmt().where(WaitlistEntry.citizen_id == citizen_id, WaitlistEntry.status.in_(statuses))
            .order_by(WaitlistEntry.updated_at.desc(), WaitlistEntry.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def get_own_waitlist_entry(citizen_id: int, entry_id: int) -> WaitlistEntry | None:
    """The citizen's entry, or None: another citizen's entry is indistinguishable from none."""
    if not isinstance(entry_id, int) or not 0 < entry_id <= MAX_ID:
        return None
    return db.session.scalar(_waitlist_stmt().where(WaitlistEntry.id == entry_id,
                                                    WaitlistEntry.citizen_id == citizen_id))


def get_live_waitlist_entry(citizen_id: int, official_id: int) -> WaitlistEntry | None:
    return db.session.scalar(select(WaitlistEntry).where(
        WaitlistEntry.citizen_id == citizen_id, WaitlistEntry.official_id == official_id,
        WaitlistEntry.status.in_(LIVE_WAITLIST)))


def places_in_line(entries) -> dict[int, int]:
    """Each waiting entry's place in its official's line (1 = next to be offered a freed slot), in one query."""
    waiting = [e for e in entries if e.status is WaitlistStatus.WAITING]
    if not waiting:
        return {}
    ahead = aliased(WaitlistEntry)
    mine = aliased(WaitlistEntry)
    stmt = (select(mine.id, func.count(ahead.id))
            .join(ahead, (ahead.official_id == mine.official_id) & (ahead.status == WaitlistStatus.WAITING)
                  & or_(ahead.created_at < mine.created_at,
                        (ahead.created_at == mine.created_at) & (ahead.id <= mine.id)))
            .where(mine.id.in_([e.id for e in waiting])).group_by(mine.id))
    return dict(db.session.execute(stmt).all())


def visiting_choices(official_id: int | None, now: datetime) -> list[tuple[int, str]]:
    """The official's visiting receptions that still have sessions to come, for the waitlist form."""
    if not official_id:
        return []
    stmt = (select(VisitingReception).join(VisitingReception.region)
            .options(contains_eager(VisitingReception.region))
            .where(VisitingReception.official_id == official_id,
                   exists().where(ReceptionSession.visiting_id == VisitingReception.id,
                                  ReceptionSession.status == SessionStatus.PLANNED,
                                  ReceptionSession.starts_at > now))
            .order_by(VisitingReception.id))
    return [(v.id, v.region.name) for v in db.session.scalars(stmt)]


# --- form choices ---------------------------------------------------------------------

def search_studio_choices(region_id: int | None) -> list[tuple[int, str]]:
    """The studios a search may check for free time: those of the citizen's region (only those can be booked),
    every active studio for a visitor or a user with no region, in one query (kept: :mod:`..directory.kept`)."""
    return kept(_search_studio_choices, region_id)


def _search_studio_choices(region_id: int | None) -> list[tuple[int, str]]:
    stmt = (select(Venue.id, Venue.name_kk, Venue.name_ru, Venue.name_en, Region.name_kk.label("region_name_kk"),
                   Region.name_ru.label("region_name_ru"), Region.name_en.label("region_name_en"))
            .join(Venue.region).where(Venue.kind == VenueKind.STUDIO, Venue.is_active).order_by(Region.code, Venue.id))
    if region_id is not None:
        stmt = stmt.where(Venue.region_id == region_id)
    return [(row.id, f"{localized(row, 'name')} ({localized(row, 'region_name')})") for row in db.session.execute(stmt)]


# The choices of a booking form, built once: columns only, no objects to load.
_STUDIO_CHOICES = (select(Venue.id, Venue.name_kk, Venue.name_ru, Venue.name_en, Venue.address_kk, Venue.address_ru,
                          Venue.address_en)
                   .where(Venue.region_id == bindparam("region"), Venue.kind == VenueKind.STUDIO, Venue.is_active)
                   .order_by(Venue.id))
_TOPIC_CHOICES = (select(Topic.id, Topic.name_kk, Topic.name_ru, Topic.name_en).where(_RECEIVED_BY_BODY)
                  .order_by(Topic.position, Topic.id))


def studio_choices(region_id: int | None) -> list[tuple[int, str]]:
    """The active studios of the region, for a booking form (kept: :mod:`..directory.kept`)."""
    return kept(_studio_choices, region_id) if region_id is not None else []


def _studio_choices(region_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(_STUDIO_CHOICES, {"region": region_id})
    return [(row.id, f"{localized(row, 'name')}, {localized(row, 'address')}") for row in rows]


def topic_choices_for(body_id: int) -> list[tuple[int, str]]:
    """The body's competences; every topic when it has none recorded (as :func:`booking_checks` accepts them).
    Kept: :mod:`..directory.kept`."""
    return kept(_topic_choices_for, body_id)


def _topic_choices_for(body_id: int) -> list[tuple[int, str]]:
    return [(row.id, localized(row, "name")) for row in db.session.execute(_TOPIC_CHOICES, {"body": body_id})]


def official_choices() -> list[tuple[int, str]]:
    officials = db.session.scalars(select(Official).join(Official.body).options(contains_eager(Official.body))
                                   .where(Official.is_active, Body.is_active).order_by(Official.full_name))
    return [(o.id, f"{o.full_name} ({o.body.name})") for o in officials]
