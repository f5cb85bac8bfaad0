"""Two consultants of one region take the same case at the same moment: the database decides, one wins.

Each thread has its own request context, hence its own Session on its own pooled connection; a barrier
starts them together, and a Race (tests.races) holds the first to finish at the conditional UPDATE until
another consultant has reached it too. Runs on SQLite and PostgreSQL (TEST_DATABASE_URL).
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reception.accounts.models import User, UserRole
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.errors import Conflict
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region
from reception.extensions import db
from reception.legal import services
from reception.legal.models import LegalReview, ReviewStatus
from reception.schedule.models import AttendanceFormat
from tests.conftest import _PASSWORD_HASH
from tests.races import Race, statement

RACERS = 6
# Taking a case is one conditional UPDATE of the review (reception.legal.services.take_review).
TAKE = statement(r"^UPDATE legal_reviews SET")


@pytest.fixture
def race_case(app):
    """A queued review of KZ-71 and ``RACERS`` consultants of KZ-71, committed; deleted afterwards."""
    with app.app_context():
        engine = db.engine
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        n = id(s)
        body = Body(code=f"legal-race-{n}", level=BodyLevel.REGIONAL, region=region, name_kk="r", name_ru="r",
                    name_en="r")
        official = Official(body=body, full_name="Race official", position_kk="p", position_ru="p", position_en="p")
        citizen = User(email=f"legal-race-{n}@example.kz", full_name="Citizen", password_hash=_PASSWORD_HASH,
                       language="en", region_id=region.id, role_rows=[UserRole(role=Role.CITIZEN)])
        consultants = [User(email=f"legal-race-{n}-{i}@example.kz", full_name=f"Consultant {i}",
                            password_hash=_PASSWORD_HASH, language="en", region_id=region.id, body=body,
                            role_rows=[UserRole(role=Role.LEGAL_CONSULTANT)]) for i in range(RACERS)]
        s.add_all([body, official, citizen, *consultants])
        s.flush()
        appointment = Appointment(citizen_id=citizen.id, official_id=official.id, format=AttendanceFormat.IN_PERSON,
                                  topic_id=1, summary="race", status=AppointmentStatus.REQUESTED)
        s.add(appointment)
        s.flush()
        review = LegalReview(appointment_id=appointment.id, region_id=region.id, reason="race")
        s.add(review)
        s.commit()
        ids = {"review": review.id, "appointment": appointment.id, "official": official.id, "body": body.id,
               "users": [citizen.id] + [c.id for c in consultants], "consultants": [c.id for c in consultants]}
    yield ids
    with engine.begin() as conn:
        # The audit log is append-only: its records of this race stay.
        conn.execute(delete(LegalReview).where(LegalReview.id == ids["review"]))
        conn.execute(delete(Appointment).where(Appointment.id == ids["appointment"]))
        conn.execute(delete(Official).where(Official.id == ids["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(ids["users"])))
        conn.execute(delete(User).where(User.id.in_(ids["users"])))
        conn.execute(delete(Body).where(Body.id == ids["body"]))


def test_consultants_taking_one_case_at_once_leave_exactly_one_winner(app, race_case):
    barrier = threading.Barrier(RACERS)
    outcomes: list[object] = [None] * RACERS

    with app.app_context():
        engine = db.engine

    def run(i, consultant_id):
        with app.test_request_context():
            try:
                user = db.session.get(User, consultant_id)
                review = db.session.get(LegalReview, race_case["review"])
                assert user.roles and review.appointment.official  # loaded before the race
                db.session.rollback()  # start without holding a transaction (SQLite: the write lock)
                with race.racer(f"consultant {i}"):
                    barrier.wait(timeout=30)
                    try:
                        services.take_review(user, review, utcnow())
                        db.session.commit()
                        outcomes[i] = "won"
                    except Exception as exc:
                        db.session.rollback()
                        outcomes[i] = exc
            except Exception as exc:  # loading failed (or the barrier broke)
                db.session.rollback()
                outcomes[i] = exc
            finally:
                db.session.remove()

    with Race(engine, TAKE) as race:
        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(race_case["consultants"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    race.assert_overlapped()
    assert outcomes.count("won") == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if o != "won"), outcomes
    with app.app_context():
        try:
            review = db.session.get(LegalReview, race_case["review"])
            winner = race_case["consultants"][outcomes.index("won")]
            assert review.status is ReviewStatus.TAKEN and review.consultant_id == winner
        finally:
            db.session.remove()
