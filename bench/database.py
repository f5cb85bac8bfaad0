"""The benchmark's own PostgreSQL schema: created, migrated and filled in bulk SQL, checked, dropped."""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date

from sqlalchemy import create_engine, make_url, text

# Search data: every region's akimat has 20 officials, each receiving on 250 weekdays from tomorrow,
# 10 slots of 20 minutes from 10:00 local: 20 x 20 x 250 x 10 = 1,000,000 slots. The larger set has ten
# times the officials (200 an akimat): 10,000,000 slots, the 30 days ahead of a region ten times as full.
OFFICIALS_PER_REGION, RECEPTION_DAYS, SLOTS_PER_SESSION = 20, 250, 10
LARGE_OFFICIALS_PER_REGION = 200

ACTIVE = "status IN ('requested', 'screening', 'scheduled', 'checked_in')"


@contextmanager
def private_schema(base_url: str):
    """Yield ``base_url`` confined to a new schema ``bench_<pid>`` (through search_path, and named so as
    application_name); drop the schema afterwards.

    btree_gist (the reservations' overlap guarantee) is kept in ``public``: an extension created inside a
    per-run schema is dropped with that schema, and with it the constraints of every other run using it.
    """
    schema = f"bench_{os.getpid()}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
        conn.execute(text("ALTER EXTENSION btree_gist SET SCHEMA public"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


SEED = [
    # One regional akimat per region, with a reception office and a video studio.
    """INSERT INTO bodies (code, level, region_id, name_kk, name_ru, name_en, is_active)
       SELECT 'bench-' || code, 'regional', id, name_kk || ' әкімдігі', 'Акимат: ' || name_ru,
              name_en || ' akimat', true
       FROM regions""",
    """INSERT INTO venues (body_id, region_id, kind, name_kk, name_ru, name_en, address_kk, address_ru, address_en,
                           is_active, created_at)
       SELECT b.id, b.region_id, k.kind, k.kind, k.kind, k.kind, r.centre_kk, r.centre_ru, r.centre_en, true, now()
       FROM bodies b JOIN regions r ON r.id = b.region_id CROSS JOIN (VALUES ('office'), ('studio')) AS k(kind)""",
    # Citizens, all with one password hash (nobody logs in through the form: see README).
    """INSERT INTO users (email, full_name, password_hash, language, region_id, is_active, created_at)
       SELECT 'citizen' || n || '@bench.invalid', 'Citizen ' || n, :password_hash, 'en',
              (SELECT id FROM regions ORDER BY code OFFSET n % 20 LIMIT 1), true, now()
       FROM generate_series(1, :citizens) AS n""",
    "INSERT INTO user_roles (user_id, role) SELECT id, 'citizen' FROM users",
]

# Officials number ``:first`` to ``:last`` of every akimat, each receiving on ``:days`` weekdays from
# ``:first_day``, ``:slots`` slots of 20 minutes from 10:00 local (only the officials added here, above
# ``:after_official``, and their sessions, above ``:after_session``, get sessions and slots).
OFFICIALS = [
    """INSERT INTO officials (body_id, full_name, position_kk, position_ru, position_en, is_head, is_active)
       SELECT b.id, 'Official ' || n || ', ' || b.name_en, 'Орынбасар', 'Заместитель', 'Deputy', n = 1, true
       FROM bodies b CROSS JOIN generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n
       WHERE b.code LIKE 'bench-%'
       ORDER BY n, b.id""",
    # Sessions in the venue's zone; booking opens 30 days ahead and closes 24 hours before.
    """WITH days AS (SELECT d::date AS day FROM generate_series(CAST(:first_day AS date), :first_day + 400, '1 day') d
                     WHERE extract(isodow FROM d) < 6 ORDER BY d LIMIT :days),
            timed AS (SELECT o.id AS official_id, v.id AS venue_id, day,
                             (day + time '10:00') AT TIME ZONE r.timezone AS starts_at
                      FROM officials o JOIN venues v ON v.body_id = o.body_id AND v.kind = 'office'
                      JOIN regions r ON r.id = v.region_id CROSS JOIN days WHERE o.id > :after_official)
       INSERT INTO reception_sessions (official_id, venue_id, kind, local_date, starts_at, ends_at, allow_in_person,
                                       allow_video_studio, booking_mode, opens_at, closes_at, status, created_at)
       SELECT official_id, venue_id, 'regular', day, starts_at, starts_at + :slots * interval '20 minutes', true,
              true, 'self', starts_at - interval '30 days', starts_at - interval '24 hours', 'planned', now()
       FROM timed ORDER BY starts_at, official_id""",
    # A session's slots written together, as the app writes them (not one slot of every session, then the next).
    """INSERT INTO slots (session_id, starts_at, ends_at)
       SELECT s.id, s.starts_at + n * interval '20 minutes', s.starts_at + (n + 1) * interval '20 minutes'
       FROM reception_sessions s CROSS JOIN generate_series(0, :slots - 1) AS n WHERE s.id > :after_session
       ORDER BY s.id, n""",
]


def seed(conn, citizens: int, password_hash: str, first_day: date) -> None:
    for statement in SEED:
        conn.execute(text(statement), {"citizens": citizens, "password_hash": password_hash})
    add_officials(conn, OFFICIALS_PER_REGION, first_day)


def add_officials(conn, per_region: int, first_day: date) -> int:
    """Bring every akimat up to ``per_region`` officials, the new ones with sessions and slots like the
    first ones' (in bulk SQL: ten million slots take minutes); analyze; return the count of slots."""
    last = lambda table: conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()  # noqa: E731
    present = conn.execute(text("SELECT count(*) FROM officials o JOIN bodies b ON b.id = o.body_id "
                                "WHERE b.code LIKE 'bench-%' GROUP BY b.id LIMIT 1")).scalar() or 0
    params = {"first": present + 1, "last": per_region, "after_official": last("officials"),
              "after_session": last("reception_sessions"), "first_day": first_day, "days": RECEPTION_DAYS,
              "slots": SLOTS_PER_SESSION}
    for statement in OFFICIALS:
        conn.execute(text(statement), params)
    conn.execute(text("ANALYZE"))
    return conn.execute(text("SELECT count(*) FROM slots")).scalar_one()


def open_rush_session(conn, official_id: int, slots: int, day: date) -> list[int]:
    """A session of ``slots`` 10-minute slots on ``day`` whose booking opens now; returns the slot ids."""
    session_id = conn.execute(text(
        """INSERT INTO reception_sessions (official_id, venue_id, kind, local_date, starts_at, ends_at,
               allow_in_person, allow_video_studio, booking_mode, opens_at, closes_at, status, created_at)
           SELECT o.id, v.id, 'one_off', :day, t.starts_at, t.starts_at + :slots * interval '10 minutes', true, false,
                  'self', now(), t.starts_at - interval '24 hours', 'planned', now()
           FROM officials o JOIN venues v ON v.body_id = o.body_id AND v.kind = 'office'
           JOIN regions r ON r.id = v.region_id CROSS JOIN LATERAL (SELECT (:day + time '09:00') AT TIME ZONE r.timezone
                                                                   AS starts_at) t
           WHERE o.id = :official RETURNING id"""), {"official": official_id, "slots": slots, "day": day}).scalar_one()
    return list(conn.execute(text(
        """INSERT INTO slots (session_id, starts_at, ends_at)
           SELECT s.id, s.starts_at + n * interval '10 minutes', s.starts_at + (n + 1) * interval '10 minutes'
           FROM reception_sessions s CROSS JOIN generate_series(0, :slots - 1) AS n WHERE s.id = :session
           RETURNING id"""), {"session": session_id, "slots": slots}).scalars())


def free_open_slots(conn, limit: int) -> list[int]:
    """The soonest free slots whose booking window is open now."""
    return list(conn.execute(text(
        f"""SELECT sl.id FROM slots sl JOIN reception_sessions s ON s.id = sl.session_id
            WHERE s.status = 'planned' AND s.opens_at <= now() AND s.closes_at > now() AND sl.starts_at > now()
              AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = sl.id AND a.{ACTIVE})
            ORDER BY sl.starts_at, sl.id LIMIT :limit"""), {"limit": limit}).scalars())


def booking_check(conn, slot_ids: list[int]) -> tuple[int, int]:
    """Active appointments on ``slot_ids`` and how many of those slots hold more than one."""
    rows = conn.execute(text(f"SELECT count(*) FROM appointments WHERE slot_id = ANY(:ids) AND {ACTIVE} "
                             "GROUP BY slot_id"), {"ids": slot_ids}).scalars().all()
    return sum(rows), sum(1 for n in rows if n > 1)


def add_monitor(conn) -> int:
    """A monitor's account (its session cookie is minted by the bench: no password)."""
    user_id = conn.execute(text(
        """INSERT INTO users (email, full_name, password_hash, language, is_active, created_at)
           VALUES ('monitor@bench.invalid', 'Bench Monitor', 'x', 'en', true, now()) RETURNING id""")).scalar_one()
    conn.execute(text("INSERT INTO user_roles (user_id, role) VALUES (:id, 'monitor')"), {"id": user_id})
    return user_id
