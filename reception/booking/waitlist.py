"""The waitlist: citizens wait for an official's time; a freed slot is held for the first in line, then the next.

Lock order, so that concurrent changes never deadlock on PostgreSQL (SQLite runs one
writer at a time): slot rows (ascending id) → the waitlist entry being changed → the
official's row → waiting entries offered a slot. Booking takes the slot row first too
(:func:`reception.booking.holds.claim`). The official's row lock serializes joining and
offering for one official, so a citizen who joins while a slot is being freed is either
offered that slot or told that it is free: never left waiting beside a free slot.

Every change here adds and flushes; the caller (a request or ``flask booking expire-offers``) commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core.errors import Conflict, Invalid, NotAllowed, NotFound
from ..core.permissions import Role
from ..core.timeutil import format_local
from ..directory.models import Official, Topic
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import notify
from ..schedule.models import BookingMode, ReceptionSession, SessionStatus, Slot, VisitingReception
from . import holds, queries
from .models import ACTIVE_STATUSES, Appointment, Reservation, ReservationResource, WaitlistEntry, WaitlistStatus
from .policy import check_phone_confirmed

DEFAULT_HOLD_HOURS = 24

STATUS_LABELS = {
    WaitlistStatus.WAITING: _l("Waiting"),
    WaitlistStatus.OFFERED: _l("A time is kept for you"),
    WaitlistStatus.BOOKED: _l("Booked"),
    WaitlistStatus.LEFT: _l("Left the waitlist"),
    WaitlistStatus.EXPIRED: _l("The kept time was not booked in time"),
}

MSG_ALREADY_WAITING = _l("You are already on this official's waitlist.")
MSG_HAS_APPOINTMENT = _l("You already have an active appointment with this official.")
MSG_FREE_TIME = _l("This official has free reception time now: book it instead of waiting.")
MSG_TAKES_REQUESTS = _l("This official takes requests: send a request instead of waiting.")
MSG_CHANGED = _l("Your place in line has just changed. Check it and confirm again.")


class _SlotGone(Exception):
    """The slot was booked or held for someone else meanwhile: roll the offer back."""


@dataclass
class ExpiryResult:
    expired: int = 0    # offers that ran out
    returned: int = 0   # offers withdrawn because the session was cancelled: back in line
    offered: int = 0    # freed slots offered to the next in line


# --- helpers ---------------------------------------------------------------------------

def hold_hours(config) -> int:
    return int(config.get("WAITLIST_HOLD_HOURS", DEFAULT_HOLD_HOURS))


def _link(endpoint: str, **values) -> str:
    """An absolute link for e-mails, also outside a request (the CLI)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def _lock_official(official_id: int) -> None:
    # FOR NO KEY UPDATE: serializes waitlist changes of one official without blocking bookings,
    # whose foreign keys take KEY SHARE locks on the same row.
    db.session.execute(select(Official.id).where(Official.id == official_id).with_for_update(key_share=True))


def lock_slots(slot_ids, *, skip_locked: bool = False) -> list[int]:
    """Lock slot rows in ascending id order (the first step of every change that frees or holds a slot)."""
    ids = sorted({i for i in slot_ids if i is not None})
    if not ids:
        return []
    stmt = (select(Slot.id).where(Slot.id.in_(ids)).order_by(Slot.id)
            .with_for_update(key_share=True, skip_locked=skip_locked))
    return list(db.session.scalars(stmt))


def _set_entry(entry_id: int, expected: WaitlistStatus | tuple, now: datetime, **values) -> bool:
    """Move an entry on only if it is still in the ``expected`` status (a concurrent change wins otherwise)."""
    expected = expected if isinstance(expected, tuple) else (expected,)
    result = db.session.execute(
        update(WaitlistEntry).where(WaitlistEntry.id == entry_id, WaitlistEntry.status.in_(expected))
        .values(updated_at=now, **values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _refresh(entry: WaitlistEntry) -> WaitlistEntry:
    db.session.refresh(entry)
    return entry


# --- joining and leaving -----------------------------------------------------------------

def join_waitlist(citizen, official: Official | None, *, visiting: VisitingReception | None = None,
                  topic_id: int | None = None, now: datetime) -> WaitlistEntry:
    """Put ``citizen`` at the end of the official's waitlist (optionally for one visiting reception only).

    Allowed only when the official has no free slot the citizen could book now. Writes a
    waiting entry; emits nothing. Raises NotAllowed (not a citizen), NotFound (no such
    official), Invalid (a phone not confirmed yet, inactive official, a visiting reception of another
    official or region, unknown topic) and Conflict (already waiting, an active appointment with the official,
    free time to book, or free time in request mode: send a request).
    """
    if not citizen.has_role(Role.CITIZEN):
        raise NotAllowed(_l("Only citizens can join a waitlist."))
    check_phone_confirmed(citizen)
    if official is None:
        raise NotFound(_l("This official does not exist."))
    if not (official.is_active and official.body.is_active):
        raise Invalid(_l("This official no longer receives citizens."), field="official")
    if visiting is not None:
        if visiting.official_id != official.id:
            raise Invalid(_l("This visiting reception is held by another official."), field="visiting")
        if citizen.region_id != visiting.region_id:
            raise Invalid(_l("This visiting reception is only for residents of %(region)s.",
                             region=visiting.region.name), field="visiting")
    if topic_id is not None and get(Topic, topic_id) is None:
        raise Invalid(_l("Unknown topic."), field="topic")

    _lock_official(official.id)
    if queries.get_live_waitlist_entry(citizen.id, official.id) is not None:
        raise Conflict(MSG_ALREADY_WAITING)
    if db.session.scalar(select(exists().where(Appointment.citizen_id == citizen.id,
                                               Appointment.official_id == official.id,
                                               Appointment.status.in_(ACTIVE_STATUSES)))):
        raise Conflict(MSG_HAS_APPOINTMENT)
    if queries.bookable_free_slots(official.id, citizen, now, visiting_id=visiting.id if visiting else None,
                                   limit=1):
        raise Conflict(MSG_FREE_TIME)
    if queries.has_free_request_time(official.id, now):
        # Freed request-mode time goes back to screening, never to the waitlist.
        raise Conflict(MSG_TAKES_REQUESTS)
    try:
        with db.session.begin_nested():
            entry_id = db.session.execute(insert(WaitlistEntry).values(
                citizen_id=citizen.id, official_id=official.id, visiting_id=visiting.id if visiting else None,
                topic_id=topic_id, status=WaitlistStatus.WAITING, created_at=now, updated_at=now)
            ).inserted_primary_key[0]
    except IntegrityError:
        # The partial unique index: a twin request joined first.
        raise Conflict(MSG_ALREADY_WAITING) from None
    return db.session.get(WaitlistEntry, entry_id)


def leave_waitlist(citizen, entry: WaitlistEntry, expected_status: WaitlistStatus, now: datetime) -> None:
    """Take the citizen's entry out of line (status left); an offered slot is released and offered to the next.

    ``expected_status`` is the status the citizen saw: if it changed meanwhile (e.g. a slot was
    just offered), nothing changes and Conflict asks to confirm again. Raises NotFound for
    another citizen's entry and Invalid when the entry is no longer in line.
    """
    if entry.citizen_id != citizen.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    if entry.status not in queries.LIVE_WAITLIST:
        raise Invalid(_l("You are no longer on this waitlist."))
    if entry.status is not expected_status:
        raise Conflict(MSG_CHANGED)
    slot_id = entry.offered_slot_id if entry.status is WaitlistStatus.OFFERED else None
    lock_slots([slot_id])
    if not _set_entry(entry.id, expected_status, now, status=WaitlistStatus.LEFT):
        raise Conflict(MSG_CHANGED)
    _refresh(entry)
    if slot_id is not None:
        holds.release_hold(slot_id, citizen.id)
        offer_freed_slot(db.session.get(Slot, slot_id), now)
    db.session.flush()


# --- offering freed slots ----------------------------------------------------------------

def _offerable(slot: Slot, now: datetime) -> bool:
    session = slot.session
    return (session.status is SessionStatus.PLANNED and session.is_published
            and session.booking_mode is BookingMode.SELF and slot.starts_at > now and now < session.closes_at
            and session.official.is_active and session.official.body.is_active)


def _candidates_stmt(slot: Slot, now: datetime, cap: int):
    """Waiting entries whose citizen may book ``slot``, first in line first."""
    session = slot.session
    active = Appointment.status.in_(ACTIVE_STATUSES)
    stmt = (
        select(WaitlistEntry).join(User, User.id == WaitlistEntry.citizen_id)
        .where(WaitlistEntry.official_id == session.official_id, WaitlistEntry.status == WaitlistStatus.WAITING,
               User.is_active,
               # An entry for one visiting reception waits for that reception's sessions only.
               or_(WaitlistEntry.visiting_id.is_(None), WaitlistEntry.visiting_id == session.visiting_id),
               ~exists().where(Appointment.citizen_id == WaitlistEntry.citizen_id,
                               Appointment.official_id == session.official_id, active),
               ~exists().where(Reservation.resource == ReservationResource.CITIZEN,
                               Reservation.resource_id == WaitlistEntry.citizen_id,
                               Reservation.released_at.is_(None),
                               Reservation.starts_at < slot.ends_at, Reservation.ends_at > slot.starts_at),
               select(func.count()).select_from(Appointment)
               .where(Appointment.citizen_id == WaitlistEntry.citizen_id, active).scalar_subquery() < cap)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    )
    if session.restricted_region_id is not None:
        stmt = stmt.where(User.region_id == session.restricted_region_id)
    return stmt


def offer_freed_slot(slot: Slot | None, now: datetime) -> WaitlistEntry | None:
    """Offer a slot that just became free to the first in line who may book it; returns that entry or None.

    Called whenever a slot is freed (a citizen cancels or moves away, an offer runs out or is
    given up). Holds the slot for that citizen for ``WAITLIST_HOLD_HOURS`` (never past the
    session's booking close), marks the entry offered and enqueues one e-mail
    (``waitlist_offer``) with the local time, the deadline and a booking link. Skips citizens
    of another region (visiting sessions), entries for another visiting reception, and
    citizens who already have an active appointment with the official, another reception
    at that time, or the most active appointments allowed. Nobody fits: the slot simply stays free.
    """
    if slot is None or not _offerable(slot, now):
        return None
    session = slot.session
    until = min(now + timedelta(hours=hold_hours(current_app.config)), session.closes_at)
    if until <= now:
        return None
    _lock_official(session.official_id)
    cap = int(current_app.config["MAX_ACTIVE_APPOINTMENTS"])  # always set: a SETTINGS default
    for entry in db.session.scalars(_candidates_stmt(slot, now, cap).limit(50)).all():
        try:
            with db.session.begin_nested():
                if not _set_entry(entry.id, WaitlistStatus.WAITING, now, status=WaitlistStatus.OFFERED,
                                  offered_slot_id=slot.id, offer_expires_at=until):
                    continue  # left the line meanwhile
                if not holds.place_hold(slot.id, entry.citizen_id, until, now):
                    raise _SlotGone
        except _SlotGone:
            return None
        db.session.expire(slot, ["held_for_id", "held_until"])  # written with a plain UPDATE
        _refresh(entry)
        _email_offer(entry, slot, until)
        return entry
    return None


def _email_offer(entry: WaitlistEntry, slot: Slot, until: datetime) -> None:
    citizen, session = entry.citizen, slot.session
    official, tz = session.official, session.timezone
    with force_locale(citizen.language):
        subject = _("A reception time with %(name)s is kept for you", name=official.full_name)
        when = format_local(slot.starts_at, tz, "long")
        deadline = format_local(until, tz, "long")
    notify(citizen, "waitlist_offer", subject, "waitlist_offer",
                  dedupe_key=f"waitlist_offer:{entry.id}:{slot.id}", official=official, venue=session.venue,
                  when=when, deadline=deadline, link=_link("booking.book", slot_id=slot.id),
                  waitlist_link=_link("booking.my_waitlist"))


def on_cancelled(appointment: Appointment, now: datetime, by: str, **_) -> None:
    """Receiver of ``cancelled``: a slot the citizen gave up goes to the first in line."""
    if by == "citizen" and appointment.slot_id is not None:
        offer_freed_slot(appointment.slot, now)


def on_rescheduled(old: Appointment, now: datetime, old_slot: Slot, **_) -> None:
    """Receiver of ``rescheduled``: the slot moved away from goes to the first in line."""
    offer_freed_slot(old_slot, now)


# --- bookings and expiry -------------------------------------------------------------------

def settle_on_booking(appointment: Appointment, now: datetime) -> None:
    """The citizen booked a slot of an official they were waiting for: their entry is booked.

    Called by :func:`reception.booking.services.book_slot`. Touches only the entry row (the slot
    row is already locked by the booking), so it never waits on a lock held by the offer
    machinery. If the citizen had been offered a different slot, its hold is given up
    lazily: :func:`expire_offers` releases it and offers it to the next in line.
    """
    entry = queries.get_live_waitlist_entry(appointment.citizen_id, appointment.official_id)
    if entry is None:
        return
    values = dict(status=WaitlistStatus.BOOKED)
    if entry.status is WaitlistStatus.OFFERED and entry.offered_slot_id != appointment.slot_id:
        values["offer_expires_at"] = now  # the other held slot goes to the next in line
    if _set_entry(entry.id, (WaitlistStatus.WAITING, WaitlistStatus.OFFERED), now, **values):
        _refresh(entry)


def _due_stmt(now: datetime):
    """Entries whose held slot must be given up: the offer ran out, the session was cancelled,
    or the citizen booked another time of the official while the slot was still held for them."""
    ran_out = and_(WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now)
    cancelled = and_(WaitlistEntry.status == WaitlistStatus.OFFERED,
                     ReceptionSession.status != SessionStatus.PLANNED)
    booked_elsewhere = and_(WaitlistEntry.status == WaitlistStatus.BOOKED, WaitlistEntry.offer_expires_at <= now,
                            Slot.held_for_id == WaitlistEntry.citizen_id)
    return (select(WaitlistEntry).join(Slot, Slot.id == WaitlistEntry.offered_slot_id)
            .join(ReceptionSession, ReceptionSession.id == Slot.session_id)
            .where(or_(ran_out, cancelled, booked_elsewhere)))


def expire_offers(now: datetime, limit: int = 500) -> ExpiryResult:
    """Give up the slots held for waitlisted citizens who did not book in time, and offer them to the next.

    An offer that ran out: the entry becomes expired (booked, if the citizen did book that
    slot), the hold is released and the slot offered to the next in line. An offer on a
    cancelled session: the entry goes back to waiting in its old place. A slot still held
    for a citizen who booked another time: released and offered on. Slots locked by a
    concurrent change are left for the next run. Adds and flushes; the caller commits once.
    """
    result = ExpiryResult()
    due = db.session.scalars(_due_stmt(now).order_by(WaitlistEntry.offered_slot_id).limit(limit)).all()
    locked = set(lock_slots([e.offered_slot_id for e in due], skip_locked=True))
    freed: list[int] = []
    for entry in db.session.scalars(_due_stmt(now).where(WaitlistEntry.offered_slot_id.in_(locked))
                                    .order_by(WaitlistEntry.id)).all():
        slot_id, citizen_id = entry.offered_slot_id, entry.citizen_id
        if entry.status is WaitlistStatus.BOOKED:
            holds.release_hold(slot_id, citizen_id)
            freed.append(slot_id)
            continue
        if entry.offered_slot.session.status is not SessionStatus.PLANNED:
            if _set_entry(entry.id, WaitlistStatus.OFFERED, now, status=WaitlistStatus.WAITING,
                          offered_slot_id=None, offer_expires_at=None):
                holds.release_hold(slot_id, citizen_id)
                result.returned += 1
            continue
        booked_it = db.session.scalar(select(exists().where(
            Appointment.slot_id == slot_id, Appointment.citizen_id == citizen_id,
            Appointment.status.in_(ACTIVE_STATUSES))))
        if _set_entry(entry.id, WaitlistStatus.OFFERED, now,
                      status=WaitlistStatus.BOOKED if booked_it else WaitlistStatus.EXPIRED):
            holds.release_hold(slot_id, citizen_id)
            if not booked_it:
                result.expired += 1
                freed.append(slot_id)
    for entry in due:
        db.session.expire(entry)  # changed above with plain UPDATEs
    db.session.flush()
    # One official at a time, in id order: concurrent runs take the officials' locks in the same order.
    slots = sorted((db.session.get(Slot, i) for i in set(freed)), key=lambda s: (s.session.official_id, s.id))
    for slot in slots:
        db.session.refresh(slot)
        if offer_freed_slot(slot, now) is not None:
            result.offered += 1
    db.session.flush()
    return result
