"""Races decided by the database: many citizens, one slot (or one studio), exactly one winner.

Each thread has its own application context, hence its own Session on its own pooled
connection, and its own citizen; a barrier starts them together, and a Race (tests.races) holds
the first to finish at the contended point until another is there too. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from reception.booking.models import Appointment, Reservation, ReservationResource
from reception.booking.services import BookingData, SlotTaken, book_slot
from reception.core.clock import utcnow
from reception.extensions import db
from reception.schedule.models import AttendanceFormat
from tests.races import Race, statement

THREADS = 20
# Bookings of one slot queue on its row: the statement that loads the slot locks it (and the citizen's row), see
# reception.booking.queries.get_slot(lock_for_citizen=...).
CLAIM = statement(r"\sFROM users JOIN slots ON slots\.id = ")
# Bookings of one studio at one time meet at its reservation (the exclusion constraint on PostgreSQL), written
# there in the statement that inserts the appointment too.
STUDIO_RESERVATION = statement(r"(^|\sAS \()INSERT INTO reservations", with_parameter="studio")


def _race(app, jobs, contended, side=lambda job: None):
    """Run ``jobs`` (citizen_id, slot_id, data) at once, racers of different ``side`` (a function of the job)
    meeting at ``contended``; check that they did, and return the outcomes ("won" or the exception)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)
    with app.app_context():
        engine = db.engine

    def run(i, citizen_id, slot_id, data):
        with app.app_context():
            from reception.accounts.models import User
            citizen = db.session.get(User, citizen_id)
            db.session.rollback()  # start the race without holding a transaction (SQLite: the write lock)
            with race.racer(f"citizen {citizen_id}", side=side((citizen_id, slot_id, data))):
                barrier.wait(timeout=30)
                try:
                    book_slot(citizen, slot_id, data, None, utcnow(), app.config)
                    db.session.commit()
                    outcomes[i] = "won"
                except Exception as exc:
                    db.session.rollback()
                    outcomes[i] = exc
                finally:
                    db.session.remove()

    with Race(engine, contended) as race:
        threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    race.assert_overlapped()
    return outcomes


def _count(app, stmt):
    with app.app_context():
        try:
            return db.session.scalar(stmt)
        finally:
            db.session.remove()


def test_many_citizens_racing_for_one_slot_get_exactly_one_appointment(app, race_world):
    slot_id = race_world.slot_ids[0]
    data = BookingData(format=AttendanceFormat.IN_PERSON, topic_id=race_world.topic_id, summary="race")
    outcomes = _race(app, [(c, slot_id, data) for c in race_world.citizen_ids[:THREADS]], CLAIM)

    assert outcomes.count("won") == 1
    losers = [o for o in outcomes if o != "won"]
    assert all(isinstance(o, SlotTaken) for o in losers), {type(o).__name__: str(o) for o in losers}
    assert all(str(o.message) == "This time has just been taken." for o in losers)
    assert _count(app, select(func.count()).select_from(Appointment).where(Appointment.slot_id == slot_id)) == 1


def test_two_video_bookings_of_one_studio_at_the_same_time_reserve_it_once(app, race_world):
    # Different officials, different slots at the same time, citizens of the studio's region.
    jobs = [(c, race_world.slot_ids[i % 2],
             BookingData(format=AttendanceFormat.VIDEO_STUDIO, studio_id=race_world.studio_id,
                         topic_id=race_world.topic_id, summary="race"))
            for i, c in enumerate(race_world.citizen_ids[:THREADS])]
    # The race that matters is between the two slots: one booking of each meets at the studio.
    outcomes = _race(app, jobs, STUDIO_RESERVATION, side=lambda job: f"slot {job[1]}")

    assert outcomes.count("won") == 1
    losers = [o for o in outcomes if o != "won"]
    assert all(isinstance(o, SlotTaken) for o in losers), {type(o).__name__: str(o) for o in losers}
    messages = {str(o.message) for o in losers}
    assert messages <= {"This time has just been taken.", "The studio is already reserved at this time."}
    assert "The studio is already reserved at this time." in messages
    studio_reservations = select(func.count()).select_from(Reservation).where(
        Reservation.resource == ReservationResource.STUDIO, Reservation.resource_id == race_world.studio_id,
        Reservation.released_at.is_(None))
    assert _count(app, studio_reservations) == 1
    assert _count(app, select(func.count()).select_from(Appointment).where(
        Appointment.slot_id.in_(race_world.slot_ids))) == 1


def test_a_double_submit_at_the_cap_racing_itself_books_once_and_both_get_the_talon(app, race_world):
    """The same form (one idempotency key) sent twice at once by a citizen with one place left under the cap:
    one appointment, and both submits answer with it, not with "you already have … active appointments"."""
    from reception.accounts.models import User

    citizen_id, slot_id = race_world.citizen_ids[0], race_world.slot_ids[0]
    data = BookingData(format=AttendanceFormat.IN_PERSON, topic_id=race_world.topic_id, summary="twice at once")
    at_the_cap = {**app.config, "MAX_ACTIVE_APPOINTMENTS": 1}

    def submit():
        return book_slot(db.session.get(User, citizen_id), slot_id, data, "one-form-key-123456", utcnow(),
                         at_the_cap).id

    from tests.races import run_racers
    outcomes = run_racers(app, [submit, submit], CLAIM)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert outcomes[0] == outcomes[1]
    assert _count(app, select(func.count()).select_from(Appointment).where(
        Appointment.citizen_id == citizen_id)) == 1
