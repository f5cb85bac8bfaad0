"""A forgotten password reset by an SMS code: for a phone, or the IIN of an account without e-mail. The answer is
the same whether or not an account matches; the code follows the same rules as a confirmation code."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reception.accounts.codes import MAX_WRONG
from reception.core.clock import utcnow
from reception.notifications.models import Channel, OutboxMessage
from tests.accounts.conftest import last_code, log_in_with, sent_codes
from tests.conftest import post_form

FORGOT = "/password/forgot"
RESET = "/password/reset/code"
NEW = "a brand new secret"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _reset(client, login: str, code: str, password: str = NEW):
    return post_form(client, RESET, {"login": login, "code": code, "password": password,
                                     "password_confirm": password})


def _outbox(db) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(utcnow(), tick=False)
    return time_machine


def test_forgot_with_a_phone_sends_a_code_and_the_code_sets_a_new_password(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    r = post_form(client, FORGOT, {"login": "8 " + user.phone[2:]})
    assert r.status_code == 302 and r.headers["Location"].endswith(RESET)
    [sms] = sent_codes(db, user)
    assert sms.channel is Channel.SMS and sms.recipient == user.phone
    page = _text(client.get(RESET))
    assert "we have sent a code to its phone by SMS" in page
    r = _reset(client, user.phone, last_code(db, user))
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert log_in_with(client, user.phone, NEW).status_code == 302
    db.session.refresh(user)
    assert user.phone_confirmed_at is not None  # the code proved the phone is the owner's


def test_forgot_with_the_iin_of_a_phone_only_account_sends_a_code_by_sms(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    r = post_form(client, FORGOT, {"login": user.iin})
    assert r.status_code == 302 and r.headers["Location"].endswith(RESET)
    assert user.iin not in _text(client.get(RESET))  # not kept in the session cookie for the next form
    assert _reset(client, user.iin, last_code(db, user)).status_code == 302
    assert log_in_with(client, user.iin, NEW).status_code == 302


def test_forgot_with_the_iin_of_an_account_with_e_mail_still_sends_the_link_by_e_mail(client, db, make_user, frozen):
    user = make_user("citizen", iin="850101300015")
    db.session.commit()
    r = post_form(client, FORGOT, {"login": user.iin})
    assert r.status_code == 302 and r.headers["Location"].endswith(RESET)  # the same answer as for a phone-only one
    kinds = db.session.scalars(select(OutboxMessage.channel).where(OutboxMessage.user_id == user.id)).all()
    assert kinds == [Channel.EMAIL]


def test_an_unknown_phone_gets_the_same_answer_and_nothing_is_sent(client, db, make_phone_only, frozen):
    known = make_phone_only()
    db.session.commit()
    before = _outbox(db)
    unknown = post_form(client, FORGOT, {"login": "+77015559876"})
    assert _outbox(db) == before
    client.get(RESET)  # reads the flashed message
    answer = post_form(client, FORGOT, {"login": known.phone})
    assert (unknown.status_code, unknown.headers["Location"]) == (answer.status_code, answer.headers["Location"])
    r = _reset(client, "+77015559876", "123456")
    assert r.status_code == 422 and "This code is not right or no longer works." in _text(r)


def test_a_wrong_code_says_the_same_as_an_unknown_account(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    post_form(client, FORGOT, {"login": user.phone})
    code = last_code(db, user)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    r = _reset(client, user.phone, wrong)
    assert r.status_code == 422 and "This code is not right or no longer works." in _text(r)
    assert "tries left" not in _text(r)


def test_the_reset_code_works_once_and_dies_after_five_wrong_tries(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    post_form(client, FORGOT, {"login": user.phone})
    code = last_code(db, user)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(MAX_WRONG):
        assert _reset(client, user.phone, wrong).status_code == 422
    assert _reset(client, user.phone, code).status_code == 422
    assert log_in_with(client, user.phone, NEW).status_code == 401
    frozen.shift(timedelta(minutes=2))
    post_form(client, FORGOT, {"login": user.phone})
    code = last_code(db, user)
    assert _reset(client, user.phone, code).status_code == 302
    assert _reset(client, user.phone, code, "yet another secret").status_code == 422  # spent
    assert log_in_with(client, user.phone, NEW).status_code == 302


def test_the_reset_code_expires(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    post_form(client, FORGOT, {"login": user.phone})
    code = last_code(db, user)
    frozen.shift(timedelta(minutes=11))
    assert _reset(client, user.phone, code).status_code == 422


def test_a_confirmation_code_does_not_reset_the_password(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    log_in_with(client, user.phone)
    post_form(client, "/profile/phone/code", form_url="/profile/phone")
    post_form(client, "/logout", form_url="/profile")
    assert _reset(client, user.phone, last_code(db, user)).status_code == 422


def test_a_reset_by_code_ends_every_session_of_the_account(app, client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    assert log_in_with(client, user.phone).status_code == 302
    assert client.get("/profile").status_code == 200
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    post_form(browser, FORGOT, {"login": user.phone})
    assert _reset(browser, user.phone, last_code(db, user)).status_code == 302
    r = client.get("/profile")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_asking_for_codes_in_a_loop_is_refused_with_429_known_or_not(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    for login in (user.phone, "+77015559877"):
        statuses = [post_form(client, FORGOT, {"login": login}).status_code for _ in range(4)]
        assert statuses == [302, 302, 302, 429], login
    assert len(sent_codes(db, user)) == 1  # the throttle of codes let one through in the minute


# --- bad input ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", ""])
def test_a_reset_code_that_is_not_six_digits_is_refused_with_a_message(client, db, code):
    r = _reset(client, "+77015550101", code)
    assert r.status_code == 422
    assert "The code is the 6 digits from the SMS." in _text(r) or "This field is required." in _text(r)


def test_mismatched_new_passwords_are_refused(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    post_form(client, FORGOT, {"login": user.phone})
    r = post_form(client, RESET, {"login": user.phone, "code": last_code(db, user), "password": NEW,
                                  "password_confirm": NEW + "x"})
    assert r.status_code == 422 and "The passwords do not match." in _text(r)
    assert _reset(client, user.phone, last_code(db, user)).status_code == 302  # the code was not spent


def test_a_forged_reset_form_is_refused(client, db, make_phone_only, frozen):
    user = make_phone_only()
    db.session.commit()
    post_form(client, FORGOT, {"login": user.phone})
    r = client.post(RESET, data={"login": user.phone, "code": last_code(db, user), "password": NEW,
                                 "password_confirm": NEW})
    assert r.status_code == 400
    assert log_in_with(client, user.phone, NEW).status_code == 401
