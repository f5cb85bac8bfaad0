"""Browser-test fixtures: a live server on a throwaway SQLite database, Debian's Chromium, pages.

The server runs in this process (werkzeug, one thread per request) on a free
port of 127.0.0.1; the database is migrated with the real ``flask db upgrade``
and holds the reference data plus the accounts in ``ACCOUNTS``. Everything
lives in a temporary directory removed at the end, so the suite can run
again and again. A failing test leaves a screenshot of each of its pages in
``test-results/``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from reception import create_app
from reception.accounts.models import User, UserRole
from reception.accounts.passwords import hash_password
from reception.core.permissions import Role
from reception.directory.models import Region
from reception.directory.reference import load_reference_data
from reception.extensions import db

from .support import ACCOUNTS, PASSWORD

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-results"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# The machine has no internet: the browser must neither fetch nor phone home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    app: object  # the served Flask app, for tests that change its configuration


def _migrate(database_url: str) -> None:
    """Build the schema the way an operator does: ``flask db upgrade``."""
    env = {**os.environ, "RECEPTION_ENV": "testing", "RECEPTION_DATABASE_URL": database_url, "FLASK_APP": "wsgi.py"}
    done = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"flask db upgrade failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)


def _seed(app) -> None:
    """Reference data and the test accounts, committed as one unit of work."""
    with app.app_context():
        load_reference_data()
        db.session.flush()
        astana = db.session.scalars(select(Region).where(Region.code == "KZ-71")).one()
        password_hash = hash_password(PASSWORD)
        for account in ACCOUNTS:
            role = Role(account.role)
            user = User(email=account.email, full_name=account.full_name, language=account.language,
                        password_hash=password_hash, phone="+77010000000",
                        region_id=astana.id if role is Role.CITIZEN else None)
            user.role_rows = [UserRole(role=role)]
            db.session.add(user)
        db.session.commit()
        db.session.remove()


@contextmanager
def _serve(seed, name: str):
    """Serve the app on a free port of 127.0.0.1 on a throwaway SQLite database that ``seed(app, url)`` fills."""
    with tempfile.TemporaryDirectory(prefix=f"reception-{name}-") as tmp, pytest.MonkeyPatch.context() as mp:
        instance_path = str(Path(tmp) / "instance")
        database_url = "sqlite:///" + str(Path(tmp) / "e2e.sqlite3")
        # The developer's own RECEPTION_* settings (a real database, say) must not leak in.
        for key in [k for k in os.environ if k.startswith("RECEPTION_")]:
            mp.delenv(key)
        mp.setenv("RECEPTION_INSTANCE_PATH", instance_path)
        _migrate(database_url)

        app = create_app({
            "ENV": "testing",
            "SECRET_KEY": "e2e-secret",
            "DATABASE_URL": database_url,
            "DEFAULT_LOCALE": "kk",
            "SESSION_COOKIE_SECURE": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_TRANSPORT": "console",
            "SERVER_NAME": None,
        })
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["BASE_URL"] = url
        seed(app, url)
        thread = threading.Thread(target=server.serve_forever, name=f"{name}-live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(url=url, database_url=database_url, app=app)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="session")
def live_server():
    with _serve(lambda app, url: _seed(app), "e2e") as server:
        yield server


def _seed_demo(app, url: str) -> None:
    """What ``flask demo load`` creates (every role's account and work, a year of history), committed."""
    from reception.cli.demo import load_demo_data
    from reception.core.clock import local_today, utcnow
    from reception.monitoring.services import take_snapshots

    with app.test_request_context(base_url=url):
        load_reference_data()
        load_demo_data(local_today())
        db.session.commit()
        take_snapshots(local_today(), utcnow())
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session")
def demo_server():
    """A second live server holding the demo data (``flask demo load``), for sweeps over every role's pages."""
    with _serve(_seed_demo, "e2e-demo") as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install Debian's browser (apt-get install -y chromium)", pytrace=False)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def open_page(request, browser, live_server):
    """Open a page in a fresh browser context (its own cookies): ``open_page(viewport=...)``.

    Pages are in English unless a test switches language; every context is
    closed afterwards, with a screenshot of each page first if the test failed.
    """
    contexts = []

    def open_(**context_options) -> Page:
        options = {"base_url": live_server.url, "locale": "en-US", **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_

    reports = request.node.stash.get(_REPORTS, {})
    failed = any(r.failed for r in reports.values())
    for n, context in enumerate(contexts):
        if failed:
            RESULTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            for m, page in enumerate(context.pages):
                page.screenshot(path=str(RESULTS / f"{name}-{n}-{m}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(open_page) -> Page:
    return open_page()
