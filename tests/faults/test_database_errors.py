"""A database error that is nobody's bug answers a clear status, never a 500: 503 with Retry-After when the
database is unavailable or too busy (a lock or statement timeout), 409 when the transaction lost to another one
(a serialization failure, a deadlock) or a constraint refused the change; nothing of the request is saved, and
the next request is served as usual.

The errors are the database's own: a trigger raises the SQLSTATE in the middle of a booking (after the
appointment and its reservation are written, when the audit record is), and a table locked by another
connection makes a page wait past its lock timeout.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from reception.booking.models import Appointment, Reservation
from reception.extensions import db as _db
from tests.conftest import post_form

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')

COLLIDED = "Someone changed the same record at the same moment. Nothing was saved: send it again."
UNAVAILABLE = "The service is briefly unavailable. Please try again in a minute."
UNAVAILABLE_KK = "Қызмет қысқа уақытқа қолжетімсіз. Бір минуттан кейін қайталап көріңіз."
CONFLICT = "This conflicts with the current state. Reload the page and try again."


def _postgres(db) -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _refuse_audit_records(db, sqlstate: str) -> None:
    """From now on in this test's transaction, writing an audit record raises ``sqlstate`` (rolled back with
    the test)."""
    if _postgres(db):
        db.session.execute(text(
            "CREATE FUNCTION faults_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '{sqlstate}'; END $$"))
        db.session.execute(text("CREATE TRIGGER faults_refuse BEFORE INSERT ON audit_events "
                                "FOR EACH ROW EXECUTE FUNCTION faults_refuse()"))
    else:
        assert sqlstate.startswith("23"), "SQLite's triggers raise constraint failures only"
        db.session.execute(text("CREATE TRIGGER faults_refuse BEFORE INSERT ON audit_events "
                                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
    db.session.commit()


def _allow_audit_records(db) -> None:
    db.session.execute(text("DROP TRIGGER faults_refuse" + (" ON audit_events" if _postgres(db) else "")))
    db.session.commit()


def _book(client, slot, topic):
    url = f"/reception/slots/{slot.id}/book"
    page = client.get(url)
    assert page.status_code == 200
    return post_form(client, url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                                   "summary": "The road to my village is broken.",
                                   "idempotency_key": KEY_RE.search(page.get_data(as_text=True))[1]})


def _bookings_of(db, citizen) -> tuple[int, int]:
    appointments = db.session.scalar(select(func.count()).select_from(Appointment)
                                     .where(Appointment.citizen_id == citizen.id))
    reservations = db.session.scalar(select(func.count()).select_from(Reservation)
                                     .where(Reservation.resource_id == citizen.id))
    return appointments, reservations


@pytest.mark.parametrize(("sqlstate", "status", "message"), [
    ("40001", 409, COLLIDED),     # serialization failure
    ("40P01", 409, COLLIDED),     # deadlock detected
    ("55P03", 503, UNAVAILABLE),  # lock not available (lock_timeout)
    ("57014", 503, UNAVAILABLE),  # query cancelled (statement_timeout)
    ("53300", 503, UNAVAILABLE),  # too many connections
    ("23514", 409, CONFLICT),     # a check constraint no service expected to refuse anything
])
def test_a_booking_the_database_refuses_for_a_passing_reason_answers_its_status_and_saves_nothing(
        db, client, login_as, make_session, topic, sqlstate, status, message):
    if not _postgres(db) and not sqlstate.startswith("23"):
        pytest.skip("SQLSTATEs raised by a trigger: PostgreSQL")
    citizen = login_as("citizen")
    session = make_session(slots=2)
    _refuse_audit_records(db, sqlstate)

    refused = _book(client, session.slots[0], topic)

    assert refused.status_code == status, refused.get_data(as_text=True)[:2000]
    assert message in refused.get_data(as_text=True)
    assert (refused.headers.get("Retry-After") == "5") is (status == 503)
    assert _bookings_of(db, citizen) == (0, 0)  # the appointment and its reservation went with the error
    _allow_audit_records(db)
    booked = _book(client, session.slots[0], topic)
    assert booked.status_code == 302 and "/my/appointments/" in booked.headers["Location"]
    assert _bookings_of(db, citizen) == (1, 1)


def test_a_page_kept_waiting_by_a_lock_past_the_lock_timeout_answers_503_then_serves_again(
        app, db, client, login_as):
    if not _postgres(db):
        pytest.skip("lock_timeout is PostgreSQL's (SQLite waits for its one writer with a busy timeout)")
    login_as("citizen", language="kk")  # the page keeps the account's language without loading the account again
    db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))  # the test's transaction: its requests too
    db.session.commit()
    with app.app_context():
        other = _db.engine.connect()
    try:
        other.execute(text("LOCK TABLE appointments IN ACCESS EXCLUSIVE MODE"))  # as a migration would

        page = client.get("/my/appointments/")
        api = client.get("/my/appointments/", headers={"Accept": "application/json"})
    finally:
        other.rollback()
        other.close()

    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert UNAVAILABLE_KK in page.get_data(as_text=True)
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.get_json() == {"error": UNAVAILABLE_KK, "status": 503}
    assert client.get("/my/appointments/").status_code == 200


def test_a_request_kept_waiting_by_another_sqlite_writer_past_the_busy_timeout_answers_503(tmp_path, database_url):
    """SQLite has one writer; every transaction of the app begins with BEGIN IMMEDIATE, and waits for the
    writer up to the busy timeout (30 s; 0.1 s here, so that the test does not wait)."""
    if database_url.startswith("postgresql"):
        pytest.skip("SQLite's own lock: the SQLite pass")
    from flask_migrate import upgrade

    from reception import create_app
    from reception.directory.reference import load_reference_data

    path = tmp_path / "locked.sqlite3"
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[2] / "migrations"))
        load_reference_data()
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()
        event.listen(_db.engine, "connect", lambda conn, record: conn.execute("PRAGMA busy_timeout = 100"))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a long write elsewhere (another process, a CLI command)
    try:
        page = app.test_client().get("/reception/", headers={"Accept-Language": "ru"})
    finally:
        writer.rollback()
        writer.close()
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Сервис ненадолго недоступен" in page.get_data(as_text=True)
    assert app.test_client().get("/reception/").status_code == 200
    with app.app_context():
        _db.engine.dispose()
