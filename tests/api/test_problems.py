"""Every error under /api/ is an RFC 9457 problem (application/problem+json), never an HTML page: whatever
answers it (the API's handlers, routing, the application's own handlers)."""
from __future__ import annotations

import pytest

from reception.api.problems import problem_type
from tests.api.conftest import bearer

PROBLEM = "application/problem+json"


def _assert_problem(r, status):
    assert r.status_code == status and r.mimetype == PROBLEM, (r.status_code, r.mimetype)
    assert "<html" not in r.get_data(as_text=True)
    assert r.json["status"] == status and r.json["title"] and r.json["type"] == problem_type(status)


@pytest.mark.parametrize("method,url,status", [
    ("GET", "/api/v1/no-such-resource", 404),
    ("GET", "/api/v2/regions", 404),
    ("GET", "/api/v1/bodies/0", 404),
    ("GET", "/api/v1/me/appointments/1/cancel", 405),
    ("DELETE", "/api/v1/regions", 405),
    ("GET", "/api/v1/me/appointments", 401),
    ("POST", "/api/v1/me/appointments", 401),
    ("GET", "/api/v1/bodies?limit=abc", 422),
    ("GET", "/api/v1/slots?date_from=2026-02-30", 422),
    ("GET", "/api/v1/slots?region=XX-00", 422),
    ("GET", "/api/v1/slots?format=carrier-pigeon", 422),
])
def test_errors_are_problems(client, method, url, status):
    _assert_problem(client.open(url, method=method), status)


def test_a_405_names_the_allowed_methods(client):
    r = client.delete("/api/v1/regions")
    _assert_problem(r, 405)
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_forbidden_token_and_a_missing_record_are_problems(client, make_user, make_token):
    reader = make_token(make_user(), scopes=["appointments:read"])
    _assert_problem(client.post("/api/v1/me/appointments/1/cancel", headers=bearer(reader)), 403)
    _assert_problem(client.get("/api/v1/me/appointments/2147483647", headers=bearer(reader)), 404)


def test_a_422_lists_every_field_at_fault(client, citizen_token):
    _user, secret = citizen_token
    r = client.post("/api/v1/me/appointments", headers=bearer(secret), json={"format": "fax", "summary": 5})
    _assert_problem(r, 422)
    assert {e["field"] for e in r.json["errors"]} >= {"slot_id", "format", "topic_id", "summary"}


def test_a_bad_idempotency_key_is_a_422(client, citizen_token, free_session, topic):
    _user, secret = citizen_token
    r = client.post("/api/v1/me/appointments", headers={**bearer(secret), "Idempotency-Key": "no spaces allowed"},
                    json={"slot_id": free_session.slots[0].id, "format": "in_person", "topic_id": topic.id,
                          "summary": "x"})
    _assert_problem(r, 422)
    assert "Idempotency-Key" in {e["field"] for e in r.json["errors"]}


def test_problems_speak_the_callers_language(client):
    r = client.get("/api/v1/me/appointments", headers={"Accept-Language": "ru"})
    _assert_problem(r, 401)
    assert r.json["detail"] == "Передайте персональный токен доступа: Authorization: Bearer <токен>."
