"""Jitsi tokens for both variants, decoded and verified with the secret or the public key."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reception.video.tokens import VideoConfigError, load_settings, mint_token

SECRET = "s" * 40
NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
OPENS, CLOSES = NOW - timedelta(minutes=5), NOW + timedelta(minutes=55)


def selfhosted(**overrides) -> dict:
    return {"JITSI_MODE": "selfhosted", "JITSI_DOMAIN": "meet.akimat.kz", "JITSI_APP_ID": "reception",
            "JITSI_APP_SECRET": SECRET, "JITSI_AUDIENCE": "jitsi", **overrides}


def write_key(path, key) -> str:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path)


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jaas(tmp_path, rsa_key):
    app_id = "vpaas-magic-cookie-0123456789abcdef"
    return {"JITSI_MODE": "jaas", "JITSI_DOMAIN": "8x8.vc", "JITSI_APP_ID": app_id, "JITSI_KID": f"{app_id}/4f4910",
            "JITSI_PRIVATE_KEY_FILE": write_key(tmp_path / "jaas.pem", rsa_key)}


def mint(settings, moderator: bool) -> str:
    return mint_token(settings, room="reception-abc", user_id=7, name="Асанов Марат (Citizen)", moderator=moderator,
                      not_before=OPENS, expires=CLOSES, now=NOW)


def decode(token, key, audience):
    return jwt.decode(token, key, algorithms=[jwt.get_unverified_header(token)["alg"]], audience=audience,
                      options={"verify_exp": False, "verify_nbf": False})


@pytest.mark.parametrize("moderator,affiliation", [(True, "owner"), (False, "member")])
def test_selfhosted_token_is_hs256_with_the_claims_prosody_checks(moderator, affiliation):
    token = mint(load_settings(selfhosted()), moderator)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = decode(token, SECRET, "jitsi")
    assert claims["iss"] == "reception"
    assert claims["sub"] == "meet.akimat.kz"
    assert claims["room"] == "reception-abc"
    assert claims["nbf"] == int(OPENS.timestamp()) and claims["exp"] == int(CLOSES.timestamp())
    assert claims["context"]["user"] == {"id": "7", "name": "Асанов Марат (Citizen)", "moderator": moderator,
                                         "affiliation": affiliation}


def test_selfhosted_token_does_not_verify_with_another_secret():
    token = mint(load_settings(selfhosted()), True)
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token, "x" * 40, "jitsi")


def test_selfhosted_token_names_the_tenant_and_audience_when_configured():
    token = mint(load_settings(selfhosted(JITSI_TENANT="aktobe", JITSI_AUDIENCE="reception-app")), False)
    claims = decode(token, SECRET, "reception-app")
    assert claims["sub"] == "aktobe"


def test_a_token_is_refused_before_its_window_and_after_it():
    settings = load_settings(selfhosted())
    now = datetime.now(UTC)
    early = mint_token(settings, room="r", user_id=1, name="n", moderator=False, now=now,
                       not_before=now + timedelta(hours=1), expires=now + timedelta(hours=2))
    late = mint_token(settings, room="r", user_id=1, name="n", moderator=False, now=now - timedelta(hours=3),
                      not_before=now - timedelta(hours=3), expires=now - timedelta(hours=1))
    with pytest.raises(jwt.ImmatureSignatureError):
        jwt.decode(early, SECRET, algorithms=["HS256"], audience="jitsi")
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(late, SECRET, algorithms=["HS256"], audience="jitsi")


@pytest.mark.parametrize("moderator", [True, False])
def test_jaas_token_is_rs256_with_the_kid_and_the_service_claims(jaas, rsa_key, moderator):
    settings = load_settings(jaas)
    token = mint(settings, moderator)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == jaas["JITSI_KID"]
    claims = decode(token, rsa_key.public_key(), "jitsi")
    assert claims["iss"] == "chat"
    assert claims["sub"] == jaas["JITSI_APP_ID"]
    assert claims["room"] == "reception-abc"
    assert claims["nbf"] == int(OPENS.timestamp()) and claims["exp"] == int(CLOSES.timestamp())
    assert claims["context"]["user"]["moderator"] == ("true" if moderator else "false")
    assert claims["context"]["user"]["name"] == "Асанов Марат (Citizen)"
    assert claims["context"]["features"]["recording"] == "false"  # no recording of a citizen's reception


def test_jaas_token_does_not_verify_with_another_key(jaas):
    token = mint(load_settings(jaas), False)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token, other.public_key(), "jitsi")


def test_jaas_rooms_and_script_live_under_the_app_id(jaas):
    settings = load_settings(jaas)
    assert settings.iframe_room("reception-abc") == f"{jaas['JITSI_APP_ID']}/reception-abc"
    assert settings.script_url == f"https://8x8.vc/{jaas['JITSI_APP_ID']}/external_api.js"
    assert settings.meeting_url("reception-abc", "T") == f"https://8x8.vc/{jaas['JITSI_APP_ID']}/reception-abc?jwt=T"


def test_selfhosted_script_and_room_are_on_the_domain():
    settings = load_settings(selfhosted())
    assert settings.script_url == "https://meet.akimat.kz/external_api.js"
    assert settings.iframe_room("reception-abc") == "reception-abc"


def test_video_is_off_without_a_mode():
    assert load_settings({"JITSI_MODE": ""}) is None


@pytest.mark.parametrize("overrides,names", [
    ({"JITSI_MODE": "zoom"}, "RECEPTION_JITSI_MODE"),
    ({"JITSI_DOMAIN": ""}, "RECEPTION_JITSI_DOMAIN"),
    ({"JITSI_DOMAIN": "https://meet.akimat.kz/"}, "RECEPTION_JITSI_DOMAIN"),
    ({"JITSI_APP_ID": ""}, "RECEPTION_JITSI_APP_ID"),
    ({"JITSI_APP_SECRET": ""}, "RECEPTION_JITSI_APP_SECRET"),
    ({"JITSI_APP_SECRET": "short-secret"}, "RECEPTION_JITSI_APP_SECRET"),
])
def test_a_wrong_selfhosted_configuration_names_the_variable_and_never_the_secret(overrides, names):
    with pytest.raises(VideoConfigError) as error:
        load_settings(selfhosted(**overrides))
    assert names in str(error.value)
    assert "short-secret" not in str(error.value) and SECRET not in str(error.value)


def test_a_wrong_jaas_configuration_names_the_variable(jaas, tmp_path):
    cases = [
        ({"JITSI_KID": ""}, "RECEPTION_JITSI_KID"),
        ({"JITSI_KID": "someone-else/4f4910"}, "RECEPTION_JITSI_KID"),
        ({"JITSI_PRIVATE_KEY_FILE": ""}, "RECEPTION_JITSI_PRIVATE_KEY_FILE"),
        ({"JITSI_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")}, "cannot be read"),
    ]
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    cases.append(({"JITSI_PRIVATE_KEY_FILE": str(not_pem)}, "not an unencrypted PEM"))
    ec_key = write_key(tmp_path / "ec.pem", ec.generate_private_key(ec.SECP256R1()))
    cases.append(({"JITSI_PRIVATE_KEY_FILE": ec_key}, "must hold an RSA key"))
    for overrides, expected in cases:
        with pytest.raises(VideoConfigError, match=expected):
            load_settings({**jaas, **overrides})
