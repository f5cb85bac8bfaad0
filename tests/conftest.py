"""Test fixtures: a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
a per-test transaction rolled back through a savepoint, clients, factories and login_as(role)."""
from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, delete, event, exists, func, select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from reception import create_app
from reception.accounts.models import User, UserRole
from reception.accounts.passwords import FAST
from reception.config import engine_options
from reception.core.clock import CAPITAL_TZ, local_today
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Venue, VenueKind
from reception.directory.reference import load_reference_data
from reception.extensions import db as _db
from reception.extensions import limiter
from reception.notifications.services import render_and_keep

# Fixtures shared across areas (booking's sessions and studios, request mode's offices, the route sweep's world).
pytest_plugins = ("tests.booking.fixtures", "tests.requests.fixtures", "tests.routes")

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
_PASSWORD_HASH = FAST.hash(PASSWORD)  # the test app hashes with the cheapest Argon2 parameters too
_seq = itertools.count(1)


# --- the clock: `pytest --today=YYYY-MM-DD[THH:MM]` runs the suite as if it were that moment ----------

def pytest_addoption(parser):
    parser.addoption("--today", metavar="YYYY-MM-DD[THH:MM]",
                     help="run the suite as if it were this moment in Kazakhstan (Asia/Almaty); "
                          "a date alone keeps the current time of day")


def _travel_destination(value: str) -> datetime:
    zone = ZoneInfo(CAPITAL_TZ)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"--today={value}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if "T" not in value and " " not in value:
        now = datetime.now(zone)
        moment = moment.replace(hour=now.hour, minute=now.minute, second=now.second)
    return moment.replace(tzinfo=zone)


def pytest_configure(config):
    """Travel in time for the whole run (every process of it: xdist workers configure themselves too).
    The clock ticks on from there; everything that asks for the time, the app or a library, agrees."""
    value = config.getoption("--today")
    if value:
        config._reception_travel = time_machine.travel(_travel_destination(value), tick=True)
        config._reception_travel.start()


def pytest_unconfigure(config):
    travel = getattr(config, "_reception_travel", None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config):
    now = datetime.now(ZoneInfo(CAPITAL_TZ))
    how = "--today" if config.getoption("--today") else "the real clock"
    return f"clock: {now:%Y-%m-%d %H:%M %a} in {CAPITAL_TZ} ({how})"


@pytest.fixture
def midday(time_machine):
    """Noon of the clock's today in the capital's zone, the clock ticking on: for tests that need hours left
    before and after now on the same local date (a reception that began ten minutes ago, one later today)."""
    time_machine.move_to(datetime.combine(local_today(), time(12), tzinfo=ZoneInfo(CAPITAL_TZ)), tick=True)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _pg_schema() -> str:
    # One schema per test run, so concurrent runs against one database never meet.
    return f"test_{os.getpid()}"


def _reset_database(url: str, *, create: bool) -> None:
    """Start from nothing, and leave nothing behind (the suite can run twice in a row)."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {_pg_schema()} CASCADE"))
            if create:
                conn.execute(text(f"CREATE SCHEMA {_pg_schema()}"))
                # Parallel runs (pytest -n) would race on the migration's CREATE EXTENSION IF NOT EXISTS,
                # which is not safe against a concurrent twin: make it here, one run at a time.
                conn.execute(text("SELECT pg_advisory_lock(727001)"))
                try:
                    conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(727001)"))
        engine.dispose()


def _engine_options(url: str) -> dict:
    if url.startswith("postgresql"):
        return {"connect_args": {"options": f"-csearch_path={_pg_schema()}"}, "pool_pre_ping": True}
    return engine_options(url)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    _reset_database(database_url, create=True)
    app = create_app({
        "ENV": "testing",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "BASE_URL": "http://reception.test",
        "SERVER_NAME": None,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "FAST_PASSWORD_HASHES": True,
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
        load_reference_data()
        _db.session.commit()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()
    _reset_database(database_url, create=False)


class _TestSession(scoped_session):
    """One session for the whole test, shared by the test and every request it makes.

    Requests end with ``db.session.remove()``; here that must not close the
    session, or the test's objects would be detached between requests.
    """

    def remove(self):
        pass


@pytest.fixture
def sibling_app(app):
    """``sibling_app(**config)``: another application on the suite's database with ``config`` on top; its
    engine's connections are closed after the test (left to the garbage collector, PostgreSQL's warn)."""
    made = []

    def make(**config):
        other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SERVER_NAME": None,
                            "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"], **config})
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            _db.engine.dispose()


def _drop_unexpanded_events(engine) -> None:
    """Race tests commit for real, and every booking, cancellation... writes a webhook event to the outbox for
    the dispatcher to expand (reception.notifications.services.expand_events); with no dispatcher run, those
    rows would stay for later tests to find. They are dropped before each test."""
    from reception.notifications.models import FAN_OUT, OutboxMessage

    with engine.connect() as probe:
        stale = probe.scalar(select(exists().where(OutboxMessage.recipient == FAN_OUT)))
    if stale:
        with engine.begin() as conn:
            conn.execute(delete(OutboxMessage).where(OutboxMessage.recipient == FAN_OUT))


@pytest.fixture
def db(app):
    """The database, isolated: everything a test writes is rolled back afterwards.

    No application context stays pushed during the test (requests get their
    own, as in production); use the ``ctx`` fixture to call services directly.
    """
    with app.app_context():
        _drop_unexpanded_events(_db.engine)
        connection = _db.engine.connect()
    transaction = connection.begin()
    # Race tests commit for real, and the append-only audit log keeps their records; ids of deleted rows
    # come back on SQLite, so a test reads only the audit events written after this point.
    from reception.audit.models import AuditEvent
    _db.audit_floor = connection.scalar(select(func.max(AuditEvent.id))) or 0
    _db.test_app = app  # for as_sent() outside a request
    original = _db.session
    # A plain Session: Flask-SQLAlchemy's own would pick the app's engine, not this connection.
    _db.session = _TestSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    try:
        yield _db
    finally:
        _db.session.registry().close()
        _db.session.registry.clear()
        _db.session = original
        transaction.rollback()
        connection.close()


# The test's transaction control: each unit of work runs in a savepoint of the test's transaction.
_SAVEPOINT_RE = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.IGNORECASE)


@pytest.fixture
def count_queries(db):
    """A context manager that collects the SQL statements sent to the database during its block::

        with count_queries() as queries:
            client.get("/staff/day/")
        assert len(queries) == 12, "\n".join(queries)

    It listens (``before_cursor_execute``) on the application's engine, so it sees every connection:
    the test's own, which the test client's requests share through the test's session, and any other.
    Every statement counts (SELECT, INSERT, UPDATE, DELETE, ...), one per execution (an ``executemany``
    counts once), except SAVEPOINT, RELEASE SAVEPOINT and ROLLBACK TO SAVEPOINT: here they stand for
    the BEGIN and COMMIT of a request's transaction, which in production the driver sends without a
    statement of ours, and their number follows the view's commits, never the rows shown.
    """
    engine = db.session.get_bind().engine
    active: list[list[str]] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if active and not _SAVEPOINT_RE.match(statement):
            active[-1].append(statement)

    @contextmanager
    def counter():
        if active:
            raise RuntimeError("count_queries() blocks do not nest")
        queries: list[str] = []
        active.append(queries)
        try:
            yield queries
        finally:
            active.clear()

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
def ctx(app, db):
    """A request context (in English), for calling services and queries directly."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def client(app, db):
    limiter.reset()
    test_client = app.test_client()
    # Tests read English unless they choose a language (the default for a browser without one is Kazakh).
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(client, url: str = "/") -> str:
    """A CSRF token as a browser gets it: from a rendered form."""
    page = client.get(url)
    match = _CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


def as_sent(messages):
    """Outbox rows hold intent (what happened, to whom): each of ``messages`` (a row or a list) rendered as the
    dispatcher renders it at its first attempt, and kept on the row as the dispatcher keeps it."""
    from flask import has_app_context

    from reception.core.clock import utcnow

    if not has_app_context():
        with _db.test_app.test_request_context():
            return as_sent(messages)
    for message in messages if isinstance(messages, list | tuple) else [messages]:
        render_and_keep(message, utcnow())
    _db.session.flush()
    return messages


def post_form(client, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
    """Submit a form the way a browser does: GET the page, then POST with its CSRF token."""
    token = csrf_from(client, form_url or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def submit(client):
    return lambda url, data=None, **kw: post_form(client, url, data, **kw)


# --- factories ------------------------------------------------------------------

def region(code: str = "KZ-71") -> Region:
    return _db.session.scalars(select(Region).where(Region.code == code)).one()


@pytest.fixture
def make_body(db):
    def make(**overrides) -> Body:
        n = next(_seq)
        region_obj = overrides.pop("region", None)
        if region_obj is None and overrides.get("level", BodyLevel.REGIONAL) not in (BodyLevel.CENTRAL,
                                                                                    BodyLevel.PRESIDENTIAL):
            region_obj = region("KZ-71")
        # Every body names its reception office's responsible person, as publishing requires (tests of a body
        # without one pass responsible_surname=None).
        values = dict(code=f"body-{n}", level=BodyLevel.REGIONAL, name_kk=f"Орган {n}",
                      name_ru=f"Орган {n}", name_en=f"Body {n}", region=region_obj,
                      responsible_surname="Сейітова", responsible_first_name="Айгүл")
        values.update(overrides)
        body = Body(**values)
        _db.session.add(body)
        _db.session.flush()
        return body
    return make


@pytest.fixture
def make_user(db, make_body):
    def make(*roles: Role | str, body: Body | None = None, **overrides) -> User:
        n = next(_seq)
        roles = tuple(Role(r) for r in roles) or (Role.CITIZEN,)
        if body is None and any(r not in (Role.CITIZEN, Role.ADMIN, Role.MONITOR) for r in roles):
            body = make_body()
        values = dict(email=f"user{n}@example.kz", full_name=f"Test User {n}", password_hash=_PASSWORD_HASH,
                      language="en", phone="+77010000000", body_id=body.id if body else None)
        if Role.CITIZEN in roles:
            values.update(iin=None, region_id=region("KZ-71").id)
        values.update(overrides)
        user = User(**values)
        user.role_rows = [UserRole(role=r) for r in roles]
        _db.session.add(user)
        _db.session.flush()
        return user
    return make


@pytest.fixture
def make_official(db, make_body):
    def make(body: Body | None = None, **overrides) -> Official:
        n = next(_seq)
        values = dict(body=body or make_body(), full_name=f"Official {n}", position_kk=f"Лауазым {n}",
                      position_ru=f"Должность {n}", position_en=f"Position {n}", is_head=False)
        values.update(overrides)
        official = Official(**values)
        _db.session.add(official)
        _db.session.flush()
        return official
    return make


@pytest.fixture
def make_venue(db, make_body):
    def make(body: Body | None = None, **overrides) -> Venue:
        n = next(_seq)
        body = body or make_body()
        values = dict(body=body, region_id=body.region_id or region("KZ-71").id, kind=VenueKind.OFFICE,
                      name_kk=f"Бөлме {n}", name_ru=f"Кабинет {n}", name_en=f"Room {n}",
                      address_kk="Мекенжай", address_ru="Адрес", address_en="Address")
        values.update(overrides)
        venue = Venue(**values)
        _db.session.add(venue)
        _db.session.flush()
        return venue
    return make


def login(client, user: User, password: str = PASSWORD):
    response = post_form(client, "/login", {"login": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def login_as(client, make_user):
    """Log the test client in as a new user with ``role`` (and optionally a body); returns the user."""
    def do(role: Role | str = Role.CITIZEN, **kwargs) -> User:
        user = make_user(role, **kwargs)
        _db.session.commit()  # releases the savepoint; the outer transaction is still rolled back
        login(client, user)
        return user
    return do
