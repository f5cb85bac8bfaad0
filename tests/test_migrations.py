"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from reception.extensions import db


def test_upgraded_database_has_no_difference_from_the_models(app):
    # The session fixture built this database with `flask db upgrade`, not create_all().
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert {"users", "regions", "bodies", "alembic_version"} <= tables


def test_upgrading_an_sqlite_database_with_bookings_keeps_every_row(tmp_path):
    """Batch migrations rebuild SQLite tables; the rows that refer to a rebuilt table must survive."""
    import sqlite3

    from flask_migrate import upgrade

    from reception import create_app
    from reception.directory.reference import load_reference_data

    path = tmp_path / "old.sqlite3"
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{path}"})
    migrations = str(Path(__file__).resolve().parent.parent / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="0003")
        load_reference_data()
        db.session.commit()
        db.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript("""
            INSERT INTO users (id, email, full_name, password_hash, language, notify_visiting, is_active, created_at)
                VALUES (1, 'c@example.kz', 'C', 'x', 'kk', 0, 1, '2026-01-01 00:00:00');
            INSERT INTO bodies (id, code, level, name_kk, name_ru, name_en, is_active)
                VALUES (1, 'b', 'central', 'b', 'b', 'b', 1);
            INSERT INTO officials (id, body_id, full_name, position_kk, position_ru, position_en, is_head, is_active)
                VALUES (1, 1, 'O', 'p', 'p', 'p', 1, 1);
            INSERT INTO venues (id, body_id, region_id, kind, name_kk, name_ru, name_en, address_kk, address_ru,
                                address_en, is_active, created_at)
                VALUES (1, 1, 1, 'office', 'v', 'v', 'v', 'a', 'a', 'a', 1, '2026-01-01 00:00:00');
            INSERT INTO reception_sessions (id, official_id, venue_id, kind, local_date, starts_at, ends_at,
                    allow_in_person, allow_video_studio, booking_mode, opens_at, closes_at, status, is_published,
                    created_at)
                VALUES (1, 1, 1, 'one_off', '2026-12-01', '2026-12-01 05:00:00', '2026-12-01 06:00:00', 1, 0,
                        'self', '2026-11-01 00:00:00', '2026-11-30 00:00:00', 'planned', 1, '2026-01-01 00:00:00');
            INSERT INTO slots (id, session_id, starts_at, ends_at) VALUES (1, 1, '2026-12-01 05:00:00',
                                                                            '2026-12-01 05:30:00');
            INSERT INTO appointments (id, citizen_id, official_id, session_id, slot_id, format, topic_id, summary,
                    needs_wheelchair, needs_sign_language, status, created_at)
                VALUES (1, 1, 1, 1, 1, 'in_person', (SELECT min(id) FROM topics), 's', 0, 0, 'scheduled',
                        '2026-01-01 00:00:00');
            INSERT INTO reservations (resource, resource_id, appointment_id, starts_at, ends_at)
                VALUES ('citizen', 1, 1, '2026-12-01 05:00:00', '2026-12-01 05:30:00');
        """)
    with app.app_context():
        upgrade(directory=migrations)
        db.engine.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM reservations").fetchone() == (1,)
        assert conn.execute("SELECT format, status FROM appointments").fetchall() == [("in_person", "scheduled")]
        conn.execute("UPDATE appointments SET format = 'video_remote'")  # the new format passes the CHECK
