"""Revision 0016 over data: phone-only accounts and their codes appear, and the downgrade gives every phone-only
account an address that cannot receive mail, so the column can be NOT NULL again."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, text

from reception.extensions import db
from tests.test_migrations import _insert, _rows, fresh_database  # noqa: F401  (the fixture)


def test_0016_keeps_accounts_and_the_downgrade_names_phone_only_ones(fresh_database):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from reception import create_app

    url, engine_options = fresh_database
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": engine_options})
    migrations = str(Path(__file__).resolve().parent.parent.parent / "migrations")
    at = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    with app.app_context():
        upgrade(directory=migrations, revision="0016")
        with db.engine.begin() as conn:
            for user_id, email in ((1, "c@example.kz"), (2, None), (3, None)):
                _insert(conn, "users", id=user_id, email=email, phone=f"+7701555000{user_id}", full_name="C",
                        password_hash="x", language="kk", notify_visiting=False, is_active=True, created_at=at,
                        notify_by="sms", session_version=0, phone_confirmed_at=at if user_id == 2 else None)
            _insert(conn, "phone_codes", user_id=2, purpose="confirm", phone="+77015550002", code_hash="h" * 64,
                    created_at=at, expires_at=at + timedelta(minutes=10), wrong_attempts=0)
        db.engine.dispose()

        downgrade(directory=migrations, revision="0015")
        with db.engine.connect() as conn:
            assert _rows(conn, "SELECT id, email FROM users ORDER BY id") == [
                (1, "c@example.kz"), (2, "user-2@phone-only.invalid"), (3, "user-3@phone-only.invalid")]
            assert "phone_codes" not in inspect(conn).get_table_names()
            email = next(c for c in inspect(conn).get_columns("users") if c["name"] == "email")
            assert email["nullable"] is False
        db.engine.dispose()

        upgrade(directory=migrations, revision="0016")
        with db.engine.connect() as conn:
            assert _rows(conn, "SELECT count(*) FROM users") == [(3,)]
            assert conn.execute(text("SELECT count(*) FROM phone_codes")).scalar_one() == 0
        db.engine.dispose()
