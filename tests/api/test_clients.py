"""Integration clients, made by administrators on their pages: a client for a body's system (or a national one)
with integration scopes of its own, tokens shown once and stored hashed, revoked tokens and disabled clients
refused, and a client's token that can do nothing a person's token does."""
from __future__ import annotations

import hashlib
import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.api.models import ApiClient, ApiToken
from reception.api.scopes import INTEGRATION_SCOPES, REQUESTS_ON_BEHALF, REQUESTS_ON_BEHALF_READ
from reception.api.tokens import issue_token
from reception.audit.models import AuditEvent
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.extensions import db as _db
from tests.api.conftest import bearer
from tests.conftest import post_form

PROBLEM = "application/problem+json"
MINE = "/api/v1/integration/requests"
_seq = itertools.count(1)


def make_client(body=None, scopes=tuple(INTEGRATION_SCOPES)) -> ApiClient:
    """An integration client (committed), for ``body``'s system or a national one."""
    client = ApiClient(name=f"Test system {next(_seq)}", body_id=body.id if body else None, scopes=" ".join(scopes))
    _db.session.add(client)
    _db.session.commit()
    return client


def client_token(client: ApiClient | None = None, scopes=tuple(INTEGRATION_SCOPES), days: int = 30) -> str:
    """The secret of a new token of ``client`` (a new national client unless given), committed."""
    client = client or make_client()
    _token, secret = issue_token("test", scopes, utcnow() + timedelta(days=days), utcnow(), client_id=client.id)
    _db.session.commit()
    return secret


def _expiry(days: int = 30) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


def _secret(page) -> str | None:
    found = re.search(r'<code id="new-token">(rcp_[A-Za-z0-9_-]+)</code>', page.get_data(as_text=True))
    return found.group(1) if found else None


def _new_client(client, **data):
    form = {"name": "e-Otinish", "body_id": "0", "scopes": [REQUESTS_ON_BEHALF, REQUESTS_ON_BEHALF_READ]}
    form.update(data)
    return post_form(client, "/admin/api-clients/new", form)


def _new_token(client, client_id: int, **data):
    form = {"name": "production", "expires_on": _expiry(), "scopes": [REQUESTS_ON_BEHALF, REQUESTS_ON_BEHALF_READ]}
    form.update(data)
    return post_form(client, f"/admin/api-clients/{client_id}", form)


def test_the_administrators_home_links_to_the_clients(client, login_as):
    login_as(Role.ADMIN)
    assert "/admin/api-clients/" in client.get("/home").get_data(as_text=True)


def test_an_administrator_makes_a_client_and_a_token_shown_once(client, db, login_as, make_body):
    body = make_body(name_en="Akimat of Astana")
    db.session.commit()
    login_as(Role.ADMIN)
    page = client.get("/admin/api-clients/new").get_data(as_text=True)
    assert "Akimat of Astana" in page and "National system" in page
    assert "Send requests for a reception on a citizen&#39;s behalf" in page  # scopes by their labels
    r = _new_client(client, name="Astana akimat's system", body_id=str(body.id))
    assert r.status_code == 302
    made = db.session.scalar(select(ApiClient).where(ApiClient.name == "Astana akimat's system"))
    assert made.body_id == body.id and made.scope_set == {REQUESTS_ON_BEHALF, REQUESTS_ON_BEHALF_READ}

    page = _new_token(client, made.id)
    assert page.status_code == 200
    secret = _secret(page)
    token = db.session.scalar(select(ApiToken).where(ApiToken.client_id == made.id))
    assert token.user_id is None and token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.hint == secret[:10] and "shown only this once" in page.get_data(as_text=True)
    assert client.get(MINE, headers=bearer(secret)).status_code == 200  # it works
    again = client.get(f"/admin/api-clients/{made.id}")
    assert _secret(again) is None and secret not in again.get_data(as_text=True)  # never shown again
    assert "production" in again.get_data(as_text=True)
    listed = client.get("/admin/api-clients/").get_data(as_text=True)
    assert "Astana akimat&#39;s system" in listed and "Akimat of Astana" in listed
    # The administrators' changes are in the audit log, never the secret.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity.in_(("api_client", "api_client_token"))))
    events = list(events)
    assert {e.entity for e in events} == {"api_client", "api_client_token"}
    assert all(secret not in (e.changes or "") and token.secret_hash not in (e.changes or "") for e in events)


def test_a_client_name_is_unique(client, db, login_as):
    make_client()
    taken = db.session.scalar(select(ApiClient.name))
    login_as(Role.ADMIN)
    r = _new_client(client, name=taken.upper())
    assert r.status_code == 422 and "exists already" in r.get_data(as_text=True)
    assert db.session.scalar(select(ApiClient.id).where(ApiClient.name == taken.upper())) is None


def test_a_client_holds_integration_scopes_only(client, db, login_as):
    login_as(Role.ADMIN)
    r = _new_client(client, scopes=["appointments:write"])
    assert r.status_code == 422
    assert 'value="appointments:write"' not in client.get("/admin/api-clients/new").get_data(as_text=True)


def test_a_token_gets_only_scopes_its_client_holds(client, db, login_as):
    made = make_client(scopes=[REQUESTS_ON_BEHALF_READ])
    login_as(Role.ADMIN)
    page = client.get(f"/admin/api-clients/{made.id}").get_data(as_text=True)
    assert f'value="{REQUESTS_ON_BEHALF_READ}"' in page and f'value="{REQUESTS_ON_BEHALF}"' not in page
    r = _new_token(client, made.id, scopes=[REQUESTS_ON_BEHALF])
    assert r.status_code == 422 and _secret(r) is None
    r = _new_token(client, made.id, expires_on=_expiry(400))
    assert r.status_code == 422 and _secret(r) is None


def test_a_revoked_token_answers_401(client, db, login_as):
    made = make_client()
    secret = client_token(made)
    token = db.session.scalar(select(ApiToken).where(ApiToken.client_id == made.id))
    login_as(Role.ADMIN)
    page = client.get(f"/admin/api-clients/{made.id}").get_data(as_text=True)
    assert f'action="/admin/api-clients/{made.id}/tokens/{token.id}/revoke"' in page  # the list's Revoke button
    r = post_form(client, f"/admin/api-clients/{made.id}/tokens/{token.id}/revoke",
                  form_url=f"/admin/api-clients/{made.id}")
    assert r.status_code == 302
    r = client.get(MINE, headers=bearer(secret))
    assert r.status_code == 401 and r.mimetype == PROBLEM
    assert "Revoked" in client.get(f"/admin/api-clients/{made.id}").get_data(as_text=True)


def test_a_token_is_revoked_only_through_its_own_client(client, db, login_as):
    made, other = make_client(), make_client()
    secret = client_token(made)
    token = db.session.scalar(select(ApiToken).where(ApiToken.client_id == made.id))
    login_as(Role.ADMIN)
    r = post_form(client, f"/admin/api-clients/{other.id}/tokens/{token.id}/revoke",
                  form_url=f"/admin/api-clients/{other.id}")
    assert r.status_code == 404
    assert client.get(MINE, headers=bearer(secret)).status_code == 200


def test_a_disabled_clients_tokens_answer_401(client, db, login_as):
    made = make_client()
    secret = client_token(made)
    assert client.get(MINE, headers=bearer(secret)).status_code == 200
    login_as(Role.ADMIN)
    r = post_form(client, f"/admin/api-clients/{made.id}/disable", form_url=f"/admin/api-clients/{made.id}")
    assert r.status_code == 302
    r = client.get(MINE, headers=bearer(secret))
    assert r.status_code == 401 and r.mimetype == PROBLEM
    page = client.get(f"/admin/api-clients/{made.id}").get_data(as_text=True)
    assert "Disabled on" in page and "Create the token" not in page  # no new tokens for it either


def test_the_pages_need_their_forms_csrf_token(client, db, login_as):
    made = make_client()
    login_as(Role.ADMIN)
    assert client.post("/admin/api-clients/new", data={"name": "x", "body_id": "0",
                                                       "scopes": [REQUESTS_ON_BEHALF]}).status_code == 400
    assert client.post(f"/admin/api-clients/{made.id}/disable").status_code == 400
    db.session.refresh(made)
    assert made.is_active


@pytest.mark.parametrize("role", [Role.ASSISTANT, Role.MONITOR, Role.CITIZEN])
def test_only_administrators_manage_clients(client, login_as, role):
    login_as(role)
    assert client.get("/admin/api-clients/").status_code == 403


def test_a_client_token_has_no_citizen_scopes(client, db):
    secret = client_token()
    r = client.get("/api/v1/me/appointments", headers=bearer(secret))
    assert r.status_code == 403 and r.mimetype == PROBLEM


@pytest.mark.parametrize("language,words", [("kk", "Интеграция клиенттері"), ("ru", "Интеграционные клиенты")])
def test_the_pages_speak_kazakh_and_russian(client, login_as, language, words):
    login_as(Role.ADMIN, language=language)
    assert words in client.get("/admin/api-clients/").get_data(as_text=True)
