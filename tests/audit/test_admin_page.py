"""The administrators' audit page: newest first, filters, pages of 50, refusals and bad filters; and the
record itself is append-only, in the database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from reception.audit.models import AuditAction, AuditEvent
from reception.core.permissions import Role
from reception.extensions import db as _db
from tests.audit.conftest import events

AUDIT = "/admin/audit/"


def body(response) -> str:
    return response.get_data(as_text=True)


def add_event(**values) -> AuditEvent:
    row = dict(at=datetime(2026, 3, 10, 5, 0, tzinfo=UTC), actor_id=None, actor_name=None,
               action=AuditAction.UPDATE.value, entity="appointment", entity_id=1, changes=None, ip=None, path=None)
    row.update(values)
    _db.session.execute(insert(AuditEvent.__table__), [row])
    _db.session.flush()


@pytest.fixture
def logged(db):
    """Three events by two people on two days (Almaty time, UTC+5)."""
    add_event(actor_id=7, actor_name="Aigerim Assistant", entity_id=11, ip="203.0.113.7", path="/staff/requests/11",
              changes='{"status": ["screening", "closed"]}', at=datetime(2026, 3, 9, 18, 30, tzinfo=UTC))
    add_event(actor_id=8, actor_name="Bolat Citizen", action="create", entity_id=12,
              changes='{"summary": "Broken road"}', at=datetime(2026, 3, 10, 4, 0, tzinfo=UTC))
    add_event(actor_id=7, actor_name="Aigerim Assistant", action="view", entity="appointment", entity_id=12,
              changes='{"page": "request screening"}', at=datetime(2026, 3, 10, 19, 30, tzinfo=UTC))
    db.session.commit()


def test_the_administrator_sees_who_did_what_newest_first_in_local_time(client, db, login_as, logged):
    login_as(Role.ADMIN)
    page = body(client.get(AUDIT))
    assert page.index("Request screening") < page.index("Broken road") < page.index("Time offered: choose one → Closed")
    assert "Status</strong>: Time offered: choose one → Closed" in page
    assert "203.0.113.7" in page and "/staff/requests/11" in page and "Aigerim Assistant (#7)" in page
    # 18:30 UTC on 9 March is 23:30 in Almaty.
    assert "11:30" in page and "Asia/Almaty" in page
    assert "/admin/audit/appointment/12" in page  # the history of one record


def test_the_admin_home_page_links_to_the_audit_log(client, db, login_as):
    login_as(Role.ADMIN)
    assert AUDIT in body(client.get("/home"))


@pytest.mark.parametrize("query,shown,hidden", [
    ("entity=appointment&entity_id=11", ["Time offered: choose one → Closed"], ["Broken road"]),
    ("actor=bolat", ["Broken road"], ["Time offered: choose one → Closed"]),
    ("actor=7", ["Time offered: choose one → Closed", "Request screening"], ["Broken road"]),
    ("action=view", ["Request screening"], ["Broken road", "Time offered: choose one → Closed"]),
    # Local dates: 10 March in Almaty runs from 9 March 19:00 UTC to 10 March 19:00 UTC.
    ("date_from=2026-03-10&date_to=2026-03-10", ["Broken road"],
     ["Time offered: choose one → Closed", "Request screening"]),
    ("date_from=2026-03-11", ["Request screening"], ["Broken road"]),
])
def test_the_filters_narrow_the_list(client, db, login_as, logged, query, shown, hidden):
    login_as(Role.ADMIN)
    r = client.get(f"{AUDIT}?{query}")
    assert r.status_code == 200
    for s in shown:
        assert s in body(r)
    for h in hidden:
        assert h not in body(r)


def test_the_history_of_one_record(client, db, login_as, logged):
    login_as(Role.ADMIN)
    page = body(client.get("/admin/audit/appointment/12"))
    assert "Broken road" in page and "Request screening" in page and "Time offered: choose one → Closed" not in page


def test_pages_of_fifty_with_a_link_to_older_entries(client, db, login_as):
    for n in range(55):
        add_event(entity_id=n + 1, changes=f'{{"n": ["x", "row-{n:02d}"]}}')
    db.session.commit()
    login_as(Role.ADMIN)
    first = body(client.get(f"{AUDIT}?action=update"))
    assert "row-54" in first and "row-05" in first and "row-04" not in first
    older = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = body(client.get(older))
    assert "row-04" in second and "row-00" in second and "row-05" not in second and 'rel="next"' not in second


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.ASSISTANT, Role.OFFICIAL, Role.MONITOR, Role.LEGAL_CONSULTANT])
def test_only_administrators_may_open_it(client, db, login_as, role):
    login_as(role)
    assert client.get(AUDIT).status_code == 403
    assert client.get("/admin/audit/appointment/1").status_code == 403


@pytest.mark.parametrize("query", [
    "entity_id=99999999999&entity=appointment", "entity_id=abc&entity=appointment", "entity_id=5",
    "entity=no_such_thing", "action=erase", "date_from=31.02.2026", "date_from=2026-03-10&date_to=2026-03-01",
    "date_from=0001-01-01", "date_to=9999-12-31", "before=-3", "before=99999999999999", "actor=" + "x" * 300,
])
def test_bad_filters_get_a_422_with_a_message(client, db, login_as, query):
    login_as(Role.ADMIN)
    r = client.get(f"{AUDIT}?{query}")
    assert r.status_code == 422
    assert "Check the filters below." in body(r)


def test_a_nul_byte_in_a_filter_is_refused(client, db, login_as):
    login_as(Role.ADMIN)
    assert client.get(f"{AUDIT}?actor=a%00b").status_code == 400


# --- append-only -----------------------------------------------------------------------------------

@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor_name = 'nobody'",
                                       "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_the_record(db, logged, statement):
    before = [(e.id, e.actor_name) for e in events(db)]
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(statement))
    assert [(e.id, e.actor_name) for e in events(db)] == before


def test_postgresql_refuses_to_truncate_the_record(db, logged):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("TRUNCATE audit_events"))
    assert len(events(db)) == 3


def test_no_page_changes_the_record(app):
    audit_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert audit_rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in audit_rules)


def test_events_are_never_older_than_the_page_says(db, client, login_as):
    # The date filter's upper bound includes the whole last local day.
    add_event(changes='{"n": ["x", "late-evening"]}', at=datetime(2026, 3, 10, 18, 59, tzinfo=UTC))
    add_event(changes='{"n": ["x", "next-day"]}', at=datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
              + timedelta(0))
    db.session.commit()
    login_as(Role.ADMIN)
    page = body(client.get(f"{AUDIT}?date_to=2026-03-10"))
    assert "late-evening" in page and "next-day" not in page
