"""The API's resources and conventions: public directory and free time, the citizen's appointments (book,
read the talon, cancel), cursor pages with Link, ETag / If-None-Match, Idempotency-Key, times with offsets."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from reception.booking.models import Appointment, AppointmentStatus
from tests.api.conftest import bearer, booking_body

PROBLEM = "application/problem+json"


def test_regions_name_their_time_zone(client):
    r = client.get("/api/v1/regions")
    assert r.status_code == 200
    aktobe = next(x for x in r.json["items"] if x["code"] == "KZ-15")
    assert aktobe["timezone"] == "Asia/Aqtobe" and aktobe["names"]["ru"]


def test_topics_and_one_body_and_official(client, make_official):
    official = make_official()
    assert client.get("/api/v1/topics").json["items"]
    body = client.get(f"/api/v1/bodies/{official.body_id}").json
    assert body["id"] == official.body_id and body["region"] == "KZ-71"
    assert client.get(f"/api/v1/officials/{official.id}").json["full_name"] == official.full_name


def test_unknown_records_are_problems_not_pages(client):
    for url in ("/api/v1/bodies/2147483647", "/api/v1/officials/99999999999", "/api/v1/nothing-here"):
        r = client.get(url)
        assert r.status_code == 404 and r.mimetype == PROBLEM, url
        assert r.json["status"] == 404 and r.json["title"] == "Not Found"


def test_bodies_come_a_page_at_a_time_with_a_link_to_the_next(client, make_body):
    for _ in range(3):
        make_body()
    first = client.get("/api/v1/bodies?limit=2")
    assert first.status_code == 200 and len(first.json["items"]) == 2
    link = re.match(r'<([^>]+)>; rel="next"', first.headers["Link"]).group(1)
    assert "limit=2" in link and f"after={first.json['next']}" in link
    second = client.get(link)
    assert second.json["items"][0]["id"] > first.json["items"][-1]["id"]


def test_a_damaged_cursor_is_a_422_with_the_field(client):
    r = client.get("/api/v1/bodies?after=x1")
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert r.json["errors"][0]["field"] == "after"
    r = client.get("/api/v1/slots?after=12-x")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "after"


def test_validation_errors_name_the_fields(client):
    r = client.get("/api/v1/bodies?limit=0")
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert [e["field"] for e in r.json["errors"]] == ["limit"]


def test_reads_carry_an_etag_and_answer_304_when_unchanged(client):
    r = client.get("/api/v1/regions")
    etag = r.headers["ETag"]
    again = client.get("/api/v1/regions", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data


def test_free_time_has_offsets_and_the_zone_named(client, free_session):
    r = client.get(f"/api/v1/slots?official={free_session.official_id}")
    assert r.status_code == 200
    slot = r.json["items"][0]
    assert slot["timezone"] == "Asia/Almaty"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:00", slot["starts_at"]), slot["starts_at"]
    assert len(r.json["items"]) == 3 and r.json["next"] is None and "Link" not in r.headers


def test_search_pages_follow_the_page_cursor(client, make_session, make_official):
    official = make_official()
    make_session(official=official, slots=25)
    first = client.get(f"/api/v1/slots?official={official.id}")
    assert len(first.json["items"]) == 20 and first.json["next"]
    second = client.get(re.match(r"<([^>]+)>", first.headers["Link"]).group(1))
    assert len(second.json["items"]) == 5
    assert second.json["items"][0]["starts_at"] > first.json["items"][-1]["starts_at"]


def test_a_citizen_books_reads_the_talon_and_cancels(client, citizen_token, free_session, topic):
    _user, secret = citizen_token
    slot = free_session.slots[0]
    r = client.post("/api/v1/me/appointments", json=booking_body(slot.id, topic.id), headers=bearer(secret))
    assert r.status_code == 201, r.json
    appointment = r.json
    assert appointment["status"] == "scheduled" and appointment["talon"]["number"]
    assert appointment["talon"]["accepted_by"] and appointment["starts_at"].endswith("+05:00")
    assert r.headers["Location"] == f"/api/v1/me/appointments/{appointment['id']}"
    mine = client.get("/api/v1/me/appointments", headers=bearer(secret)).json["items"]
    assert [a["id"] for a in mine] == [appointment["id"]]
    one = client.get(r.headers["Location"], headers=bearer(secret))
    assert one.json["talon"] == appointment["talon"]
    cancelled = client.post(f"/api/v1/me/appointments/{appointment['id']}/cancel", headers=bearer(secret))
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = client.post(f"/api/v1/me/appointments/{appointment['id']}/cancel", headers=bearer(secret))
    assert again.status_code == 422 and again.mimetype == PROBLEM
    assert again.json["detail"] == "This appointment is no longer active."


def test_another_citizens_appointment_is_not_found(client, citizen_token, make_user, make_token, free_session,
                                                   topic):
    _user, secret = citizen_token
    booked = client.post("/api/v1/me/appointments", json=booking_body(free_session.slots[0].id, topic.id),
                         headers=bearer(secret)).json
    other = make_token(make_user())
    for r in (client.get(f"/api/v1/me/appointments/{booked['id']}", headers=bearer(other)),
              client.post(f"/api/v1/me/appointments/{booked['id']}/cancel", headers=bearer(other))):
        assert r.status_code == 404 and r.mimetype == PROBLEM


def test_a_time_just_taken_is_a_409_with_alternatives(client, make_user, make_token, free_session, topic):
    slot = free_session.slots[0]
    first, second = make_token(make_user()), make_token(make_user())
    assert client.post("/api/v1/me/appointments", json=booking_body(slot.id, topic.id),
                       headers=bearer(first)).status_code == 201
    r = client.post("/api/v1/me/appointments", json=booking_body(slot.id, topic.id), headers=bearer(second))
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert r.json["detail"] == "This time has just been taken."
    assert [a["id"] for a in r.json["alternatives"]] == [s.id for s in free_session.slots[1:]]


def test_booking_rules_are_422_with_the_field(client, citizen_token, free_session, make_studio, topic):
    _user, secret = citizen_token
    r = client.post("/api/v1/me/appointments", headers=bearer(secret),
                    json=booking_body(free_session.slots[0].id, topic.id, format="video_studio"))
    assert r.status_code == 422 and r.json["errors"] == [
        {"field": "studio_id", "message": "Choose a video studio of an akimat in your region."}]
    r = client.post("/api/v1/me/appointments", headers=bearer(secret),
                    json=booking_body(free_session.slots[0].id, topic.id, summary="", extra=1))
    assert r.status_code == 422 and {e["field"] for e in r.json["errors"]} == {"summary", "extra"}
    r = client.post("/api/v1/me/appointments", headers={**bearer(secret), "Content-Type": "application/json"},
                    data="{not json")
    assert r.status_code == 422 and r.mimetype == PROBLEM
    r = client.post("/api/v1/me/appointments", headers=bearer(secret), json=booking_body(2147483647, topic.id))
    assert r.status_code == 404 and r.mimetype == PROBLEM


def test_the_same_idempotency_key_books_once_and_answers_the_same(client, db, citizen_token, free_session, topic):
    user, secret = citizen_token
    headers = {**bearer(secret), "Idempotency-Key": "order-2026-12-05-0001"}
    body = booking_body(free_session.slots[0].id, topic.id)
    first = client.post("/api/v1/me/appointments", json=body, headers=headers)
    again = client.post("/api/v1/me/appointments", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.citizen_id == user.id)) == 1
    other = client.post("/api/v1/me/appointments", headers=headers,
                        json=booking_body(free_session.slots[1].id, topic.id))
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    assert db.session.scalar(select(Appointment.status).where(Appointment.citizen_id == user.id)) \
        is AppointmentStatus.SCHEDULED
