"""The join page and the call: who gets a token, with which rights, when, and where it never appears."""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import Enum, String, Text, func, select

from reception.booking.models import Appointment, AppointmentStatus, Participant, ParticipantKind
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import VenueKind
from reception.extensions import db as _db
from reception.schedule.models import AttendanceFormat, ReceptionSession
from tests.booking.fixtures import new_session
from tests.conftest import csrf_from
from tests.video import carries_a_token

SECRET = "a-very-long-and-random-jitsi-app-secret-0123456789"
JOIN = "/video/appointments/{}"
_CONFIG = re.compile(r'<script type="application/json" id="jitsi-config">(.*?)</script>', re.S)


@pytest.fixture
def jitsi(app, monkeypatch):
    """A self-hosted Jitsi configured for the test; returns the config to change it further."""
    values = {"JITSI_MODE": "selfhosted", "JITSI_DOMAIN": "meet.akimat.kz", "JITSI_APP_ID": "reception",
              "JITSI_APP_SECRET": SECRET, "JITSI_AUDIENCE": "jitsi", "JITSI_TENANT": "",
              "JITSI_JOIN_BEFORE_MINUTES": 15, "JITSI_JOIN_AFTER_MINUTES": 30}
    for key, value in values.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


@pytest.fixture
def scene(db, make_body, make_official, make_venue, make_user):
    """An official with an account, their assistant, a citizen and an akimat studio with its operator."""
    body = make_body()
    official_user = make_user(Role.OFFICIAL, body=body, full_name="Бекова Айгүл")
    official = make_official(body=body, user_id=official_user.id, full_name="Бекова Айгүл")
    akimat = make_body()
    studio = make_venue(body=akimat, kind=VenueKind.STUDIO, phone="+77132000000", floor="2")
    scene = {
        "official": official, "official_user": official_user, "venue": make_venue(body=body), "studio": studio,
        "assistant": make_user(Role.ASSISTANT, body=body),
        "citizen": make_user(Role.CITIZEN, full_name="Асанов Марат", iin="900101300126"),
        "operator": make_user(Role.STUDIO_OPERATOR, body=akimat, full_name="Омаров Ерлан"),
    }
    return scene


@pytest.fixture
def booked(db, scene):
    """An appointment of ``scene``'s citizen whose slot starts ``minutes`` from now (30-minute slots)."""
    def make(minutes: int = 5, fmt=AttendanceFormat.VIDEO_REMOTE, status=AppointmentStatus.SCHEDULED,
             session=None, citizen=None, slot_index=0) -> Appointment:
        if session is None:
            start = utcnow().replace(microsecond=0) + timedelta(minutes=minutes)
            session = new_session(scene["official"], scene["venue"], start=start, allow_video_remote=True)
            db.session.add(session)
            db.session.flush()
        appointment = Appointment(
            citizen_id=(citizen or scene["citizen"]).id, official_id=scene["official"].id, session_id=session.id,
            slot_id=session.slots[slot_index].id, format=fmt,
            studio_id=scene["studio"].id if fmt is AttendanceFormat.VIDEO_STUDIO else None, topic_id=1,
            summary="Our street has no lights", status=status, accepted_at=utcnow())
        db.session.add(appointment)
        db.session.flush()
        return appointment
    return make


def join(client, appointment):
    """Press "Join the call" as a browser does: the join page's CSRF token, then POST."""
    token = csrf_from(client, "/")
    return client.post(JOIN.format(appointment.id) + "/join", data={"csrf_token": token})


def call_config(response) -> dict:
    match = _CONFIG.search(response.get_data(as_text=True))
    assert match, "no call configuration on the page"
    return json.loads(match.group(1))


def claims_of(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")


# --- who joins, with which rights ---------------------------------------------------------------

def test_citizen_joins_from_home_without_moderator_rights(client, jitsi, scene, booked):
    appointment = booked()
    client_login(client, scene["citizen"])
    page = client.get(JOIN.format(appointment.id))
    assert page.status_code == 200
    assert "Join the call" in page.get_data(as_text=True)
    response = join(client, appointment)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert '<script src="https://meet.akimat.kz/external_api.js"' in response.get_data(as_text=True)
    config = call_config(response)
    room = _db.session.scalar(select(Appointment.video_room).where(Appointment.id == appointment.id))
    assert config["room"] == room and config["domain"] == "meet.akimat.kz"
    claims = claims_of(config["jwt"])
    assert claims["room"] == room
    assert claims["context"]["user"]["moderator"] is False
    assert claims["context"]["user"]["affiliation"] == "member"
    assert claims["context"]["user"]["name"] == "Асанов Марат (Citizen)"
    slot = appointment.slot
    assert claims["nbf"] == int((slot.starts_at - timedelta(minutes=15)).timestamp())
    assert claims["exp"] == int((slot.ends_at + timedelta(minutes=30)).timestamp())


def test_the_officials_side_moderates_the_same_room(client, jitsi, scene, booked):
    appointment = booked()
    rooms = set()
    for who in ("official_user", "assistant"):
        client_login(client, scene[who])
        config = call_config(join(client, appointment))
        claims = claims_of(config["jwt"])
        assert claims["context"]["user"]["moderator"] is True
        assert claims["context"]["user"]["affiliation"] == "owner"
        rooms.add(claims["room"])
        client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    assert len(rooms) == 1


def test_a_participant_moderates_only_when_delegated(client, jitsi, scene, booked, make_user, make_body):
    appointment = booked()
    rep = make_user(Role.AGENCY_REP, body=make_body(), full_name="Серікова Дана")
    participant = Participant(appointment_id=appointment.id, user_id=rep.id, kind=ParticipantKind.AGENCY_REP)
    _db.session.add(participant)
    _db.session.flush()
    client_login(client, rep)
    claims = claims_of(call_config(join(client, appointment))["jwt"])
    assert claims["context"]["user"]["moderator"] is False
    assert claims["context"]["user"]["name"] == "Серікова Дана (Agency representative)"
    participant.is_moderator = True
    _db.session.flush()
    assert claims_of(call_config(join(client, appointment))["jwt"])["context"]["user"]["moderator"] is True


def test_the_studio_joins_for_a_studio_appointment_and_the_citizen_does_not(client, jitsi, scene, booked):
    appointment = booked(fmt=AttendanceFormat.VIDEO_STUDIO)
    client_login(client, scene["operator"])
    claims = claims_of(call_config(join(client, appointment))["jwt"])
    assert claims["context"]["user"]["moderator"] is False
    assert claims["context"]["user"]["name"].startswith(scene["studio"].name_en)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    client_login(client, scene["citizen"])
    page = client.get(JOIN.format(appointment.id))
    assert page.status_code == 200
    assert "the studio operator connects the call there" in page.get_data(as_text=True)
    refused = join(client, appointment)
    assert refused.status_code == 403
    assert not carries_a_token(refused.get_data(as_text=True))


@pytest.mark.parametrize("who", ["another_citizen", "other_assistant", "other_operator", "admin"])
def test_nobody_else_gets_a_token(client, jitsi, scene, booked, make_user, make_body, who):
    appointment = booked(fmt=AttendanceFormat.VIDEO_STUDIO)
    user = {"another_citizen": lambda: make_user(Role.CITIZEN),
            "other_assistant": lambda: make_user(Role.ASSISTANT, body=make_body()),
            "other_operator": lambda: make_user(Role.STUDIO_OPERATOR, body=make_body()),
            "admin": lambda: make_user(Role.ADMIN)}[who]()
    client_login(client, user)
    assert client.get(JOIN.format(appointment.id)).status_code == 403
    response = join(client, appointment)
    assert response.status_code == 403
    assert not carries_a_token(response.get_data(as_text=True))
    assert _db.session.scalar(select(Appointment.video_room).where(Appointment.id == appointment.id)) is None


def test_a_forged_or_in_person_appointment_is_not_found(client, jitsi, scene, booked):
    in_person = booked(fmt=AttendanceFormat.IN_PERSON)
    client_login(client, scene["citizen"])
    assert client.get(JOIN.format(in_person.id)).status_code == 404
    assert join(client, in_person).status_code == 404
    assert client.get(JOIN.format(99999999)).status_code == 404
    assert client.get("/video/appointments/99999999999999999999").status_code == 404


def test_joining_without_the_forms_csrf_token_is_refused(client, jitsi, scene, booked):
    appointment = booked()
    client_login(client, scene["citizen"])
    response = client.post(JOIN.format(appointment.id) + "/join", data={})
    assert response.status_code == 400
    assert not carries_a_token(response.get_data(as_text=True))


# --- when -------------------------------------------------------------------------------------

def test_an_early_arrival_sees_a_countdown_and_gets_no_token(client, jitsi, scene, booked):
    appointment = booked(minutes=120)
    client_login(client, scene["citizen"])
    page = client.get(JOIN.format(appointment.id))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The call has not opened yet." in text and 'data-seconds="' in text
    seconds = int(re.search(r'data-seconds="(\d+)"', text).group(1))
    assert 100 * 60 <= seconds <= 105 * 60  # opens 15 minutes before the slot
    assert "Join the call" not in text
    response = join(client, appointment)
    assert response.status_code == 403
    assert not carries_a_token(response.get_data(as_text=True))


def test_a_late_arrival_is_told_the_reception_has_ended(client, jitsi, scene, booked):
    appointment = booked(minutes=-75)  # the 30-minute slot ended 45 minutes ago; the call closed 15 ago
    client_login(client, scene["citizen"])
    page = client.get(JOIN.format(appointment.id))
    assert page.status_code == 410
    assert "This reception has ended." in page.get_data(as_text=True)
    assert join(client, appointment).status_code == 403


def test_the_call_stays_open_for_the_margin_after_the_slot(client, jitsi, scene, booked):
    appointment = booked(minutes=-50)  # ended 20 minutes ago, within the 30-minute margin
    client_login(client, scene["citizen"])
    assert join(client, appointment).status_code == 200


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED])
def test_a_cancelled_or_moved_appointment_has_no_call(client, jitsi, scene, booked, status):
    appointment = booked(status=status)
    client_login(client, scene["citizen"])
    page = client.get(JOIN.format(appointment.id))
    assert page.status_code == 410
    assert "cancelled or moved" in page.get_data(as_text=True)
    assert join(client, appointment).status_code == 410


# --- rooms ------------------------------------------------------------------------------------

def test_rooms_are_random_and_one_per_appointment(client, jitsi, scene, booked, make_user):
    first = booked(minutes=-20)  # the next slot starts in 10 minutes: both calls are open
    second = booked(session=first.session, citizen=make_user(Role.CITIZEN), slot_index=1)
    client_login(client, scene["assistant"])
    rooms = [call_config(join(client, a))["room"] for a in (first, second)]
    assert rooms[0] != rooms[1]
    citizen = scene["citizen"]
    for room in rooms:
        assert re.fullmatch(r"reception-[0-9a-f]{32}", room)
        assert citizen.iin not in room and "marat" not in room.lower()
    # Joining again gives the same room.
    assert call_config(join(client, first))["room"] == rooms[0]


def test_a_single_room_serves_the_whole_session_when_chosen(client, jitsi, scene, booked, make_user):
    first = booked(minutes=-20)
    first.session.single_video_room = True
    _db.session.flush()
    second = booked(session=first.session, citizen=make_user(Role.CITIZEN), slot_index=1)
    client_login(client, scene["assistant"])
    rooms = {call_config(join(client, a))["room"] for a in (first, second)}
    assert len(rooms) == 1
    assert _db.session.scalar(select(ReceptionSession.video_room).where(
        ReceptionSession.id == first.session_id)) == rooms.pop()


# --- configuration ----------------------------------------------------------------------------

def test_without_jitsi_the_page_says_so_and_gives_no_token(client, app, monkeypatch, scene, booked):
    monkeypatch.setitem(app.config, "JITSI_MODE", "")
    appointment = booked()
    client_login(client, scene["citizen"])
    page = client.get(JOIN.format(appointment.id))
    assert page.status_code == 503
    assert "Video calls are not set up on this server yet." in page.get_data(as_text=True)
    assert join(client, appointment).status_code == 503
    # The rest works: the citizen's talon still opens.
    assert client.get(f"/my/appointments/{appointment.id}").status_code == 200


def test_a_broken_configuration_is_logged_for_operators_and_shown_plainly(client, jitsi, monkeypatch, scene, booked,
                                                                          caplog):
    monkeypatch.setitem(jitsi, "JITSI_APP_SECRET", "short")
    appointment = booked()
    client_login(client, scene["citizen"])
    with caplog.at_level(logging.ERROR, logger="reception.video.views"):
        response = join(client, appointment)
    assert response.status_code == 503
    assert "setup problem on our side" in response.get_data(as_text=True)
    assert "RECEPTION_JITSI_APP_SECRET is too short" in caplog.text


def test_jaas_gives_an_rs256_token_for_the_prefixed_room(client, jitsi, monkeypatch, scene, booked, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "jaas.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    app_id = "vpaas-magic-cookie-feedface"
    for k, v in {"JITSI_MODE": "jaas", "JITSI_DOMAIN": "8x8.vc", "JITSI_APP_ID": app_id,
                 "JITSI_KID": f"{app_id}/k1", "JITSI_PRIVATE_KEY_FILE": str(path)}.items():
        monkeypatch.setitem(jitsi, k, v)
    appointment = booked()
    client_login(client, scene["official_user"])
    response = join(client, appointment)
    assert f'<script src="https://8x8.vc/{app_id}/external_api.js"' in response.get_data(as_text=True)
    config = call_config(response)
    token = config["jwt"]
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": f"{app_id}/k1", "typ": "JWT"}
    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], audience="jitsi")
    assert claims["sub"] == app_id and claims["iss"] == "chat"
    assert config["room"] == f"{app_id}/{claims['room']}"
    assert claims["context"]["user"]["moderator"] == "true"


# --- where a token never appears ----------------------------------------------------------------

def test_a_token_never_reaches_logs_the_database_or_other_pages(client, jitsi, scene, booked, caplog):
    appointment = booked(fmt=AttendanceFormat.VIDEO_REMOTE)
    client_login(client, scene["assistant"])
    with caplog.at_level(logging.DEBUG):
        token = call_config(join(client, appointment))["jwt"]
        assert carries_a_token(token)  # the check below would see one
        pages = [client.get(JOIN.format(appointment.id)), client.get("/staff/day/?date="
                                                                      + appointment.session.local_date.isoformat())]
        client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
        client_login(client, scene["citizen"])
        pages.append(client.get(f"/my/appointments/{appointment.id}"))
    assert token not in caplog.text
    for page in pages:
        assert page.status_code == 200
        assert token not in page.get_data(as_text=True) and not carries_a_token(page.get_data(as_text=True))
    # Nothing stored: no text column of any table holds it.
    for table in _db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text)) and not isinstance(column.type, Enum):
                found = _db.session.scalar(select(func.count()).select_from(table).where(
                    column.contains(token[-40:])))
                assert found == 0, f"{table.name}.{column.name} holds the token"


def client_login(client, user):
    from tests.conftest import login
    login(client, user)
