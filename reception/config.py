"""Configuration: defaults, test overrides and RECEPTION_* environment variables."""
from __future__ import annotations

import os
from pathlib import Path

ENV_PREFIX = "RECEPTION_"

#: Environment variables read by the application, with their defaults and a
#: one-line meaning. The README's configuration table is checked against this.
SETTINGS: dict[str, tuple[object, str]] = {
    "ENV": ("development", "development, testing or production; production refuses to start without secrets"),
    "SECRET_KEY": (None, "signs sessions, CSRF tokens and password-reset links (required in production)"),
    "DATABASE_URL": (None, "SQLAlchemy URL; default is SQLite at instance/reception.sqlite3"),
    "BASE_URL": ("http://127.0.0.1:5000", "public address used in links sent by e-mail and SMS"),
    "DEFAULT_LOCALE": ("kk", "language when neither account, cookie nor browser decides (kk, ru, en)"),
    "RATELIMIT_STORAGE_URI": ("memory://", "login throttle counters: memory:// or redis://host:port/db"),
    "LOGIN_ATTEMPTS": ("5 per 15 minutes", "failed logins allowed per account (per address: 30 per 15 minutes)"),
    "PASSWORD_RESET_MAX_AGE": (3600, "seconds a password-reset link stays valid"),
    "MAIL_TRANSPORT": ("console", "how e-mail leaves; only console (the dispatcher prints each message) so far"),
    "MAX_CONTENT_LENGTH": (2 * 1024 * 1024, "largest request body accepted, in bytes"),
    "SESSION_COOKIE_SECURE": (None, "send the session cookie over HTTPS only (default: on in production)"),
    "MAX_ACTIVE_APPOINTMENTS": (3, "active appointments one citizen may hold at once"),
    "OFFER_HOLD_HOURS": (48, "hours a slot offered after screening is kept for the citizen"),
    "WAITLIST_HOLD_HOURS": (24, "hours a freed slot offered from the waitlist is kept for the citizen"),
    "HOLIDAY_TRANSFERS": ("", "decreed days off, comma-separated ISO dates, e.g. 2026-01-05"),
    "EXTRA_WORKING_DAYS": ("", "decreed working Saturdays, comma-separated ISO dates"),
}

_INT_KEYS = {"PASSWORD_RESET_MAX_AGE", "MAX_CONTENT_LENGTH", "MAX_ACTIVE_APPOINTMENTS", "OFFER_HOLD_HOURS",
             "WAITLIST_HOLD_HOURS"}
_BOOL_KEYS = {"SESSION_COOKIE_SECURE"}


class ConfigError(RuntimeError):
    """The configuration cannot run the application safely."""


def _parse(key: str, raw: str) -> object:
    if key in _INT_KEYS:
        return int(raw)
    if key in _BOOL_KEYS:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def build_config(instance_path: str, test_config: dict | None = None, environ=None) -> dict:
    """Return the Flask config mapping for this process.

    Order: defaults, then ``RECEPTION_*`` variables, then ``test_config``.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {key: default for key, (default, _) in SETTINGS.items()}
    for key in SETTINGS:
        raw = environ.get(ENV_PREFIX + key)
        if raw is not None and raw != "":
            values[key] = _parse(key, raw)
    test_config = test_config or {}
    values.update({k: v for k, v in test_config.items() if k in SETTINGS})

    env = str(values["ENV"])
    if env not in {"development", "testing", "production"}:
        raise ConfigError(f"{ENV_PREFIX}ENV must be development, testing or production, not {env!r}")
    production = env == "production"

    if not values.get("SECRET_KEY"):
        if production:
            raise ConfigError(f"{ENV_PREFIX}SECRET_KEY must be set in production")
        values["SECRET_KEY"] = "dev-only-not-secret"
    if not values.get("DATABASE_URL"):
        if production:
            raise ConfigError(f"{ENV_PREFIX}DATABASE_URL must be set in production")
        values["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "reception.sqlite3")
    if values["SESSION_COOKIE_SECURE"] is None:
        values["SESSION_COOKIE_SECURE"] = production

    config = {
        **values,
        "TESTING": env == "testing",
        "SQLALCHEMY_DATABASE_URI": values["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(str(values["DATABASE_URL"])),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": values["SESSION_COOKIE_SECURE"],
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "BABEL_DEFAULT_LOCALE": values["DEFAULT_LOCALE"],
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead; long forms by elderly users must not expire
        "RATELIMIT_STORAGE_URI": values["RATELIMIT_STORAGE_URI"],
        "RATELIMIT_HEADERS_ENABLED": False,
        "LANGUAGES": ("kk", "ru", "en"),
    }
    config.update({k: v for k, v in test_config.items() if k not in SETTINGS})
    return config


def engine_options(url: str) -> dict:
    """Engine options per backend: SQLite gets a busy timeout (WAL is set per connection)."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}
