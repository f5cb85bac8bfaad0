"""The race helper itself (tests.races): racers that meet at the contended statement pass, racers that run
one after the other fail the race, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from reception.extensions import db
from tests.races import Race, statement

BUMP = statement(r"^UPDATE race_probe SET")


@pytest.fixture
def engine(app):
    """A table of one committed row, on the app's engine; dropped afterwards."""
    with app.app_context():
        engine = db.engine
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE race_probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO race_probe (id, n) VALUES (1, 0)"))
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE race_probe"))


def _bump(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE race_probe SET n = n + 1 WHERE id = 1"))


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT n FROM race_probe WHERE id = 1"))


def _run(*targets) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)


def test_racers_that_meet_at_the_contended_statement_pass(engine):
    barrier = threading.Barrier(2)

    def racer(name):
        def run():
            with race.racer(name):
                barrier.wait(timeout=10)
                _bump(engine)
        return run

    with Race(engine, BUMP) as race:
        _run(racer("a"), racer("b"))
    race.assert_overlapped()
    assert set(race.overlap) == {"a", "b"}
    assert _count(engine) == 2


def test_racers_one_after_the_other_fail_the_race(engine):
    def racer(name):
        def run():
            with race.racer(name):
                _bump(engine)
        return run

    with Race(engine, BUMP, timeout=0.5) as race:
        _run(racer("a"))  # done (after waiting in vain for company) before the other starts
        _run(racer("b"))
    with pytest.raises(AssertionError, match="the race did not happen: a held its transaction"):
        race.assert_overlapped()
    assert _count(engine) == 2


def test_racers_of_one_side_do_not_meet_each_other(engine):
    barrier = threading.Barrier(2)

    def racer(name):
        def run():
            with race.racer(name, side="same"):
                barrier.wait(timeout=10)
                _bump(engine)
        return run

    with Race(engine, BUMP, timeout=0.5) as race:
        _run(racer("a"), racer("b"))
    with pytest.raises(AssertionError, match="the race did not happen"):
        race.assert_overlapped()
