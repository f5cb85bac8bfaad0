"""PostgreSQL restarted under a booking load: every request succeeds or fails cleanly (503 with Retry-After, nothing
half-written), and the application recovers by itself, without a restart of its own.

A real gunicorn (WORKERS sync workers, production configuration) serves a private PostgreSQL cluster (see
:mod:`.postgres`); threads book over HTTP as citizens do, each booking with its own idempotency key and sent again
with the same key after a 503, as the booking form is. The cluster is stopped (``pg_ctl stop -m fast``) while
bookings run, kept down until the app has answered several requests without it, and started again.
"""
from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import text
from time_machine import escape_hatch

from bench import database as bench_database
from bench.scenarios import booking_form, signed_in
from bench.server import stop
from reception import create_app
from reception.core.clock import utcnow
from reception.directory.reference import load_reference_data
from reception.extensions import db

from .postgres import HOST, PrivateCluster, _free_port, find_bin_dir

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
THREADS = 4
OFFICIALS, SLOTS_PER_OFFICIAL = 20, 20  # one official per region's akimat (bench's seed), a session each
JOBS = OFFICIALS * SLOTS_PER_OFFICIAL   # one booking per citizen, each of another slot
BOOKED_BEFORE, DOWN_ANSWERS, BOOKED_AFTER = 10, 6, 15
PHASE_TIMEOUT = 60.0  # seconds: a guard only; each phase ends when what it waits for has happened
USER_AGENT = "reception-bench/1"  # the minted sessions are bound to it (session protection)


@pytest.fixture
def private_postgres():
    """A private cluster, on the PostgreSQL pass only; there a missing initdb is a failure, as a missing
    PostgreSQL is for the whole suite."""
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("restarts PostgreSQL: runs on the PostgreSQL pass (TEST_DATABASE_URL)")
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.fail("no initdb under /usr/lib/postgresql/*/bin: install the postgresql package")
    cluster = PrivateCluster(bin_dir)
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.destroy()


def _clock_offset() -> float:
    """How far ``pytest --today`` moved this process's clock (0 without it), for the server's workers."""
    return time.time() - escape_hatch.time.time() if escape_hatch.is_travelling() else 0.0


def _prepare(app) -> tuple[list[tuple[int, int]], int]:
    """Migrate; bench's seed (an akimat per region with an office, citizens) plus one official per akimat with a
    session a week ahead whose booking is open. Returns the jobs (citizen, slot) and the topic."""
    from flask_migrate import upgrade

    now = utcnow()
    starts = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_reference_data()
        db.session.commit()
        with db.engine.begin() as conn:
            for statement in bench_database.SEED:
                conn.execute(text(statement), {"citizens": JOBS, "password_hash": "x"})
            conn.execute(text(bench_database.OFFICIALS[0]), {"first": 1, "last": 1})
            conn.execute(text(
                """INSERT INTO reception_sessions (official_id, venue_id, kind, local_date, starts_at, ends_at,
                       allow_in_person, allow_video_studio, booking_mode, opens_at, closes_at, status, created_at)
                   SELECT o.id, v.id, 'one_off', :day, :starts, :ends, true, false, 'self', :opens, :closes,
                          'planned', :now
                   FROM officials o JOIN venues v ON v.body_id = o.body_id AND v.kind = 'office'"""),
                {"day": starts.date(), "starts": starts, "ends": starts + SLOTS_PER_OFFICIAL * timedelta(minutes=15),
                 "opens": now - timedelta(hours=1), "closes": starts - timedelta(days=1), "now": now})
            conn.execute(text(
                """INSERT INTO slots (session_id, starts_at, ends_at)
                   SELECT s.id, s.starts_at + n * interval '15 minutes', s.starts_at + (n + 1) * interval '15 minutes'
                   FROM reception_sessions s CROSS JOIN generate_series(0, :slots - 1) AS n ORDER BY s.id, n"""),
                {"slots": SLOTS_PER_OFFICIAL})
            citizens = list(conn.execute(text(
                "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'citizen' "
                "ORDER BY u.id")).scalars())
            slots = list(conn.execute(text("SELECT id FROM slots ORDER BY starts_at, id")).scalars())
            topic = conn.execute(text("SELECT min(id) FROM topics")).scalar_one()
        db.engine.dispose()
    assert len(citizens) == len(slots) == JOBS
    return list(zip(citizens, slots, strict=True)), topic


@dataclass
class Answer:
    citizen: int
    slot: int
    status: int
    location: str
    retry_after: str | None
    sent: float  # time.monotonic() when the request was sent
    body: str

    @property
    def booked(self) -> bool:
        return self.status == 302 and "/my/appointments/" in self.location

    @property
    def appointment_id(self) -> int:
        return int(urlsplit(self.location).path.rstrip("/").rsplit("/", 1)[1])


class Load:
    """THREADS threads booking over HTTP until stopped; each booking is sent again (same idempotency key)
    after a 503 until it gets another answer, as a citizen pressing the button again would."""

    def __init__(self, port: int, jobs, topic: int):
        self.port, self.topic = port, topic
        self.jobs = iter(jobs)
        self.lock = threading.Lock()
        self.answers: list[Answer] = []
        self.transport_errors: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(THREADS)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def count(self, predicate) -> int:
        with self.lock:
            return sum(1 for answer in self.answers if predicate(answer))

    def wait_for(self, what: str, predicate, at_least: int) -> None:
        """Until ``at_least`` answers satisfy ``predicate`` (the load's own progress, not the clock)."""
        deadline = time.monotonic() + PHASE_TIMEOUT
        while self.count(predicate) < at_least:
            if time.monotonic() > deadline or self.stop.is_set() or self.transport_errors:
                with self.lock:
                    seen = Counter(a.status for a in self.answers)
                    odd = next((a.body[:1500] for a in self.answers if a.status not in (302, 503)), "")
                raise AssertionError(f"waiting for {at_least} {what}: answers {dict(seen)}, transport errors "
                                     f"{self.transport_errors[:3]}\n{odd}")
            time.sleep(0.05)

    def _next(self):
        with self.lock:
            return next(self.jobs, None)

    def _run(self) -> None:
        while not self.stop.is_set():
            job = self._next()
            if job is None:
                self.stop.set()  # ran out of prepared bookings: wait_for reports it
                return
            citizen, slot, cookie, csrf = job
            form = urlencode(booking_form(self.topic, csrf, secrets.token_urlsafe(24)))
            while True:
                try:
                    answer = self._post(citizen, slot, cookie, form)
                except OSError as exc:
                    with self.lock:
                        self.transport_errors.append(repr(exc))
                    return
                with self.lock:
                    self.answers.append(answer)
                if answer.status != 503:
                    break
                time.sleep(0.05)  # a pause before pressing again, not an ordering of anything

    def _post(self, citizen: int, slot: int, cookie: str, form: str) -> Answer:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            sent = time.monotonic()
            conn.request("POST", f"/reception/slots/{slot}/book", body=form, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}",
                "User-Agent": USER_AGENT, "Accept-Language": "en"})
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            return Answer(citizen, slot, response.status, response.getheader("Location") or "",
                          response.getheader("Retry-After"), sent, body if response.status >= 500 else "")
        finally:
            conn.close()


def _get(port: int, path: str, language: str) -> tuple[int, str | None, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept-Language": language, "User-Agent": USER_AGENT})
        response = conn.getresponse()
        return response.status, response.getheader("Retry-After"), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _serve(cluster: PrivateCluster, secret: str, log_path: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": secret,
           "RECEPTION_DATABASE_URL": cluster.url, "FAULTS_CLOCK_OFFSET": str(_clock_offset())}
    env.pop("TEST_DATABASE_URL", None)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--no-control-socket", "--bind",
             f"{HOST}:{port}", "tests.faults.served:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # workers import the app slowly on a busy machine
    while True:
        try:
            if _get(port, "/healthz", "en")[0] == 200:
                return server, port
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)


@pytest.mark.postgres_only
def test_bookings_during_a_postgresql_restart_succeed_or_fail_cleanly_and_the_app_recovers(
        private_postgres, tmp_path):
    cluster = private_postgres
    secret = secrets.token_urlsafe(48)
    app = create_app({"ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": cluster.url})
    pairs, topic = _prepare(app)
    jobs = [(citizen, slot, *signed_in(app, citizen)) for citizen, slot in pairs]
    log_path = tmp_path / "gunicorn.log"
    server, port = _serve(cluster, secret, log_path)
    load = Load(port, jobs, topic)
    try:
        load.start()
        load.wait_for("bookings before the restart", lambda a: a.booked, BOOKED_BEFORE)
        cluster.stop()
        stopped = time.monotonic()
        load.wait_for("answers while PostgreSQL is down", lambda a: a.sent > stopped and a.status == 503,
                      DOWN_ANSWERS)
        # Pages answer the same way while it is down, in the visitor's language.
        page = _get(port, "/reception/", "ru")
        health = _get(port, "/healthz", "en")
        cluster.start()
        started = time.monotonic()
        load.wait_for("bookings after the restart", lambda a: a.sent > started and a.booked, BOOKED_AFTER)
    finally:
        load.finish()
        stop(server)
    answers = load.answers
    log = log_path.read_text()

    # Every answer is a booking or a clean 503 with Retry-After, never a 500, and no request went unanswered.
    assert load.transport_errors == []
    statuses = Counter("booked" if a.booked else a.status for a in answers)
    assert set(statuses) <= {"booked", 503}, (statuses, [a.body[:500] for a in answers if a.status not in (302, 503)])
    unavailable = [a for a in answers if a.status == 503]
    assert unavailable and all(a.retry_after and a.retry_after.isdigit() for a in unavailable)
    assert all("briefly unavailable" in a.body for a in unavailable), unavailable[0].body[:2000]
    assert page[0] == 503 and page[1] and "ненадолго недоступен" in page[2], page[2][:2000]
    assert health[0] == 503
    # The app recovered by itself: the same workers (none restarted), and after the restart at most one
    # booking per worker failed (its pool's connection from before the restart, found dead and dropped).
    assert log.count("Booting worker") == WORKERS, log[-3000:]
    assert sum(1 for a in unavailable if a.sent > started) <= WORKERS

    # Every booking answered "booked" is there once, whole: the appointment with its talon and the citizen's
    # reservation; no appointment without its reservation, no slot or citizen booked twice, and nothing booked
    # but what was answered "booked" (a booking whose 503 came after its commit was sent again and found).
    booked = {a.appointment_id: (a.citizen, a.slot) for a in answers if a.booked}
    booked_jobs = {(a.citizen, a.slot) for a in answers if a.booked}
    assert len(booked) == len(booked_jobs)
    with app.app_context():
        db.engine.dispose()  # its connections died with the restart
        with db.engine.connect() as conn:
            appointments = {row.id: row for row in conn.execute(text(
                """SELECT a.id, a.citizen_id, a.slot_id, a.status, a.talon_number,
                          (SELECT count(*) FROM reservations r WHERE r.appointment_id = a.id
                           AND r.resource = 'citizen' AND r.resource_id = a.citizen_id
                           AND r.released_at IS NULL) AS reservations
                   FROM appointments a"""))}
        db.engine.dispose()
    assert set(appointments) == set(booked)
    for appointment_id, (citizen, slot) in booked.items():
        row = appointments[appointment_id]
        assert (row.citizen_id, row.slot_id, row.status) == (citizen, slot, "scheduled")
        assert row.talon_number and row.talon_number.endswith(f"{appointment_id:06d}")
        assert row.reservations == 1
    assert len({row.slot_id for row in appointments.values()}) == len(appointments)
    assert len({row.citizen_id for row in appointments.values()}) == len(appointments)
    assert statuses["booked"] == len(booked) >= BOOKED_BEFORE + BOOKED_AFTER
