"""Personal access tokens: made on the profile's API tokens page (the secret shown once, only its hash kept),
listed with their last use, revoked; bearer authentication on the API (never the session cookie), scopes
within the user's own rights, and a rate limit per token."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.api.models import ApiToken
from reception.api.scopes import PERMISSION_LABELS
from reception.core.clock import utcnow
from reception.core.permissions import Permission, Role
from tests.api.conftest import bearer
from tests.conftest import csrf_from, post_form

PROBLEM = "application/problem+json"
MINE = "/api/v1/me/appointments"


def _expiry(days: int = 30) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


def _create(client, **data):
    form = {"name": "My phone", "expires_on": _expiry(), "scopes": ["appointments:read", "appointments:write"]}
    form.update(data)
    return post_form(client, "/profile/api-tokens", form)


def test_the_profile_links_to_the_tokens_page(client, login_as):
    login_as(Role.CITIZEN)
    assert "/profile/api-tokens" in client.get("/profile").get_data(as_text=True)


def test_a_token_is_shown_once_and_stored_hashed(client, db, login_as):
    user = login_as(Role.CITIZEN)
    page = _create(client)
    assert page.status_code == 200
    secret = re.search(r'<code id="new-token">(rcp_[A-Za-z0-9_-]+)</code>', page.get_data(as_text=True)).group(1)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.hint, token.name, token.scopes) and token.hint == secret[:10]
    assert 'name="scopes"' in page.get_data(as_text=True)  # the form is offered again, for another token
    listed = client.get("/profile/api-tokens").get_data(as_text=True)
    assert secret not in listed and "My phone" in listed and "Never" in listed
    assert client.get(MINE, headers=bearer(secret)).status_code == 200


def test_the_last_use_is_recorded_and_listed(client, db, login_as, make_token):
    user = login_as(Role.CITIZEN)
    secret = make_token(user)
    client.get(MINE, headers=bearer(secret))
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    db.session.refresh(token)
    assert token.last_used_at is not None and utcnow() - token.last_used_at < timedelta(minutes=1)
    assert "Never" not in client.get("/profile/api-tokens").get_data(as_text=True)


def test_a_revoked_token_is_refused_with_401(client, db, login_as, make_token):
    user = login_as(Role.CITIZEN)
    secret = make_token(user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    page = client.get("/profile/api-tokens").get_data(as_text=True)
    assert f'action="/profile/api-tokens/{token.id}/revoke"' in page  # the list's Revoke button
    r = post_form(client, f"/profile/api-tokens/{token.id}/revoke", form_url="/profile/api-tokens")
    assert r.status_code == 302
    r = client.get(MINE, headers=bearer(secret))
    assert r.status_code == 401 and r.mimetype == PROBLEM
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="reception", error="invalid_token"'
    assert "Revoked" in client.get("/profile/api-tokens").get_data(as_text=True)


def test_nobody_revokes_another_users_token(client, db, login_as, make_user, make_token):
    secret = make_token(make_user())
    token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    login_as(Role.CITIZEN)
    r = post_form(client, f"/profile/api-tokens/{token.id}/revoke", form_url="/profile/api-tokens")
    assert r.status_code == 404
    assert client.get(MINE, headers=bearer(secret)).status_code == 200


def test_revoking_needs_the_forms_csrf_token(client, db, login_as, make_token):
    user = login_as(Role.CITIZEN)
    make_token(user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert client.post(f"/profile/api-tokens/{token.id}/revoke").status_code == 400
    db.session.refresh(token)
    assert token.revoked_at is None


def test_an_expired_token_is_refused_with_401(client, db, make_user, make_token):
    user = make_user()
    secret = make_token(user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = client.get(MINE, headers=bearer(secret))
    assert r.status_code == 401 and r.mimetype == PROBLEM


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer rcp_made-up"}, {"Authorization": "Basic eDp5"},
                                     {"Authorization": "Bearer"}])
def test_no_usable_token_is_a_401_with_a_bearer_challenge(client, headers):
    r = client.get(MINE, headers=headers)
    assert r.status_code == 401 and r.mimetype == PROBLEM
    assert r.headers["WWW-Authenticate"].startswith('Bearer realm="reception"')


def test_a_session_cookie_is_not_accepted(client, login_as):
    login_as(Role.CITIZEN)
    assert client.get("/my/appointments/").status_code == 200  # logged in for pages
    r = client.get(MINE)
    assert r.status_code == 401 and r.mimetype == PROBLEM


def test_a_token_without_the_scope_is_refused_with_403(client, make_user, make_token, free_session, topic):
    secret = make_token(make_user(), scopes=["appointments:read"])
    assert client.get(MINE, headers=bearer(secret)).status_code == 200
    r = client.post(MINE, headers=bearer(secret), json={"slot_id": free_session.slots[0].id, "format": "in_person",
                                                        "topic_id": topic.id, "summary": "x"})
    assert r.status_code == 403 and r.mimetype == PROBLEM
    assert r.json["detail"] == "This token does not have the scope appointments:write."


def test_a_token_loses_what_its_user_loses(client, db, make_user, make_token):
    user = make_user()
    secret = make_token(user)
    user.role_rows = []  # no longer a citizen
    db.session.commit()
    assert client.get(MINE, headers=bearer(secret)).status_code == 403


def test_a_deactivated_users_token_is_refused(client, db, make_user, make_token):
    user = make_user()
    secret = make_token(user)
    user.is_active = False
    db.session.commit()
    assert client.get(MINE, headers=bearer(secret)).status_code == 401


def test_scopes_beyond_the_users_rights_are_refused_at_creation(client, db, login_as):
    user = login_as(Role.CITIZEN)
    page = client.get("/profile/api-tokens").get_data(as_text=True)
    assert "appointments:write" in page and Permission.AUDIT_VIEW.value not in page
    r = _create(client, scopes=["appointments:read", Permission.AUDIT_VIEW.value])
    assert r.status_code == 422
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None


def test_staff_choose_among_their_own_permissions(client, db, login_as):
    user = login_as(Role.ASSISTANT)
    page = client.get("/profile/api-tokens").get_data(as_text=True)
    assert Permission.SCHEDULE_MANAGE_OWN.value in page and "appointments:write" not in page
    assert "Manage your body&#39;s reception schedules" in page  # a person's words, not only the code
    assert _create(client, scopes=[Permission.SCHEDULE_MANAGE_OWN.value]).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.scopes == Permission.SCHEDULE_MANAGE_OWN.value
    assert _create(client, scopes=["appointments:read"]).status_code == 422


def test_every_permission_has_words_for_the_tokens_page():
    assert set(PERMISSION_LABELS) == set(Permission)
    assert len({str(label) for label in PERMISSION_LABELS.values()}) == len(Permission)  # none mistaken for another


@pytest.mark.parametrize("language,words", [("kk", "Өз күн тақтаңызды жүргізу"),
                                            ("ru", "Вести свои приёмы на день")])
def test_staff_read_their_scopes_in_their_language(client, login_as, language, words):
    login_as(Role.OFFICIAL, language=language)
    assert words in client.get("/profile/api-tokens").get_data(as_text=True)


@pytest.mark.parametrize("data,field", [({"name": ""}, "name"), ({"scopes": []}, "scopes"),
                                        ({"expires_on": "2020-01-01"}, "expires_on"),
                                        ({"expires_on": "not a date"}, "expires_on"),
                                        ({"name": "x" * 101}, "name")])
def test_bad_token_forms_are_answered_with_the_fields_message(client, login_as, data, field):
    login_as(Role.CITIZEN)
    if field == "expires_on" and data["expires_on"] == "2020-01-01":
        data = {"expires_on": _expiry(400)}
    r = _create(client, **data)
    assert r.status_code == 422
    assert "has-error" in r.get_data(as_text=True)


def test_the_tokens_page_needs_a_login_and_its_forms_csrf(client, login_as):
    assert client.get("/profile/api-tokens").status_code == 302
    login_as(Role.CITIZEN)
    r = client.post("/profile/api-tokens", data={"name": "x", "expires_on": _expiry(), "scopes": ["appointments:read"]})
    assert r.status_code == 400


@pytest.mark.parametrize("language,words", [("kk", "API токендері"), ("ru", "API-токены")])
def test_the_page_speaks_kazakh_and_russian(client, login_as, language, words):
    login_as(Role.CITIZEN, language=language)
    assert words in client.get("/profile/api-tokens").get_data(as_text=True)


def test_each_token_has_its_own_rate_limit_with_retry_after(app, client, make_user, make_token, monkeypatch):
    first, second = make_token(make_user()), make_token(make_user())
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")  # RECEPTION_API_RATE_LIMIT
    answers = [client.get(MINE, headers=bearer(first)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    r = client.get(MINE, headers=bearer(first))
    assert r.status_code == 429 and r.mimetype == PROBLEM and int(r.headers["Retry-After"]) >= 1
    assert client.get(MINE, headers=bearer(second)).status_code == 200


def test_the_api_needs_no_csrf_token(client, citizen_token, free_session, topic):
    _user, secret = citizen_token
    r = client.post(MINE, headers=bearer(secret), json={"slot_id": free_session.slots[0].id, "format": "in_person",
                                                        "topic_id": topic.id, "summary": "x"})
    assert r.status_code == 201


def test_csrf_still_guards_the_pages(client, login_as):
    login_as(Role.CITIZEN)
    token = csrf_from(client, "/profile")
    assert token and client.post("/profile/api-tokens", data={"name": "x"}).status_code == 400
