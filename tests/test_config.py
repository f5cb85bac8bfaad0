"""Configuration from RECEPTION_* variables; production refuses to start without its secrets, and with a
secret anyone could know (a development or example key, a short one)."""
import secrets

import pytest
from flask import session
from flask_login import login_user

from reception import create_app
from reception.config import KNOWN_DEVELOPMENT_SECRETS, ConfigError, build_config
from reception.core.permissions import Role

STRONG = secrets.token_urlsafe(32)
PRODUCTION = {"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": STRONG,
              "RECEPTION_DATABASE_URL": "postgresql+psycopg://x/y"}


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config(str(tmp_path), environ={"RECEPTION_ENV": "production",
                                             "RECEPTION_DATABASE_URL": "postgresql+psycopg://x/y"})


def test_production_refuses_to_start_without_a_database_url(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        build_config(str(tmp_path), environ={"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": STRONG})


def test_production_cookies_are_secure_httponly_and_samesite(tmp_path):
    config = build_config(str(tmp_path), environ=PRODUCTION)
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" and config["REMEMBER_COOKIE_SECURE"]


def test_development_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    config = build_config(str(tmp_path), environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/reception.sqlite3"
    assert not config["SESSION_COOKIE_SECURE"]


def test_environment_variables_override_defaults(tmp_path):
    config = build_config(str(tmp_path), environ={"RECEPTION_DEFAULT_LOCALE": "ru",
                                                  "RECEPTION_MAX_CONTENT_LENGTH": "1000"})
    assert config["BABEL_DEFAULT_LOCALE"] == "ru" and config["MAX_CONTENT_LENGTH"] == 1000


def test_unknown_environment_name_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        build_config(str(tmp_path), environ={"RECEPTION_ENV": "prod"})


# --- keys anyone could know ------------------------------------------------------------------------

def _refused(tmp_path, **overrides) -> str:
    environ = {**PRODUCTION, **{f"RECEPTION_{k}": v for k, v in overrides.items()}}
    with pytest.raises(ConfigError) as error:
        build_config(str(tmp_path), environ=environ)
    return str(error.value)


@pytest.mark.parametrize("key", sorted(KNOWN_DEVELOPMENT_SECRETS | {"dev-only-not-secret", "e2e-secret"}))
def test_production_refuses_every_development_key_of_the_repository(tmp_path, key):
    message = _refused(tmp_path, SECRET_KEY=key)
    assert "RECEPTION_SECRET_KEY" in message
    assert len(key) < 12 or key not in message  # the message names the variable, never the key


def test_production_refuses_the_readme_placeholders(tmp_path):
    for placeholder in ("...", "…at least 32 random characters plus some more"):
        assert "RECEPTION_SECRET_KEY" in _refused(tmp_path, SECRET_KEY=placeholder)


def test_production_refuses_a_key_shorter_than_32_bytes_and_accepts_32_random_ones(tmp_path):
    assert "too short" in _refused(tmp_path, SECRET_KEY="a")
    assert "too short" in _refused(tmp_path, SECRET_KEY=secrets.token_hex(16)[:31])
    assert "RECEPTION_SECRET_KEY" in _refused(tmp_path, SECRET_KEY="ab" * 20)  # long, but two characters
    key = secrets.token_hex(16)  # 32 bytes
    assert build_config(str(tmp_path), environ={**PRODUCTION, "RECEPTION_SECRET_KEY": key})["SECRET_KEY"] == key


def test_development_and_tests_keep_their_convenient_keys(tmp_path):
    assert build_config(str(tmp_path), environ={})["SECRET_KEY"] == "dev-only-not-secret"
    assert build_config(str(tmp_path), environ={"RECEPTION_ENV": "testing", "RECEPTION_SECRET_KEY": "x"})


JITSI = {"JITSI_MODE": "selfhosted", "JITSI_DOMAIN": "meet.example.kz", "JITSI_APP_ID": "reception"}


def test_production_refuses_a_missing_short_or_example_jitsi_secret_when_video_is_on(tmp_path):
    for secret in ("", "short-secret", "e2e-secret-e2e-secret-e2e-secret-e2e", "…at least 32 random characters"):
        message = _refused(tmp_path, **JITSI, JITSI_APP_SECRET=secret)
        assert "RECEPTION_JITSI_APP_SECRET" in message
    good = secrets.token_urlsafe(32)
    assert build_config(str(tmp_path), environ={**PRODUCTION, **{f"RECEPTION_{k}": v for k, v in JITSI.items()},
                                                "RECEPTION_JITSI_APP_SECRET": good})["JITSI_APP_SECRET"] == good
    # Video off: no Jitsi secret needed.
    assert build_config(str(tmp_path), environ=PRODUCTION)["JITSI_MODE"] == ""


def test_production_refuses_a_short_or_example_sms_gateway_credential(tmp_path):
    sms = {"SMS_TRANSPORT": "http", "SMS_GATEWAY_URL": "https://sms.example.kz/send"}
    for auth in ("Bearer …", "Bearer abc", "Basic dXNlcjpwYXNz", "secret"):
        assert "RECEPTION_SMS_GATEWAY_AUTH" in _refused(tmp_path, **sms, SMS_GATEWAY_AUTH=auth)
    good = "Bearer " + secrets.token_urlsafe(24)
    environ = {**PRODUCTION, **{f"RECEPTION_{k}": v for k, v in sms.items()}, "RECEPTION_SMS_GATEWAY_AUTH": good}
    assert build_config(str(tmp_path), environ=environ)["SMS_GATEWAY_AUTH"] == good
    # The console transport sends nothing anywhere: no credential checked.
    assert build_config(str(tmp_path), environ={**PRODUCTION, "RECEPTION_SMS_GATEWAY_AUTH": "Bearer …"})


def test_staff_idle_time_must_be_a_positive_number_of_minutes(tmp_path):
    assert build_config(str(tmp_path), environ={})["STAFF_IDLE_MINUTES"] == 30
    with pytest.raises(ConfigError, match="STAFF_IDLE_MINUTES"):
        build_config(str(tmp_path), environ={"RECEPTION_STAFF_IDLE_MINUTES": "0"})


# --- the forged administrator cookie (issue 14, finding 2) ---------------------------------------

AGENT = "Mozilla/5.0 (forger)"


def _client(sibling_app, **config):
    client = sibling_app(**config).test_client()
    client.environ_base["HTTP_USER_AGENT"] = AGENT
    return client


def _forge_session(key: str, admin) -> str:
    """What anyone who read the repository can build: a session cookie naming the administrator, signed
    with the development key, as Flask-Login's own login_user leaves it (same address and browser as the
    test client, so session protection is satisfied)."""
    forger = create_app({"ENV": "development", "SECRET_KEY": key, "DATABASE_URL": "sqlite://"})
    with forger.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": AGENT}):
        login_user(admin)
        session["_seen"] = 2**40  # the staff idle clock, as far in the future as the forger likes
        return forger.session_interface.get_signing_serializer(forger).dumps(dict(session))


def test_a_cookie_signed_with_the_development_key_opens_no_production_page(db, make_user, sibling_app):
    admin = make_user(Role.ADMIN)
    db.session.commit()
    dev_key = build_config("/tmp", environ={})["SECRET_KEY"]
    cookie = _forge_session(dev_key, admin)

    # The forgery is real: an app that runs with the development key takes it for the administrator.
    development = _client(sibling_app, ENV="testing", SECRET_KEY=dev_key)
    development.set_cookie("session", cookie)
    assert development.get("/admin/staff").status_code == 200

    # Production cannot run with that key at all...
    with pytest.raises(ConfigError, match="RECEPTION_SECRET_KEY"):
        _client(sibling_app, ENV="production", SECRET_KEY=dev_key)
    # ...and with its own key the forged cookie is nobody's session.
    production = _client(sibling_app, ENV="production", SECRET_KEY=STRONG)
    production.set_cookie("session", cookie)
    response = production.get("/admin/staff", base_url="https://localhost")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
