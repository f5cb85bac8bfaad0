"""The API's lists read a fixed number of statements, however many rows they show (no query per row)."""
from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import bearer, booking_body, future


def _count(client, count_queries, url, headers=None) -> int:
    client.get(url, headers=headers or {})  # the token's last use is written once a minute: not in the count
    with count_queries() as queries:
        r = client.get(url, headers=headers or {})
    assert r.status_code == 200
    return len(queries)


def test_the_citizens_appointments_take_the_same_statements_for_one_or_three(client, count_queries, citizen_token,
                                                                             make_session, topic):
    _user, secret = citizen_token
    start = (future(2)).replace(minute=0, second=0, microsecond=0)
    sessions = [make_session(start=start + timedelta(hours=2 * i)) for i in range(3)]
    client.post("/api/v1/me/appointments", json=booking_body(sessions[0].slots[0].id, topic.id),
                headers=bearer(secret))
    one = _count(client, count_queries, "/api/v1/me/appointments", bearer(secret))
    for session in sessions[1:]:
        client.post("/api/v1/me/appointments", json=booking_body(session.slots[0].id, topic.id),
                    headers=bearer(secret))
    assert len(client.get("/api/v1/me/appointments", headers=bearer(secret)).json["items"]) == 3
    assert _count(client, count_queries, "/api/v1/me/appointments", bearer(secret)) == one <= 6


def test_free_time_and_bodies_take_the_same_statements_for_few_or_many(client, count_queries, make_session,
                                                                       make_official, make_body):
    official = make_official()
    make_session(official=official, slots=2)
    few = _count(client, count_queries, f"/api/v1/slots?official={official.id}")
    make_session(official=official, slots=10)
    assert _count(client, count_queries, f"/api/v1/slots?official={official.id}") == few == 1
    assert _count(client, count_queries, "/api/v1/bodies?limit=2") == 2  # the bodies, their competences
    make_body(), make_body()
    assert _count(client, count_queries, "/api/v1/bodies?limit=4") == 2
