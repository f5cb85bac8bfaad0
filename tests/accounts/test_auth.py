"""Registration, login, logout, throttling and password reset through the pages."""
import io
import re

from sqlalchemy import func, select

from reception.accounts.models import User
from reception.core.permissions import Role
from reception.notifications.models import OutboxMessage
from reception.notifications.services import dispatch_due
from tests.conftest import PASSWORD, as_sent, login, post_form, region

VALID = {
    "iin": "850101300015", "full_name": "Айгүл Серікқызы Нұрланова", "phone": "8 701 234 56 78",
    "email": "Aigul@Example.kz", "password": "a long secret 1", "password_confirm": "a long secret 1",
    "language": "kk",
}


def _registration(**overrides):
    data = {**VALID, "region_id": str(region("KZ-15").id)}
    data.update(overrides)
    return data


def _users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_citizen_registers_and_lands_on_home_with_masked_iin(client, db):
    r = post_form(client, "/register", _registration())
    assert r.status_code == 302 and r.headers["Location"].endswith("/home")
    user = db.session.scalars(select(User).where(User.iin == "850101300015")).one()
    assert user.email == "aigul@example.kz"
    assert user.phone == "+77012345678"
    assert user.region.code == "KZ-15" and user.language == "kk"
    assert user.roles == {Role.CITIZEN}
    assert user.password_hash.startswith("$argon2id$")
    home = client.get("/home").get_data(as_text=True)
    assert "85********15" in home and "850101300015" not in home


def test_registration_refuses_a_wrong_iin_with_a_message_and_writes_nothing(client, db):
    before = _users(db)
    r = post_form(client, "/register", _registration(iin="901123300255"))
    assert r.status_code == 422
    assert "check digit" in r.get_data(as_text=True)
    assert _users(db) == before


def test_registration_refuses_a_russian_phone_number(client, db):
    r = post_form(client, "/register", _registration(phone="+7 912 345 67 89"))
    assert r.status_code == 422
    assert "Kazakh mobile number" in r.get_data(as_text=True)


def test_registration_refuses_duplicate_iin_and_duplicate_email(client, db, make_user):
    make_user(Role.CITIZEN, iin="850101300015", email="first@example.kz")
    db.session.commit()
    before = _users(db)
    r = post_form(client, "/register", _registration())
    assert r.status_code == 409 and "IIN already exists" in r.get_data(as_text=True)
    r = post_form(client, "/register", _registration(iin="921231400007", email="FIRST@example.kz"))
    assert r.status_code == 409 and "e-mail already exists" in r.get_data(as_text=True)
    assert _users(db) == before


def test_registration_refuses_an_unknown_region(client, db):
    before = _users(db)
    r = post_form(client, "/register", _registration(region_id="999999"))
    assert r.status_code == 422
    assert _users(db) == before


def test_registration_preselects_no_region_and_refuses_none_chosen(client, db):
    page = client.get("/register").get_data(as_text=True)
    region_select = page.split('name="region_id"')[1].split("</select>")[0]
    first_option = region_select.split("<option")[1]
    assert "selected" not in region_select and 'value="0">Choose your region' in first_option  # a browser shows it
    before = _users(db)
    r = post_form(client, "/register", _registration(region_id="0"))
    assert r.status_code == 422 and "This field is required" in r.get_data(as_text=True)
    assert _users(db) == before


def test_registration_error_messages_follow_the_chosen_language(client, db):
    client.set_cookie("lang", "ru")
    r = post_form(client, "/register", _registration(iin="123"))
    assert r.status_code == 422
    assert 'lang="ru"' in r.get_data(as_text=True)


def test_login_with_email_or_iin_and_logout(client, make_user, db):
    user = make_user(Role.CITIZEN, iin="921231400007")
    db.session.commit()
    for login_name in (user.email.upper(), "921231400007"):
        r = post_form(client, "/login", {"login": login_name, "password": PASSWORD})
        assert r.status_code == 302
        assert client.get("/home").status_code == 200
        r = post_form(client, "/logout", form_url="/home")
        assert r.status_code == 302
        assert client.get("/home").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_user, db):
    user = make_user(Role.CITIZEN)
    db.session.commit()
    r = post_form(client, "/login", {"login": user.email, "password": "wrong password"})
    assert r.status_code == 401
    assert "Wrong e-mail, IIN, phone or password" in r.get_data(as_text=True)


def test_login_is_throttled_after_repeated_failures(client, make_user, db):
    user = make_user(Role.CITIZEN)
    db.session.commit()
    statuses = [post_form(client, "/login", {"login": user.email, "password": "nope nope"}).status_code
                for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    # Even the right password is refused while the account is throttled.
    r = post_form(client, "/login", {"login": user.email, "password": PASSWORD})
    assert r.status_code == 429
    assert "Too many attempts" in r.get_data(as_text=True)


def test_deactivated_account_cannot_log_in(client, make_user, db):
    user = make_user(Role.ASSISTANT, is_active=False)
    db.session.commit()
    r = post_form(client, "/login", {"login": user.email, "password": PASSWORD})
    assert r.status_code == 401


def test_login_ignores_an_offsite_next_parameter(client, make_user, db):
    user = make_user(Role.CITIZEN)
    db.session.commit()
    r = post_form(client, "/login?next=https://evil.example/", {"login": user.email, "password": PASSWORD},
                  form_url="/login")
    assert r.status_code == 302 and r.headers["Location"] == "/home"


def _reset_link(app, db, user) -> str:
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                             OutboxMessage.kind == "password_reset")).one()
    as_sent(message)
    return re.search(r"http://reception\.test(/password/reset/\S+)", message.body_text).group(1)


def test_password_reset_link_goes_through_the_outbox_and_works_once(app, client, make_user, db):
    user = make_user(Role.CITIZEN, language="ru")
    db.session.commit()
    r = post_form(client, "/password/forgot", {"login": user.email})
    assert r.status_code == 302
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)).one()
    assert message.locale == "ru" and message.recipient == user.email
    link = _reset_link(app, db, user)

    stream = io.StringIO()
    app.config["CONSOLE_STREAM"] = stream
    try:
        with app.test_request_context():
            assert dispatch_due().sent == 1
    finally:
        app.config.pop("CONSOLE_STREAM")
    assert link in stream.getvalue()

    r = post_form(client, link, {"password": "brand new secret", "password_confirm": "brand new secret"})
    assert r.status_code == 302
    login(client, user, "brand new secret")
    post_form(client, "/logout", form_url="/home")
    r = post_form(client, link, {"password": "another secret 2", "password_confirm": "another secret 2"})
    assert r.status_code == 422 and "already been used" in r.get_data(as_text=True)


def test_password_reset_for_unknown_account_says_the_same_and_sends_nothing(client, db):
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    r = post_form(client, "/password/forgot", {"login": "nobody@example.kz"})
    assert r.status_code == 302
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before


def test_expired_or_forged_reset_link_is_refused(app, client, make_user, db):
    user = make_user(Role.CITIZEN)
    db.session.commit()
    r = post_form(client, "/password/reset/forged-token",
                  {"password": "brand new secret", "password_confirm": "brand new secret"})
    assert r.status_code == 422 and "not valid" in r.get_data(as_text=True)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        post_form(client, "/password/forgot", {"login": user.email})
        link = _reset_link(app, db, user)
        r = post_form(client, link, {"password": "brand new secret", "password_confirm": "brand new secret"})
        assert r.status_code == 422 and "expired" in r.get_data(as_text=True)
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_citizen_updates_profile_language(client, login_as, db):
    user = login_as(Role.CITIZEN)
    r = post_form(client, "/profile", {"full_name": "New Name", "phone": "+77071112233",
                                       "region_id": str(region("KZ-15").id), "language": "ru"})
    assert r.status_code == 302
    db.session.refresh(user)
    assert (user.full_name, user.phone, user.language) == ("New Name", "+77071112233", "ru")
    assert 'lang="ru"' in client.get("/home").get_data(as_text=True)
