"""`make bench`: search at scale, noon rush and booking throughput against PostgreSQL and gunicorn.

Prints every figure and writes them to bench/results.json. Needs TEST_DATABASE_URL or
RECEPTION_DATABASE_URL (PostgreSQL); works in a schema of its own, dropped at the end.
``BENCH_ONLY=noon_rush,throughput`` (any of search, noon_rush, throughput, monitoring; ``make bench-search``
is ``BENCH_ONLY=search``: at one and at ten million slots) measures only the parts named and keeps the other
figures of an existing results file.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from reception import create_app
from reception.accounts.passwords import hash_password
from reception.core.clock import local_today, utcnow
from reception.directory.reference import load_reference_data
from reception.extensions import db
from reception.monitoring.services import take_snapshots

from . import cpu, database, history, instructions, scenarios
from .client import USER_AGENT, Rate
from .server import HOST, ROOT, gunicorn, limiter_storage

RESULTS = ROOT / "bench" / "results.json"
RUSH_CITIZENS, RUSH_SLOTS = 2000, 50
BOOKING_CITIZENS = 10_000          # one booking each, so that no per-citizen rule gets in the way
CONCURRENCY, SECONDS = 32, 15      # the same for the health endpoint and the booking endpoint
# Then one worker, one request at a time (see one_worker), for citizens kept apart.
ONE_WORKER_SECONDS, ONE_WORKER_CITIZENS = 5, 1500
# Then the instructions of a health request, a booking form, a booking and a lost booking (bench/instructions.py),
# for citizens kept apart.
INSTRUCTION_CITIZENS = instructions.CITIZENS
SEARCH_REQUESTS = 200              # per page kind
PARTS = ("noon_rush", "throughput", "search", "monitoring")  # in bench/results.json
MONITORING_REQUESTS = 20           # per monitoring page and data size, served from the stored figures
MONITORING_LIVE_REQUESTS = 2       # the same counted live (each takes seconds at a million)
# Monitoring history: a quarter of the officials first (about 260,000 appointments), then all of them (about
# 1,040,000 appointments and 208,000 sessions over two years).
SMALL_OFFICIALS, ALL_OFFICIALS = 100, 20 * database.OFFICIALS_PER_REGION
WORKERS = 2 * (os.cpu_count() or 1) + 1  # gunicorn's advice for sync workers
# Unmeasured search requests first: each worker is picked at random by the kernel, and a worker's first page
# compiles templates and statements; ten requests a worker leave one unwarmed less than once in 10,000 runs.
SEARCH_WARM_UP = 10 * WORKERS
STARTED = time.perf_counter()


def _step(message: str) -> None:
    print(f"--- [{time.perf_counter() - STARTED:4.0f} s] {message}", flush=True)


def prepare(app) -> dict:
    """Migrate and fill the schema; return what the scenarios need."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
        with db.engine.begin() as conn:
            database.seed(conn, RUSH_CITIZENS + BOOKING_CITIZENS, hash_password(secrets.token_urlsafe()),
                          date.today() + timedelta(days=1))
        with db.engine.connect() as conn:
            data = {
                "slots": conn.execute(text("SELECT count(*) FROM slots")).scalar_one(),
                "regions": list(conn.execute(text("SELECT code FROM regions ORDER BY code")).scalars()),
                "officials": list(conn.execute(text("SELECT id FROM officials ORDER BY id")).scalars()),
                "citizens": list(conn.execute(text("SELECT id FROM users ORDER BY id")).scalars()),
                "topic": conn.execute(text("SELECT min(id) FROM topics")).scalar_one()}
    print(f"{data['slots']:,} slots, {len(data['officials'])} officials, {len(data['citizens']):,} citizens")
    return data


def search(port: int, data: dict) -> dict:
    _step(f"search at scale: {SEARCH_REQUESTS} requests of each page, one at a time")
    p95 = asyncio.run(scenarios.search(port, data["regions"], data["officials"], date.today(), SEARCH_REQUESTS,
                                        SEARCH_WARM_UP))
    print(f"free slots of a region, next 30 days: p95 {p95['region_30d']:.1f} ms (aim: under 30 ms)")
    print(f"an official's free slots:             p95 {p95['official_page']:.1f} ms (aim: under 20 ms)")
    return {"region_30d_p95_ms": round(p95["region_30d"], 1),
            "official_page_p95_ms": round(p95["official_page"], 1), "slots": data["slots"]}


def search_large(app, port: int, data: dict) -> dict:
    """The region search again on the larger data set: ten times the officials, 10,000,000 slots."""
    _step(f"search at scale: {database.LARGE_OFFICIALS_PER_REGION} officials an akimat (bulk SQL)")
    with app.app_context(), db.engine.begin() as conn:
        slots = database.add_officials(conn, database.LARGE_OFFICIALS_PER_REGION, date.today() + timedelta(days=1))
    _step(f"search at scale: {slots:,} slots, {SEARCH_REQUESTS} requests, one at a time")
    p95 = asyncio.run(scenarios.search(port, data["regions"], [], date.today(), SEARCH_REQUESTS, SEARCH_WARM_UP))
    print(f"free slots of a region, next 30 days: p95 {p95['region_30d']:.1f} ms at {slots:,} slots "
          "(aim: under 30 ms)")
    return {"region_30d_p95_ms_10m": round(p95["region_30d"], 1), "slots_10m": slots}


def noon_rush(app, port: int, data: dict) -> dict:
    _step(f"noon rush: {RUSH_CITIZENS} citizens, {RUSH_SLOTS} slots opening now")
    cookies = [scenarios.signed_in(app, user_id)[0] for user_id in data["citizens"][:RUSH_CITIZENS]]
    with app.app_context(), db.engine.begin() as conn:
        slots = database.open_rush_session(conn, data["officials"][0], RUSH_SLOTS, date.today() + timedelta(7))
    rush = asyncio.run(scenarios.noon_rush(port, cookies, slots, data["topic"]))
    with app.app_context(), db.engine.connect() as conn:
        appointments, doubles = database.booking_check(conn, slots)
    print(f"booking POSTs: {dict(rush['statuses'])}; transport errors: {rush['transport_errors']}")
    print(f"appointments {appointments}, double bookings {doubles}, 5xx {rush['errors_5xx']}, "
          f"booking p99 {rush['p99_ms']:.0f} ms (form page p99 {rush['form_p99_ms']:.0f} ms)")
    return {"appointments": appointments, "double_bookings": doubles, "errors_5xx": rush["errors_5xx"],
            "p99_ms": round(rush["p99_ms"], 1), "form_p99_ms": round(rush["form_p99_ms"], 1)}


def _snapshots(app) -> tuple[int, float]:
    """``flask monitoring snapshot --again``: store the figures of every settled period; (stored, seconds)."""
    started = time.perf_counter()
    with app.app_context():
        taken = take_snapshots(local_today(), utcnow(), again=True)
        db.session.commit()
    return taken, time.perf_counter() - started


def monitoring(app, port: int, data: dict) -> dict:
    """p95 of the overview, the bodies table and the map for last year, at about 260,000 and at about
    1,040,000 appointments (two years of history added in bulk SQL; see bench/history.py): counted live
    (a few requests), then read from the stored figures of the settled periods once they are taken."""
    with app.app_context(), db.engine.begin() as conn:
        monitor_id = database.add_monitor(conn)
    cookie = scenarios.signed_in(app, monitor_id)[0]
    period = str(date.today().year - 1)
    result, first_day = {}, date.today() + timedelta(days=1)
    for label, skip, officials in (("small", 0, SMALL_OFFICIALS), ("large", SMALL_OFFICIALS,
                                                                      ALL_OFFICIALS - SMALL_OFFICIALS)):
        _step(f"monitoring: two years of history for {officials} more officials")
        with app.app_context(), db.engine.begin() as conn:
            appointments = history.add(conn, first_day, officials, skip)
        with app.app_context(), db.engine.begin() as conn:  # the last run's figures are of less history
            conn.execute(text("DELETE FROM monitoring_snapshots"))
        live = asyncio.run(scenarios.monitoring(port, cookie, period, MONITORING_LIVE_REQUESTS))
        print(f"{appointments:,} appointments, year {period}, counted live: overview {live['overview']:.0f} ms, "
              f"bodies table {live['bodies']:.0f} ms, map {live['map']:.0f} ms")
        _step("monitoring: storing the figures of the settled periods")
        taken, seconds = _snapshots(app)
        print(f"stored {taken} snapshots in {seconds:.1f} s")
        p95 = asyncio.run(scenarios.monitoring(port, cookie, period, MONITORING_REQUESTS, stored=True))
        print(f"{appointments:,} appointments, year {period}, stored figures: overview p95 {p95['overview']:.0f} ms, "
              f"bodies table p95 {p95['bodies']:.0f} ms, map p95 {p95['map']:.0f} ms (aim: under 300 ms each)")
        result[label] = {"appointments": appointments, **p95, "live": live, "snapshot_seconds": seconds,
                         "snapshots": taken}
    small, large = result["small"], result["large"]
    print(f"growth from {small['appointments']:,} to {large['appointments']:,} appointments: overview "
          f"x{large['overview'] / small['overview']:.2f} (aim: under 2)")
    return {"appointments": large["appointments"], "overview_p95_ms": round(large["overview"], 1),
            "bodies_p95_ms": round(large["bodies"], 1), "map_p95_ms": round(large["map"], 1),
            "overview_p95_ms_small": round(small["overview"], 1), "appointments_small": small["appointments"],
            "bodies_p95_ms_small": round(small["bodies"], 1), "map_p95_ms_small": round(small["map"], 1),
            "live_p95_ms": {page: round(ms, 1) for page, ms in large["live"].items()},
            "live_p95_ms_small": {page: round(ms, 1) for page, ms in small["live"].items()},
            "snapshot_seconds": round(large["snapshot_seconds"], 1),
            "snapshot_seconds_small": round(small["snapshot_seconds"], 1), "snapshots": large["snapshots"]}


def _measured(app, pids: tuple[int, int | None], name: str, load) -> tuple[Rate, float, float]:
    """Run ``load`` (a coroutine giving a Rate), print its rate and the server's CPU per request; return the rate,
    the server's CPU seconds per request (app, database and Redis) and the app's alone. ``pids``: gunicorn's
    master and the Redis server (None: no Redis)."""
    with app.app_context(), db.engine.connect() as conn:
        before = cpu.snapshot(*pids, conn=conn)
        rate = asyncio.run(load)
        spent = cpu.spent(before, cpu.snapshot(*pids, conn=conn))
    requests = rate.done + rate.failed
    redis = f", Redis {spent['redis'] / requests * 1000:.2f} ms" if pids[1] else ""
    print(f"{name:<8} {rate.per_second:7.0f} req/s ({rate.done} in {rate.seconds:.1f} s); server CPU per request: "
          f"app {spent['app'] / requests * 1000:.2f} ms, database {spent['db'] / requests * 1000:.2f} ms{redis}; "
          f"load client: {rate.client_cpu / rate.seconds:.0%} of a core")
    return rate, sum(spent.values()) / requests, spent["app"] / requests


def statements_per_booking(app, citizen_id: int, slot_id: int, topic_id: int) -> int:
    """SQL statements of one booking POST, made through the app's test client against the bench schema and
    counted by an engine listener (every statement the request sends, reads and writes)."""
    from sqlalchemy import event

    cookie, csrf = scenarios.signed_in(app, citizen_id)
    client = app.test_client(use_cookies=False)
    statements = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        # Over http, as the bench reaches gunicorn (in production the test client would default to https,
        # and the CSRF check would then want a Referer).
        response = client.post(f"/reception/slots/{slot_id}/book", base_url=f"http://{HOST}",
                               data=scenarios.booking_form(topic_id, csrf, secrets.token_urlsafe(24)),
                               headers={"Cookie": f"session={cookie}", "User-Agent": USER_AGENT},
                               environ_base={"REMOTE_ADDR": HOST})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    if response.status_code != 302:
        raise RuntimeError(f"the counted booking answered {response.status_code}: "
                           f"{response.get_data(as_text=True)[:300]}")
    for statement in statements:
        print("   ", " ".join(statement.split())[:110])
    return len(statements)


def _booking_run(app, port: int, pids: tuple[int, int | None], name: str, citizens: list[int], topic: int,
                 concurrency: int, seconds: float) -> tuple[Rate, float, float]:
    """Booking POSTs by ``citizens``, each for another of the soonest free slots, measured by :func:`_measured`;
    checked in SQL afterwards: an appointment for every answer that booked, none refused, no double booking."""
    with app.app_context(), db.engine.connect() as conn:
        slots = database.free_open_slots(conn, len(citizens))
    logins = [scenarios.signed_in(app, user_id) for user_id in citizens[:len(slots)]]
    measured = _measured(app, pids, name, scenarios.booking_rate(port, logins, slots, topic, concurrency, seconds))
    booking = measured[0]
    with app.app_context(), db.engine.connect() as conn:
        booked, doubles = database.booking_check(conn, slots)
    if booked != booking.done or booking.failed or doubles:
        raise RuntimeError(f"booking run: {booking.done} answered by a redirect to the talon, {booking.failed} "
                           f"otherwise; {booked} appointments and {doubles} double bookings in the database")
    if booked == len(slots):
        print(f"note: all {booked} prepared bookings were made before {seconds} s")
    return measured


def one_worker(app, serve, redis_pid: int | None, citizens: list[int], topic: int) -> tuple[float, float]:
    """App CPU seconds of a health request and of a booking when one gunicorn worker (``serve()``: a context
    manager giving its port and master's pid) answers one request at a time (its first few bookings, which compile
    their statements, weigh less than 1 % in some 700).

    The throughput run's five workers share two cores, and the same code then costs more CPU per request (when
    this was written, about a third more for a booking; as much with five workers given one request at a time,
    which switched contexts twice as often and moved between cores). This figure says what the code costs; the
    other, what this machine made of it under load."""
    _step(f"throughput: one worker, one connection, {ONE_WORKER_SECONDS} s each")
    with serve() as (port, pid):
        pids = (pid, redis_pid)
        _, _, health = _measured(app, pids, "health", scenarios.health_rate(port, 1, ONE_WORKER_SECONDS))
        _, _, booking = _booking_run(app, port, pids, "booking", citizens, topic, 1, ONE_WORKER_SECONDS)
    return health, booking


def throughput(app, port: int, pids: tuple[int, int | None], data: dict, serve_one, env: dict[str, str]) -> dict:
    _step(f"throughput: {CONCURRENCY} connections, {SECONDS} s each")
    citizens = data["citizens"][RUSH_CITIZENS:]
    # Kept apart: the last citizen's booking, counted statement by statement at the end, the one worker's, and
    # those whose bookings are counted in instructions.
    counted, apart, citizens = citizens[-1], citizens[-1 - ONE_WORKER_CITIZENS:-1], citizens[:-1 - ONE_WORKER_CITIZENS]
    by_instructions, citizens = citizens[-INSTRUCTION_CITIZENS:], citizens[:-INSTRUCTION_CITIZENS]
    health, health_cpu, health_app_cpu = _measured(app, pids, "health", scenarios.health_rate(port, CONCURRENCY,
                                                                                                SECONDS))
    booking, booking_cpu, booking_app_cpu = _booking_run(app, port, pids, "booking", citizens, data["topic"],
                                                         CONCURRENCY, SECONDS)
    ratio = booking.per_second / health.per_second
    print(f"booking/health ratio {ratio:.3f} measured, {health_cpu / booking_cpu:.3f} by server CPU per request "
          "(aim: at least 0.15)")
    one_health, one_booking = one_worker(app, serve_one, pids[1], apart, data["topic"])
    with app.app_context(), db.engine.connect() as conn:
        counted_slot = database.free_open_slots(conn, 1)[0]
    statements = statements_per_booking(app, counted, counted_slot, data["topic"])
    # A virtual machine's speed moves from day to day and within a day (its neighbours); the health endpoint's
    # CPU in the same run says how fast it was, and the booking's in those units compares better across runs.
    print(f"SQL statements per booking POST: {statements} (aim: at most 8); app CPU per booking: "
          f"{booking_app_cpu * 1000:.2f} ms (aim: under 5 ms), {booking_app_cpu / health_app_cpu:.1f} times "
          f"a health request's {health_app_cpu * 1000:.2f} ms; with one worker, one request at a time: "
          f"{one_booking * 1000:.2f} ms, {one_booking / one_health:.1f} times a health request's "
          f"{one_health * 1000:.2f} ms")
    _step("throughput: instructions per request, counted by callgrind in one process built like a worker")
    with app.app_context(), db.engine.connect() as conn:
        slots = database.free_open_slots(conn, instructions.WARM_UP + instructions.REQUESTS)
    counts = instructions.count(env, by_instructions, slots, data["topic"]) or {}
    if counts:
        print(f"instructions per request (repeatable to well under 1 %, unlike CPU seconds): booking "
              f"{counts['booking'] / 1e6:.2f} M, health {counts['health'] / 1e6:.2f} M, "
              f"{counts['booking'] / counts['health']:.1f} times; the noon rush's other two: the booking form "
              f"{counts['form'] / 1e6:.2f} M, a booking that lost (409) {counts['lost'] / 1e6:.2f} M")
    return {"booking_rps": round(booking.per_second, 1), "health_rps": round(health.per_second, 1),
            "ratio": round(ratio, 3), "statements_per_booking": statements,
            "instructions_per_booking": counts.get("booking"), "instructions_per_health": counts.get("health"),
            "instructions_per_form_page": counts.get("form"), "instructions_per_lost_booking": counts.get("lost"),
            "app_cpu_ms_per_booking": round(booking_app_cpu * 1000, 2),
            "health_app_cpu_ms": round(health_app_cpu * 1000, 2),
            "app_cpu_ms_per_booking_one_worker": round(one_booking * 1000, 2),
            "health_app_cpu_ms_one_worker": round(one_health * 1000, 2)}


def main() -> int:
    # BENCH_ONLY=noon_rush,throughput measures only those parts (the monitoring part alone takes minutes).
    parts = set(filter(None, os.environ.get("BENCH_ONLY", "").replace(" ", "").split(","))) or set(PARTS)
    if parts - set(PARTS):
        print(f"BENCH_ONLY: choose among {', '.join(PARTS)}", file=sys.stderr)
        return 2
    base_url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("RECEPTION_DATABASE_URL") or ""
    if not base_url.startswith("postgresql"):
        print("make bench needs PostgreSQL: set TEST_DATABASE_URL (or RECEPTION_DATABASE_URL), e.g.\n"
              "  TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make bench", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup below runs
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores" +
          (": other work on this machine lowers every rate" if load > 0.5 else ""))
    secret = secrets.token_urlsafe(32)
    prefix = f"bench_{os.getpid()}"  # the schema's name too
    with (database.private_schema(base_url) as url, limiter_storage(prefix) as (storage, redis_pid),
          tempfile.TemporaryDirectory() as tmp):
        _step("preparing the data")
        app = create_app({"ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": url})
        data = prepare(app)
        env = {"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": secret, "RECEPTION_DATABASE_URL": url,
               "RECEPTION_RATELIMIT_STORAGE_URI": storage, "RECEPTION_RATELIMIT_KEY_PREFIX": prefix}
        args = ["--workers", str(WORKERS), "--no-control-socket"]
        serve_one = lambda: gunicorn(env, ["--workers", "1", "--no-control-socket"],  # noqa: E731
                                     Path(tmp) / "gunicorn-one.log")
        with gunicorn(env, args, Path(tmp) / "gunicorn.log") as (port, pid):
            print(f"gunicorn: {WORKERS} sync workers on port {port}, {os.cpu_count()} cores; the load client: "
                  "one process; rate-limit counters: " + (f"Redis, as in production ({storage}, keys under {prefix})"
                                                          if redis_pid else "memory:// (no Redis on 127.0.0.1:6379)"))
            results = {}
            for part, measure in (("search", lambda: search(port, data)),
                                  ("noon_rush", lambda: noon_rush(app, port, data)),
                                  ("throughput", lambda: throughput(app, port, (pid, redis_pid), data, serve_one, env)),
                                  ("monitoring", lambda: monitoring(app, port, data))):
                if part in parts:
                    results[part] = measure()
            if "noon_rush" in results and "throughput" in results:
                floor = 2 * RUSH_CITIZENS / results["throughput"]["health_rps"]
                print(f"noon rush: its {2 * RUSH_CITIZENS} requests (form and booking of each citizen) would take "
                      f"{floor:.1f} s even at the health endpoint's rate; the booking p99 "
                      f"{results['noon_rush']['p99_ms'] / 1000:.1f} s (aim: under 3 s) queues behind them")
                results["noon_rush"]["health_rate_floor_s"] = round(floor, 1)
            if "search" in parts:  # last: ten million slots would weigh on every measurement after it
                results["search"].update(search_large(app, port, data))
                results["search"]["workers"], results["search"]["cores"] = WORKERS, os.cpu_count()
    earlier = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged = {key: results.get(key, earlier.get(key)) for key in PARTS}  # parts not measured keep their figures
    RESULTS.write_text(json.dumps({key: value for key, value in merged.items() if value is not None},
                                  indent=2) + "\n")
    _step(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
