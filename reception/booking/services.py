"""Booking changes: book a slot, cancel or reschedule an appointment. The database, not Python, decides races."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, exists, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from ..accounts.models import User
from ..audit.services import TABLE as AUDIT_TABLE
from ..audit.services import created_row, record_created
from ..core.clock import local_today
from ..core.errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..notifications.services import write_batch
from ..schedule.models import AttendanceFormat, Slot
from . import holds, policy, queries, signals, waitlist
from .lifecycle import Action, emit_event, transition
from .models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Reservation,
    ReservationResource,
    new_talon_token,
)
from .talon import accepting_person, talon_number

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
    table = model.__table__  # a Core insert of the table: no ORM bookkeeping on the booking path
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(_insert_on_conflict_do_nothing(table, tuple(values)), values).scalar()
    try:
        with db.session.begin_nested():
            return db.session.execute(insert(table).values(**values)).inserted_primary_key[0]
    except IntegrityError:
        return None


@cache
def _insert_on_conflict_do_nothing(table, columns: tuple[str, ...]):
    """The statement of :func:`insert_or_none` on PostgreSQL, written once per table and columns.

    Text with typed parameters, not ``postgresql.insert(...).on_conflict_do_nothing()``: SQLAlchemy cannot
    cache that construct's compiled form, so it was compiled anew on every booking.
    """
    quote = db.session.get_bind().dialect.identifier_preparer.quote
    return text(f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)}) ON CONFLICT DO NOTHING RETURNING id"
                ).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))


def _validate(citizen, slot, data: BookingData, checks: queries.BookingChecks, now: datetime, config) -> int | None:
    """Raise Invalid when a booking rule is broken; return the studio's id (video from a studio)."""
    policy.check_slot_bookable(slot, citizen, now)
    if data.format not in policy.allowed_formats(slot.session):
        raise Invalid(_l("This reception cannot be attended in the chosen format."), field="format")
    studio_id = None
    if data.format is AttendanceFormat.VIDEO_STUDIO:
        if not (data.studio_id and citizen.region_id is not None and checks.studio_region_id == citizen.region_id):
            raise Invalid(_l("Choose a video studio of an akimat in your region."), field="studio_id")
        studio_id = data.studio_id
    if not checks.topic_ok:
        raise Invalid(_l("Choose the topic of your issue."), field="topic_id")
    if not (data.summary or "").strip():
        raise Invalid(_l("Describe your issue briefly."), field="summary")
    cap = int(config.get("MAX_ACTIVE_APPOINTMENTS", DEFAULT_MAX_ACTIVE_APPOINTMENTS))
    if checks.active >= cap:
        raise Invalid(_cap_message(cap))
    return studio_id


def _cap_message(cap: int):
    return _l("You already have %(n)d active appointments, the most allowed. "
              "Cancel one or wait until it has taken place.", n=cap)


def lock_citizen(citizen) -> None:
    """Lock the citizen's row until the transaction ends (PostgreSQL; SQLite writes one at a time anyway):
    a citizen's bookings and requests are then decided one after the other, each seeing what the one
    before it committed (its twin, its count of active appointments)."""
    db.session.execute(select(User.id).where(User.id == citizen.id).with_for_update(key_share=True))


def check_active_cap(citizen, config) -> None:
    """Refuse a new booking or request when the citizen holds the most active appointments allowed.

    The citizen's row is locked first (:func:`lock_citizen`), so two bookings of one citizen at once are
    counted one after the other and cannot both pass the cap.
    """
    lock_citizen(citizen)
    cap = int(config.get("MAX_ACTIVE_APPOINTMENTS", DEFAULT_MAX_ACTIVE_APPOINTMENTS))
    if queries.count_active_appointments(citizen.id) >= cap:
        raise Invalid(_cap_message(cap))


def _lost_race_message(citizen, slot) -> str:
    """Which unique index refused the appointment (the rival has committed by now)."""
    active = Appointment.status.in_(ACTIVE_STATUSES)
    if db.session.scalar(select(exists().where(Appointment.citizen_id == citizen.id,
                                               Appointment.official_id == slot.session.official_id, active))):
        return MSG_SAME_OFFICIAL
    return MSG_SLOT_TAKEN


def book_slot(citizen, slot_id: int, data: BookingData, idempotency_key: str | None, now: datetime,
              config, *, announce: bool = True, slot=None) -> Appointment:
    """Book ``slot_id`` for ``citizen`` and issue the talon; adds and flushes, the caller commits.

    Writes the appointment (scheduled, with talon number, acceptance time and who accepted it:
    :func:`.talon.accepting_person`) and its reservations: the citizen's time and, for video, the studio.
    The same ``idempotency_key`` from the same citizen returns the appointment already booked.
    With ``announce``, emits ``booked`` (:mod:`.signals`): the citizen is sent the confirmation with
    the invite and reminders (:mod:`.announce`: outbox rows holding intent, rendered when sent), competent
    bodies are invited (reception.hearings). ``slot`` is the
    slot as :func:`.queries.get_slot` loaded it with ``lock_for_citizen=citizen.id`` in this
    transaction (a view that has it saves loading it again). Raises NotFound (no such slot),
    Invalid (a rule is broken, see :mod:`.policy`) and SlotTaken (the slot, official, citizen's time
    or studio already held; its ``alternatives`` are the next free times of the same session).

    A successful booking reads twice (the slot with the locks, then every check, the competent bodies and
    the new id in one statement) and writes the appointment (with its talon), the reservations and the audit
    record (one statement on PostgreSQL, :func:`_write_booking`), then the outbox rows: the booking POST's
    statement budget is kept by tests/booking.
    """
    key = scoped_idempotency_key(citizen, idempotency_key)
    if slot is None:
        slot = queries.get_slot(slot_id, lock_for_citizen=citizen.id)
    if slot is None:
        raise NotFound(_l("This reception time does not exist."))
    checks = queries.booking_checks(citizen, slot, data.topic_id, data.studio_id, key)
    if checks.twin_id is not None:
        return db.session.get(Appointment, checks.twin_id)
    if checks.same_official:
        raise SlotTaken(MSG_SAME_OFFICIAL)  # no other time to suggest: each of this official's is refused alike
    if checks.slot_taken:
        # Lost to a booking that committed first: answered at once, with a cheap suggestion.
        raise SlotTaken(MSG_SLOT_TAKEN, alternatives=_alternatives(slot, citizen, data, now))
    studio_id = _validate(citizen, slot, data, checks, now, config)
    session = slot.session
    official = session.official
    if holds.is_held_for(slot, citizen.id, now) and not holds.claim(slot.id, citizen.id, now):
        raise SlotTaken(MSG_SLOT_TAKEN)  # the citizen's own hold is given up by the booking

    appointment_id = checks.next_id
    number = talon_number(session.venue.region.code, now, session.timezone, appointment_id)
    values = dict(
        id=appointment_id, citizen_id=citizen.id, official_id=official.id, session_id=session.id, slot_id=slot.id,
        format=data.format, studio_id=studio_id, topic_id=data.topic_id,
        summary=data.summary.strip(), appeal_numbers=(data.appeal_numbers or "").strip() or None,
        needs_wheelchair=bool(data.needs_wheelchair), needs_sign_language=bool(data.needs_sign_language),
        co_applicants=(data.co_applicants or "").strip() or None, status=AppointmentStatus.SCHEDULED,
        accepted_at=now, accepted_by_name=(accepting_person(official.body, checks.assistant_name) or "")[:200] or None,
        idempotency_key=key, created_at=now, talon_number=number, talon_token=new_talon_token())
    try:
        _write_booking(values, citizen, slot, studio_id)
    except SlotTaken as exc:
        message = exc.message
        if message is MSG_SLOT_TAKEN:
            if key is not None:
                # A double submit that raced itself: the twin won, which is what the citizen wanted.
                twin = db.session.scalar(select(Appointment).where(Appointment.idempotency_key == key))
                if twin is not None:
                    return twin
            message = _lost_race_message(citizen, slot)
        alternatives = [] if message is MSG_SAME_OFFICIAL else _alternatives(slot, citizen, data, now)
        raise SlotTaken(message, alternatives=alternatives, field=exc.field) from None
    appointment = _known(Appointment(**values))
    if checks.waitlist_entry_id is not None:
        waitlist.settle_on_booking(appointment, now)  # a citizen waiting for this official is served
    if announce:
        outbox: list[dict] = []  # every receiver's messages, written in one statement
        signals.booked.send(appointment, now=now, fresh=True, outbox=outbox,
                            competent_body_ids=checks.competent_body_ids)
        write_batch(outbox)
    return appointment


def _write_booking(values: dict, citizen, slot, studio_id: int | None) -> None:
    """Insert the appointment (``values``, with its id), its reservations (the citizen's time and, for video from
    a studio, the studio's) and its audit record. Raises SlotTaken, with nothing written, when a unique index
    (the slot, the idempotency key) or the overlap guarantee (a reservation) refuses it.

    No savepoint (two more statements on every booking): a refused reservation deletes the appointment just
    inserted instead, which nobody else can see yet (its reservations go with it). On PostgreSQL the three
    inserts are one statement (:func:`_booking_rows_stmt`); elsewhere one each.
    """
    appointment_id = values["id"]
    recorded = {k: v for k, v in values.items() if k != "id"}
    if db.session.get_bind().dialect.name != "postgresql":
        if insert_or_none(Appointment, values) is None:
            raise SlotTaken(MSG_SLOT_TAKEN)
        try:
            reserve(appointment_id, citizen, slot, studio_id)
        except SlotTaken:
            _delete_appointment(appointment_id)
            raise
        record_created("appointment", appointment_id, recorded)
        return
    audit_row = created_row("appointment", appointment_id, recorded)
    resources = [(ReservationResource.CITIZEN, citizen.id)]
    if studio_id is not None:
        resources.append((ReservationResource.STUDIO, studio_id))
    params = {**{f"a_{k}": v for k, v in values.items()}, **{f"e_{k}": v for k, v in audit_row.items()},
              "starts_at": slot.starts_at, "ends_at": slot.ends_at}
    for n, (resource, resource_id) in enumerate(resources):
        params |= {f"r{n}_resource": resource, f"r{n}_resource_id": resource_id}
    inserted, *reserved = db.session.execute(_booking_rows_stmt(tuple(values), tuple(audit_row), len(resources)),
                                             params).one()
    if not inserted:
        raise SlotTaken(MSG_SLOT_TAKEN)
    if not all(reserved):
        _delete_appointment(appointment_id)
        raise SlotTaken(MSG_CITIZEN_BUSY) if not reserved[0] else SlotTaken(MSG_STUDIO_BUSY, field="studio_id")


def _delete_appointment(appointment_id: int) -> None:
    db.session.execute(delete(Appointment).where(Appointment.id == appointment_id)
                       .execution_options(synchronize_session=False))


@cache
def _booking_rows_stmt(columns: tuple[str, ...], audit_columns: tuple[str, ...], reservations: int):
    """PostgreSQL: the appointment, its ``reservations`` and its audit record in one statement, built once per
    shape. Each insert gives way on a conflict (ON CONFLICT DO NOTHING: plain INSERTs deadlock under overlap
    races on the exclusion constraint); a reservation is written only with the appointment, the audit record
    only with every reservation. Answers whether the appointment, then each reservation, was written."""
    quote = db.session.get_bind().dialect.identifier_preparer.quote
    tables = {"a": Appointment.__table__, "e": AUDIT_TABLE, "r": Reservation.__table__}
    binds = [bindparam(f"a_{c}", type_=tables["a"].c[c].type) for c in columns]
    binds += [bindparam(f"e_{c}", type_=tables["e"].c[c].type) for c in audit_columns]
    binds += [bindparam(name, type_=tables["r"].c[name].type) for name in ("starts_at", "ends_at")]
    names = lambda cols: ", ".join(quote(c) for c in cols)  # noqa: E731
    parts = [f"a AS (INSERT INTO {quote(tables['a'].name)} ({names(columns)}) "
             f"VALUES ({', '.join(':a_' + c for c in columns)}) ON CONFLICT DO NOTHING RETURNING id)"]
    for n in range(reservations):
        binds += [bindparam(f"r{n}_{c}", type_=tables["r"].c[c].type) for c in ("resource", "resource_id")]
        parts.append(f"r{n} AS (INSERT INTO {quote(tables['r'].name)} "
                     f"({names(('resource', 'resource_id', 'appointment_id', 'starts_at', 'ends_at'))}) "
                     f"SELECT :r{n}_resource, :r{n}_resource_id, a.id, :starts_at, :ends_at FROM a "
                     "ON CONFLICT DO NOTHING RETURNING id)")
    written = [f"EXISTS (SELECT FROM r{n})" for n in range(reservations)]
    parts.append(f"e AS (INSERT INTO {quote(tables['e'].name)} ({names(audit_columns)}) "
                 f"SELECT {', '.join(':e_' + c for c in audit_columns)} WHERE {' AND '.join(written)})")
    return text(f"WITH {', '.join(parts)} SELECT EXISTS (SELECT FROM a), {', '.join(written)}").bindparams(*binds)


def _alternatives(slot, citizen, data: BookingData, now: datetime) -> list:
    """What to offer instead of a lost slot: other times of its session that this citizen (and the chosen
    studio, for video from a studio) could take."""
    studio_id = data.studio_id if data.format is AttendanceFormat.VIDEO_STUDIO else None
    return queries.nearest_free_slots(slot, now, citizen_id=citizen.id, studio_id=studio_id)


def _known(appointment: Appointment) -> Appointment:
    """The appointment just inserted with a Core INSERT, in the session without reading it back (the
    columns not given are loaded if asked for)."""
    make_transient_to_detached(appointment)
    db.session.add(appointment)
    return appointment


def reserve(appointment_id: int, citizen, slot, studio_id: int | None) -> None:
    """Reserve the citizen's time (and the studio, for video) over ``slot`` for the appointment.

    Inside the caller's savepoint. Raises SlotTaken when the overlap guarantee refuses a
    reservation; the savepoint undoes the rest.
    """
    interval = dict(appointment_id=appointment_id, starts_at=slot.starts_at, ends_at=slot.ends_at)
    if insert_or_none(Reservation, dict(resource=ReservationResource.CITIZEN, resource_id=citizen.id,
                                          **interval)) is None:
        raise SlotTaken(MSG_CITIZEN_BUSY)
    if studio_id is not None and insert_or_none(Reservation, dict(
            resource=ReservationResource.STUDIO, resource_id=studio_id, **interval)) is None:
        raise SlotTaken(MSG_STUDIO_BUSY, field="studio_id")


def reserve_and_issue_talon(appointment_id: int, citizen, slot, studio, now: datetime) -> str:
    """Reserve the citizen's time (and the studio, for video) over ``slot``; write and return the talon number
    (with a new verification token, :attr:`.models.Appointment.talon_token`).

    For an appointment row that already holds ``slot``, inside the caller's savepoint: used by
    :func:`book_slot` and when a citizen accepts a time offered after screening (reception.requests).
    Raises SlotTaken when the overlap guarantee refuses a reservation; the savepoint undoes the rest.
    """
    session = slot.session
    reserve(appointment_id, citizen, slot, studio.id if studio is not None else None)
    number = talon_number(session.venue.region.code, now, session.timezone, appointment_id)
    # A fresh token with the talon: whatever the request's row held before was never shown on a talon.
    db.session.execute(update(Appointment).where(Appointment.id == appointment_id)
                       .values(talon_number=number, talon_token=new_talon_token()))
    return number


def cancel_appointment(citizen, appointment: Appointment, now: datetime) -> None:
    """Cancel the citizen's own active appointment until the booking window closes; frees slot and studio.

    Sets status cancelled and cancelled_at, releases the reservations and emits ``cancelled`` (by
    the citizen): the citizen is told (:mod:`.announce`), the freed slot is offered to the first in
    the official's waitlist (:mod:`.waitlist`), a withdrawn request's offered times are freed
    (reception.requests). Raises NotFound for another citizen's appointment and Invalid when it is no
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
    transition(appointment, Action.CANCEL, now, values={"cancelled_at": now}, emit=False)
    _release_reservations(appointment.id, now)
    db.session.flush()
    emit_event(appointment, Action.CANCEL, now, by="citizen")


def _release_reservations(appointment_id: int, now: datetime) -> None:
    db.session.execute(update(Reservation).where(Reservation.appointment_id == appointment_id,
                                                 Reservation.released_at.is_(None)).values(released_at=now))


MSG_MOVE_CHANGED = _l("This appointment has just been changed. Reload the page and try again.")


def reschedule_appointment(citizen, appointment: Appointment, slot_id: int, idempotency_key: str | None,
                           now: datetime, config) -> Appointment:
    """Move the citizen's scheduled appointment to another free slot of the same official, in one step.

    The old appointment becomes rescheduled (its reservations released) and a new one is
    booked through :func:`book_slot` with the same details, a new talon number and
    ``rescheduled_from_id`` pointing back, so the talon keeps its history. Emits ``rescheduled``:
    the citizen is told, invitations move along (reception.hearings), the freed old slot is
    offered to the official's waitlist. If the new slot cannot be had (just taken,
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
            transition(appointment, Action.RESCHEDULE, now, conflict=MSG_MOVE_CHANGED, emit=False)
            _release_reservations(appointment.id, now)
            # Invalid or SlotTaken from here undo the savepoint: the old appointment stays as it was.
            new = book_slot(citizen, slot.id, data, idempotency_key, now, config, announce=False)
            new.rescheduled_from_id = appointment.id
            db.session.flush()
    except SlotTaken as exc:
        db.session.expire(appointment)  # the savepoint undid its status change too
        # Alternatives again, now that the citizen's own slot is theirs again.
        raise SlotTaken(exc.message, field=exc.field, alternatives=queries.bookable_free_slots(
            appointment.official_id, citizen, now, format=appointment.format, exclude_slot_id=old_slot_id,
            limit=3)) from None
    db.session.refresh(appointment)
    emit_event(appointment, Action.RESCHEDULE, now, new=new, old_slot=db.session.get(Slot, old_slot_id))
    return new


MSG_CHECK_IN_DAY = _l("Check-in is possible on the day of the reception only.")


def check_in(appointment: Appointment, now: datetime, *, conflict=None) -> None:
    """The citizen has arrived (at the front office, or at the akimat's studio): scheduled → checked in.

    On the reception's own day (in its zone) only. Sets ``checked_in_at``; emits ``checked_in``
    (:mod:`.signals`). Raises Conflict for another day, and StatusConflict (:mod:`.lifecycle`) when
    the appointment is not scheduled or changed meanwhile (``conflict`` is then the message).
    """
    session = appointment.session
    if session is None or local_today(session.timezone, now) != session.local_date:
        raise Conflict(MSG_CHECK_IN_DAY)
    transition(appointment, Action.CHECK_IN, now, values={"checked_in_at": now}, conflict=conflict)


def cancel_session_appointments(session, reason: str, now: datetime) -> list[Appointment]:
    """The session was cancelled (reception.schedule): each of its active appointments is cancelled with
    the same reason (a transition emitting ``cancelled`` by ``"session"``), their reservations released.
    Returns them; telling the citizens is :func:`.announce.announce_session_cancelled`'s."""
    appointments = list(db.session.scalars(select(Appointment).where(
        Appointment.session_id == session.id, Appointment.status.in_(ACTIVE_STATUSES)).order_by(Appointment.id)))
    for appointment in appointments:
        transition(appointment, Action.CANCEL, now, values={"cancel_reason": reason, "cancelled_at": now},
                   by="session")
    if appointments:
        db.session.execute(update(Reservation).where(
            Reservation.appointment_id.in_([a.id for a in appointments]), Reservation.released_at.is_(None))
            .values(released_at=now))
    db.session.flush()
    return appointments
