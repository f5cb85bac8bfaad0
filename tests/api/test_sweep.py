"""Every API route, from the URL map, for anonymous calls, a token of each role (with every scope its user may
hold), a token lacking the scope, another citizen's token and the owner's: the same refusals as the pages, as
problems. Staff routes: a citizen's token, each staff role's, another body's staff, the owner side's.
A new API route fails here until it is classified in tests/routes.py (API_PUBLIC or API_SCOPES, and
API_STAFF for a staff route)."""
from __future__ import annotations

import pytest

from reception.api.scopes import ALL_SCOPES, allowed_scopes
from reception.core.permissions import Role, permissions_for
from tests.api.conftest import bearer
from tests.routes import (
    API_CLIENT_SCOPES,
    API_EMPTY_POST_422,
    API_OWN_RECORD,
    API_PUBLIC,
    API_SCOPES,
    API_STAFF,
    API_STAFF_BODIES,
    API_STAFF_OWNER,
    TOKEN_PREFIXES,
    app_rules,
    fill,
)

PROBLEM = "application/problem+json"

API_ROUTES = [
    pytest.param(rule.rule, rule.endpoint, method, sorted(rule.arguments), id=f"{method} {rule.endpoint}")
    for rule in app_rules() if rule.endpoint.startswith(TOKEN_PREFIXES)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
]
SCOPED = [p for p in API_ROUTES if p.values[1] in API_SCOPES]
# The citizen's routes, and the staff's (tests/routes.py API_STAFF: the roles that get through each).
CITIZEN_SCOPED = [p for p in SCOPED if p.values[1] not in API_STAFF]
STAFF_SCOPED = [p for p in SCOPED if p.values[1] in API_STAFF]


def _call(client, method, url, headers=None):
    if method == "GET":
        return client.get(url, headers=headers or {})
    return client.open(url, method=method, json={}, headers=headers or {})


def test_every_api_route_is_classified():
    endpoints = {p.values[1] for p in API_ROUTES}
    assert endpoints, "no API routes found"
    unclassified = endpoints - API_PUBLIC - set(API_SCOPES) - set(API_CLIENT_SCOPES)
    assert not unclassified, f"classify these API endpoints in tests/routes.py: {sorted(unclassified)}"
    assert not API_PUBLIC & set(API_SCOPES)
    assert set(API_STAFF) <= set(API_SCOPES)


def test_the_views_require_the_scopes_the_sweep_expects(app):
    for endpoint, scope in API_SCOPES.items():
        assert getattr(app.view_functions[endpoint], "api_scope", None) == scope, endpoint
        assert scope in ALL_SCOPES


@pytest.mark.parametrize("rule,endpoint,method,arguments", [p for p in API_ROUTES if p.values[1] in API_PUBLIC])
def test_public_routes_answer_anonymous_calls(client, world, rule, endpoint, method, arguments):
    r = _call(client, method, fill(rule, arguments, world["values"]))
    assert r.status_code == 200


@pytest.mark.parametrize("rule,endpoint,method,arguments", SCOPED)
def test_anonymous_calls_get_401(client, world, rule, endpoint, method, arguments):
    r = _call(client, method, fill(rule, arguments, world["values"]))
    assert r.status_code == 401 and r.mimetype == PROBLEM and r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.CITIZEN])
@pytest.mark.parametrize("rule,endpoint,method,arguments", CITIZEN_SCOPED)
def test_staff_tokens_get_403(client, world, make_user, make_token, role, rule, endpoint, method, arguments):
    # Staff of another body (or of none), with every scope their user may hold: none of them is a citizen's.
    user = make_user(role, body=None if role in (Role.ADMIN, Role.MONITOR) else world["body_b"])
    secret = make_token(user, scopes=sorted(allowed_scopes(user)))
    r = _call(client, method, fill(rule, arguments, world["values"]), bearer(secret))
    assert r.status_code == 403 and r.mimetype == PROBLEM


@pytest.mark.parametrize("rule,endpoint,method,arguments", CITIZEN_SCOPED)
def test_a_token_lacking_the_scope_gets_403(client, world, make_token, rule, endpoint, method, arguments):
    lacking = [s for s in ("appointments:read", "appointments:write") if s != API_SCOPES[endpoint]]
    secret = make_token(world["citizen"], scopes=lacking)
    r = _call(client, method, fill(rule, arguments, world["values"]), bearer(secret))
    assert r.status_code == 403 and r.mimetype == PROBLEM


@pytest.mark.parametrize("rule,endpoint,method,arguments", CITIZEN_SCOPED)
def test_another_citizens_token(client, world, make_user, make_token, rule, endpoint, method, arguments):
    secret = make_token(make_user(Role.CITIZEN))
    r = _call(client, method, fill(rule, arguments, world["values"]), bearer(secret))
    if endpoint in API_OWN_RECORD:
        assert r.status_code == 404 and r.mimetype == PROBLEM  # someone else's: not even its existence
    elif method == "POST":
        assert r.status_code == 422 and r.mimetype == PROBLEM  # allowed, but the empty body is no booking
    else:
        assert r.status_code == 200 and r.json["items"] == []


@pytest.mark.parametrize("rule,endpoint,method,arguments", CITIZEN_SCOPED)
def test_the_owners_token_is_let_through(client, world, make_token, rule, endpoint, method, arguments):
    secret = make_token(world["citizen"])
    r = _call(client, method, fill(rule, arguments, world["values"]), bearer(secret))
    assert r.status_code == (422 if endpoint in API_EMPTY_POST_422 else 200), r.json


# --- staff routes ------------------------------------------------------------------------------------

def _staff_call(client, method, endpoint, url, headers, world):
    if method == "GET":
        return client.get(url, headers=headers)
    body = API_STAFF_BODIES.get(endpoint, {})
    return client.open(url, method=method, json=body(world["values"]) if callable(body) else body, headers=headers)


def _staff_url(rule, endpoint, arguments, world) -> str:
    url = fill(rule, arguments, world["values"])
    return url + (f"?date={world['values']['local_date']}" if endpoint == "api.staff_day" else "")


def test_staff_routes_let_through_exactly_the_roles_holding_their_scope():
    for endpoint, roles in API_STAFF.items():
        scope = API_SCOPES[endpoint]
        assert roles == {r for r in Role if scope in {p.value for p in permissions_for([r])}}, endpoint


@pytest.mark.parametrize("rule,endpoint,method,arguments", STAFF_SCOPED)
def test_a_citizens_token_gets_403_on_staff_routes(client, world, make_token, rule, endpoint, method, arguments):
    secret = make_token(world["citizen"])
    r = _staff_call(client, method, endpoint, _staff_url(rule, endpoint, arguments, world), bearer(secret),
                    world)
    assert r.status_code == 403 and r.mimetype == PROBLEM


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.CITIZEN])
@pytest.mark.parametrize("rule,endpoint,method,arguments", STAFF_SCOPED)
def test_staff_of_another_body(client, world, make_user, make_token, role, rule, endpoint, method, arguments):
    # Each staff role of body B (or of none), with every scope their user may hold: 403 without the
    # permission; with it, 403 or 404, or a list with none of body A's records. Administrators act for
    # every body: they are let through.
    user = make_user(role, body=None if role in (Role.ADMIN, Role.MONITOR) else world["body_b"])
    secret = make_token(user, scopes=sorted(allowed_scopes(user)))
    r = _staff_call(client, method, endpoint, _staff_url(rule, endpoint, arguments, world), bearer(secret),
                    world)
    if role not in API_STAFF[endpoint]:
        assert r.status_code == 403 and r.mimetype == PROBLEM
    elif role is Role.ADMIN:
        assert r.status_code not in (401, 403, 404), r.json
    elif r.status_code == 200:
        assert method == "GET" and world["marker"] not in r.get_data(as_text=True)
        assert not any(r.json.get(key) for key in ("items", "sessions", "awaiting", "offered")), r.json
    else:
        assert r.status_code in (403, 404) and r.mimetype == PROBLEM, r.json


@pytest.mark.parametrize("rule,endpoint,method,arguments", STAFF_SCOPED)
def test_a_staff_token_lacking_the_scope_gets_403(client, world, make_user, make_token, rule, endpoint, method,
                                                  arguments):
    role = API_STAFF_OWNER[endpoint]
    user = make_user(role, body_id=world["values"]["body_id"])
    lacking = sorted(allowed_scopes(user) - {API_SCOPES[endpoint]})
    secret = make_token(user, scopes=lacking)
    r = _staff_call(client, method, endpoint, _staff_url(rule, endpoint, arguments, world), bearer(secret),
                    world)
    assert r.status_code == 403 and r.mimetype == PROBLEM


@pytest.mark.parametrize("rule,endpoint,method,arguments", STAFF_SCOPED)
def test_body_as_staff_are_let_through(client, world, make_user, make_token, rule, endpoint, method, arguments):
    # Body A's assistant (the official's side) or agency representative (the body given the instruction).
    user = make_user(API_STAFF_OWNER[endpoint], body_id=world["values"]["body_id"])
    secret = make_token(user, scopes=[API_SCOPES[endpoint]])
    r = _staff_call(client, method, endpoint, _staff_url(rule, endpoint, arguments, world), bearer(secret),
                    world)
    if endpoint == "api.staff_step":
        assert r.status_code == 409, r.json  # let through; the world's reception is on another day
    elif method in ("POST", "PUT"):
        assert r.status_code in (200, 201), r.json
    else:
        assert r.status_code == 200, r.json
        shown = next((r.json[key] for key in ("sessions", "items", "questions", "reports", "awaiting", "opinion")
                      if r.json.get(key)), None)
        assert shown, f"{endpoint} shows none of body A's records to body A's staff"


# --- integration clients' endpoints (reception.api.integration) ---------------------------------------

CLIENT_ONLY = [p for p in API_ROUTES if p.values[1] in API_CLIENT_SCOPES]


def test_the_client_endpoints_require_integration_scopes(app):
    from reception.api.scopes import INTEGRATION_SCOPES

    assert CLIENT_ONLY and not set(API_CLIENT_SCOPES) & (API_PUBLIC | set(API_SCOPES))
    for endpoint, scope in API_CLIENT_SCOPES.items():
        assert getattr(app.view_functions[endpoint], "api_scope", None) == scope, endpoint
        assert scope in INTEGRATION_SCOPES and scope not in ALL_SCOPES  # never a person's scope


@pytest.mark.parametrize("rule,endpoint,method,arguments", CLIENT_ONLY)
def test_client_endpoints_refuse_everyone_but_a_client_holding_the_scope(client, world, make_user, make_token,
                                                                         rule, endpoint, method, arguments):
    from reception.api.scopes import INTEGRATION_SCOPES
    from tests.api.test_clients import client_token

    url = fill(rule, arguments, world["values"])
    r = _call(client, method, url)
    assert r.status_code == 401 and r.mimetype == PROBLEM and r.headers["WWW-Authenticate"].startswith("Bearer")
    for role in Role:  # a person's token, with every scope its user may hold: never an integration scope
        user = world["citizen"] if role is Role.CITIZEN else make_user(role)
        r = _call(client, method, url, bearer(make_token(user, scopes=sorted(allowed_scopes(user)))))
        assert r.status_code == 403 and r.mimetype == PROBLEM, role
    lacking = [s for s in INTEGRATION_SCOPES if s != API_CLIENT_SCOPES[endpoint]]
    r = _call(client, method, url, bearer(client_token(scopes=lacking)))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    # With the scope: let through (another client's request or none: 404; the empty body is no request: 422)
    r = _call(client, method, url, bearer(client_token()))
    expected = {"api.integration_send_request": 422, "api.integration_request": 404, "api.integration_requests": 200}
    assert r.status_code == expected[endpoint], r.json
