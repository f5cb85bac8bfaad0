"""Phone-only citizens: an account with a phone and no e-mail, and the codes the outbox sends them."""
from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from reception.accounts.models import NotifyBy, User
from reception.accounts.validation import iin_check_digit
from reception.core.permissions import Role
from reception.notifications.models import Channel, OutboxMessage
from tests.conftest import PASSWORD, as_sent, post_form

_phones = itertools.count(1001)


def fresh_phone() -> str:
    """A Kazakh mobile number no other test account has (the factories share +77010000000)."""
    return f"+7701555{next(_phones) % 10000:04d}"


def valid_iin(serial: int) -> str:
    """A valid IIN of a man born on 1 January 1985 with ``serial`` (its check digit computed)."""
    while True:
        first11 = f"8501013{serial % 10000:04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)
        serial += 1


@pytest.fixture
def make_phone_only(make_user):
    """A citizen with a phone and no e-mail (SMS notices), unconfirmed unless ``confirmed``."""
    def make(confirmed: bool = False, **overrides) -> User:
        from reception.core.clock import utcnow

        values = dict(email=None, phone=fresh_phone(), notify_by=NotifyBy.SMS, iin=valid_iin(next(_phones)))
        if confirmed:
            values["phone_confirmed_at"] = utcnow()
        values.update(overrides)
        return make_user(Role.CITIZEN, **values)
    return make


def sent_codes(db, user: User) -> list[OutboxMessage]:
    """The SMS codes the outbox holds for ``user``, oldest first."""
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                          OutboxMessage.kind == "phone_code")
                              .order_by(OutboxMessage.id)).all()


def last_code(db, user: User) -> str:
    """The digits of the last code sent to ``user`` by SMS, read from the message as it is sent."""
    messages = sent_codes(db, user)
    assert messages, "no code was sent"
    message = as_sent(messages[-1])
    assert message.channel is Channel.SMS and message.recipient == user.phone
    return re.search(r"\b(\d{6})\b", message.body_text).group(1)


def log_in_with(client, login: str, password: str = PASSWORD):
    return post_form(client, "/login", {"login": login, "password": password})
