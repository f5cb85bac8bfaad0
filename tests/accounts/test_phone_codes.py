"""Confirming a phone with a one-time SMS code: right, wrong, expired, reused, replaced, throttled; the code is kept
hashed and its SMS fits one segment in every language."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.accounts.codes import MAX_WRONG, SENDS_PER_HOUR
from reception.accounts.models import PhoneCode
from reception.core.clock import utcnow
from reception.notifications.models import Channel
from tests.accounts.conftest import last_code, log_in_with, sent_codes
from tests.conftest import as_sent, post_form

CONFIRM = "/profile/phone"
SEND = "/profile/phone/code"


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def citizen(client, db, make_phone_only, time_machine):
    """A phone-only citizen, logged in, with one confirmation code sent; the clock stands still."""
    time_machine.move_to(utcnow(), tick=False)
    user = make_phone_only()
    db.session.commit()
    assert log_in_with(client, user.phone).status_code == 302
    assert post_form(client, SEND, form_url=CONFIRM).status_code == 302
    return user


def _confirm(client, code: str):
    return post_form(client, CONFIRM, {"code": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"


def test_the_right_code_confirms_the_phone(client, db, citizen):
    r = _confirm(client, last_code(db, citizen))
    assert r.status_code == 302 and r.headers["Location"].endswith("/home")
    db.session.refresh(citizen)
    assert citizen.phone_confirmed_at is not None and not citizen.must_confirm_phone
    assert "is confirmed" in _text(client.get(CONFIRM))


def test_a_code_with_spaces_around_it_is_accepted(client, db, citizen):
    assert _confirm(client, f" {last_code(db, citizen)} ").status_code == 302


def test_a_wrong_code_is_refused_and_says_how_many_tries_are_left(client, db, citizen):
    r = _confirm(client, _wrong(last_code(db, citizen)))
    assert r.status_code == 422 and f"{MAX_WRONG - 1} tries left" in _text(r)
    db.session.refresh(citizen)
    assert citizen.phone_confirmed_at is None


def test_five_wrong_tries_kill_the_code_even_the_right_one_after_them(client, db, citizen):
    code = last_code(db, citizen)
    for _ in range(MAX_WRONG - 1):
        assert _confirm(client, _wrong(code)).status_code == 422
    r = _confirm(client, _wrong(code))
    assert r.status_code == 422 and "that was the last try" in _text(r)
    r = _confirm(client, code)
    assert r.status_code == 422 and "no longer works" in _text(r)
    db.session.refresh(citizen)
    assert citizen.phone_confirmed_at is None


def test_a_code_expires_after_ten_minutes_by_the_app_clock(client, db, citizen, time_machine, app):
    code = last_code(db, citizen)
    assert app.config["PHONE_CODE_MAX_AGE"] == 600
    time_machine.shift(timedelta(minutes=10, seconds=1))
    r = _confirm(client, code)
    assert r.status_code == 422 and "it has expired, was used or was replaced" in _text(r)
    db.session.refresh(citizen)
    assert citizen.phone_confirmed_at is None


def test_a_code_just_before_it_expires_still_works(client, db, citizen, time_machine):
    code = last_code(db, citizen)
    time_machine.shift(timedelta(minutes=9, seconds=59))
    assert _confirm(client, code).status_code == 302


def test_a_code_works_once(app, client, db, citizen):
    """Used once, it is spent: the same code again (a replayed form) confirms nothing more."""
    code = last_code(db, citizen)
    assert _confirm(client, code).status_code == 302
    row = db.session.scalars(select(PhoneCode).where(PhoneCode.user_id == citizen.id)).one()
    assert row.used_at is not None
    from reception.accounts import codes
    from reception.accounts.models import CodePurpose
    from reception.core.errors import Invalid

    with app.test_request_context(), pytest.raises(Invalid):
        codes.use_code(citizen, CodePurpose.CONFIRM, code, utcnow())


def test_a_new_code_replaces_the_earlier_one(client, db, citizen, time_machine):
    first = last_code(db, citizen)
    time_machine.shift(timedelta(seconds=61))
    assert post_form(client, SEND, form_url=CONFIRM).status_code == 302
    second = last_code(db, citizen)
    if second == first:  # one in a million: the test would prove nothing
        pytest.skip("the two random codes happen to be equal")
    r = _confirm(client, first)
    assert r.status_code == 422 and "The code is not right." in _text(r)
    assert _confirm(client, second).status_code == 302


def test_a_code_sent_to_the_old_number_does_not_confirm_a_new_one(client, db, citizen):
    """The code proves the number it went to: a phone changed meanwhile (by an administrator, a second tab)."""
    code = last_code(db, citizen)
    citizen.phone = "+77015559999"
    db.session.commit()
    assert _confirm(client, code).status_code == 422
    db.session.refresh(citizen)
    assert citizen.phone_confirmed_at is None


def test_asking_again_within_a_minute_is_refused_with_429_and_a_message(client, db, citizen, time_machine):
    r = post_form(client, SEND, form_url=CONFIRM)
    assert r.status_code == 429 and "A new code can be sent in 1 minute" in _text(r)
    assert len(sent_codes(db, citizen)) == 1
    time_machine.shift(timedelta(seconds=61))
    assert post_form(client, SEND, form_url=CONFIRM).status_code == 302
    assert len(sent_codes(db, citizen)) == 2


def test_the_throttle_message_is_in_the_users_language(client, db, citizen):
    citizen.language = "ru"
    db.session.commit()
    r = post_form(client, SEND, form_url=CONFIRM)
    assert r.status_code == 429 and "Новый код можно отправить через 1 минуту" in _text(r)


def test_at_most_five_codes_an_hour_per_account(client, db, citizen, time_machine):
    for _ in range(SENDS_PER_HOUR - 1):
        time_machine.shift(timedelta(seconds=61))
        assert post_form(client, SEND, form_url=CONFIRM).status_code == 302
    time_machine.shift(timedelta(seconds=61))
    r = post_form(client, SEND, form_url=CONFIRM)
    assert r.status_code == 429 and "minutes" in _text(r)
    assert len(sent_codes(db, citizen)) == SENDS_PER_HOUR
    time_machine.shift(timedelta(hours=1))
    assert post_form(client, SEND, form_url=CONFIRM).status_code == 302


def test_the_throttle_counts_per_phone_across_accounts(app, client, db, make_phone_only, time_machine):
    """Two accounts naming one phone cannot double the SMS sent to it."""
    time_machine.move_to(utcnow(), tick=False)
    first = make_phone_only(phone="+77015550077")
    second = make_phone_only(phone="+77015550077")
    db.session.commit()
    log_in_with(client, first.iin)
    assert post_form(client, SEND, form_url=CONFIRM).status_code == 302
    post_form(client, "/logout", form_url="/profile")
    log_in_with(client, second.iin)
    assert post_form(client, SEND, form_url=CONFIRM).status_code == 429
    assert not sent_codes(db, second)


def test_the_code_is_stored_hashed_not_as_sent(client, db, citizen):
    code = last_code(db, citizen)
    row = db.session.scalars(select(PhoneCode).where(PhoneCode.user_id == citizen.id)).one()
    assert code not in row.code_hash and len(row.code_hash) == 64


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("purpose", ["confirm", "reset"])
def test_the_code_sms_fits_one_segment_in_every_language(app, db, make_phone_only, language, purpose):
    """70 characters when any character needs UCS-2 (Cyrillic), 160 in the GSM alphabet."""
    from reception.accounts import codes
    from reception.accounts.models import CodePurpose

    user = make_phone_only(language=language)
    with app.test_request_context():
        codes.send_code(user, CodePurpose(purpose), utcnow())
        db.session.flush()
        [message] = as_sent(sent_codes(db, user))
    text = message.body_text
    assert message.channel is Channel.SMS
    limit = 160 if text.isascii() else 70
    assert len(text) <= limit, f"{len(text)} characters: {text}"
    assert last_code(db, user) in text and "10" in text


# --- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 34 56", "１２３４５６", ""])
def test_a_code_that_is_not_six_digits_is_refused_with_a_message_and_counts_nothing(client, db, citizen, code):
    r = _confirm(client, code)
    assert r.status_code == 422
    assert "The code is the 6 digits from the SMS." in _text(r) or "This field is required." in _text(r)
    row = db.session.scalars(select(PhoneCode).where(PhoneCode.user_id == citizen.id)).one()
    db.session.refresh(row)
    assert row.wrong_attempts == 0 and row.used_at is None


def test_a_forged_form_without_the_csrf_token_is_refused(client, db, citizen):
    code = last_code(db, citizen)
    assert client.post(CONFIRM, data={"code": code}).status_code == 400
    assert client.post(SEND, data={}).status_code == 400
    db.session.refresh(citizen)
    assert citizen.phone_confirmed_at is None and len(sent_codes(db, citizen)) == 1


def test_confirming_needs_a_login(app, db):
    visitor = app.test_client()
    for url in (CONFIRM, SEND):
        r = visitor.post(url, data={"code": "123456"}) if url == SEND else visitor.get(url)
        assert r.status_code in (302, 400)
        if r.status_code == 302:
            assert "/login" in r.headers["Location"]


def test_an_account_without_a_phone_is_told_to_add_one(client, db, login_as):
    login_as("citizen", phone=None)
    assert "has no mobile phone" in _text(client.get(CONFIRM))
    r = post_form(client, SEND, form_url="/profile")
    assert r.status_code == 422 and "Enter a mobile phone first." in _text(r)
