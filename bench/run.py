"""`make bench`: noon rush, booking throughput and search at scale against PostgreSQL and gunicorn.

Prints every figure and writes them to bench/results.json. Needs TEST_DATABASE_URL or
RECEPTION_DATABASE_URL (PostgreSQL); works in a schema of its own, dropped at the end.
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
from reception.directory.reference import load_reference_data
from reception.extensions import db

from . import database, scenarios
from .server import ROOT, gunicorn

RESULTS = ROOT / "bench" / "results.json"
RUSH_CITIZENS, RUSH_SLOTS = 2000, 50
BOOKING_CITIZENS = 30_000          # one booking each, so no per-citizen rule gets in the way
CONCURRENCY, SECONDS = 32, 15      # the same for the health endpoint and the booking endpoint
SEARCH_REQUESTS = 200              # per page kind
WORKERS = 2 * (os.cpu_count() or 1) + 1  # gunicorn's advice for sync workers


def _step(message: str) -> None:
    print(f"--- {message}", flush=True)


def prepare(app, citizens: int) -> dict:
    """Migrate and fill the schema; return what the scenarios need."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
        with db.engine.begin() as conn:
            database.seed(conn, citizens, hash_password(secrets.token_urlsafe()), date.today() + timedelta(days=1))
        with db.engine.connect() as conn:
            data = dict(
                slots=conn.execute(text("SELECT count(*) FROM slots")).scalar_one(),
                regions=list(conn.execute(text("SELECT code FROM regions ORDER BY code")).scalars()),
                officials=list(conn.execute(text("SELECT id FROM officials ORDER BY id")).scalars()),
                citizens=list(conn.execute(text("SELECT id FROM users ORDER BY id")).scalars()),
                topic=conn.execute(text("SELECT min(id) FROM topics")).scalar_one())
    print(f"{data['slots']:,} slots, {len(data['officials'])} officials, {len(data['citizens']):,} citizens "
          f"in {time.perf_counter() - started:.0f} s")
    return data


def bench(app, port: int, data: dict) -> dict:
    _step(f"search at scale: {SEARCH_REQUESTS} requests of each page, one at a time")
    search = asyncio.run(scenarios.search(port, data["regions"], data["officials"], date.today(), SEARCH_REQUESTS))
    print(f"free slots of a region, next 30 days: p95 {search['region_30d']:.1f} ms")
    print(f"an official's free slots:             p95 {search['official_page']:.1f} ms")

    _step(f"noon rush: {RUSH_CITIZENS} citizens, {RUSH_SLOTS} slots opening now")
    rush_citizens, booking_citizens = data["citizens"][:RUSH_CITIZENS], data["citizens"][RUSH_CITIZENS:]
    cookies = [scenarios.signed_in(app, user_id)[0] for user_id in rush_citizens]
    with app.app_context(), db.engine.begin() as conn:
        rush_slots = database.open_rush_session(conn, data["officials"][0], RUSH_SLOTS, date.today() + timedelta(7))
    rush = asyncio.run(scenarios.noon_rush(port, cookies, rush_slots, data["topic"]))
    with app.app_context(), db.engine.connect() as conn:
        appointments, doubles = database.booking_check(conn, rush_slots)
    print(f"booking POSTs: {dict(rush['statuses'])}; transport errors: {rush['transport_errors']}")
    print(f"appointments {appointments}, double bookings {doubles}, 5xx {rush['errors_5xx']}, "
          f"booking p99 {rush['p99_ms']:.0f} ms")

    _step(f"throughput: {CONCURRENCY} connections, {SECONDS} s each")
    with app.app_context(), db.engine.connect() as conn:
        slots = database.free_open_slots(conn, len(booking_citizens))
    logins = [scenarios.signed_in(app, user_id) for user_id in booking_citizens[:len(slots)]]
    health = asyncio.run(scenarios.health_rate(port, CONCURRENCY, SECONDS))
    booking = asyncio.run(scenarios.booking_rate(port, logins, slots, data["topic"], CONCURRENCY, SECONDS))
    with app.app_context(), db.engine.connect() as conn:
        booked, booking_doubles = database.booking_check(conn, slots)
    booking_rps = booked / booking.seconds
    if booked < booking.done or booking.failed or booking_doubles:
        raise RuntimeError(f"booking run: {booking.done} answered 302, {booking.failed} otherwise, "
                           f"{booked} appointments, {booking_doubles} double bookings")
    if booked >= len(slots):
        print(f"warning: all {len(slots)} prepared bookings were used up before {SECONDS} s")
    for name, rate in (("health", health), ("booking", booking)):
        print(f"{name:<8} {rate.per_second:8.0f} req/s  ({rate.done} in {rate.seconds:.1f} s; "
              f"load client used {rate.client_cpu / rate.seconds:.0%} of one core)")
    print(f"booking/health ratio {booking_rps / health.per_second:.3f} (aim: 0.25)")

    return {
        "noon_rush": {"appointments": appointments, "double_bookings": doubles,
                      "errors_5xx": rush["errors_5xx"], "p99_ms": round(rush["p99_ms"], 1)},
        "throughput": {"booking_rps": round(booking_rps, 1), "health_rps": round(health.per_second, 1),
                       "ratio": round(booking_rps / health.per_second, 3)},
        "search": {"region_30d_p95_ms": round(search["region_30d"], 1),
                   "official_page_p95_ms": round(search["official_page"], 1), "slots": data["slots"]},
    }


def main() -> int:
    base_url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("RECEPTION_DATABASE_URL") or ""
    if not base_url.startswith("postgresql"):
        print("make bench needs PostgreSQL: set TEST_DATABASE_URL (or RECEPTION_DATABASE_URL), e.g.\n"
              "  TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make bench", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup below runs
    started = time.perf_counter()
    secret = secrets.token_urlsafe(32)
    with database.private_schema(base_url) as url, tempfile.TemporaryDirectory() as tmp:
        _step(f"preparing {url.rsplit('=', 1)[-1]}")
        app = create_app({"ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": url})
        data = prepare(app, RUSH_CITIZENS + BOOKING_CITIZENS)
        env = {"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": secret, "RECEPTION_DATABASE_URL": url}
        with gunicorn(env, ["--workers", str(WORKERS)], Path(tmp) / "gunicorn.log") as port:
            print(f"gunicorn: {WORKERS} sync workers on port {port}")
            results = bench(app, port, data)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"--- written to {RESULTS.relative_to(ROOT)} ({time.perf_counter() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
