"""Jitsi settings and the signed tokens (JWT) that let one participant into one room for one window.

Two variants (``RECEPTION_JITSI_MODE``):

* ``selfhosted``: Jitsi Meet whose prosody checks tokens with a shared secret (HS256):
  ``iss`` = app id, ``aud`` = the configured audience, ``sub`` = the domain (or tenant),
  ``room``, ``nbf``, ``exp`` and ``context.user`` (id, name, ``moderator``, ``affiliation``
  owner or member, read by prosody's token_affiliation module).
* ``jaas``: 8x8 Jitsi as a Service (RS256 with the API key's ``kid``): ``aud`` "jitsi",
  ``iss`` "chat", ``sub`` = app id, ``room``, ``context.user.moderator`` and ``context.features``.
  The IFrame names the room ``<app id>/<room>``.

Tokens are minted when someone joins and handed to their browser only; they are never
stored, logged or mailed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

SELFHOSTED = "selfhosted"
JAAS = "jaas"
MIN_SECRET_LENGTH = 32
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")
#: What a JaaS participant may use: no recording or streaming of a citizen's reception.
JAAS_FEATURES = {"livestreaming": "false", "recording": "false", "transcription": "false",
                 "outbound-call": "false", "sip-outbound-call": "false"}


class VideoConfigError(Exception):
    """The Jitsi configuration is incomplete or wrong (the message names the variable, never a secret)."""


@dataclass(frozen=True)
class JitsiSettings:
    mode: str
    domain: str
    app_id: str
    audience: str = "jitsi"
    tenant: str = ""
    secret: str = ""
    kid: str = ""
    private_key: RSAPrivateKey | None = None

    @property
    def script_url(self) -> str:
        """The IFrame API script served by this Jitsi."""
        if self.mode == JAAS:
            return f"https://{self.domain}/{self.app_id}/external_api.js"
        return f"https://{self.domain}/external_api.js"

    def iframe_room(self, room: str) -> str:
        """The room name as the IFrame API expects it (JaaS rooms live under the app id)."""
        return f"{self.app_id}/{room}" if self.mode == JAAS else room

    def meeting_url(self, room: str, token: str) -> str:
        """The plain link to the call with the token: the fallback when the embedded call cannot load."""
        return f"https://{self.domain}/{self.iframe_room(room)}?jwt={token}"


def load_settings(config) -> JitsiSettings | None:
    """Jitsi settings from the app config; None when video calls are off (no mode).

    Raises VideoConfigError naming what is missing or wrong.
    """
    mode = str(config.get("JITSI_MODE") or "").strip().lower()
    if not mode:
        return None
    if mode not in (SELFHOSTED, JAAS):
        raise VideoConfigError(f"RECEPTION_JITSI_MODE must be {SELFHOSTED} or {JAAS}, not {mode!r}")
    domain = str(config.get("JITSI_DOMAIN") or "").strip()
    if not domain:
        raise VideoConfigError("RECEPTION_JITSI_DOMAIN is not set")
    if not _HOST.match(domain):
        raise VideoConfigError("RECEPTION_JITSI_DOMAIN must be a host name such as meet.example.kz "
                               "(no https://, no path)")
    app_id = str(config.get("JITSI_APP_ID") or "").strip()
    if not app_id:
        raise VideoConfigError("RECEPTION_JITSI_APP_ID is not set")
    if mode == SELFHOSTED:
        secret = str(config.get("JITSI_APP_SECRET") or "")
        if not secret:
            raise VideoConfigError("RECEPTION_JITSI_APP_SECRET is not set")
        if len(secret) < MIN_SECRET_LENGTH:
            raise VideoConfigError(f"RECEPTION_JITSI_APP_SECRET is too short: use at least "
                                   f"{MIN_SECRET_LENGTH} random characters")
        return JitsiSettings(mode=mode, domain=domain, app_id=app_id,
                             audience=str(config.get("JITSI_AUDIENCE") or "jitsi"),
                             tenant=str(config.get("JITSI_TENANT") or "").strip(), secret=secret)
    kid = str(config.get("JITSI_KID") or "").strip()
    if not kid:
        raise VideoConfigError("RECEPTION_JITSI_KID is not set")
    if not kid.startswith(app_id + "/"):
        raise VideoConfigError("RECEPTION_JITSI_KID must be the app id, a slash and the key id")
    return JitsiSettings(mode=mode, domain=domain, app_id=app_id, kid=kid,
                         private_key=_load_private_key(str(config.get("JITSI_PRIVATE_KEY_FILE") or "").strip()))


def _load_private_key(path: str) -> RSAPrivateKey:
    if not path:
        raise VideoConfigError("RECEPTION_JITSI_PRIVATE_KEY_FILE is not set")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise VideoConfigError(f"RECEPTION_JITSI_PRIVATE_KEY_FILE cannot be read: {exc.strerror}") from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise VideoConfigError("RECEPTION_JITSI_PRIVATE_KEY_FILE is not an unencrypted PEM private key") from None
    if not isinstance(key, RSAPrivateKey):
        raise VideoConfigError("RECEPTION_JITSI_PRIVATE_KEY_FILE must hold an RSA key (JaaS signs with RS256)")
    return key


def mint_token(settings: JitsiSettings, *, room: str, user_id: int | str, name: str, moderator: bool,
               not_before: datetime, expires: datetime, now: datetime) -> str:
    """A token for one participant of one room, valid from ``not_before`` until ``expires``."""
    times = {"iat": int(now.timestamp()), "nbf": int(not_before.timestamp()), "exp": int(expires.timestamp())}
    if settings.mode == JAAS:
        payload = {
            "aud": "jitsi", "iss": "chat", "sub": settings.app_id, "room": room, **times,
            "context": {"user": {"id": str(user_id), "name": name, "moderator": "true" if moderator else "false"},
                        "features": dict(JAAS_FEATURES)},
        }
        return jwt.encode(payload, settings.private_key, algorithm="RS256", headers={"kid": settings.kid})
    payload = {
        "iss": settings.app_id, "aud": settings.audience, "sub": settings.tenant or settings.domain,
        "room": room, **times,
        "context": {"user": {"id": str(user_id), "name": name, "moderator": moderator,
                             "affiliation": "owner" if moderator else "member"}},
    }
    return jwt.encode(payload, settings.secret, algorithm="HS256")


def check_token_window(now: datetime, minutes: int = 10) -> tuple[datetime, datetime]:
    """The window of a throwaway test token (``flask video check``): from now for ``minutes``."""
    return now, now + timedelta(minutes=minutes)
