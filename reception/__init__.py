"""The reception system: citizens' personal receptions with officials, from booking to follow-up."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import build_config
from .core import headers
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("RECEPTION_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(build_config(app.instance_path, test_config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _trust_proxies(app)

    _init_extensions(app)
    headers.init_app(app)
    _import_models()
    _register_blueprints(app)
    _connect_receivers()
    _register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind RECEPTION_PROXY_COUNT reverse proxies, the client's address is the one they forwarded
    (X-Forwarded-For), and so is the scheme (X-Forwarded-Proto: HTTPS at the proxy gets HSTS); with none
    (the default) those headers are ignored, so a client cannot forge them."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count < 0:
        from .config import ConfigError
        raise ConfigError("RECEPTION_PROXY_COUNT must be 0 or more")
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _init_extensions(app: Flask) -> None:
    from .core.i18n import KeptDomain, install_template_gettext, select_locale

    db.init_app(app)
    from .core.types import render_alembic_item

    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     render_item=render_alembic_item)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    babel.domain_instance = KeptDomain()  # flask_babel's own, with a quicker way to the loaded catalog
    install_template_gettext(app, babel.domain_instance)
    limiter.init_app(app)

    from .accounts.sessions import load_user

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    # The user and their roles in one statement; a revoked or idle session loads no one.
    login_manager.user_loader(load_user)

    from flask_babel import lazy_gettext as _l
    login_manager.login_message = _l("Please log in to open this page.")


def _import_models() -> None:
    """Every model module, so that the metadata (and Alembic) sees the whole schema."""
    from .accounts import models as _accounts  # noqa: F401
    from .api import models as _api  # noqa: F401
    from .api import webhook_models as _api_webhooks  # noqa: F401
    from .audit import models as _audit  # noqa: F401
    from .audit import services as _audit_services  # noqa: F401  (records every change to audited models)
    from .booking import models as _booking  # noqa: F401
    from .calendars import models as _calendars  # noqa: F401
    from .directory import models as _directory  # noqa: F401
    from .hearings import models as _hearings  # noqa: F401
    from .legal import models as _legal  # noqa: F401
    from .monitoring import models as _monitoring  # noqa: F401
    from .notifications import models as _notifications  # noqa: F401
    from .outcomes import models as _outcomes  # noqa: F401
    from .requests import models as _requests  # noqa: F401
    from .schedule import models as _schedule  # noqa: F401
    from .systemic import models as _systemic  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .api.client_pages import bp as api_clients_bp
    from .api.pages import bp as api_tokens_bp
    from .api.views import bp as api_bp
    from .api.webhook_pages import bp as api_webhooks_bp
    from .audit.views import bp as audit_bp
    from .booking.ballot_views import bp as ballot_bp
    from .booking.staff import bp as staff_bp
    from .booking.views import bp as booking_bp
    from .calendars.views import bp as calendars_bp
    from .directory.views import admin_bp as directory_admin_bp
    from .directory.views import bp as directory_bp
    from .hearings.views import bp as hearings_bp
    from .legal.views import bp as legal_bp
    from .main.errors import register_error_handlers
    from .main.templating import register_template_helpers
    from .main.views import bp as main_bp
    from .monitoring.views import bp as monitoring_bp
    from .notifications.views import bp as notifications_bp
    from .outcomes.views import bp as outcomes_bp
    from .requests.views import bp as requests_bp
    from .schedule.events import bp as events_bp
    from .schedule.views import bp as schedule_bp
    from .systemic.views import bp as systemic_bp
    from .video.views import bp as video_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(directory_admin_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(schedule_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(ballot_bp)
    app.register_blueprint(requests_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(video_bp)
    app.register_blueprint(calendars_bp)
    app.register_blueprint(hearings_bp)
    app.register_blueprint(legal_bp)
    app.register_blueprint(outcomes_bp)
    app.register_blueprint(systemic_bp)
    app.register_blueprint(monitoring_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API takes bearer tokens only, never the session cookie: nothing to forge
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(api_webhooks_bp)
    app.register_blueprint(api_clients_bp)
    register_error_handlers(app)
    register_template_helpers(app)


def _connect_receivers() -> None:
    """Areas react to the events of the areas below them (blinker signals, see each area's signals.py).
    The order is the order receivers run in: what the citizen is told first, then the waitlist, then
    the requests and the bodies invited."""
    from .accounts.receivers import connect_receivers as accounts
    from .api.webhooks import connect_receivers as webhooks
    from .booking.receivers import connect_receivers as booking
    from .hearings.receivers import connect_receivers as hearings
    from .outcomes.receivers import connect_receivers as outcomes
    from .requests.receivers import connect_receivers as requests

    accounts()
    booking()
    requests()
    hearings()
    outcomes()
    webhooks()  # last: integration clients hear of a change once every area has reacted to it


def _register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection, connection_record):
    """SQLite: WAL, foreign keys, manual transaction control for BEGIN IMMEDIATE, and unicode_lower() (its own
    lower() folds ASCII only; reception.booking.lookup matches Cyrillic names). PostgreSQL: no JIT
    compilation (it spent over a second compiling each monitoring aggregate, more than running it)."""
    import sqlite3

    if type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        dbapi_connection.create_function("unicode_lower", 1, lambda text: text if text is None else text.lower(),
                                         deterministic=True)


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn):
    """SQLite has one writer: taking the write lock at BEGIN avoids 'database is locked' upgrades."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
