"""Races that prove they happened: a racer that is done waits, its transaction still open past the
contended point, until another racer has reached the race too; the test then checks that they met.

A :class:`Race` watches the threads that race (each enters :meth:`Race.racer`) through SQLAlchemy events on
the application's engine, so the application is not changed for it. A racer's *critical section* runs from
its contended statement (a pattern of the SQL the database receives) to the end of that transaction.
Two racers (of two sides, when sides are named) *meet* when:

- PostgreSQL: both are in their critical sections at the same moment. Both transactions are open past
  the contended point, and the database has to decide between them.
- SQLite: one writer at a time (every transaction begins with ``BEGIN IMMEDIATE``), so that cannot
  happen. The second racer's ``BEGIN IMMEDIATE`` waited for the write lock while the first was in its
  critical section, and that same transaction then reached its contended statement: it was queued
  behind the first and ran the contended statement after the first committed.

Until two racers have met, a racer that ends a critical section is held in its COMMIT (or ROLLBACK) until
another racer is in the race with it: in its own critical section (PostgreSQL) or waiting for the write
lock (SQLite). Nothing waits on the clock: the hold's timeout is only a guard. If nobody comes, the racer
goes on, the race records that it did not happen, and :meth:`Race.assert_overlapped` fails the test.
"""
from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

HOLD_TIMEOUT = 10.0  # seconds a held racer waits for company before the race counts as not having happened

_BEGIN_IMMEDIATE = "BEGIN IMMEDIATE"  # how reception's engine begins every SQLite transaction


@dataclass(eq=False)
class _Racer:
    name: str
    side: str
    txn: int = 0  # transactions this racer has ended: the number of its current (or next) one
    critical: bool = False
    queued: bool = False  # SQLite: inside BEGIN IMMEDIATE, waiting for the write lock
    statements: list[str] = field(default_factory=list)


def _parameters_contain(parameters, value) -> bool:
    values = parameters.values() if isinstance(parameters, dict) else parameters or ()
    return value in values


def statement(pattern: str, *, with_parameter=None) -> Callable[[str, object], bool]:
    """A contended point: SQL in which the regular expression ``pattern`` is found (``.`` matches line
    breaks too), optionally only when one of its parameters is ``with_parameter``."""
    regex = re.compile(pattern, re.DOTALL)

    def matches(sql: str, parameters) -> bool:
        if regex.search(sql) is None:
            return False
        return with_parameter is None or _parameters_contain(parameters, with_parameter)
    return matches


class Race:
    """A race among threads on ``engine`` over the statement ``contended`` (see :func:`statement`; a
    pattern; or a dict by dialect name, where the racers of one dialect decide at another statement).

    Use as a context manager around starting and joining the racers; each racer runs its part of the
    race inside ``with race.racer(name, side=...)``. After the threads are joined, call
    :meth:`assert_overlapped` before asserting on the outcome.
    """

    def __init__(self, engine, contended, *, timeout: float = HOLD_TIMEOUT):
        self.engine = engine
        if isinstance(contended, dict):
            contended = contended[engine.dialect.name]
        self.contended = statement(contended) if isinstance(contended, str) else contended
        self.timeout = timeout
        self.overlap: tuple[str, str] | None = None  # (held at its contended point, came meanwhile)
        self.reached: list[str] = []  # racers that reached the contended statement, in order
        self._cond = threading.Condition()
        self._racers: dict[int, _Racer] = {}
        self._all: dict[str, _Racer] = {}
        # SQLite: (racer, its transaction) -> the racer whose critical section it queued behind
        self._queued_behind: dict[tuple[_Racer, int], _Racer] = {}
        self._holding = False
        self._gave_up: str | None = None
        self._names = itertools.count(1)

    # --- setup ----------------------------------------------------------------------------------

    _EVENTS = ("before_cursor_execute", "commit", "rollback")

    def __enter__(self) -> Race:
        for name in self._EVENTS:
            event.listen(self.engine, name, getattr(self, f"_on_{name}"))
        return self

    def __exit__(self, *exc) -> None:
        for name in self._EVENTS:
            event.remove(self.engine, name, getattr(self, f"_on_{name}"))

    @contextmanager
    def racer(self, name: str | None = None, *, side: str | None = None) -> Iterator[None]:
        """The current thread races from here to the end of the block (start it after the racer's own
        preparation, before the barrier). Racers of one ``side`` do not count as meeting each other."""
        name = name or f"racer {next(self._names)}"
        racer = _Racer(name=name, side=side or name)
        with self._cond:
            assert name not in self._all, f"two racers named {name!r}"
            self._racers[threading.get_ident()] = racer
            self._all[name] = racer
        try:
            yield
        finally:
            with self._cond:
                del self._racers[threading.get_ident()]

    # --- what the test reads ----------------------------------------------------------------------

    def statements(self, name: str) -> list[str]:
        """The SQL racer ``name`` sent while racing (first line of each statement)."""
        return list(self._all[name].statements)

    def assert_overlapped(self) -> None:
        """Fail unless two racers (of two sides) were in the race at once (see the module docstring)."""
        assert self.overlap is not None, (
            "the race did not happen: "
            + (self._gave_up or "no racer reached the contended statement while another held its transaction there")
            + f"; racers that reached the contended statement: {self.reached or 'none'}")

    # --- event listeners --------------------------------------------------------------------------

    def _me(self) -> _Racer | None:
        return self._racers.get(threading.get_ident())

    def _others(self, me: _Racer):
        return [r for r in self._racers.values() if r.side != me.side]

    def _met(self, first: _Racer, second: _Racer) -> None:
        if self.overlap is None:
            self.overlap = (first.name, second.name)
        self._cond.notify_all()

    def _on_before_cursor_execute(self, conn, cursor, sql, parameters, context, executemany):
        me = self._me()
        if me is None:
            return
        with self._cond:
            me.statements.append(sql.split("\n", 1)[0])
            # SQLite: waits for the write lock (seen by a racer that holds it, it is still waiting).
            me.queued = sql == _BEGIN_IMMEDIATE
            if me.queued:
                self._cond.notify_all()
            elif not me.critical and self.contended(sql, parameters):
                me.critical = True
                self.reached.append(me.name)
                for other in self._others(me):  # PostgreSQL: both at the contended point, both open
                    if other.critical:
                        self._met(other, me)
                behind = self._queued_behind.get((me, me.txn))  # SQLite: queued behind it, now here
                if behind is not None:
                    self._met(behind, me)

    def _on_commit(self, conn):
        self._end_transaction()

    def _on_rollback(self, conn):
        self._end_transaction()

    def _come(self, me: _Racer) -> bool:
        """Whether ``me``, held in its critical section, has company: two racers have met already, or some
        are waiting for the write lock that ``me`` holds (SQLite; they meet when they get to the contended
        statement)."""
        if self.overlap is not None:
            return True
        queued = [r for r in self._others(me) if r.queued]
        for racer in queued:  # SQLite: their transactions wait for my write lock; confirmed when they get here
            self._queued_behind[(racer, racer.txn)] = me
        return bool(queued)

    def _end_transaction(self) -> None:
        me = self._me()
        if me is None:
            return
        with self._cond:
            if me.critical and self.overlap is None and self._gave_up is None and not self._holding:
                self._holding = True
                came = self._cond.wait_for(lambda: self._come(me), timeout=self.timeout)
                self._holding = False
                if not came:
                    self._gave_up = (f"{me.name} held its transaction at the contended point for {self.timeout:g} s "
                                     "and no other racer reached the race meanwhile")
            me.critical = me.queued = False
            self._queued_behind.pop((me, me.txn), None)  # queued, but this transaction never got there
            me.txn += 1


def run_racers(app, jobs, contended, sides=None, *, prepare=False, context=None) -> list[object]:
    """Run ``jobs`` (callables taking nothing) at once, each in its own thread, application context and
    transaction (committed when it returns, rolled back when it raises), as racers of their ``sides`` (one per
    job; by default each its own) meeting at ``contended``; check that they met; return what each returned
    ("done" for None) or raised.

    With ``prepare``, each job is called first, in its thread before the race (to load what its racer sees, as
    a page would), and returns the callable that races. ``context`` (default ``app.app_context``) makes each
    thread's context, e.g. ``app.test_request_context``."""
    from reception.extensions import db

    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)
    sides = sides or [None] * len(jobs)
    with app.app_context():
        engine = db.engine

    def run(i, job):
        with (context or app.app_context)():
            try:
                act = job() if prepare else job
                db.session.rollback()  # start without holding a transaction (SQLite: the write lock)
                with race.racer(f"job {i}", side=sides[i]):
                    barrier.wait(timeout=30)
                    try:
                        outcomes[i] = act() or "done"
                        db.session.commit()
                    except Exception as exc:
                        db.session.rollback()
                        outcomes[i] = exc
            except Exception as exc:  # preparing failed (or the barrier broke)
                db.session.rollback()
                outcomes[i] = exc
            finally:
                db.session.remove()

    with Race(engine, contended) as race:
        threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    race.assert_overlapped()
    return outcomes
