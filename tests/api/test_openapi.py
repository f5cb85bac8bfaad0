"""The OpenAPI document: served, valid OpenAPI 3.1, generated from every API route; the documentation page is
drawn from it without any outside asset; and schemathesis finds no server error and no response that breaks
its schema in any operation (in-process, over WSGI, with a citizen's token, and an administrator's on the staff
resources)."""
from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error, response_schema_conformance

from reception.api.scopes import allowed_scopes
from reception.core.permissions import Role
from reception.extensions import limiter
from tests.api.conftest import bearer
from tests.api.test_clients import client_token
from tests.routes import app_rules

EXAMPLES = 12  # per operation: every operation is reached, and the run stays well under a minute


def test_the_document_is_valid_openapi_3_1(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    document = r.json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_operation_is_in_the_document(client):
    documented = {(path, method) for path, ops in client.get("/api/v1/openapi.json").json["paths"].items()
                  for method in ops}
    served = {(re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule), method.lower())
              for rule in app_rules() if rule.endpoint.startswith("api.")
              and rule.endpoint not in ("api.openapi", "api.docs")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_the_documentation_page_uses_no_outside_assets(client):
    r = client.get("/api/v1/docs")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "POST /api/v1/me/appointments" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)
    # No other host's address anywhere, scripts included (a loader would name a CDN's host). Not a
    # search for "cdn": the page's random CSRF token holds those letters now and then.
    assert not re.search(r"(?i)//[a-z0-9-]+\.[a-z]", page)


def _fuzz(operation, headers, statuses: set[int]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        limiter.reset()
        response = case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])
        statuses.add(response.status_code)

    run()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, client, make_user, make_token,
                                                                   make_session):
    make_session()  # free time to find and book
    headers = bearer(make_token(make_user()))
    # The staff resources with an administrator's token holding every scope (every body's records).
    admin = make_user(Role.ADMIN)
    staff_headers = bearer(make_token(admin, scopes=sorted(allowed_scopes(admin))))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    # The integration clients' operations with a client's token (a person's token never holds their scopes).
    client_headers = bearer(client_token())
    answered: dict[str, set[int]] = {}
    for operation in operations:
        _fuzz(operation, staff_headers if operation.path.startswith("/api/v1/staff/")
              else client_headers if operation.path.startswith("/api/v1/integration/") else headers,
              answered.setdefault(operation.label, set()))
    assert len(answered) == len(operations) and all(answered.values())
    # Not only refusals: the public reads and the citizen's own list answered with data.
    assert all(200 in answered[label] for label in answered if label.startswith("GET") and "{" not in label), answered
