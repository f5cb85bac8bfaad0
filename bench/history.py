"""Monitoring data at scale, in bulk SQL: two years of receptions held and skipped, questions and instructions.

Every region's akimat (bench.database's seed) has 20 officials; ``add(conn, officials)`` gives the next
officials (in id order) a reception on every weekday of the two years before the first seeded day, 5 slots
each: 5 % cancelled with a reason, 5 % never marked; at held ones 90 % of the citizens are received and
10 % do not come. Each held reception has an outcome with 1 to 2 questions (about 1.3) in the reference's
topic shares and results; forwarded questions get an instruction, done or open (some overdue). With all 400
officials: about 208,000 sessions and 1,040,000 appointments, by about 520,000 citizens (one for two
appointments: most come once, some come back).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import text

YEARS = 2
SLOTS = 5

HISTORY = [
    # The citizens of this history (one for two appointments).
    """INSERT INTO users (email, full_name, password_hash, language, region_id, is_active, created_at)
       SELECT 'history' || :last_user || '-' || n || '@bench.invalid', 'Citizen ' || n, 'x', 'ru',
              (SELECT id FROM regions ORDER BY code OFFSET n % 20 LIMIT 1), true, now()
       FROM generate_series(1, :citizens) AS n""",
    "INSERT INTO user_roles (user_id, role) SELECT id, 'citizen' FROM users WHERE id > :last_user",
    # Weekday receptions of the chosen officials over the two years before the first seeded day.
    """WITH days AS (SELECT d::date AS day FROM generate_series(CAST(:first_day AS date) - 365 * :years,
                                                              CAST(:first_day AS date) - 1, '1 day') d
                     WHERE extract(isodow FROM d) < 6),
            chosen AS (SELECT id FROM officials ORDER BY id OFFSET :skip LIMIT :officials),
            timed AS (SELECT o.id AS official_id, v.id AS venue_id, day,
                             (day + time '10:00') AT TIME ZONE r.timezone AS starts_at,
                             abs(hashtext(o.id || '-' || day)) % 100 AS luck
                      FROM chosen c JOIN officials o ON o.id = c.id
                      JOIN venues v ON v.body_id = o.body_id AND v.kind = 'office'
                      JOIN regions r ON r.id = v.region_id CROSS JOIN days)
       INSERT INTO reception_sessions (official_id, venue_id, kind, local_date, starts_at, ends_at, allow_in_person,
                                       allow_video_studio, booking_mode, opens_at, closes_at, status, status_reason,
                                       created_at)
       SELECT official_id, venue_id, 'regular', day, starts_at, starts_at + :slots * interval '20 minutes', true,
              false, 'self', starts_at - interval '30 days', starts_at - interval '24 hours',
              CASE WHEN luck < 5 THEN 'cancelled' WHEN luck < 10 THEN 'planned' ELSE 'held' END,
              CASE WHEN luck < 5 THEN 'Business trip' END, starts_at - interval '40 days'
       FROM timed""",
    """INSERT INTO slots (session_id, starts_at, ends_at)
       SELECT s.id, s.starts_at + n * interval '20 minutes', s.starts_at + (n + 1) * interval '20 minutes'
       FROM reception_sessions s CROSS JOIN generate_series(0, :slots - 1) AS n
       WHERE s.local_date < :first_day AND s.id > :last_session""",
    # A citizen on every slot: received, absent, or cancelled with the session (never marked: absent).
    """INSERT INTO appointments (citizen_id, official_id, session_id, slot_id, format, topic_id, summary, status,
                                 co_applicants, created_at, accepted_at, needs_wheelchair, needs_sign_language)
       SELECT :last_user + 1 + abs(hashtext(sl.id::text)) % :citizens, s.official_id, s.id, sl.id,
              'in_person', (SELECT min(id) FROM topics), 'Bench history',
              CASE WHEN s.status = 'cancelled' THEN 'cancelled' WHEN s.status = 'planned' THEN 'no_show'
                   WHEN abs(hashtext('show' || sl.id)) % 10 = 0 THEN 'no_show' ELSE 'held' END,
              CASE WHEN abs(hashtext('co' || sl.id)) % 50 = 0 THEN E'Co-applicant one\nCo-applicant two' END,
              sl.starts_at - (1 + abs(hashtext('lead' || sl.id)) % 20) * interval '1 day',
              sl.starts_at - (1 + abs(hashtext('lead' || sl.id)) % 20) * interval '1 day', false, false
       FROM slots sl JOIN reception_sessions s ON s.id = sl.session_id WHERE s.id > :last_session""",
    """INSERT INTO outcomes (appointment_id, notes, recorded_at, updated_at)
       SELECT a.id, '', a.created_at, a.created_at FROM appointments a
       JOIN reception_sessions s ON s.id = a.session_id
       WHERE a.status = 'held' AND s.id > :last_session""",
    # 1 or 2 questions (about 1.3 a reception): topics and results in the reference's shares.
    """INSERT INTO questions (outcome_id, position, topic_id, wording, result, created_at)
       SELECT o.id, n.position, t.id, 'Question ' || n.position,
              CASE WHEN r < 5 THEN 'resolved' WHEN r < 30 THEN 'satisfied' WHEN r < 85 THEN 'explained'
                   WHEN r < 88 THEN 'refused' WHEN r < 95 THEN 'forwarded' WHEN r < 98 THEN 'forwarded_part'
                   ELSE 'under_consideration' END, o.recorded_at
       FROM outcomes o JOIN appointments a ON a.id = o.appointment_id
       CROSS JOIN LATERAL (SELECT 1 AS position UNION ALL
                           SELECT 2 WHERE abs(hashtext('q2' || o.id)) % 10 < 3) n
       CROSS JOIN LATERAL (SELECT abs(hashtext('r' || o.id || '-' || n.position)) % 100 AS r,
                                  abs(hashtext('t' || o.id || '-' || n.position)) % 100 AS tp) x
       JOIN topics t ON t.parent_id IS NULL
        AND t.code = CASE WHEN x.tp < 35 THEN 'housing' WHEN x.tp < 60 THEN 'land' WHEN x.tp < 72 THEN 'social'
                          WHEN x.tp < 82 THEN 'construction' WHEN x.tp < 88 THEN 'pricing'
                          WHEN x.tp < 94 THEN 'transport' ELSE 'other' END
       WHERE a.session_id > :last_session""",
    # Forwarded questions: an instruction to the receiving body, due 15 working days (~21 days) later;
    # four in five done, the others open (overdue once their date has passed).
    """INSERT INTO instructions (question_id, body_id, responsible_name, text, appeal_type, due_on, original_due_on,
                                 status, closed_at, created_at)
       SELECT q.id, o2.body_id, 'Head of department', 'Act on it', 'statement',
              (q.created_at + interval '21 days')::date, (q.created_at + interval '21 days')::date,
              CASE WHEN abs(hashtext('i' || q.id)) % 5 = 0 THEN 'open' ELSE 'closed' END,
              CASE WHEN abs(hashtext('i' || q.id)) % 5 = 0 THEN NULL ELSE q.created_at + interval '14 days' END,
              q.created_at
       FROM questions q JOIN outcomes o ON o.id = q.outcome_id JOIN appointments a ON a.id = o.appointment_id
       JOIN officials o2 ON o2.id = a.official_id
       WHERE q.result IN ('forwarded', 'forwarded_part') AND a.session_id > :last_session""",
]


def add(conn, first_day: date, officials: int, skip: int) -> int:
    """Give ``officials`` officials (after the first ``skip``) two years of history; return the appointments."""
    last_session = conn.execute(text("SELECT coalesce(max(id), 0) FROM reception_sessions")).scalar_one()
    last_user = conn.execute(text("SELECT coalesce(max(id), 0) FROM users")).scalar_one()
    citizens = officials * YEARS * 261 * SLOTS // 2
    params = {"first_day": first_day, "years": YEARS, "slots": SLOTS, "officials": officials, "skip": skip,
              "citizens": citizens, "last_session": last_session, "last_user": last_user}
    for statement in HISTORY:
        conn.execute(text(statement), params)
    conn.execute(text("ANALYZE"))
    return conn.execute(text("SELECT count(*) FROM appointments")).scalar_one()
