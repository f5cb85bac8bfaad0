"""Booking changes: book a slot, cancel or reschedule an appointment. The database, not Python, decides races."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..audit.services import record_change, record_created
from ..core.errors import Conflict, Invalid, NotFound
from ..directory.models import Topic, Venue
from ..directory.queries import get
from ..extensions import db
from ..schedule.models import AttendanceFormat, Slot
from . import holds, policy, queries, waitlist
from .announce import announce_booked, announce_cancelled_by_citizen, announce_rescheduled
from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Reservation, ReservationResource
from .talon import talon_number

DEFAULT_MAX_ACTIVE_APPOINTMENTS = 3

MSG_SLOT_TAKEN = _l("This time has just been taken.")
MSG_SAME_OFFICIAL = _l("You already have an active appointment with this official.")
MSG_CITIZEN_BUSY = _l("You already have another reception at this time.")
MSG_STUDIO_BUSY = _l("The studio is already reserved at this time.")


class SlotTaken(Conflict):
    """The database refused the booking: the slot, the citizen's time or the studio is held by another booking.

    ``alternatives`` are the nearest free slots of the same official (up to 3).
    """

    def __init__(self, message, *, alternatives=(), field: str | None = None):
        super().__init__(message, field=field)
        self.alternatives = list(alternatives)


@dataclass
class BookingData:
    format: AttendanceFormat
    topic_id: int
    summary: str
    studio_id: int | None = None
    appeal_numbers: str | None = None
    needs_wheelchair: bool = False
    needs_sign_language: bool = False
    co_applicants: str | None = None


def scoped_idempotency_key(citizen, key: str | None) -> str | None:
    # Scoped to the citizen, so nobody can block or reach another citizen's booking with a copied key.
    return f"{citizen.id}:{key}"[:64] if key else None


def insert_or_none(model, values: dict) -> int | None:
    """Insert one row; None when a unique index or the overlap guarantee refuses it.

    PostgreSQL: ON CONFLICT DO NOTHING (plain INSERTs deadlock under overlap races on the
    exclusion constraint). SQLite: a savepoint around a plain INSERT (one writer at a time).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = pg_insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
        return db.session.execute(stmt).scalar()
    try:
        with db.session.begin_nested():
            return db.session.execute(insert(model).values(**values)).inserted_primary_key[0]
    except IntegrityError:
        return None


def _alternatives(official_id: int, now: datetime):
    return queries.search_free_slots(official_id=official_id, now=now, limit=3)


def _validate(citizen, slot, data: BookingData, now: datetime, config) -> Venue | None:
    policy.check_slot_bookable(slot, citizen, now)
    return validate_details(citizen, slot.session, data, config)


def validate_details(citizen, session, data: BookingData, config) -> Venue | None:
    """Check what the citizen asks for at ``session`` (format, studio, topic, summary) and the cap on active
    appointments; return the studio of a video booking. Raises Invalid with the field to blame."""
    if data.format not in policy.allowed_formats(session):
        raise Invalid(_l("This reception cannot be attended in the chosen format."), field="format")
    studio = None
    if data.format is AttendanceFormat.VIDEO_STUDIO:
        studio = get(Venue, data.studio_id) if data.studio_id else None
        if not policy.is_usable_studio(studio, citizen):
            raise Invalid(_l("Choose a video studio of an akimat in your region."), field="studio_id")
    if get(Topic, data.topic_id) is None:
        raise Invalid(_l("Choose the topic of your issue."), field="topic_id")
    if not (data.summary or "").strip():
        raise Invalid(_l("Describe your issue briefly."), field="summary")
    check_active_cap(citizen, config)
    return studio


def check_active_cap(citizen, config) -> None:
    """Refuse a new booking or request when the citizen holds the most active appointments allowed.

    The citizen's row is locked first (PostgreSQL; SQLite writes one at a time anyway), so two
    bookings of one citizen at once are counted one after the other and cannot both pass the cap.
    """
    db.session.execute(select(User.id).where(User.id == citizen.id).with_for_update(key_share=True))
    cap = int(config.get("MAX_ACTIVE_APPOINTMENTS", DEFAULT_MAX_ACTIVE_APPOINTMENTS))
    if queries.count_active_appointments(citizen.id) >= cap:
        raise Invalid(_l("You already have %(n)d active appointments, the most allowed. "
                         "Cancel one or wait until it has taken place.", n=cap))


def _lost_race_message(citizen, slot) -> str:
    """Which unique index refused the appointment (the rival has committed by now)."""
    active = Appointment.status.in_(ACTIVE_STATUSES)
    if db.session.scalar(select(exists().where(Appointment.citizen_id == citizen.id,
                                               Appointment.official_id == slot.session.official_id, active))):
        return MSG_SAME_OFFICIAL
    return MSG_SLOT_TAKEN


def book_slot(citizen, slot_id: int, data: BookingData, idempotency_key: str | None, now: datetime,
              config, *, announce: bool = True) -> Appointment:
    """Book ``slot_id`` for ``citizen`` and issue the talon; adds and flushes, the caller commits.

    Writes the appointment (scheduled, with talon number, acceptance time and the accepting
    assistant's name) and its reservations: the citizen's time and, for video, the studio.
    The same ``idempotency_key`` from the same citizen returns the appointment already booked.
    With ``announce``, the citizen is sent the confirmation with the invite, and reminders are
    scheduled (:mod:`.announce`). Raises NotFound (no such slot), Invalid (a rule is broken, see :mod:`.policy`) and
    SlotTaken (the database refused: slot, official, citizen's time or studio already held).
    """
    key = scoped_idempotency_key(citizen, idempotency_key)
    if key is not None:
        existing = db.session.scalar(select(Appointment).where(Appointment.idempotency_key == key))
        if existing is not None:
            return existing
    slot = queries.get_slot(slot_id)
    if slot is None:
        raise NotFound(_l("This reception time does not exist."))
    studio = _validate(citizen, slot, data, now, config)
    session = slot.session
    official = session.official

    try:
        with db.session.begin_nested():
            if not holds.claim(slot.id, citizen.id, now):
                raise SlotTaken(MSG_SLOT_TAKEN)  # held for another citizen (an offer)
            values = dict(
                citizen_id=citizen.id, official_id=official.id, session_id=session.id, slot_id=slot.id,
                format=data.format, studio_id=studio.id if studio else None, topic_id=data.topic_id,
                summary=data.summary.strip(), appeal_numbers=(data.appeal_numbers or "").strip() or None,
                needs_wheelchair=bool(data.needs_wheelchair), needs_sign_language=bool(data.needs_sign_language),
                co_applicants=(data.co_applicants or "").strip() or None, status=AppointmentStatus.SCHEDULED,
                accepted_at=now, accepted_by_name=queries.responsible_assistant_name(official.body)[:200],
                idempotency_key=key, created_at=now)
            appointment_id = insert_or_none(Appointment, values)
            if appointment_id is None:
                raise SlotTaken(MSG_SLOT_TAKEN)
            number = reserve_and_issue_talon(appointment_id, citizen, slot, studio, now)
            # A Core insert: the audit hook does not see it (inside the savepoint: undone with it).
            record_created("appointment", appointment_id, {**values, "talon_number": number})
    except SlotTaken as exc:
        message = exc.message
        if message is MSG_SLOT_TAKEN:
            if key is not None:
                # A double submit that raced itself: the twin won, which is what the citizen wanted.
                twin = db.session.scalar(select(Appointment).where(Appointment.idempotency_key == key))
                if twin is not None:
                    return twin
            message = _lost_race_message(citizen, slot)
        raise SlotTaken(message, alternatives=_alternatives(official.id, now), field=exc.field) from None
    appointment = db.session.get(Appointment, appointment_id)
    waitlist.settle_on_booking(appointment, now)  # a citizen waiting for this official is served
    if announce:
        from ..hearings.services import invite_competent_bodies  # hearings builds on booking

        announce_booked(appointment, now)
        invite_competent_bodies(appointment, now)
    return appointment


def reserve_and_issue_talon(appointment_id: int, citizen, slot, studio, now: datetime) -> str:
    """Reserve the citizen's time (and the studio, for video) over ``slot``; write and return the talon number.

    For an appointment row that already holds ``slot``, inside the caller's savepoint: used by
    :func:`book_slot` and when a citizen accepts a time offered after screening (reception.requests).
    Raises SlotTaken when the overlap guarantee refuses a reservation; the savepoint undoes the rest.
    """
    session = slot.session
    interval = dict(appointment_id=appointment_id, starts_at=slot.starts_at, ends_at=slot.ends_at)
    if insert_or_none(Reservation, dict(resource=ReservationResource.CITIZEN, resource_id=citizen.id,
                                          **interval)) is None:
        raise SlotTaken(MSG_CITIZEN_BUSY)
    if studio is not None and insert_or_none(Reservation, dict(
            resource=ReservationResource.STUDIO, resource_id=studio.id, **interval)) is None:
        raise SlotTaken(MSG_STUDIO_BUSY, field="studio_id")
    number = talon_number(session.venue.region.code, now, session.timezone, appointment_id)
    db.session.execute(update(Appointment).where(Appointment.id == appointment_id).values(talon_number=number))
    return number


def cancel_appointment(citizen, appointment: Appointment, now: datetime) -> None:
    """Cancel the citizen's own active appointment until the booking window closes; frees slot and studio.

    Sets status cancelled and cancelled_at, releases the reservations; the freed slot is offered
    to the first in the official's waitlist (:func:`.waitlist.offer_freed_slot`, which may enqueue
    an e-mail). Raises NotFound for another citizen's appointment and Invalid when it is no
    longer active or too late.
    """
    if appointment.citizen_id != citizen.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    # The slot row first (the lock order of reception.booking.waitlist), then a fresh look at the status.
    waitlist.lock_slots([appointment.slot_id])
    db.session.refresh(appointment)
    if not appointment.is_active:
        raise Invalid(_l("This appointment is no longer active."))
    if appointment.session is not None and now >= appointment.session.closes_at:
        raise Invalid(_l("It is too late to cancel online. Call the reception office."))
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    _release_reservations(appointment.id, now)
    db.session.flush()
    if appointment.slot_id is not None:
        announce_cancelled_by_citizen(appointment)
        waitlist.offer_freed_slot(appointment.slot, now)
    elif appointment.offers:  # a withdrawn request: its offered times are free again
        from ..requests.services import withdraw_open_offers  # requests builds on booking
        for slot in withdraw_open_offers(appointment, now):
            waitlist.offer_freed_slot(slot, now)


def _release_reservations(appointment_id: int, now: datetime) -> None:
    db.session.execute(update(Reservation).where(Reservation.appointment_id == appointment_id,
                                                 Reservation.released_at.is_(None)).values(released_at=now))


MSG_MOVE_CHANGED = _l("This appointment has just been changed. Reload the page and try again.")


def reschedule_appointment(citizen, appointment: Appointment, slot_id: int, idempotency_key: str | None,
                           now: datetime, config) -> Appointment:
    """Move the citizen's scheduled appointment to another free slot of the same official, in one step.

    The old appointment becomes rescheduled (its reservations released) and a new one is
    booked through :func:`book_slot` with the same details, a new talon number and
    ``rescheduled_from_id`` pointing back, so the talon keeps its history. The freed old
    slot is offered to the official's waitlist. If the new slot cannot be had (just taken,
    studio busy), nothing changes and SlotTaken carries the alternatives. The same
    ``idempotency_key`` returns the appointment already made. Raises NotFound (another
    citizen's appointment, no such slot), Invalid (not scheduled, too late, another
    official's or the same slot, a booking rule broken) and Conflict (changed meanwhile).
    """
    if appointment.citizen_id != citizen.id:
        raise NotFound(_l("The page or record you asked for does not exist."))
    key = scoped_idempotency_key(citizen, idempotency_key)
    if key is not None:
        done = db.session.scalar(select(Appointment).where(Appointment.idempotency_key == key))
        if done is not None and done.rescheduled_from_id == appointment.id:
            return done
    slot = queries.get_slot(slot_id)
    if slot is None:
        raise NotFound(_l("This reception time does not exist."))
    # Both slot rows first, in id order (the lock order of reception.booking.waitlist).
    waitlist.lock_slots([appointment.slot_id, slot.id])
    db.session.refresh(appointment)
    if appointment.status is not AppointmentStatus.SCHEDULED or appointment.slot_id is None:
        raise Invalid(_l("Only a scheduled appointment can be moved to another time."))
    if now >= appointment.session.closes_at:
        raise Invalid(_l("It is too late to move this appointment online. Call the reception office."))
    if slot.session.official_id != appointment.official_id:
        raise Invalid(_l("Choose another time of the same official."))
    if slot.id == appointment.slot_id:
        raise Invalid(_l("This is the time you already have."))
    data = BookingData(format=appointment.format, topic_id=appointment.topic_id, summary=appointment.summary,
                       studio_id=appointment.studio_id, appeal_numbers=appointment.appeal_numbers,
                       needs_wheelchair=appointment.needs_wheelchair,
                       needs_sign_language=appointment.needs_sign_language, co_applicants=appointment.co_applicants)
    old_slot_id = appointment.slot_id
    try:
        with db.session.begin_nested():
            moved = db.session.execute(
                update(Appointment).where(Appointment.id == appointment.id,
                                          Appointment.status == AppointmentStatus.SCHEDULED)
                .values(status=AppointmentStatus.RESCHEDULED).execution_options(synchronize_session=False))
            if moved.rowcount != 1:
                raise Conflict(MSG_MOVE_CHANGED)
            record_change("appointment", appointment.id,
                          {"status": (AppointmentStatus.SCHEDULED, AppointmentStatus.RESCHEDULED)})
            _release_reservations(appointment.id, now)
            # Invalid or SlotTaken from here undo the savepoint: the old appointment stays as it was.
            new = book_slot(citizen, slot.id, data, idempotency_key, now, config, announce=False)
            new.rescheduled_from_id = appointment.id
            db.session.flush()
            announce_rescheduled(appointment, new, now)
            from ..hearings.services import carry_invitations  # hearings builds on booking

            carry_invitations(appointment, new, now)
    except SlotTaken as exc:
        # Alternatives again, now that the citizen's own slot is theirs again.
        raise SlotTaken(exc.message, field=exc.field, alternatives=queries.bookable_free_slots(
            appointment.official_id, citizen, now, format=appointment.format, exclude_slot_id=old_slot_id,
            limit=3)) from None
    db.session.refresh(appointment)
    waitlist.offer_freed_slot(db.session.get(Slot, old_slot_id), now)
    return new
