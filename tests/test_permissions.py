"""Every protected route refuses a visitor, a citizen and a staff member of the wrong body.

The routes come from the application's URL map, so a new route fails this test
until it is classified in tests/routes.py and its URL arguments can be filled in.
"""
from __future__ import annotations

import pytest

from reception.core.permissions import Role
from tests.conftest import csrf_from, login
from tests.routes import (
    ALL_BODIES_ROLES,
    CITIZEN_ONLY,
    CITIZEN_OPEN,
    LOGIN_ACTIONS,
    LOGIN_ONLY,
    OWN_BODY_PAGES,
    OWN_BODY_ROLES,
    OWN_RECORDS,
    PARTICIPANTS_ONLY,
    PUBLIC,
    PUBLIC_PREFIXES,
    STAFF_OWN,
    TOKEN_PREFIXES,
    app_rules,
    fill,
)

PROTECTED = [
    pytest.param(rule.rule, rule.endpoint, "GET" if "GET" in rule.methods else "POST", sorted(rule.arguments),
                 id=rule.endpoint)
    for rule in app_rules()
    if rule.endpoint not in PUBLIC and not rule.endpoint.startswith(PUBLIC_PREFIXES)
    and not rule.endpoint.startswith(TOKEN_PREFIXES)  # the API: tokens, not sessions (tests/api/test_sweep.py)
]


def _request(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_from(client, "/")})


@pytest.mark.parametrize("rule,endpoint,method,arguments", PROTECTED)
def test_visitor_is_sent_to_login(client, world, rule, endpoint, method, arguments):
    r = _request(client, method, fill(rule, arguments, world["values"]))
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("rule,endpoint,method,arguments", PROTECTED)
def test_another_citizen_is_refused(client, login_as, world, rule, endpoint, method, arguments):
    login_as(Role.CITIZEN)
    r = _request(client, method, fill(rule, arguments, world["values"]))
    if endpoint in LOGIN_ACTIONS:
        assert r.status_code == 302 and "/login" not in r.headers["Location"]
    elif endpoint in LOGIN_ONLY or endpoint in CITIZEN_OPEN:
        assert r.status_code == 200  # their own page, or a free slot or official any citizen may book or ask
    elif endpoint in CITIZEN_ONLY or endpoint in OWN_RECORDS:
        assert r.status_code == 404  # someone else's appointment: not even its existence is shown
    else:
        assert r.status_code == 403


@pytest.mark.parametrize("staff_role", [Role.ASSISTANT, Role.OFFICIAL, Role.AGENCY_REP, Role.STUDIO_OPERATOR,
                                        Role.LEGAL_CONSULTANT, Role.MONITOR])
@pytest.mark.parametrize("rule,endpoint,method,arguments", PROTECTED)
def test_staff_of_another_body_is_refused(client, login_as, world, staff_role, rule, endpoint, method, arguments):
    login_as(staff_role, body=None if staff_role is Role.MONITOR else world["body_b"])
    r = _request(client, method, fill(rule, arguments, world["values"]))
    if endpoint in LOGIN_ACTIONS:
        assert r.status_code == 302 and "/login" not in r.headers["Location"]
    elif endpoint in LOGIN_ONLY:
        assert r.status_code == 200
    elif endpoint in OWN_RECORDS:
        assert r.status_code == 404  # another user's record (a token): not even its existence is shown
    elif endpoint in STAFF_OWN:
        assert r.status_code == 200
        assert world["marker"] not in r.get_data(as_text=True)
    elif staff_role in ALL_BODIES_ROLES.get(endpoint, ()):
        assert r.status_code == 200  # a role that sees every body's figures (monitors), body A's too
    elif endpoint in OWN_BODY_PAGES and r.status_code == 200:
        assert staff_role in OWN_BODY_ROLES.get(endpoint, {Role.ASSISTANT})
        assert world["marker"] not in r.get_data(as_text=True)
    else:
        assert r.status_code == 403


@pytest.mark.parametrize("rule,endpoint,method,arguments",
                         [p for p in PROTECTED if p.values[2] == "GET"
                          and p.values[1] not in CITIZEN_ONLY | PARTICIPANTS_ONLY])
def test_administrator_can_open_every_staff_page(client, login_as, world, rule, endpoint, method, arguments):
    # Shows that the refusals above are refusals, not broken URLs.
    login_as(Role.ADMIN)
    assert client.get(fill(rule, arguments, world["values"])).status_code == 200


@pytest.mark.parametrize("rule,endpoint,method,arguments",
                         [p for p in PROTECTED if p.values[2] == "GET" and p.values[1] in CITIZEN_ONLY])
def test_the_citizen_can_open_their_own_pages(client, world, rule, endpoint, method, arguments):
    login(client, world["citizen"])
    assert client.get(fill(rule, arguments, world["values"])).status_code == 200


@pytest.mark.parametrize("rule,endpoint,method,arguments",
                         [p for p in PROTECTED if p.values[2] == "GET" and p.values[1] in PARTICIPANTS_ONLY])
def test_the_officials_assistant_can_open_the_call_pages(client, world, rule, endpoint, method, arguments):
    from reception.accounts.models import User
    from reception.extensions import db

    login(client, db.session.get(User, world["values"]["user_id"]))  # an assistant of body A
    assert client.get(fill(rule, arguments, world["values"])).status_code == 200
