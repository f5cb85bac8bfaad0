"""A booking POST runs a handful of SQL statements: the outbox holds intent (nothing is rendered), the user and
roles come in one query, the slot and the locks in another, every check and the new id in a third.

The budget counts every statement the request sends (``count_queries``), on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import re

from reception.core.permissions import Role
from tests.booking.test_pages import KEY_RE, text
from tests.conftest import csrf_from, login

MAX_STATEMENTS = 8


def _shown(statements: list[str]) -> str:
    return "\n".join(re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", " ".join(s.split()))[:200] for s in statements)


def _form(client, url: str, topic) -> dict:
    page = text(client.get(url))
    return {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "The road is broken.",
            "idempotency_key": KEY_RE.search(page)[1], "csrf_token": csrf_from(client, url)}


def test_a_booking_post_runs_at_most_eight_statements(client, db, login_as, make_session, topic, count_queries):
    session = make_session(slots=2)
    db.session.commit()
    login_as(Role.CITIZEN)
    url = f"/reception/slots/{session.slots[0].id}/book"
    data = _form(client, url, topic)
    with count_queries() as statements:
        response = client.post(url, data=data)
    assert response.status_code == 302, text(response)
    assert len(statements) <= MAX_STATEMENTS, f"{len(statements)} statements:\n{_shown(statements)}"
    assert sum(s.lstrip().startswith("INSERT INTO outbox_messages") for s in statements) == 1  # every message


def test_a_citizen_who_lost_the_slot_is_answered_at_once_with_a_short_suggestion(app, client, db, login_as,
                                                                                make_session, make_user, topic,
                                                                                count_queries):
    session = make_session(slots=3)
    winner = make_user(Role.CITIZEN)
    db.session.commit()
    url = f"/reception/slots/{session.slots[0].id}/book"
    login_as(Role.CITIZEN)
    loser = _form(client, url, topic)  # opened the form before the other citizen sent theirs
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(other, winner)
    assert other.post(url, data=_form(other, url, topic)).status_code == 302

    with count_queries() as statements:
        response = client.post(url, data=loser)
    assert response.status_code == 409
    page = text(response)
    assert "This time has just been taken." in page
    assert f"/reception/slots/{session.slots[1].id}/book" in page  # the next free time of the same session
    # No write, no search over every official's time: the lock, the checks, the suggestion and the form's lists.
    assert not any(s.lstrip().startswith(("INSERT", "UPDATE")) for s in statements), _shown(statements)
    assert len(statements) <= MAX_STATEMENTS, f"{len(statements)} statements:\n{_shown(statements)}"
