"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL), and the
migrations that move data move it right."""
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

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


# --- 0007: outcomes recorded per question -------------------------------------------------------------

@pytest.fixture
def fresh_database(tmp_path, database_url):
    """An empty database of the suite's kind: an SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}", {}
        return
    schema = f"test_{os.getpid()}_migrations"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text("SELECT pg_advisory_lock(727001)"))  # as tests/conftest.py: one CREATE EXTENSION at a time
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(727001)"))
    try:
        yield database_url, {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _rows(conn, sql: str, **params) -> list[tuple]:
    return [tuple(row) for row in conn.execute(text(sql), params)]


def _insert(conn, table: str, **values) -> None:
    conn.execute(text(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})"),
                 values)


def test_0007_turns_each_outcome_into_one_question_and_the_downgrade_folds_them_back(fresh_database):
    """Written at 0006 with plain SQL: a forwarded outcome with two instructions (one reported on), a refused one
    with grounds. After the upgrade each is one question of its appointment's topic and summary, with its result,
    grounds, responsible body (the first instruction's, when forwarded) and instructions; after the downgrade
    the outcomes have their result, grounds and instructions again."""
    from flask_migrate import downgrade, upgrade

    from reception import create_app
    from reception.directory.reference import load_reference_data

    url, engine_options = fresh_database
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": engine_options})
    migrations = str(Path(__file__).resolve().parent.parent / "migrations")
    at = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    long_summary = "No heating in our block since October; the district akimat answered twice. " * 6
    with app.app_context():
        upgrade(directory=migrations, revision="0006")
        load_reference_data()
        db.session.commit()
        topics = db.session.execute(text("SELECT id FROM topics ORDER BY id LIMIT 2")).scalars().all()
        db.session.remove()
        with db.engine.begin() as conn:
            def insert(table: str, **values) -> None:
                _insert(conn, table, **values)

            insert("users", id=1, email="c@example.kz", full_name="C", password_hash="x", language="kk",
                   notify_visiting=False, is_active=True, created_at=at, notify_by="email")
            for body_id in (1, 2, 3):
                insert("bodies", id=body_id, code=f"b{body_id}", level="central", name_kk="b", name_ru="b",
                       name_en="b", is_active=True)
            insert("officials", id=1, body_id=1, full_name="O", position_kk="p", position_ru="p", position_en="p",
                   is_head=True, is_active=True)
            insert("venues", id=1, body_id=1, region_id=1, kind="office", name_kk="v", name_ru="v", name_en="v",
                   address_kk="a", address_ru="a", address_en="a", is_active=True, created_at=at)
            insert("reception_sessions", id=1, official_id=1, venue_id=1, kind="one_off", local_date=at.date(),
                   starts_at=at, ends_at=at + timedelta(hours=1), allow_in_person=True, allow_video_studio=False,
                   allow_video_remote=False, single_video_room=False, booking_mode="self",
                   opens_at=at - timedelta(days=30), closes_at=at - timedelta(days=1), status="held",
                   is_published=True, created_at=at)
            for n, (topic, summary) in enumerate([(topics[0], long_summary), (topics[1], "A plot of land")], 1):
                insert("slots", id=n, session_id=1, starts_at=at + timedelta(minutes=30 * (n - 1)),
                       ends_at=at + timedelta(minutes=30 * n))
                insert("appointments", id=n, citizen_id=1, official_id=1, session_id=1, slot_id=n, format="in_person",
                       topic_id=topic, summary=summary, needs_wheelchair=False, needs_sign_language=False,
                       status="held", created_at=at)
            insert("outcomes", id=1, appointment_id=1, result="forwarded_part", grounds=None, notes="Heating",
                   recorded_by_id=1, recorded_at=at, updated_at=at)
            insert("outcomes", id=2, appointment_id=2, result="refused", grounds="Article 12 of the Land Code",
                   notes="", recorded_by_id=1, recorded_at=at, updated_at=at)
            for instruction_id, body_id in ((1, 3), (2, 2)):  # the first instruction's body is the question's
                insert("instructions", id=instruction_id, outcome_id=1, body_id=body_id, responsible_name="r",
                       text=f"Instruction {instruction_id}", appeal_type="complaint", due_on=at.date(),
                       original_due_on=at.date(), status="reported", created_at=at)
            insert("instruction_reports", id=1, instruction_id=1, author_id=1, text="Done", created_at=at)
        db.engine.dispose()

        upgrade(directory=migrations, revision="0007")
        with db.engine.connect() as conn:
            questions = _rows(conn, "SELECT outcome_id, position, topic_id, wording, result, grounds, body_id "
                                    "FROM questions ORDER BY outcome_id")
            assert questions == [
                (1, 1, topics[0], long_summary[:300], "forwarded_part", None, 3),
                (2, 1, topics[1], "A plot of land", "refused", "Article 12 of the Land Code", None)]
            first = _rows(conn, "SELECT id FROM questions WHERE outcome_id = 1")[0][0]
            assert _rows(conn, "SELECT id, question_id FROM instructions ORDER BY id") == [(1, first), (2, first)]
            assert _rows(conn, "SELECT instruction_id FROM instruction_reports") == [(1,)]
            columns = {c["name"] for c in inspect(conn).get_columns("outcomes")}
            assert {"result", "grounds"}.isdisjoint(columns) and "notes" in columns
            assert "outcome_id" not in {c["name"] for c in inspect(conn).get_columns("instructions")}
        # A second question of the first outcome (with an instruction), recorded after the upgrade.
        with db.engine.begin() as conn:
            _insert(conn, "questions", outcome_id=1, position=2, topic_id=topics[1], wording="Charges",
                    result="explained", created_at=at)
            second = _rows(conn, "SELECT id FROM questions WHERE outcome_id = 1 AND position = 2")[0][0]
            _insert(conn, "instructions", id=3, question_id=second, body_id=2, responsible_name="r",
                    text="Instruction 3", appeal_type="complaint", due_on=at.date(), original_due_on=at.date(),
                    status="open", created_at=at)
        db.engine.dispose()

        downgrade(directory=migrations, revision="0006")
        with db.engine.connect() as conn:
            # The first question's result and grounds; every instruction of the outcome's questions.
            assert _rows(conn, "SELECT id, result, grounds, notes FROM outcomes ORDER BY id") == [
                (1, "forwarded_part", None, "Heating"), (2, "refused", "Article 12 of the Land Code", "")]
            assert _rows(conn, "SELECT id, outcome_id, body_id FROM instructions ORDER BY id") == [
                (1, 1, 3), (2, 1, 2), (3, 1, 2)]
            assert _rows(conn, "SELECT instruction_id FROM instruction_reports") == [(1,)]
            assert "questions" not in inspect(conn).get_table_names()
        db.engine.dispose()


# --- every downgrade over data: the demo plus bench-like bulk rows ---------------------------------------------

# Bench-like rows in bulk (bench/database.py's shape at a reduced size, in SQL both databases run): an akimat per
# region with an office and one official, and CITIZENS citizens; then each official receiving on DAYS days with
# SLOTS slots (times computed here: the two databases share no date arithmetic).
BULK_CITIZENS, BULK_DAYS, BULK_SLOTS = 2000, 10, 10
BULK = [
    """INSERT INTO bodies (code, level, region_id, name_kk, name_ru, name_en, is_active)
       SELECT 'bulk-' || code, 'regional', id, name_kk, name_ru, name_en, :true FROM regions""",
    """INSERT INTO venues (body_id, region_id, kind, name_kk, name_ru, name_en, address_kk, address_ru, address_en,
                           is_active, created_at)
       SELECT id, region_id, 'office', 'v', 'v', 'v', 'a', 'a', 'a', :true, :now
       FROM bodies WHERE code LIKE 'bulk-%'""",
    """INSERT INTO officials (body_id, full_name, position_kk, position_ru, position_en, is_head, is_active)
       SELECT id, 'Official ' || code, 'p', 'p', 'p', :true, :true FROM bodies WHERE code LIKE 'bulk-%'""",
    """INSERT INTO users (email, full_name, password_hash, language, region_id, is_active, created_at)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :citizens)
       SELECT 'citizen' || i || '@bulk.invalid', 'Citizen ' || i, 'x', 'ru', (SELECT min(id) FROM regions), :true,
              :now FROM n""",
    """INSERT INTO user_roles (user_id, role) SELECT id, 'citizen' FROM users WHERE email LIKE '%@bulk.invalid'""",
]

def _bulk_sessions_and_slots(conn, first_start: datetime, now: datetime) -> None:
    places = conn.execute(text("SELECT o.id, v.id FROM officials o JOIN bodies b ON b.id = o.body_id "
                               "JOIN venues v ON v.body_id = b.id WHERE b.code LIKE 'bulk-%' ORDER BY o.id")).all()
    length = timedelta(minutes=20)
    starts = [first_start + timedelta(days=n) for n in range(BULK_DAYS)]
    sessions = [{"official": official, "venue": venue, "day": start.date(), "starts": start,
                 "ends": start + BULK_SLOTS * length, "opens": now - timedelta(days=1),
                 "closes": start - timedelta(days=1), "now": now}
                for official, venue in places for start in starts]
    conn.execute(text(
        """INSERT INTO reception_sessions (official_id, venue_id, kind, local_date, starts_at, ends_at,
               allow_in_person, allow_video_studio, booking_mode, opens_at, closes_at, status, created_at)
           VALUES (:official, :venue, 'regular', :day, :starts, :ends, true, false, 'self', :opens, :closes,
                   'planned', :now)"""), sessions)
    ids = conn.execute(text("SELECT s.id FROM reception_sessions s JOIN officials o ON o.id = s.official_id "
                            "JOIN bodies b ON b.id = o.body_id WHERE b.code LIKE 'bulk-%' ORDER BY s.id")).scalars()
    slots = [{"session": session_id, "starts": session["starts"] + n * length,
              "ends": session["starts"] + (n + 1) * length}
             for session_id, session in zip(ids, sessions, strict=True) for n in range(BULK_SLOTS)]
    conn.execute(text("INSERT INTO slots (session_id, starts_at, ends_at) VALUES (:session, :starts, :ends)"), slots)


def _counts(conn) -> dict[str, int]:
    tables = sorted(set(inspect(conn).get_table_names()) - {"alembic_version"})
    return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in tables}


def _dropped_by_downgrade_to(conn, revision: str) -> dict[str, int]:
    """Rows a downgrade to ``revision`` drops by design, as they cannot exist before the next revision: the
    outbox's webhook rows (events and deliveries) below 0024."""
    if revision == "0023":
        return {"outbox_messages": conn.scalar(text("SELECT count(*) FROM outbox_messages WHERE channel = 'webhook'"))}
    return {}


def test_every_migration_downgrades_to_the_first_and_upgrades_again_over_the_demo_and_bench_data(fresh_database):
    """At the head with `flask demo load`'s data (its year of history included) and bench-like rows in bulk,
    each revision is downgraded one step at a time to the first, then everything is upgraded again: no step
    fails; a table a step keeps keeps its rows; after the way back up the tables that were kept all along have
    their rows, and the schema is the models' again."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from reception import create_app
    from reception.cli.demo import load_demo_data
    from reception.core.clock import local_today, utcnow
    from reception.directory.reference import load_reference_data

    url, engine_options = fresh_database
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": engine_options})
    migrations = str(Path(__file__).resolve().parent.parent / "migrations")
    now = utcnow()
    starts = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    params = {"true": True, "false": False, "now": now, "citizens": BULK_CITIZENS, "days": BULK_DAYS,
              "slots": BULK_SLOTS, "day": starts.date(), "starts": starts, "ends": starts + timedelta(hours=1),
              "opens": now - timedelta(days=1), "closes": starts - timedelta(days=1)}
    with app.app_context():
        upgrade(directory=migrations)
        load_reference_data()
        with app.test_request_context(base_url="http://reception.test"):  # as the CLI runs it (links in e-mails)
            load_demo_data(local_today())
            db.session.commit()
        with db.engine.begin() as conn:
            for statement in BULK:
                conn.execute(text(statement), params)
            _bulk_sessions_and_slots(conn, starts, now)
        db.session.remove()
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(migrations))
        revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]  # first to head
        with db.engine.connect() as conn:
            at_head = before = _counts(conn)
        assert before["users"] > BULK_CITIZENS and before["appointments"] > 100 and before["slots"] > 2000
        dropped_by_design = {}
        for revision in reversed(revisions[:-1]):
            db.engine.dispose()
            with db.engine.connect() as conn:
                dropping = _dropped_by_downgrade_to(conn, revision)
            downgrade(directory=migrations, revision=revision)
            with db.engine.connect() as conn:
                after = _counts(conn)
            for table, n in dropping.items():
                before[table] -= n
                dropped_by_design[table] = dropped_by_design.get(table, 0) + n
            lost = {table: (before[table], after[table]) for table in after
                    if table in before and after[table] != before[table]}
            assert lost == {}, f"downgrade to {revision} changed the rows of {lost}"
            before = after
        at_first = before
        db.engine.dispose()
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            again = _counts(conn)
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == []
    assert {table: again[table] for table in at_first} == {table: at_head[table] - dropped_by_design.get(table, 0)
                                                            for table in at_first}


# --- 0020: the responsible person of a body's reception office ------------------------------------------

def test_0020_invents_nobody_and_takes_the_bodys_name_out_of_accepted_by(fresh_database):
    """Written at 0015: two talons of one body, one issued with the body's name in "accepted by" (a body without
    an assistant), one with an assistant's name. After the upgrade the body names no responsible person, the
    body's name is gone from the first talon and the assistant's stays; the downgrade drops the columns."""
    from flask_migrate import downgrade, upgrade

    from reception import create_app
    from reception.directory.reference import load_reference_data

    url, engine_options = fresh_database
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": engine_options})
    migrations = str(Path(__file__).resolve().parent.parent / "migrations")
    at = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    with app.app_context():
        upgrade(directory=migrations, revision="0015")
        load_reference_data()
        db.session.commit()
        topic = db.session.execute(text("SELECT min(id) FROM topics")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:
            def insert(table: str, **values) -> None:
                _insert(conn, table, **values)

            insert("users", id=1, email="c@example.kz", full_name="C", password_hash="x", language="kk",
                   notify_visiting=False, is_active=True, created_at=at, notify_by="email")
            insert("bodies", id=1, code="b1", level="central", name_kk="Министрлік", name_ru="Министерство",
                   name_en="Ministry", is_active=True)
            insert("officials", id=1, body_id=1, full_name="O", position_kk="p", position_ru="p", position_en="p",
                   is_head=True, is_active=True)
            insert("venues", id=1, body_id=1, region_id=1, kind="office", name_kk="v", name_ru="v", name_en="v",
                   address_kk="a", address_ru="a", address_en="a", is_active=True, created_at=at)
            insert("reception_sessions", id=1, official_id=1, venue_id=1, kind="one_off", local_date=at.date(),
                   starts_at=at, ends_at=at + timedelta(hours=1), allow_in_person=True, allow_video_studio=False,
                   allow_video_remote=False, single_video_room=False, booking_mode="self",
                   opens_at=at - timedelta(days=30), closes_at=at - timedelta(days=1), status="planned",
                   is_published=True, created_at=at)
            for n, accepted_by in enumerate(["Министерство", "Мұратова Гүлжан Ерланқызы"], 1):
                insert("slots", id=n, session_id=1, starts_at=at + timedelta(minutes=30 * (n - 1)),
                       ends_at=at + timedelta(minutes=30 * n))
                insert("appointments", id=n, citizen_id=1, official_id=1, session_id=1, slot_id=n,
                       format="in_person", topic_id=topic, summary="s", needs_wheelchair=False,
                       needs_sign_language=False, status="cancelled" if n == 1 else "scheduled", created_at=at,
                       accepted_at=at, accepted_by_name=accepted_by, talon_number=f"KZ71-20261201-00000{n}")
        db.engine.dispose()

        upgrade(directory=migrations, revision="0020")
        with db.engine.connect() as conn:
            assert _rows(conn, "SELECT id, accepted_by_name FROM appointments ORDER BY id") == [
                (1, None), (2, "Мұратова Гүлжан Ерланқызы")]
            assert _rows(conn, "SELECT responsible_surname, responsible_first_name FROM bodies") == [(None, None)]
            assert _rows(conn, "SELECT is_published FROM reception_sessions") in ([(True,)], [(1,)])
        db.engine.dispose()

        downgrade(directory=migrations, revision="0015")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("bodies")}
            assert not any(c.startswith("responsible_") for c in columns) and "name_ru" in columns
            assert _rows(conn, "SELECT count(*) FROM appointments") == [(2,)]
        db.engine.dispose()
