"""One-time SMS codes: confirming a phone, resetting a password by phone.

A code is six random digits, sent through the outbox (kind ``phone_code``, templates/sms/phone_code.txt,
one SMS segment in every language) and stored only as an HMAC keyed with the secret key. It works for
RECEPTION_PHONE_CODE_MAX_AGE seconds (10 minutes), once, for the phone it was sent to, and dies after
:data:`MAX_WRONG` wrong tries; asking for a new one kills the earlier one. Sending is throttled per account
and per phone (:data:`SEND_GAP` between codes, :data:`SENDS_PER_HOUR` an hour), counted from the codes'
own rows, so the limit holds across processes without a shared cache.

Accepting a code is a guarded update (``used_at`` set only where it is still NULL, the code unexpired and
not worn out by wrong tries): of two requests using one code at once, exactly one succeeds.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select, update

from ..core.errors import DomainError, Invalid
from ..extensions import db
from ..notifications.services import enqueue_sms
from .models import CodePurpose, PhoneCode, User

CODE_LENGTH = 6
MAX_WRONG = 5                     # wrong tries that kill a code
SEND_GAP = timedelta(seconds=60)  # between two codes to one account or one phone
SENDS_PER_HOUR = 5                # codes per account, and per phone, in any hour
_CODE_RE = re.compile(r"[0-9]{6}")  # ASCII digits only (\d would take other scripts' digits)


class TooSoon(DomainError):
    """A new code was asked for too soon (429); ``wait`` is the seconds until one may be sent."""

    status = 429

    def __init__(self, wait: int):
        minutes = max(1, math.ceil(wait / 60))
        super().__init__(ngettext("A new code can be sent in %(num)d minute. Use the last code we sent, "
                                       "or wait.", "A new code can be sent in %(num)d minutes. Use the last "
                                       "code we sent, or wait.", minutes))
        self.wait = wait


class WrongCode(Invalid):
    """The code did not match, expired, was used or worn out. The view commits (the wrong try is counted)."""


def max_age(config=None) -> int:
    return int((config or current_app.config).get("PHONE_CODE_MAX_AGE") or 600)


def _digest(user_id: int, purpose: CodePurpose, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{purpose.value}:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def is_code_format(code: str | None) -> bool:
    return bool(code) and _CODE_RE.fullmatch(code) is not None


def _wait(times: list[datetime], now: datetime) -> float:
    """Seconds until one more code may go to whoever got codes at ``times`` (newest first)."""
    wait = 0.0
    if times:
        wait = (times[0] + SEND_GAP - now).total_seconds()
    if len(times) >= SENDS_PER_HOUR:
        wait = max(wait, (times[SENDS_PER_HOUR - 1] + timedelta(hours=1) - now).total_seconds())
    return wait


def seconds_until_next(user: User, now: datetime) -> int:
    """Seconds before a new code may be sent to ``user``'s phone (0: now)."""
    since = now - timedelta(hours=1)
    by_user = db.session.scalars(select(PhoneCode.created_at).where(
        PhoneCode.user_id == user.id, PhoneCode.created_at > since).order_by(PhoneCode.created_at.desc())).all()
    by_phone = db.session.scalars(select(PhoneCode.created_at).where(
        PhoneCode.phone == user.phone, PhoneCode.created_at > since).order_by(PhoneCode.created_at.desc())).all()
    return max(0, math.ceil(max(_wait(list(by_user), now), _wait(list(by_phone), now))))


def send_code(user: User, purpose: CodePurpose, now: datetime) -> PhoneCode:
    """Send ``user`` a new code for ``purpose`` by SMS to their phone (an outbox row, same transaction).

    Earlier unused codes of the purpose stop working. Raises Invalid when the account has no phone,
    TooSoon (429) when the account or the phone had a code too recently (see :data:`SEND_GAP`,
    :data:`SENDS_PER_HOUR`). The account's row is locked first (PostgreSQL), so two requests at once
    cannot both pass the throttle; SQLite's one writer does the same.
    """
    if not user.phone:
        raise Invalid(_l("Enter a mobile phone first."), field="phone")
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    wait = seconds_until_next(user, now)
    if wait:
        raise TooSoon(wait)
    db.session.execute(update(PhoneCode).where(PhoneCode.user_id == user.id, PhoneCode.purpose == purpose,
                                               PhoneCode.used_at.is_(None))
                       .values(used_at=now).execution_options(synchronize_session=False))
    code = f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"
    row = PhoneCode(user_id=user.id, purpose=purpose, phone=user.phone, code_hash=_digest(user.id, purpose, code),
                    created_at=now, expires_at=now + timedelta(seconds=max_age()))
    db.session.add(row)
    enqueue_sms(user, "phone_code", "phone_code", purpose=purpose.value, code=code, minutes=max_age() // 60)
    return row


def _live_code(user: User, purpose: CodePurpose) -> PhoneCode | None:
    return db.session.scalars(select(PhoneCode).where(PhoneCode.user_id == user.id, PhoneCode.purpose == purpose,
                                                      PhoneCode.used_at.is_(None))
                              .order_by(PhoneCode.id.desc()).limit(1)).first()


def use_code(user: User, purpose: CodePurpose, code: str, now: datetime, *, vague: bool = False) -> PhoneCode:
    """Accept ``code`` for ``user`` and ``purpose``: mark it used (a guarded update: once, whoever else tries
    it at the same moment). Raises WrongCode when it does not match (the wrong try is counted; the caller
    commits it), has expired, was used or replaced, was sent to a phone the account no longer has, or has
    had :data:`MAX_WRONG` wrong tries. ``vague``: one message for every case (a reset by a login that may
    name no account must not tell which case it was)."""
    code = (code or "").strip()
    if not is_code_format(code):
        raise Invalid(_l("The code is the 6 digits from the SMS."), field="code")
    generic = _l("This code is not right or no longer works. Check it, or ask for a new code.")
    row = _live_code(user, purpose)
    if row is None or row.phone != user.phone or row.expires_at <= now or row.wrong_attempts >= MAX_WRONG:
        raise WrongCode(generic if vague else _l("This code no longer works: it has expired, was used or was "
                                                 "replaced by a newer one. Ask for a new code."), field="code")
    if not hmac.compare_digest(row.code_hash, _digest(user.id, purpose, code)):
        db.session.execute(update(PhoneCode).where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
                           .values(wrong_attempts=PhoneCode.wrong_attempts + 1)
                           .execution_options(synchronize_session=False))
        left = MAX_WRONG - row.wrong_attempts - 1
        if vague:
            raise WrongCode(generic, field="code")
        if left <= 0:
            raise WrongCode(_l("The code is not right, and that was the last try. Ask for a new code."), field="code")
        raise WrongCode(ngettext("The code is not right. %(num)d try left.", "The code is not right. "
                                      "%(num)d tries left.", left), field="code")
    won = db.session.execute(update(PhoneCode).where(
        PhoneCode.id == row.id, PhoneCode.used_at.is_(None), PhoneCode.expires_at > now,
        PhoneCode.wrong_attempts < MAX_WRONG).values(used_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not won:  # used a moment ago by another request (or worn out meanwhile)
        raise WrongCode(generic if vague else _l("This code has just been used. Ask for a new code if you "
                                                 "need one."), field="code")
    return row
