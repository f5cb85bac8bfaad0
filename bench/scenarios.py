"""The three measurements, each against the running server through real HTTP requests."""
from __future__ import annotations

import asyncio
import itertools
import re
import secrets
from collections import Counter
from datetime import date, timedelta

from flask import session
from flask_login import UserMixin, login_user
from flask_wtf.csrf import generate_csrf

from reception.accounts.models import session_token
from reception.accounts.sessions import LAST_SEEN
from reception.core.clock import utcnow

from .client import USER_AGENT, Connection, Rate, percentile, sustained_rate
from .server import HOST


class _Citizen(UserMixin):
    def __init__(self, user_id: int):
        self.id = user_id

    def get_id(self) -> str:
        return session_token(self.id, 0)  # seeded accounts have never had their sessions ended


def signed_in(app, user_id: int) -> tuple[str, str]:
    """A session cookie as the login form leaves it (login_user itself; no password, so no Argon2; a staff
    member's last request now, or the staff idle limit would end the session), plus the CSRF token of that
    session (what a booking form would carry)."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": HOST}, headers={"User-Agent": USER_AGENT}):
        login_user(_Citizen(user_id))
        session[LAST_SEEN] = int(utcnow().timestamp())
        csrf = generate_csrf()
        return app.session_interface.get_signing_serializer(app).dumps(dict(session)), csrf


def booking_form(topic_id: int, csrf: str, idempotency_key: str) -> dict:
    return {"format": "in_person", "topic_id": topic_id, "summary": "The roof of our block leaks.", "studio_id": 0,
            "appeal_numbers": "", "co_applicants": "", "idempotency_key": idempotency_key, "csrf_token": csrf}


def _hidden(html: bytes, name: str) -> str:
    match = re.search(rb'name="%s"[^>]*value="([^"]+)"' % name.encode(), html)
    if match is None:
        raise RuntimeError(f"no {name} on the booking form")
    return match.group(1).decode()


def _booked(response) -> bool:
    return response.status == 302 and "/my/appointments/" in response.headers.get("location", "")


# --- search at scale ---------------------------------------------------------------------------

async def search(port: int, region_codes: list[str], official_ids: list[int], today: date,
                 requests: int, warm_up: int) -> dict[str, float]:
    """p95 (ms) of two pages, requested one after another on one connection, cycling through regions and
    officials (no officials: the region page only); every page must list free slots.

    ``warm_up`` requests of each page go first, unmeasured: enough for every worker to have served the page
    (a worker's first page compiles its templates and statements, once in the life of the worker)."""
    conn = Connection(HOST, port)
    until = today + timedelta(days=30)
    pages = {
        "region_30d": [f"/reception/?region={code}&date_from={today}&date_to={until}" for code in region_codes],
        "official_page": [f"/reception/?official={official_id}" for official_id in official_ids],
    }
    result = {}
    for name, urls in pages.items():
        if not urls:
            continue
        for url in itertools.islice(itertools.cycle(urls), warm_up):
            await conn.request("GET", url)
        timings = []
        for url in itertools.islice(itertools.cycle(urls), requests):
            response = await conn.request("GET", url)
            if response.status != 200 or b"/reception/slots/" not in response.body:
                raise RuntimeError(f"{url}: status {response.status}, or no free slot listed")
            timings.append(response.seconds * 1000)
        result[name] = percentile(timings, 95)
    conn.close()
    return result


# --- noon rush ---------------------------------------------------------------------------------

async def noon_rush(port: int, cookies: list[str], slot_ids: list[int], topic_id: int) -> dict:
    """Every citizen at once: open the booking form of one of the slots, send it. Returns the statuses
    of the booking POSTs, the count of 5xx answers (form and POST) and the p99 latencies of the POSTs and of
    the form pages."""

    async def citizen(i: int):
        conn = Connection(HOST, port, cookie=cookies[i])
        path = f"/reception/slots/{slot_ids[i % len(slot_ids)]}/book"
        try:
            page = await conn.request("GET", path)
            if page.status != 200:
                return page, None
            form = booking_form(topic_id, _hidden(page.body, "csrf_token"), _hidden(page.body, "idempotency_key"))
            return page, await conn.request("POST", path, form=form)
        finally:
            conn.close()

    outcomes = await asyncio.gather(*(citizen(i) for i in range(len(cookies))), return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    answered = [o for o in outcomes if not isinstance(o, BaseException)]
    posts = [post for _, post in answered if post is not None]
    statuses = Counter("booked" if _booked(p) else str(p.status) for p in posts)
    statuses.update(f"form {page.status}" for page, post in answered if post is None)
    return {"statuses": statuses, "transport_errors": len(failed),
            "errors_5xx": sum(r.status >= 500 for pair in answered for r in pair if r is not None),
            "p99_ms": percentile([p.seconds * 1000 for p in posts], 99) if posts else float("nan"),
            "form_p99_ms": percentile([page.seconds * 1000 for page, _ in answered], 99) if answered else float("nan")}


# --- throughput --------------------------------------------------------------------------------

async def health_rate(port: int, concurrency: int, seconds: float) -> Rate:
    return await sustained_rate(HOST, port, concurrency, seconds,
                                itertools.repeat(lambda conn: conn.request("GET", "/healthz")), 200)


async def booking_rate(port: int, logins: list[tuple[str, str]], slot_ids: list[int], topic_id: int,
                       concurrency: int, seconds: float) -> Rate:
    """Booking POSTs only (the form's CSRF token comes with the minted session): each by another citizen
    for another free slot, so every one should book."""

    def job(cookie: str, csrf: str, slot_id: int):
        async def post(conn: Connection):
            conn.cookie = cookie
            return await conn.request("POST", f"/reception/slots/{slot_id}/book",
                                      form=booking_form(topic_id, csrf, secrets.token_urlsafe(24)))
        return post

    jobs = (job(cookie, csrf, slot_id) for (cookie, csrf), slot_id in zip(logins, slot_ids, strict=False))
    return await sustained_rate(HOST, port, concurrency, seconds, jobs, 302)


# --- monitoring at scale -------------------------------------------------------------------------

async def monitoring(port: int, cookie: str, period: str, requests: int, stored: bool = False) -> dict[str, float]:
    """p95 (ms) of the overview, the bodies table and the map for ``period``, one request at a time as a
    monitor; every page must answer 200 and show its figures (with ``stored``, read from the stored figures:
    the page says when they were counted)."""
    conn = Connection(HOST, port, cookie=cookie)
    pages = {"overview": f"/monitor/?period={period}", "bodies": f"/monitor/bodies?period={period}",
             "map": f"/monitor/map?period={period}"}
    result = {}
    for name, url in pages.items():
        await conn.request("GET", url)  # warm-up
        timings = []
        for _ in range(requests):
            response = await conn.request("GET", url)
            if response.status != 200 or b"<table" not in response.body:
                raise RuntimeError(f"{url}: status {response.status}, or no table of figures")
            if stored and b'id="counted-at"' not in response.body:
                raise RuntimeError(f"{url}: counted live, not read from the stored figures")
            timings.append(response.seconds * 1000)
        result[name] = percentile(timings, 95)
    conn.close()
    return result
