"""``flask video check``: an operator tries the Jitsi setup before the first reception."""
from __future__ import annotations

import re

import jwt

SECRET = "another-long-random-secret-for-the-check-000"


def test_check_prints_a_short_lived_moderator_token_for_a_throwaway_room(app, monkeypatch):
    for key, value in {"JITSI_MODE": "selfhosted", "JITSI_DOMAIN": "meet.akimat.kz", "JITSI_APP_ID": "reception",
                       "JITSI_APP_SECRET": SECRET, "JITSI_AUDIENCE": "jitsi", "JITSI_TENANT": ""}.items():
        monkeypatch.setitem(app.config, key, value)
    result = app.test_cli_runner().invoke(args=["video", "check", "--minutes", "5"])
    assert result.exit_code == 0, result.output
    token = re.search(r"^token:\s+(\S+)$", result.output, re.M).group(1)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")
    assert claims["context"]["user"]["moderator"] is True
    assert claims["exp"] - claims["nbf"] == 5 * 60
    assert re.fullmatch(r"reception-[0-9a-f]{32}", claims["room"])
    assert f"https://meet.akimat.kz/{claims['room']}?jwt={token}" in result.output


def test_check_fails_with_the_reason_when_video_is_off_or_misconfigured(app, monkeypatch):
    monkeypatch.setitem(app.config, "JITSI_MODE", "")
    off = app.test_cli_runner().invoke(args=["video", "check"])
    assert off.exit_code == 1 and "Video calls are off" in off.output
    monkeypatch.setitem(app.config, "JITSI_MODE", "jaas")
    monkeypatch.setitem(app.config, "JITSI_DOMAIN", "8x8.vc")
    monkeypatch.setitem(app.config, "JITSI_APP_ID", "vpaas-magic-cookie-1")
    monkeypatch.setitem(app.config, "JITSI_KID", "")
    wrong = app.test_cli_runner().invoke(args=["video", "check"])
    assert wrong.exit_code == 1 and "RECEPTION_JITSI_KID is not set" in wrong.output
    assert "token:" not in wrong.output
