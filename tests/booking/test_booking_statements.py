"""A successful booking POST runs a handful of SQL statements: the outbox holds intent, nothing is rendered."""
from __future__ import annotations

import re

from reception.core.permissions import Role
from tests.booking.test_pages import KEY_RE, book, session, text  # noqa: F401
from tests.conftest import csrf_from

MAX_STATEMENTS = 8


def test_a_booking_post_runs_at_most_eight_statements(client, db, login_as, session, topic, count_queries):  # noqa: F811
    login_as(Role.CITIZEN)
    url = f"/reception/slots/{session.slots[0].id}/book"
    page = text(client.get(url))
    data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "The road is broken.",
            "idempotency_key": KEY_RE.search(page)[1], "csrf_token": csrf_from(client, url)}
    with count_queries() as statements:
        response = client.post(url, data=data)
    assert response.status_code == 302, text(response)
    shown = "\n".join(re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", " ".join(s.split()))[:300] for s in statements)
    assert len(statements) <= MAX_STATEMENTS, f"{len(statements)} statements:\n{shown}"
