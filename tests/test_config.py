"""Configuration from RECEPTION_* variables; production refuses to start without its secrets."""
import pytest

from reception.config import ConfigError, build_config


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config(str(tmp_path), environ={"RECEPTION_ENV": "production",
                                             "RECEPTION_DATABASE_URL": "postgresql+psycopg://x/y"})


def test_production_refuses_to_start_without_a_database_url(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        build_config(str(tmp_path), environ={"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": "s"})


def test_production_cookies_are_secure_httponly_and_samesite(tmp_path):
    config = build_config(str(tmp_path), environ={"RECEPTION_ENV": "production", "RECEPTION_SECRET_KEY": "s",
                                                  "RECEPTION_DATABASE_URL": "postgresql+psycopg://x/y"})
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
