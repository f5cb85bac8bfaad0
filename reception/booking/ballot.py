"""Fair release of oversubscribed receptions: booking by lot.

An assistant marks a session as high-demand. From the moment its booking opens until the ballot closes,
citizens apply (one application each, with the details their booking will carry) instead of racing for
slots; direct booking is refused (:func:`reception.booking.policy.check_slot_bookable`). At the close
:func:`draw` shuffles the applicants with a recorded random seed, puts those not received this quarter
before those who were, and books the free slots in that order through :func:`.services.book_slot`; the rest
are told and, if they asked, put on the official's waitlist. What the draw leaves free is booked as usual.

Races are decided by the session's row: applying, withdrawing and drawing each begin with a guarded
UPDATE of it (applying and withdrawing only while undrawn, drawing only once), so an application lands
either before the draw, and is drawn, or after it, and is refused.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update

from ..audit.services import record_change, record_created
from ..core.errors import Conflict, DomainError, Invalid
from ..core.timeutil import format_local
from ..core.web import absolute_url
from ..directory.models import Topic, Venue
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import notify
from ..schedule.models import AttendanceFormat, ReceptionSession, SessionStatus, Slot
from . import policy, queries, services, waitlist
from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus, BallotEntry, BallotStatus

DEFAULT_HOURS, MAX_HOURS = 24, 7 * 24


@dataclass
class DrawResult:
    session_id: int
    seed: int
    order: list[int] = field(default_factory=list)  # entry ids, drawn first to last
    won: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)


def _guard(session_id: int, *where, **values) -> bool:
    """The guarded UPDATE of the session's row that orders apply, withdraw and draw (see the module)."""
    stmt = update(ReceptionSession).where(ReceptionSession.id == session_id, *where)
    values = values or {"ballot_closes_at": ReceptionSession.ballot_closes_at}  # no change: just the row lock
    return db.session.execute(stmt.values(**values).execution_options(synchronize_session=False)).rowcount == 1


# --- the assistant -------------------------------------------------------------------------------------

def open_ballot(session: ReceptionSession, hours: int, now: datetime) -> datetime:
    """Make ``session`` booked by lot: applications from when booking opens (or now) for ``hours`` hours.

    Returns the closing time. Raises Invalid (not a planned published session, a window that would not
    close before booking does or before the first slot) and Conflict (already booked by lot).
    """
    if session.status is not SessionStatus.PLANNED or not session.is_published:
        raise Invalid(_l("Only a planned, published reception can be booked by a draw."))
    if not 1 <= hours <= MAX_HOURS:
        raise Invalid(_l("The draw closes between 1 and %(max)d hours after applications open.", max=MAX_HOURS),
                      field="hours")
    closes = max(now, session.opens_at) + timedelta(hours=hours)
    first_slot = min((s.starts_at for s in session.slots), default=session.starts_at)
    if closes >= session.closes_at or closes >= first_slot:
        raise Invalid(_l("The draw must close before booking closes and before the reception begins."),
                      field="hours")
    if not _guard(session.id, ReceptionSession.ballot_closes_at.is_(None), ballot_closes_at=closes):
        raise Conflict(_l("This reception is already booked by a draw."))
    record_change("session", session.id, {"ballot_closes_at": (None, closes)})
    db.session.refresh(session)
    return closes


def count_booked(session: ReceptionSession) -> int:
    return db.session.scalar(select(db.func.count()).select_from(Appointment).where(
        Appointment.session_id == session.id, Appointment.status.in_(ACTIVE_STATUSES))) or 0


def counts(session_id: int) -> dict[str, int]:
    """Applications of the session's draw by status value (every status present, zero when none)."""
    rows = db.session.execute(select(BallotEntry.status, db.func.count()).where(BallotEntry.session_id == session_id)
                              .group_by(BallotEntry.status))
    return {**{s.value: 0 for s in BallotStatus}, **{status.value: n for status, n in rows}}


# --- the citizen -----------------------------------------------------------------------------------------

def own_entry(citizen_id: int, session_id: int) -> BallotEntry | None:
    return db.session.scalar(select(BallotEntry).where(BallotEntry.citizen_id == citizen_id,
                                                       BallotEntry.session_id == session_id))


def my_entries(citizen_id: int) -> list[BallotEntry]:
    return list(db.session.scalars(select(BallotEntry).where(BallotEntry.citizen_id == citizen_id)
                                   .order_by(BallotEntry.created_at.desc())))


def _check_details(citizen, session: ReceptionSession, data: services.BookingData, config) -> int | None:
    """The booking's details as :func:`.services.book_slot` will check them at the draw (format, studio,
    topic, summary, the cap on active appointments), checked now so that nobody applies in vain; returns
    the studio's id of a video booking from a studio."""
    if data.format not in policy.allowed_formats(session):
        raise Invalid(_l("This reception cannot be attended in the chosen format."), field="format")
    studio_id = None
    if data.format is AttendanceFormat.VIDEO_STUDIO:
        studio = get(Venue, data.studio_id) if data.studio_id else None
        if not policy.is_usable_studio(studio, citizen):
            raise Invalid(_l("Choose a video studio of an akimat in your region."), field="studio_id")
        studio_id = studio.id
    if get(Topic, data.topic_id) is None:
        raise Invalid(_l("Choose the topic of your issue."), field="topic_id")
    if not (data.summary or "").strip():
        raise Invalid(_l("Describe your issue briefly."), field="summary")
    services.check_active_cap(citizen, config)
    return studio_id


def apply(citizen, session: ReceptionSession, data: services.BookingData, wants_waitlist: bool, now: datetime,
          config) -> BallotEntry:
    """Enter ``citizen`` in ``session``'s draw with the details of the booking. Applying twice returns the
    first application. Raises Invalid (the window, the session, the details or the cap on active
    appointments) with the field to blame."""
    policy.check_can_apply_for_draw(session, citizen, now)
    studio_id = _check_details(citizen, session, data, config)
    if db.session.scalar(select(exists().where(Appointment.citizen_id == citizen.id, Appointment.status.in_(
            ACTIVE_STATUSES), Appointment.official_id == session.official_id))):
        raise Invalid(services.MSG_SAME_OFFICIAL)  # the draw could not book them
    if not _guard(session.id, ReceptionSession.ballot_drawn_at.is_(None), ReceptionSession.ballot_closes_at > now):
        raise Invalid(_l("Applications for the draw have closed."))
    values = dict(session_id=session.id, citizen_id=citizen.id, format=data.format,
                  studio_id=studio_id, topic_id=data.topic_id, summary=data.summary.strip(),
                  appeal_numbers=(data.appeal_numbers or "").strip() or None,
                  needs_wheelchair=bool(data.needs_wheelchair), needs_sign_language=bool(data.needs_sign_language),
                  co_applicants=(data.co_applicants or "").strip() or None, wants_waitlist=bool(wants_waitlist),
                  status=BallotStatus.APPLIED, created_at=now)
    entry_id = services.insert_or_none(BallotEntry, values)
    if entry_id is not None:
        record_created("ballot_entry", entry_id, values)
    return own_entry(citizen.id, session.id)


def withdraw(citizen, entry: BallotEntry, now: datetime) -> None:
    """Take back an application before the draw. Raises Conflict once the draw has been held."""
    if not _guard(entry.session_id, ReceptionSession.ballot_drawn_at.is_(None)) or not db.session.execute(
            update(BallotEntry).where(BallotEntry.id == entry.id, BallotEntry.citizen_id == citizen.id,
                                      BallotEntry.status == BallotStatus.APPLIED)
            .values(status=BallotStatus.WITHDRAWN, decided_at=now)
            .execution_options(synchronize_session=False)).rowcount:
        raise Conflict(_l("The draw has already been held."))
    record_change("ballot_entry", entry.id, {"status": (BallotStatus.APPLIED, BallotStatus.WITHDRAWN)})
    db.session.refresh(entry)


# --- the draw --------------------------------------------------------------------------------------------

def _received_this_quarter(session: ReceptionSession, citizen_ids: list[int], now: datetime) -> set[int]:
    """Of ``citizen_ids``, those with a reception held in this quarter (in the session's region)."""
    today = now.astimezone(ZoneInfo(session.timezone)).date()
    start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    if not citizen_ids:
        return set()
    return set(db.session.scalars(
        select(Appointment.citizen_id).join(ReceptionSession, Appointment.session_id == ReceptionSession.id)
        .where(Appointment.citizen_id.in_(citizen_ids), Appointment.status == AppointmentStatus.HELD,
               ReceptionSession.local_date >= start, ReceptionSession.local_date <= today)))


def draw_order(entries: list[BallotEntry], seed: int, received: set[int]) -> list[BallotEntry]:
    """Shuffle ``entries`` (taken in id order) with ``seed``; then first-time applicants before those in
    ``received``, keeping the shuffled order within each group. The same seed gives the same order."""
    order = sorted(entries, key=lambda e: e.id)
    random.Random(seed).shuffle(order)
    return sorted(order, key=lambda e: e.citizen_id in received)


def _free_slots(session: ReceptionSession, now: datetime) -> list[Slot]:
    taken = select(Appointment.slot_id).where(Appointment.session_id == session.id,
                                              Appointment.slot_id.is_not(None),
                                              Appointment.status.in_(ACTIVE_STATUSES))
    return list(db.session.scalars(select(Slot).where(Slot.session_id == session.id, Slot.starts_at > now,
                                                      Slot.id.not_in(taken)).order_by(Slot.starts_at)))


def _book(entry: BallotEntry, free: list[Slot], now: datetime, config) -> Appointment | None:
    """Book the first of ``free`` the entry's citizen can take (their own time elsewhere may clash)."""
    data = services.BookingData(format=entry.format, topic_id=entry.topic_id, summary=entry.summary,
                                studio_id=entry.studio_id, appeal_numbers=entry.appeal_numbers,
                                needs_wheelchair=entry.needs_wheelchair,
                                needs_sign_language=entry.needs_sign_language, co_applicants=entry.co_applicants)
    for slot in free:
        try:
            with db.session.begin_nested():
                appointment = services.book_slot(entry.citizen, slot.id, data, None, now, config)
        except services.SlotTaken:
            continue  # the citizen (or their studio) is busy at this time: try the next one
        except DomainError:
            return None  # a rule the citizen now breaks (the cap on active appointments): not booked
        free.remove(slot)
        return appointment
    return None


def draw(session_id: int, now: datetime, config, *, seed: int | None = None) -> DrawResult | None:
    """Hold ``session_id``'s draw if its ballot has closed and it has not been drawn; None otherwise.

    Books the drawn applicants (they are told as any booking is), tells the others and puts those who
    asked on the waitlist; records the seed and the order in the audit log. The caller commits.
    """
    seed = secrets.randbits(62) if seed is None else seed
    if not _guard(session_id, ReceptionSession.ballot_closes_at <= now, ReceptionSession.ballot_drawn_at.is_(None),
                  ballot_drawn_at=now, ballot_seed=seed):
        return None
    session = db.session.get(ReceptionSession, session_id)
    db.session.refresh(session)
    entries = list(db.session.scalars(select(BallotEntry).where(BallotEntry.session_id == session_id,
                                                                BallotEntry.status == BallotStatus.APPLIED)))
    order = draw_order(entries, seed, _received_this_quarter(session, [e.citizen_id for e in entries], now))
    result = DrawResult(session_id, seed, [e.id for e in order])
    free = _free_slots(session, now) if session.status is SessionStatus.PLANNED else []
    for rank, entry in enumerate(order, 1):
        appointment = _book(entry, free, now, config) if free else None
        entry.drawn_rank, entry.decided_at = rank, now
        if appointment is not None:
            entry.status, entry.appointment_id = BallotStatus.WON, appointment.id
            result.won.append(entry.id)
            continue
        entry.status = BallotStatus.LOST
        result.lost.append(entry.id)
        _tell_lost(entry, session, now)
    record_change("session", session_id, {
        "ballot_drawn_at": (None, now), "ballot_seed": (None, seed), "ballot_order": (None, result.order),
        "ballot_won": (None, result.won)})
    return result


def _tell_lost(entry: BallotEntry, session: ReceptionSession, now: datetime) -> None:
    on_waitlist = False
    if entry.wants_waitlist and queries.get_live_waitlist_entry(entry.citizen_id, session.official_id) is None:
        try:
            with db.session.begin_nested():
                waitlist.join_waitlist(entry.citizen, session.official, topic_id=entry.topic_id, now=now)
            on_waitlist = True
        except DomainError:
            pass  # free time to book after all, or an active appointment with the official: nothing to wait for
    citizen, official = entry.citizen, session.official
    with force_locale(citizen.language):
        subject = _("The draw for the reception with %(name)s", name=official.full_name)
        when = format_local(session.starts_at, session.timezone, "long")
    notify(citizen, "ballot_lost", subject, "ballot_lost", dedupe_key=f"ballot_lost:{entry.id}",
           official=official, when=when, on_waitlist=on_waitlist,
           link=absolute_url("booking.my_waitlist") if on_waitlist
           else absolute_url("booking.official", official_id=official.id))


def due_sessions(now: datetime, limit: int = 50) -> list[int]:
    """Sessions whose ballot has closed and has not been drawn, the longest waiting first."""
    return list(db.session.scalars(select(ReceptionSession.id).where(
        ReceptionSession.ballot_closes_at <= now, ReceptionSession.ballot_drawn_at.is_(None))
        .order_by(ReceptionSession.ballot_closes_at).limit(limit)))
