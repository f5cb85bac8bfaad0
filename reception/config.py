"""Configuration: defaults, test overrides and RECEPTION_* environment variables."""
from __future__ import annotations

import logging
import os
from pathlib import Path

ENV_PREFIX = "RECEPTION_"

log = logging.getLogger(__name__)

#: Environment variables read by the application, with their defaults and a
#: one-line meaning. The README's configuration table is checked against this.
SETTINGS: dict[str, tuple[object, str]] = {
    "ENV": ("development", "development, testing or production; production refuses to start without secrets"),
    "SECRET_KEY": (None, "signs sessions, CSRF tokens and password-reset links (required in production: at least "
                         "32 random bytes, never a development or example key)"),
    "DATABASE_URL": (None, "SQLAlchemy URL; default is SQLite at instance/reception.sqlite3"),
    "BASE_URL": ("http://127.0.0.1:5000", "public address used in links sent by e-mail and SMS"),
    "DEFAULT_LOCALE": ("kk", "language when neither account, cookie nor browser decides (kk, ru, en)"),
    "RATELIMIT_STORAGE_URI": ("memory://", "throttle and rate-limit counters: redis://host:port/db (shared by every "
                                           "worker), or memory:// (per process; production refuses it when "
                                           "WEB_CONCURRENCY is over 1, and warns at start otherwise)"),
    "RATELIMIT_KEY_PREFIX": ("", "put before every counter's key, so that deployments sharing one Redis count "
                                 "apart"),
    "LOGIN_ATTEMPTS": ("5 per minute;10 per 5 minutes;15 per 15 minutes;20 per hour;30 per day",
                       "failed logins allowed per account (or per known device), in moving windows: each "
                       "limit reached makes the wait longer"),
    "LOGIN_ATTEMPTS_PER_ADDRESS": ("30 per 15 minutes;100 per day", "failed logins allowed per client address "
                                                                   "(devices the account knows are not counted)"),
    "PASSWORD_RESET_MAX_AGE": (3600, "seconds a password-reset link stays valid"),
    "PHONE_CODE_MAX_AGE": (600, "seconds a one-time SMS code (phone confirmation, password reset) stays valid"),
    "MAIL_TRANSPORT": ("console", "how e-mail leaves: console (the dispatcher prints it) or smtp"),
    "MAIL_FROM": ("Reception system <noreply@reception.local>", "sender of e-mails and organizer of invitations"),
    "SMTP_HOST": ("127.0.0.1", "SMTP server (MAIL_TRANSPORT=smtp)"),
    "SMTP_PORT": (587, "SMTP port: 587 for STARTTLS, 465 for TLS, 25 for none"),
    "SMTP_SECURITY": ("starttls", "starttls, tls (implicit, port 465) or none (a relay on loopback only)"),
    "SMTP_USERNAME": ("", "SMTP login; empty: no login"),
    "SMTP_PASSWORD": ("", "SMTP password"),
    "SMTP_TIMEOUT": (30, "seconds one e-mail may take to send, connecting included (then cut off and retried); "
                         "a dispatcher's claim on it lasts twice this plus 10 s"),
    "SMS_TRANSPORT": ("console", "how SMS leave: console (the dispatcher prints them), kannel (Kannel's sendsms, "
                                 "with delivery reports) or http (a generic HTTP gateway)"),
    "KANNEL_URL": ("http://127.0.0.1:13013", "Kannel smsbox's sendsms address (SMS_TRANSPORT=kannel); a bare "
                                             "host:port gets /cgi-bin/sendsms"),
    "KANNEL_USERNAME": ("", "the username of Kannel's sendsms-user group"),
    "KANNEL_PASSWORD": ("", "the password of Kannel's sendsms-user group"),
    "SMS_SENDER": ("", "the SMS sender (Kannel's from: a short number or an alphanumeric name the operator "
                       "registered); empty: Kannel's global-sender"),
    "KANNEL_MO_SECRET": ("", "the shared secret in the URL Kannel's sms-service calls with SMS citizens send "
                             "(/sms/kannel/incoming?key=…); empty: that address answers 404"),
    "SMS_GATEWAY_URL": ("", "the SMS gateway's HTTP(S) address; the message is POSTed there"),
    "SMS_GATEWAY_AUTH": ("", "the Authorization header sent to the gateway, e.g. 'Bearer …' or 'Basic …'"),
    "SMS_GATEWAY_BODY": ('{"to": "$to", "text": "$text"}',
                         "the request body; $to (E.164 phone), $text, $id and $key (the idempotency key) are filled "
                         "in (JSON-escaped for a JSON content type, URL-encoded for a form)"),
    "SMS_GATEWAY_CONTENT_TYPE": ("application/json", "the request's Content-Type (application/json or "
                                                     "application/x-www-form-urlencoded)"),
    "SMS_GATEWAY_SUCCESS": ("", "a regular expression the gateway's 2xx answer must contain to count as sent "
                                "(e.g. \"status\":\\s*\"ok\"); empty: any 2xx answer counts"),
    "SMS_TIMEOUT": (20, "seconds one SMS may take to hand to the gateway, connecting included (then cut off and "
                        "retried); a dispatcher's claim on it lasts twice this plus 10 s"),
    "WEBHOOK_TIMEOUT": (10, "seconds one webhook delivery may take, connecting included (then cut off and "
                            "retried); only a 2xx answer counts as delivered"),
    "WEBHOOK_ALLOW_HTTP": (False, "accept plain http:// webhook addresses of any host (development and tests); "
                                  "otherwise https:// only, or http:// to this machine (loopback)"),
    "NOTIFY_MAX_ATTEMPTS": (5, "sending attempts before a message is marked failed (retries back off: "
                               "1, 2, 4, 8 … minutes)"),
    "MAX_CONTENT_LENGTH": (2 * 1024 * 1024, "largest request body accepted, in bytes"),
    "MAX_ATTACHMENT_MB": (10, "largest file attached to a legal opinion, in megabytes (larger: 413)"),
    "STAFF_IDLE_MINUTES": (30, "minutes without a request after which a staff member's session ends (citizens' "
                               "sessions end when the browser closes)"),
    "SESSION_COOKIE_SECURE": (None, "send the session cookie over HTTPS only (default: on in production)"),
    "MAX_ACTIVE_APPOINTMENTS": (3, "active appointments one citizen may hold at once"),
    "OFFER_HOLD_HOURS": (48, "hours a slot offered after screening is kept for the citizen"),
    "WAITLIST_HOLD_HOURS": (24, "hours a freed slot offered from the waitlist is kept for the citizen"),
    "HOLIDAY_TRANSFERS": ("", "decreed days off, comma-separated ISO dates, e.g. 2026-01-05"),
    "EXTRA_WORKING_DAYS": ("", "decreed working Saturdays, comma-separated ISO dates"),
    "FOLLOWUP_TERMS": ("statement=15,complaint=15,proposal=15,request=15",
                       "default terms of instructions given at receptions, in working days, by appeal type"),
    "FOLLOWUP_WARN_DAYS": (3, "working days before an instruction's deadline to warn the responsible body"),
    "JITSI_MODE": ("", "video calls: selfhosted (Jitsi Meet with prosody tokens) or jaas (8x8); empty: off"),
    "JITSI_DOMAIN": ("", "Jitsi host name, e.g. meet.akimat.kz (8x8.vc for jaas)"),
    "JITSI_APP_ID": ("", "self-hosted: prosody's app_id (the tokens' iss); jaas: the vpaas-magic-cookie-… app id"),
    "JITSI_APP_SECRET": ("", "self-hosted: prosody's app_secret, at least 32 characters (signs HS256 tokens)"),
    "JITSI_AUDIENCE": ("jitsi", "self-hosted: the tokens' aud (one of prosody's asap_accepted_audiences)"),
    "JITSI_TENANT": ("", "self-hosted: the tokens' sub when Jitsi serves tenants; default the domain"),
    "JITSI_KID": ("", "jaas: the API key id (kid), e.g. vpaas-magic-cookie-…/4f4910"),
    "JITSI_PRIVATE_KEY_FILE": ("", "jaas: path to the API key's RSA private key (PEM) that signs RS256 tokens"),
    "JITSI_JOIN_BEFORE_MINUTES": (15, "minutes before a reception its call opens (the token's nbf); "
                                      "citizens are asked to be at the studio by then"),
    "JITSI_JOIN_AFTER_MINUTES": (30, "minutes after a reception's slot ends its call stays open (the token's exp)"),
    "API_RATE_LIMIT": ("300 per minute;10000 per day", "calls allowed to each API token (calls without a token: to "
                                                       "each client address), in the limiter's storage"),
    "PROXY_COUNT": (0, "trusted reverse proxies in front of the app (nginx before gunicorn: 1); the client's "
                       "address is then read from X-Forwarded-For (audit record, login throttle)"),
}

_INT_KEYS = {"PASSWORD_RESET_MAX_AGE", "MAX_CONTENT_LENGTH", "MAX_ATTACHMENT_MB", "MAX_ACTIVE_APPOINTMENTS",
             "OFFER_HOLD_HOURS", "WAITLIST_HOLD_HOURS", "JITSI_JOIN_BEFORE_MINUTES", "JITSI_JOIN_AFTER_MINUTES",
             "SMTP_PORT", "SMTP_TIMEOUT", "SMS_TIMEOUT", "WEBHOOK_TIMEOUT", "NOTIFY_MAX_ATTEMPTS", "PROXY_COUNT",
             "FOLLOWUP_WARN_DAYS", "STAFF_IDLE_MINUTES", "PHONE_CODE_MAX_AGE"}
_BOOL_KEYS = {"SESSION_COOKIE_SECURE", "WEBHOOK_ALLOW_HTTP"}


#: Shortest secret key production accepts, in bytes (HMAC-SHA1 over the session; 32 random bytes is
#: what ``python -c 'import secrets; print(secrets.token_urlsafe(32))'`` gives).
MIN_SECRET_BYTES = 32
#: Shortest credential of the SMS gateway's Authorization header production accepts.
MIN_SMS_CREDENTIAL = 16
#: Every key the repository or its documentation uses as a development, test or example value: each is
#: public, so anyone could sign a session (or a video token) with it. Production refuses them all.
KNOWN_DEVELOPMENT_SECRETS = frozenset({
    "dev-only-not-secret", "test-secret", "e2e-secret", "x", "s", "k", "k" * 40, "s" * 40, "secret",
    "changeme", "change-me", "short-secret", "short", "e2e-secret-e2e-secret-e2e-secret-e2e",
    "another-long-random-secret-for-the-check-000", "a-very-long-and-random-jitsi-app-secret-0123456789",
})
#: Placeholders the README's examples use in place of a secret.
_PLACEHOLDER_MARKS = ("…", "...")


class ConfigError(RuntimeError):
    """The configuration cannot run the application safely."""


def _is_placeholder(secret: str) -> bool:
    return secret.strip().lower() in KNOWN_DEVELOPMENT_SECRETS or any(m in secret for m in _PLACEHOLDER_MARKS)


def _check_secret(name: str, secret: str, min_bytes: int) -> None:
    """Refuse a public or weak secret; the message names the variable, never the value."""
    if _is_placeholder(secret):
        raise ConfigError(f"{ENV_PREFIX}{name} is a development or example value that is public: "
                          f"set a random one (python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if len(secret.encode()) < min_bytes:
        raise ConfigError(f"{ENV_PREFIX}{name} is too short: use at least {min_bytes} random bytes")
    if len(set(secret)) < 8:
        raise ConfigError(f"{ENV_PREFIX}{name} repeats a few characters: use a random value")


def check_production_secrets(values: dict) -> None:
    """Production refuses known development keys, short keys, and default or short Jitsi and SMS secrets
    (those only when the feature is on). Raises ConfigError naming the variable."""
    _check_secret("SECRET_KEY", str(values["SECRET_KEY"]), MIN_SECRET_BYTES)
    if str(values.get("JITSI_MODE") or "").strip().lower() == "selfhosted":
        _check_secret("JITSI_APP_SECRET", str(values.get("JITSI_APP_SECRET") or ""), MIN_SECRET_BYTES)
    if str(values.get("SMS_TRANSPORT") or "").strip().lower() == "http" and values.get("SMS_GATEWAY_AUTH"):
        # "Bearer <token>" or "Basic <base64>": the credential is what follows the scheme.
        credential = str(values["SMS_GATEWAY_AUTH"]).strip().partition(" ")[2].strip() \
            or str(values["SMS_GATEWAY_AUTH"]).strip()
        _check_secret("SMS_GATEWAY_AUTH", credential, MIN_SMS_CREDENTIAL)
    if str(values.get("SMS_TRANSPORT") or "").strip().lower() == "kannel":
        _check_secret("KANNEL_PASSWORD", str(values.get("KANNEL_PASSWORD") or ""), MIN_SMS_CREDENTIAL)
    if values.get("KANNEL_MO_SECRET"):
        _check_secret("KANNEL_MO_SECRET", str(values["KANNEL_MO_SECRET"]), MIN_SMS_CREDENTIAL)
    if values.get("SMTP_PASSWORD") and _is_placeholder(str(values["SMTP_PASSWORD"])):
        raise ConfigError(f"{ENV_PREFIX}SMTP_PASSWORD is an example value: set the real password")


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
    if production:
        check_production_secrets(values)
    if int(values["STAFF_IDLE_MINUTES"]) < 1:
        raise ConfigError(f"{ENV_PREFIX}STAFF_IDLE_MINUTES must be 1 or more")
    if not values.get("DATABASE_URL"):
        if production:
            raise ConfigError(f"{ENV_PREFIX}DATABASE_URL must be set in production")
        values["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "reception.sqlite3")
    if values["SESSION_COOKIE_SECURE"] is None:
        values["SESSION_COOKIE_SECURE"] = production
    if production:
        _check_ratelimit_storage(str(values["RATELIMIT_STORAGE_URI"]), environ)

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
        # Moving windows: a limit frees one attempt as each old one ages out (no burst at a window's edge).
        "RATELIMIT_STRATEGY": "moving-window",
        # Every limit of a request is evaluated, so a 429 says how long the longest breached one lasts.
        "RATELIMIT_FAIL_ON_FIRST_BREACH": False,
        "RATELIMIT_HEADERS_ENABLED": False,  # Retry-After is set on 429 pages (reception.main.errors)
        "LANGUAGES": ("kk", "ru", "en"),
    }
    config.update({k: v for k, v in test_config.items() if k not in SETTINGS})
    return config


def _check_ratelimit_storage(uri: str, environ) -> None:
    """Production: in-memory counters are per process, so with several workers each counts alone. Refused
    when WEB_CONCURRENCY (gunicorn's own default for --workers) says more than one worker runs; otherwise
    allowed with a warning at start (the app cannot see a --workers flag)."""
    if not uri.startswith("memory://"):
        return
    raw = str(environ.get("WEB_CONCURRENCY") or "").strip()
    workers = int(raw) if raw.isdigit() else None
    if workers is not None and workers > 1:
        raise ConfigError(f"{ENV_PREFIX}RATELIMIT_STORAGE_URI is memory:// but WEB_CONCURRENCY={workers}: each "
                          "worker would count logins and bookings alone. Set it to redis://host:port/db")
    log.warning("%sRATELIMIT_STORAGE_URI is memory://: throttle counters live in this process only. Run ONE "
                "worker (WEB_CONCURRENCY=1) or set redis://host:port/db; with several workers each counts "
                "alone and an attacker gets that many times the attempts", ENV_PREFIX)


def engine_options(url: str) -> dict:
    """Engine options per backend: SQLite gets a busy timeout (WAL is set per connection).

    No ``pool_pre_ping``: it costs a round trip on every request. A connection found dead (the
    database restarted) fails its request, answered 503 with Retry-After (reception.main.errors), and
    SQLAlchemy then drops the whole pool, so the next requests connect afresh (tests/faults).
    """
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {}
