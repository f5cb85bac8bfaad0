"""The appeals system's requests: an integration client sends a request for a reception on a registered citizen's
behalf (by IIN, with the appeal number), the citizen sees it as their own, screening decides as usual, and the
client reads the request's state; a body's client reaches its own body's officials only, and reads only what
it sent."""
from __future__ import annotations

import itertools
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from reception.accounts.validation import iin_check_digit
from reception.api.scopes import REQUESTS_ON_BEHALF_READ
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.notifications.models import OutboxMessage
from reception.requests import services as request_services
from tests.api.conftest import bearer
from tests.api.test_clients import client_token, make_client
from tests.conftest import as_sent

PROBLEM = "application/problem+json"
URL = "/api/v1/integration/requests"
_serial = itertools.count(1001)


def new_iin() -> str:
    """A valid IIN (born 1 January 1990, male), a new one each time."""
    while True:
        first11 = f"9001013{next(_serial):04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)


@pytest.fixture
def citizen(db, make_user, make_token):
    """A registered citizen with an IIN, and their own token."""
    user = make_user(Role.CITIZEN, iin=new_iin(), full_name="Marat Asanov")
    db.session.commit()
    return user, make_token(user)


@pytest.fixture
def sent_office(db, office):
    db.session.commit()
    return office


def _body(citizen_user, office, topic, **overrides) -> dict:
    body = {"iin": citizen_user.iin, "appeal_number": "ZT-2026-004217", "official_id": office.official.id,
            "topic_id": topic.id, "summary": "The road to our village has not been repaired for years."}
    body.update(overrides)
    return body


def _send(client, secret, body, key=None):
    headers = bearer(secret) | ({"Idempotency-Key": key} if key else {})
    return client.post(URL, json=body, headers=headers)


def test_the_appeals_flow_from_sending_to_an_offered_time(app, client, db, citizen, sent_office, topic):
    user, own_token = citizen
    appeals = make_client()  # the national appeals system
    secret = client_token(appeals)
    r = _send(client, secret, _body(user, sent_office, topic, needs_wheelchair=True))
    assert r.status_code == 201, r.json
    sent = r.json
    assert sent["status"] == "submitted" and sent["appeal_number"] == "ZT-2026-004217"
    assert sent["official_id"] == sent_office.official.id and sent["offered_times"] == []
    assert r.headers["Location"] == f"{URL}/{sent['id']}"
    request = db.session.get(Appointment, sent["id"])
    assert request.citizen_id == user.id and request.source_client_id == appeals.id
    assert request.status is AppointmentStatus.REQUESTED and request.needs_wheelchair

    # The citizen sees it among their own requests.
    mine = client.get("/api/v1/me/appointments", headers=bearer(own_token)).json["items"]
    assert [a["id"] for a in mine] == [sent["id"]] and mine[0]["status"] == "requested"

    # Screening offers two times; the client reads "offered" with them.
    with app.test_request_context():
        request_services.offer_slots(sent_office.assistant, request, [s.id for s in sent_office.slots[:2]],
                                     "Bring the photos of the road.", utcnow(), app.config)
    db.session.commit()
    status = client.get(f"{URL}/{sent['id']}", headers=bearer(secret)).json
    assert status["status"] == "offered" and status["decision"] == "offered"
    assert status["note"] == "Bring the photos of the road." and len(status["offered_times"]) == 2
    first = sent_office.slots[0]
    assert status["offered_times"][0]["timezone"] == first.session.timezone
    local_start = first.starts_at.astimezone(ZoneInfo(first.session.timezone))
    assert status["offered_times"][0]["starts_at"] == local_start.isoformat()

    # The citizen takes the first: the client reads "booked" with the time and the talon's number.
    with app.test_request_context():
        offer = db.session.get(Appointment, sent["id"]).offers[0]
        request_services.accept_offer(user, db.session.get(Appointment, sent["id"]), offer.id, utcnow())
    db.session.commit()
    status = client.get(f"{URL}/{sent['id']}", headers=bearer(secret)).json
    assert status["status"] == "booked" and status["offered_times"] == []
    assert status["appointment"]["talon_number"] and status["appointment"]["timezone"] == first.session.timezone


def test_a_resolved_request_reads_resolved_with_the_note(app, client, db, citizen, sent_office, topic):
    user, _own = citizen
    secret = client_token()
    sent = _send(client, secret, _body(user, sent_office, topic)).json
    with app.test_request_context():
        request_services.resolve_request(sent_office.assistant, db.session.get(Appointment, sent["id"]),
                                         "The road is in this year's repair plan.", utcnow())
    db.session.commit()
    status = client.get(f"{URL}/{sent['id']}", headers=bearer(secret)).json
    assert status["status"] == "resolved" and status["note"] == "The road is in this year's repair plan."


def test_an_unknown_iin_is_a_422_saying_the_citizen_must_register(client, db, sent_office, topic, make_user):
    secret = client_token()
    stranger = make_user(Role.CITIZEN, iin=new_iin())
    body = _body(stranger, sent_office, topic, iin=new_iin())  # valid, but nobody registered with it
    r = _send(client, secret, body)
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert r.json["errors"][0]["field"] == "iin" and "must register" in r.json["errors"][0]["message"]
    assert db.session.scalar(select(func.count()).select_from(Appointment)
                             .where(Appointment.official_id == sent_office.official.id)) == 0


def test_an_invalid_iin_is_a_422_on_the_iin(client, citizen, sent_office, topic):
    user, _own = citizen
    wrong = user.iin[:11] + str((int(user.iin[11]) + 1) % 10)  # the check digit off by one
    r = _send(client, client_token(), _body(user, sent_office, topic, iin=wrong))
    assert r.status_code == 422 and r.json["errors"] == [
        {"field": "iin", "message": "This IIN is not valid: its check digit does not match."}]


def test_a_bodys_client_sends_to_its_own_body_only(client, db, citizen, sent_office, topic, make_body):
    user, _own = citizen
    other = make_client(body=make_body())
    r = _send(client, client_token(other), _body(user, sent_office, topic))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    assert db.session.scalar(select(func.count()).select_from(Appointment)
                             .where(Appointment.citizen_id == user.id)) == 0
    own = make_client(body=sent_office.body)
    assert _send(client, client_token(own), _body(user, sent_office, topic)).status_code == 201


def test_a_client_reads_only_the_requests_it_sent(client, app, db, citizen, sent_office, topic, make_user,
                                                   request_data):
    user, _own = citizen
    sent = _send(client, client_token(), _body(user, sent_office, topic)).json
    other = client_token()
    assert client.get(f"{URL}/{sent['id']}", headers=bearer(other)).status_code == 404
    assert client.get(URL, headers=bearer(other)).json["items"] == []
    # A request the citizen sent themselves is no client's either.
    with app.test_request_context():
        own = request_services.submit_request(make_user(Role.CITIZEN), sent_office.official, request_data(), None,
                                              utcnow(), app.config)
    db.session.commit()
    r = client.get(f"{URL}/{own.id}", headers=bearer(other))
    assert r.status_code == 404 and r.mimetype == PROBLEM


def test_the_same_idempotency_key_twice_sends_once(client, db, citizen, sent_office, topic):
    user, _own = citizen
    secret = client_token()
    first = _send(client, secret, _body(user, sent_office, topic), key="appeal-ZT-2026-004217")
    second = _send(client, secret, _body(user, sent_office, topic), key="appeal-ZT-2026-004217")
    assert first.status_code == second.status_code == 201
    assert second.json["id"] == first.json["id"] and second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Appointment)
                             .where(Appointment.citizen_id == user.id)) == 1
    # Without the key, a second request while the first is open is refused as a citizen's would be.
    assert _send(client, secret, _body(user, sent_office, topic)).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == "request_on_behalf")) == 1  # told once


@pytest.mark.parametrize("language,words", [("kk", "атыңыздан"), ("ru", "от вашего имени"),
                                            ("en", "in your name")])
def test_the_citizen_is_told_who_sent_a_request_in_their_name(client, db, citizen, sent_office, topic, language,
                                                              words):
    user, _own = citizen
    user.language = language
    db.session.commit()
    appeals = make_client()
    r = _send(client, client_token(appeals), _body(user, sent_office, topic))
    assert r.status_code == 201
    [told] = as_sent(db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                                    OutboxMessage.kind == "request_on_behalf")).all())
    text = told.body_text
    assert appeals.name in text and "ZT-2026-004217" in text and words in text.lower()
    assert f"/my/appointments/{r.json['id']}" in text  # where to see it, or withdraw it


def test_the_list_is_the_clients_own_by_appeal_number_a_page_at_a_time(client, db, sent_office, topic, make_user,
                                                                        make_office):
    secret = client_token()
    offices = [sent_office, make_office(), make_office()]
    db.session.commit()
    ids = []
    for i, office in enumerate(offices):
        user = make_user(Role.CITIZEN, iin=new_iin())
        db.session.commit()
        number = "ZT-1" if i < 2 else "ZT-2"
        ids.append(_send(client, secret, _body(user, office, topic, appeal_number=number)).json["id"])
    page = client.get(f"{URL}?appeal_number=ZT-1&limit=1", headers=bearer(secret))
    assert [a["id"] for a in page.json["items"]] == [ids[1]] and page.json["next"] == str(ids[1])
    assert page.headers["Link"] == f'<{URL}?appeal_number=ZT-1&limit=1&after={ids[1]}>; rel="next"'
    rest = client.get(f"{URL}?appeal_number=ZT-1&limit=1&after={ids[1]}", headers=bearer(secret)).json
    assert [a["id"] for a in rest["items"]] == [ids[0]] and rest["next"] is None
    everything = client.get(URL, headers=bearer(secret)).json["items"]
    assert [a["id"] for a in everything] == list(reversed(ids))


def test_a_read_only_token_cannot_send(client, db, citizen, sent_office, topic):
    user, _own = citizen
    secret = client_token(scopes=[REQUESTS_ON_BEHALF_READ])
    r = _send(client, secret, _body(user, sent_office, topic))
    assert r.status_code == 403 and r.json["detail"] == "This token does not have the scope requests:on-behalf."


def test_the_list_takes_the_same_statements_for_one_or_three_offered_requests(app, client, db, count_queries,
                                                                               sent_office, topic, make_user,
                                                                               make_office):
    secret = client_token()

    def send_and_offer(office, slot):
        user = make_user(Role.CITIZEN, iin=new_iin())
        db.session.commit()
        sent = _send(client, secret, _body(user, office, topic)).json
        with app.test_request_context():
            request_services.offer_slots(office.assistant, db.session.get(Appointment, sent["id"]), [slot.id], None,
                                         utcnow(), app.config)
        db.session.commit()

    def count() -> int:
        client.get(URL, headers=bearer(secret))  # the token's last use is written once a minute: not counted
        with count_queries() as queries:
            r = client.get(URL, headers=bearer(secret))
        assert r.status_code == 200 and all(a["status"] == "offered" for a in r.json["items"])
        return len(queries)

    send_and_offer(sent_office, sent_office.slots[0])
    one = count()
    for _ in range(2):
        office = make_office()
        db.session.commit()
        send_and_offer(office, office.slots[0])
    assert len(client.get(URL, headers=bearer(secret)).json["items"]) == 3
    assert count() == one <= 6
