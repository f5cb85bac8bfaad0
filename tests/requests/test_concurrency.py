"""Races over one slot in request mode, decided by the database: one hold, one booking.

Each thread has its own request context, hence its own Session on its own pooled connection;
a barrier starts them together, and a Race (tests.races) holds the first to finish at the contended
point until another is there too. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import func, select

from reception.accounts.models import User
from reception.booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, SlotOffer
from reception.booking.services import BookingData, book_slot
from reception.core.clock import utcnow
from reception.core.errors import Conflict, Invalid
from reception.directory.models import Official
from reception.extensions import db
from reception.notifications.models import OutboxMessage
from reception.requests import queries, services
from reception.schedule.models import AttendanceFormat, Slot
from tests.races import run_racers, statement

THREADS = 12
# Holding a slot writes its row (reception.booking.holds.place_hold): on PostgreSQL, offers of one slot
# queue there. On SQLite (one writer at a time) the later offers see the hold already when they check
# which of the chosen times are still free, and stop there.
HOLD = {"postgresql": statement(r"^UPDATE slots SET"),
        "sqlite": statement(r"\sFROM slots JOIN reception_sessions ON .*\sslots\.id IN \(")}
# A booking reads the slot with its session (locking its row) and decides from its hold
# (reception.booking.policy), before any write; the acceptance reads it too, then claims it.
SLOT_READ = statement(r"\sFROM slots JOIN reception_sessions ON .*\sWHERE slots\.id = "
                      r"|\sFROM users JOIN slots ON slots\.id = ")
# Decisions on one request queue on its row (reception.requests.services.check_decidable).
REQUEST_LOCK = statement(r"^SELECT appointments\.id\s+FROM appointments\s+WHERE appointments\.id = ")


def _data(world) -> BookingData:
    return BookingData(format=AttendanceFormat.IN_PERSON, topic_id=world.topic_id, summary="race")


def _send_requests(app, world, citizen_ids) -> list[int]:
    """Committed requests of ``citizen_ids`` to the world's official."""
    with app.test_request_context():
        try:
            official = db.session.get(Official, world.official_id)
            ids = [services.submit_request(db.session.get(User, c), official, _data(world), None, utcnow(),
                                           app.config).id for c in citizen_ids]
            db.session.commit()
            return ids
        finally:
            db.session.remove()


def _race(app, jobs, contended, sides=None):
    """Each job (a function of nothing, inside its own request context) prepares what its racer sees and returns
    the act that races (tests.races.run_racers); the outcomes: "won" or the exception."""
    outcomes = run_racers(app, jobs, contended, sides, prepare=True, context=app.test_request_context)
    return [o if isinstance(o, BaseException) else "won" for o in outcomes]


def _scalar(app, stmt):
    with app.app_context():
        try:
            return db.session.scalar(stmt)
        finally:
            db.session.remove()


def test_offers_of_one_slot_to_many_citizens_at_once_place_one_hold(app, request_race_world):
    world = request_race_world
    request_ids = _send_requests(app, world, world.citizen_ids[:THREADS])

    def offer_to(request_id):
        def prepare():
            assistant = db.session.get(User, world.assistant_id)
            request = queries.get_request(request_id)
            return lambda: services.offer_slots(assistant, request, [world.slot_id], None, utcnow(), app.config)
        return prepare

    outcomes = _race(app, [offer_to(r) for r in request_ids], HOLD)

    assert outcomes.count("won") == 1
    losers = [o for o in outcomes if o != "won"]
    # Refused by the conditional hold (Conflict), or found already held when the winner had committed (Invalid).
    assert all(isinstance(o, (Conflict, Invalid)) for o in losers), {type(o).__name__: str(o) for o in losers}
    winner = request_ids[outcomes.index("won")]
    assert _scalar(app, select(func.count()).select_from(SlotOffer).where(SlotOffer.slot_id == world.slot_id)) == 1
    assert _scalar(app, select(SlotOffer.appointment_id).where(SlotOffer.slot_id == world.slot_id)) == winner
    winner_citizen = _scalar(app, select(Appointment.citizen_id).where(Appointment.id == winner))
    assert _scalar(app, select(Slot.held_for_id).where(Slot.id == world.slot_id)) == winner_citizen
    assert _scalar(app, select(func.count()).select_from(Appointment).where(
        Appointment.status == AppointmentStatus.SCREENING, Appointment.id.in_(request_ids))) == 1


def test_the_holder_accepts_while_other_citizens_try_to_book_the_held_slot(app, request_race_world):
    world = request_race_world
    holder_id, *others = world.citizen_ids[:THREADS]
    [request_id] = _send_requests(app, world, [holder_id])
    with app.test_request_context():
        try:
            [offer] = services.offer_slots(db.session.get(User, world.assistant_id), queries.get_request(request_id),
                                           [world.slot_id], None, utcnow(), app.config)
            offer_id = offer.id
            db.session.commit()
        finally:
            db.session.remove()

    def accept():
        citizen = db.session.get(User, holder_id)
        request = queries.get_own_request(holder_id, request_id)
        return lambda: services.accept_offer(citizen, request, offer_id, utcnow())

    def book_as(citizen_id):
        def prepare():
            citizen = db.session.get(User, citizen_id)
            return lambda: book_slot(citizen, world.slot_id, _data(world), None, utcnow(), app.config)
        return prepare

    # The race is the acceptance against the bookings (bookings racing each other is not the point here).
    outcomes = _race(app, [accept] + [book_as(c) for c in others], SLOT_READ,
                     sides=["accept"] + ["book"] * len(others))

    assert outcomes[0] == "won", outcomes[0]
    refusals = outcomes[1:]
    # Held for another citizen (Conflict), or, once accepted, a request-mode time nobody books (Invalid).
    assert all(isinstance(o, (Conflict, Invalid)) for o in refusals), {type(o).__name__: str(o) for o in refusals}
    active = select(Appointment.id).where(Appointment.slot_id == world.slot_id,
                                          Appointment.status.in_(ACTIVE_STATUSES))
    assert _scalar(app, select(func.count()).select_from(active.subquery())) == 1
    assert _scalar(app, active) == request_id
    assert _scalar(app, select(Appointment.status).where(Appointment.id == request_id)) is AppointmentStatus.SCHEDULED


def test_decisions_on_one_request_at_once_leave_one_decision_and_one_email(app, request_race_world):
    world = request_race_world
    [request_id] = _send_requests(app, world, world.citizen_ids[:1])

    def resolve(n):
        def prepare():
            assistant = db.session.get(User, world.assistant_id)
            request = queries.get_request(request_id)
            return lambda: services.resolve_request(assistant, request, f"Resolved by desk {n}", utcnow())
        return prepare

    outcomes = _race(app, [resolve(n) for n in range(THREADS)], REQUEST_LOCK)

    assert outcomes.count("won") == 1
    losers = [o for o in outcomes if o != "won"]
    assert all(isinstance(o, Conflict) for o in losers), {type(o).__name__: str(o) for o in losers}
    note = _scalar(app, select(Appointment.decision_note).where(Appointment.id == request_id))
    assert note == f"Resolved by desk {outcomes.index('won')}"
    assert _scalar(app, select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.user_id == world.citizen_ids[0])) == 1


# A request with an idempotency key locks the citizen's row, then looks for its twin and counts the citizen's
# active appointments.
CITIZEN_LOCK = statement(r"^SELECT users\.id\s+FROM users\s+WHERE users\.id = ")


def test_a_double_submit_of_a_request_at_the_cap_racing_itself_sends_it_once(app, request_race_world):
    """The same request form (one idempotency key) sent twice at once by a citizen with one place left under
    the cap: one request, and both submits answer with it, not with "you already have … active appointments"
    (issue 14, finding 5)."""
    world = request_race_world
    citizen_id = world.citizen_ids[0]
    at_the_cap = {**app.config, "MAX_ACTIVE_APPOINTMENTS": 1}
    sent = []

    def submit():
        citizen, official = db.session.get(User, citizen_id), db.session.get(Official, world.official_id)
        return lambda: sent.append(services.submit_request(citizen, official, _data(world), "one-form-key-123456",
                                                           utcnow(), at_the_cap).id)

    outcomes = _race(app, [submit, submit], CITIZEN_LOCK)

    assert outcomes == ["won", "won"], outcomes
    assert len(sent) == 2 and sent[0] == sent[1]
    assert _scalar(app, select(func.count()).select_from(Appointment).where(
        Appointment.citizen_id == citizen_id)) == 1
