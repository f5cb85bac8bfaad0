"""Sessions end when they should (issue 14, finding 3): a copied session cookie works until the account's
password is reset, its owner logs out (here or everywhere), an administrator changes its roles or disables
it; staff sessions also end after the idle time. Each test copies the cookie into a second browser (the
"thief"), shows that it works, does the event, and shows that the copy now leads to the login page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.accounts.models import User
from reception.accounts.services import make_reset_token
from reception.core.clock import utcnow
from reception.core.permissions import Role
from tests.conftest import login, post_form

PRIVATE = "/profile"


def _copy_of(client):
    """A second browser holding a copy of ``client``'s session cookie (same address and browser, so
    Flask-Login's session protection cannot tell them apart: only the server's own state can)."""
    thief = client.application.test_client()
    thief.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in(client) -> bool:
    response = client.get(PRIVATE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login"), response.status
    return False


@pytest.fixture
def citizen(client, login_as):
    return login_as(Role.CITIZEN)


def test_a_password_reset_ends_every_session_of_the_account(app, client, db, citizen):
    thief = _copy_of(client)
    assert _signed_in(thief)
    with app.test_request_context():
        token = make_reset_token(db.session.get(User, citizen.id))
    browser = app.test_client()
    r = post_form(browser, f"/password/reset/{token}", {"password": "brand new secret",
                                                        "password_confirm": "brand new secret"})
    assert r.status_code == 302
    assert not _signed_in(thief)
    assert not _signed_in(client)  # the owner's own earlier session too: they log in with the new password
    login(client, citizen, "brand new secret")
    assert _signed_in(client) and not _signed_in(thief)


def test_logging_out_ends_the_copied_cookie_too(client, db, citizen):
    thief = _copy_of(client)
    assert _signed_in(thief)
    r = post_form(client, "/logout", form_url=PRIVATE)
    assert r.status_code == 302
    assert not _signed_in(client) and not _signed_in(thief)
    login(client, citizen)  # logging in again gives a new session that works
    assert _signed_in(client) and not _signed_in(thief)


def test_log_out_everywhere_ends_every_other_session_and_keeps_this_one(client, db, citizen):
    thief = _copy_of(client)
    elsewhere = client.application.test_client()
    login(elsewhere, citizen)
    assert _signed_in(thief) and _signed_in(elsewhere)
    page = client.get(PRIVATE).get_data(as_text=True)
    assert 'action="/profile/sessions/end"' in page and "Log out everywhere else" in page
    r = post_form(client, "/profile/sessions/end", form_url=PRIVATE)
    assert r.status_code == 302 and r.headers["Location"] == PRIVATE
    assert "logged out on every other device" in client.get(PRIVATE).get_data(as_text=True)
    assert _signed_in(client)
    assert not _signed_in(thief) and not _signed_in(elsewhere)


def test_log_out_everywhere_needs_the_csrf_token(client, db, citizen):
    thief = _copy_of(client)
    assert client.post("/profile/sessions/end").status_code == 400
    assert _signed_in(thief)


def _staff_form(staff: User, **overrides) -> dict:
    data = {"full_name": staff.full_name, "email": staff.email, "phone": "", "language": "en",
            "body_id": str(staff.body_id or 0), "roles": [r.value for r in staff.roles], "is_active": "y",
            "password": ""}
    data.update(overrides)
    return data


@pytest.mark.parametrize("change", [
    {"roles": ["official"]},                   # a role taken away (and another given)
    {"roles": ["assistant", "official"]},      # a role given: the account's rights changed
    {"is_active": ""},                          # the account disabled
    {"password": "a new initial password"},    # a new password set by the administrator
])
def test_an_administrators_change_ends_the_staff_members_sessions(app, client, db, make_user, change):
    staff = make_user(Role.ASSISTANT)
    db.session.commit()
    login(client, staff)
    thief = _copy_of(client)
    assert _signed_in(thief)
    admin_browser = app.test_client()
    login(admin_browser, make_user(Role.ADMIN))
    r = post_form(admin_browser, f"/admin/staff/{staff.id}", _staff_form(staff, **change))
    assert r.status_code == 302, r.get_data(as_text=True)
    assert not _signed_in(thief) and not _signed_in(client)
    assert _signed_in(admin_browser)


def test_saving_a_staff_account_unchanged_keeps_its_sessions(app, client, db, make_user):
    staff = make_user(Role.ASSISTANT)
    db.session.commit()
    login(client, staff)
    admin_browser = app.test_client()
    login(admin_browser, make_user(Role.ADMIN))
    r = post_form(admin_browser, f"/admin/staff/{staff.id}", _staff_form(staff, full_name="A New Name"))
    assert r.status_code == 302
    assert _signed_in(client)


def test_an_administrator_changing_their_own_account_stays_signed_in_here_only(client, db, login_as):
    admin = login_as(Role.ADMIN)
    thief = _copy_of(client)
    r = post_form(client, f"/admin/staff/{admin.id}", _staff_form(admin, roles=["admin", "monitor"]))
    assert r.status_code == 302
    assert _signed_in(client) and not _signed_in(thief)


def test_a_session_copied_before_a_reset_cannot_come_back_with_the_old_version(app, client, db, citizen):
    """The version only rises: resetting twice never makes an old cookie's version current again."""
    old = _copy_of(client)
    post_form(client, "/logout", form_url=PRIVATE)
    login(client, citizen)
    post_form(client, "/logout", form_url=PRIVATE)
    login(client, citizen)
    assert _signed_in(client) and not _signed_in(old)
    assert db.session.scalar(select(User.session_version).where(User.id == citizen.id)) == 2


# --- staff idle time ------------------------------------------------------------------------------

def test_a_staff_session_ends_after_the_idle_time_measured_from_the_last_request(app, client, db, login_as,
                                                                                    time_machine):
    time_machine.move_to(utcnow(), tick=False)
    staff = login_as(Role.ASSISTANT)
    idle = app.config["STAFF_IDLE_MINUTES"]
    time_machine.shift(timedelta(minutes=idle - 1))
    assert _signed_in(client)                   # within the idle time; this request counts as activity
    time_machine.shift(timedelta(minutes=idle - 1))
    assert _signed_in(client)                   # 2 × (idle − 1) minutes since login, but never idle that long
    time_machine.shift(timedelta(minutes=idle, seconds=1))
    assert not _signed_in(client)
    login(client, staff)
    assert _signed_in(client)


def test_citizens_have_no_idle_time(app, client, db, login_as, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    login_as(Role.CITIZEN)
    time_machine.shift(timedelta(minutes=app.config["STAFF_IDLE_MINUTES"] * 4))
    assert _signed_in(client)


def test_the_idle_time_is_configurable(app, client, db, login_as, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    app.config["STAFF_IDLE_MINUTES"] = 5
    try:
        login_as(Role.MONITOR)
        time_machine.shift(timedelta(minutes=6))
        assert not _signed_in(client)
    finally:
        app.config["STAFF_IDLE_MINUTES"] = 30
