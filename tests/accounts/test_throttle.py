"""The login throttle (issue 14, finding 7) and rate limits on registration, booking and talon checks (finding 8).

Time stands still (time-machine) and moves on only when a test shifts it: the limiter's windows never depend on
the wall clock.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import redis

from reception.accounts.throttle import KNOWN_DEVICE_COOKIE
from reception.config import ConfigError, build_config
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.extensions import limiter
from tests.conftest import PASSWORD, csrf_from, login, post_form

WRONG = "not the password"


@pytest.fixture
def still(time_machine):
    """The clock stopped at the app clock's now; ``still.shift(seconds)`` moves it on."""
    time_machine.move_to(utcnow(), tick=False)
    return time_machine


@pytest.fixture
def citizen(db, make_user):
    user = make_user(Role.CITIZEN, iin="921231400007")
    db.session.commit()
    return user


def _try(client, login_name, password=WRONG):
    return post_form(client, "/login", {"login": login_name, "password": password})


def test_email_and_iin_of_one_account_share_one_count(client, citizen, still):
    names = [citizen.email, citizen.email.upper(), "921231400007", " 921231400007 ", citizen.email]
    assert [_try(client, name).status_code for name in names] == [401] * 5
    # Before the fix the IIN had a count of its own: five more tries.
    assert _try(client, "921231400007").status_code == 429


def test_failures_bring_growing_waits_announced_by_retry_after(client, citizen, still):
    for _ in range(5):
        assert _try(client, citizen.email).status_code == 401
    first = _try(client, citizen.email)
    assert first.status_code == 429
    wait = int(first.headers["Retry-After"])
    assert 0 < wait <= 61  # the limiter rounds its reset time up to the next second
    assert "Too many attempts. Try again in 1 minute." in first.get_data(as_text=True)
    still.shift(wait + 1)
    for _ in range(5):  # ten failures within five minutes
        assert _try(client, citizen.email).status_code == 401
    second = _try(client, citizen.email)
    assert second.status_code == 429
    assert 61 < int(second.headers["Retry-After"]) <= 301
    still.shift(int(second.headers["Retry-After"]) + 1)
    for _ in range(5):  # fifteen within fifteen minutes
        assert _try(client, citizen.email).status_code == 401
    third = _try(client, citizen.email)
    assert 301 < int(third.headers["Retry-After"]) <= 901


def test_the_429_page_speaks_the_visitors_language(client, citizen, still):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    for _ in range(5):
        _try(client, citizen.email)
    page = _try(client, citizen.email)
    assert page.status_code == 429 and page.headers["Retry-After"]
    assert "Слишком много попыток" in page.get_data(as_text=True)


def test_the_owner_on_a_known_device_logs_in_while_the_account_is_throttled(app, client, citizen, still):
    owner = client
    login(owner, citizen)  # this browser now knows the account
    assert owner.get_cookie(KNOWN_DEVICE_COOKIE) is not None
    post_form(owner, "/logout", {}, form_url="/home")
    attacker = app.test_client()
    attacker.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(5):
        assert _try(attacker, citizen.email).status_code == 401
    assert _try(attacker, citizen.email, PASSWORD).status_code == 429  # throttled, even with the password
    # Before the fix the owner was locked out for 15 minutes too.
    assert _try(owner, "921231400007", PASSWORD).status_code == 302


def test_a_known_device_is_throttled_on_its_own_failures(client, citizen, still):
    login(client, citizen)
    post_form(client, "/logout", {}, form_url="/home")
    for _ in range(5):
        assert _try(client, citizen.email).status_code == 401
    assert _try(client, citizen.email).status_code == 429


def test_a_forged_known_device_cookie_changes_nothing(app, client, citizen, still):
    for _ in range(5):
        _try(client, citizen.email)
    client.set_cookie(KNOWN_DEVICE_COOKIE, "eyJkIjoieCIsInUiOlsxXX0.forged.signature")
    assert _try(client, citizen.email, PASSWORD).status_code == 429


def test_an_unknown_login_is_counted_by_its_normalised_form(client, db, still):
    for name in ("Nobody@Example.kz", "nobody@example.kz ", "NOBODY@EXAMPLE.KZ", "nobody@example.kz",
                 "nobody@Example.KZ"):
        assert _try(client, name).status_code == 401
    assert _try(client, "nobody@example.kz").status_code == 429


def test_registration_is_rate_limited_per_address(client, db, still):
    statuses = [post_form(client, "/register", {"iin": "1"}).status_code for _ in range(6)]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429


def test_booking_posts_are_rate_limited_per_citizen(client, db, login_as, make_session, still):
    login_as(Role.CITIZEN)
    slot = make_session().slots[0]
    db.session.commit()
    url = f"/reception/slots/{slot.id}/book"
    token = csrf_from(client, url)
    statuses = [client.post(url, data={"csrf_token": token}).status_code for _ in range(21)]
    assert 429 not in statuses[:20] and statuses[20] == 429
    still.shift(61)
    assert client.post(url, data={"csrf_token": token}).status_code != 429


def test_many_citizens_booking_from_one_address_are_not_refused(client, db, make_user, make_session, still):
    """A noon rush behind one address (a mobile carrier's NAT, an akimat's studio): only per citizen limits."""
    session = make_session(slots=30)
    citizens = [make_user(Role.CITIZEN) for _ in range(len(session.slots))]
    db.session.commit()
    for citizen, slot in zip(citizens, session.slots, strict=True):
        browser = client.application.test_client()  # every one from 127.0.0.1
        login(browser, citizen)
        url = f"/reception/slots/{slot.id}/book"
        assert browser.post(url, data={"csrf_token": csrf_from(browser, url)}).status_code == 422  # not 429
    assert limiter.enabled


def test_talon_checks_are_rate_limited_per_address(client, db, still):
    statuses = [client.get(f"/talons/KZ71-20270101-{n:06d}").status_code for n in range(61)]
    assert statuses[:60] == [404] * 60 and statuses[60] == 429
    assert client.get("/talons/t/" + "x" * 32).status_code == 429  # one budget for both pages


# --- where the counts live ----------------------------------------------------------------------------------

def test_production_refuses_in_memory_counters_with_several_workers(tmp_path):
    environ = {"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": secrets.token_urlsafe(32),
               "RECEPTION_DATABASE_URL": "postgresql+psycopg://x@db/x", "WEB_CONCURRENCY": "4"}
    with pytest.raises(ConfigError, match="RECEPTION_RATELIMIT_STORAGE_URI"):
        build_config(str(tmp_path), environ=environ)
    build_config(str(tmp_path), environ={**environ, "RECEPTION_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})


def test_production_with_in_memory_counters_and_one_worker_warns_at_start(tmp_path, caplog):
    environ = {"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": secrets.token_urlsafe(32),
               "RECEPTION_DATABASE_URL": "postgresql+psycopg://x@db/x"}
    build_config(str(tmp_path), environ=environ)
    assert "memory://" in caplog.text and "WEB_CONCURRENCY" in caplog.text


@pytest.mark.parametrize("storage,shared", [("redis://127.0.0.1:6379/15", True), ("memory://", False)])
def test_two_app_instances_share_counts_through_redis(sibling_app, db, still, storage, shared):
    """Two app instances, each with its own storage connection, as two workers have: with Redis the second
    refuses the sixth failure the first counted five of; with memory:// it starts from nothing. A third
    under another RECEPTION_RATELIMIT_KEY_PREFIX (another deployment on the same Redis) counts apart."""
    prefix = "test-" + secrets.token_hex(8)  # this run's keys only (other runs may share the Redis database)
    saved = limiter._storage, limiter._limiter, limiter._key_prefix
    config = {"ENV": "testing", "SECRET_KEY": "test-secret", "RATELIMIT_STORAGE_URI": storage,
              "RATELIMIT_KEY_PREFIX": prefix}
    try:
        first = sibling_app(**config).test_client()
        for _ in range(5):
            assert _try(first, "worker@example.kz").status_code == 401
        second = sibling_app(**config).test_client()  # a storage of its own (a new connection, or new memory)
        assert _try(second, "worker@example.kz").status_code == (429 if shared else 401)
        limiter._key_prefix = ""  # the one limiter of the process keeps the prefix it was first given
        other = sibling_app(**{**config, "RATELIMIT_KEY_PREFIX": prefix + "-other"}).test_client()
        assert _try(other, "worker@example.kz").status_code == 401
    finally:
        limiter._storage, limiter._limiter, limiter._key_prefix = saved
        if storage.startswith("redis"):
            server = redis.Redis.from_url(storage)
            for key in server.scan_iter(f"*{prefix}*"):
                server.delete(key)


def test_time_left_is_counted_from_the_app_clock(client, citizen, still):
    for _ in range(5):
        _try(client, citizen.email)
    still.shift(timedelta(seconds=59))
    assert _try(client, citizen.email).status_code == 429
    still.shift(timedelta(seconds=2))
    assert _try(client, citizen.email).status_code == 401
