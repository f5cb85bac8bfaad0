"""Every protected route refuses a visitor, a citizen and a staff member of the wrong body.

The routes come from the application's URL map, so a new route fails this test
until it is classified below and its URL arguments can be filled in.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reception import create_app
from reception.core.permissions import Role
from reception.directory.models import Region, Topic
from tests.conftest import csrf_from

PUBLIC_PREFIXES = ("directory.",)
PUBLIC = {"static", "main.index", "main.health", "main.choose_language", "accounts.register", "accounts.login",
          "accounts.logout", "accounts.forgot_password", "accounts.reset_password"}
# Any signed-in user, each seeing only their own data.
LOGIN_ONLY = {"main.home", "accounts.profile"}


def _protected_rules():
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(PUBLIC_PREFIXES):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        rules.append(pytest.param(rule.rule, rule.endpoint, method, sorted(rule.arguments), id=rule.endpoint))
    return rules


PROTECTED = _protected_rules()


@pytest.fixture
def world(db, make_body, make_official, make_venue, make_user):
    """Objects of body A for the URLs; the wrong-body staff member belongs to body B."""
    body_a, body_b = make_body(), make_body()
    values = {
        "official_id": make_official(body=body_a).id,
        "venue_id": make_venue(body=body_a).id,
        "body_id": body_a.id,
        "user_id": make_user(Role.ASSISTANT, body=body_a).id,
        "region_id": db.session.scalars(select(Region.id)).first(),
        "topic_id": db.session.scalars(select(Topic.id)).first(),
        "code": "KZ-15",
    }
    db.session.commit()
    return {"values": values, "body_b": body_b}


def _url(rule: str, arguments, values) -> str:
    url = rule
    for arg in arguments:
        assert arg in values, f"add a value for URL argument {arg!r} to the world fixture"
        url = url.replace(f"<int:{arg}>", str(values[arg])).replace(f"<{arg}>", str(values[arg]))
    return url


def _request(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_from(client, "/")})


@pytest.mark.parametrize("rule,endpoint,method,arguments", PROTECTED)
def test_visitor_is_sent_to_login(client, world, rule, endpoint, method, arguments):
    r = _request(client, method, _url(rule, arguments, world["values"]))
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("rule,endpoint,method,arguments", PROTECTED)
def test_citizen_is_refused(client, login_as, world, rule, endpoint, method, arguments):
    login_as(Role.CITIZEN)
    r = _request(client, method, _url(rule, arguments, world["values"]))
    if endpoint in LOGIN_ONLY:
        assert r.status_code == 200
    else:
        assert r.status_code == 403


@pytest.mark.parametrize("staff_role", [Role.ASSISTANT, Role.OFFICIAL, Role.AGENCY_REP, Role.STUDIO_OPERATOR,
                                        Role.LEGAL_CONSULTANT])
@pytest.mark.parametrize("rule,endpoint,method,arguments", PROTECTED)
def test_staff_of_another_body_is_refused(client, login_as, world, staff_role, rule, endpoint, method, arguments):
    login_as(staff_role, body=world["body_b"])
    r = _request(client, method, _url(rule, arguments, world["values"]))
    if endpoint in LOGIN_ONLY:
        assert r.status_code == 200
    else:
        assert r.status_code == 403


@pytest.mark.parametrize("rule,endpoint,method,arguments", [p for p in PROTECTED if p.values[2] == "GET"])
def test_administrator_can_open_every_protected_page(client, login_as, world, rule, endpoint, method, arguments):
    # Shows that the refusals above are refusals, not broken URLs.
    login_as(Role.ADMIN)
    assert client.get(_url(rule, arguments, world["values"])).status_code == 200
