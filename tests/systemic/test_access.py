"""Who may see and run a systemic issue: the working group's assistants run it, monitors read it, staff of another
body, officials, citizens and visitors do not; the linked citizen reads their own page; ids out of range are 404."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.systemic.models import IssueLink, IssueStatus, SystemicIssue
from reception.systemic.services import link_appointment
from tests.conftest import csrf_from, login


@pytest.fixture
def issue(app, db, world, make_issue):
    issue = make_issue(title="Heating of body A")
    with app.test_request_context():
        link_appointment(world.assistant, issue, world.talons[0], utcnow())
        db.session.commit()
    return issue


def _posts(issue, world):
    return [(f"/staff/systemic/{issue.id}/status", {"status": "closed", "expected": "open", "note": "n"}),
            (f"/staff/systemic/{issue.id}/links", {"number": world.talons[1]}),
            (f"/staff/systemic/{issue.id}/links/{world.request.id}/remove", {}),
            (f"/staff/systemic/{issue.id}/edit", {"title": "Taken over", "description": "d",
                                                  "body_ids": [world.body_a.id], "coordinator_id": world.assistant.id})]


def _unchanged(db, issue):
    db.session.expire_all()
    row = db.session.get(SystemicIssue, issue.id)
    assert row.status is IssueStatus.OPEN and row.title == "Heating of body A"
    assert len(db.session.scalars(select(IssueLink)).all()) == 1


def test_an_assistant_of_another_body_neither_sees_nor_changes_the_issue(client, db, world, issue, login_as):
    login_as(Role.ASSISTANT, body=world.body_b)
    assert "Heating of body A" not in client.get("/staff/systemic/").get_data(as_text=True)
    assert client.get(f"/staff/systemic/{issue.id}").status_code == 403
    assert client.get(f"/staff/systemic/{issue.id}/edit").status_code == 403
    token = csrf_from(client, "/staff/systemic/new")
    for url, data in _posts(issue, world):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    _unchanged(db, issue)


def test_a_monitor_reads_every_issue_but_changes_none(client, db, world, issue, login_as):
    login_as(Role.MONITOR)
    assert "Heating of body A" in client.get("/staff/systemic/").get_data(as_text=True)
    page = client.get(f"/staff/systemic/{issue.id}").get_data(as_text=True)
    assert "Citizen 0" in page and "Change the status" not in page and "Take off the issue" not in page
    assert client.get("/staff/systemic/new").status_code == 403
    token = csrf_from(client, "/staff/systemic/")
    for url, data in _posts(issue, world):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    _unchanged(db, issue)


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICIAL, Role.AGENCY_REP, Role.STUDIO_OPERATOR,
                                  Role.LEGAL_CONSULTANT])
def test_citizens_and_other_staff_are_refused(client, db, world, issue, login_as, role):
    login_as(role, body=world.body_a if role is not Role.CITIZEN else None)
    for url in ("/staff/systemic/", "/staff/systemic/new", f"/staff/systemic/{issue.id}"):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client, "/")
    for url, data in _posts(issue, world):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    _unchanged(db, issue)


def test_visitors_are_sent_to_log_in(client, db, world, issue):
    for url in ("/staff/systemic/", f"/staff/systemic/{issue.id}", f"/my/issues/{issue.id}"):
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_only_a_linked_citizen_reads_the_citizens_page(client, db, world, issue, make_user):
    login(client, world.citizens[0])
    assert client.get(f"/my/issues/{issue.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    login(client, world.citizens[1])  # their receptions are not linked
    assert client.get(f"/my/issues/{issue.id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    login(client, world.assistant)
    assert client.get(f"/my/issues/{issue.id}").status_code == 403


@pytest.mark.parametrize("path", ["/staff/systemic/{big}", "/staff/systemic/{big}/edit", "/staff/systemic/0",
                                  "/my/issues/{big}", "/staff/systemic/999999"])
def test_ids_out_of_range_are_not_found(client, db, world, issue, path):
    login(client, world.citizens[0] if path.startswith("/my") else world.assistant)
    assert client.get(path.format(big=2**31)).status_code == 404


def test_posts_to_unknown_issues_or_links_and_without_a_token_fail_cleanly(client, db, world, issue):
    login(client, world.assistant)
    token = csrf_from(client, f"/staff/systemic/{issue.id}")
    assert client.post(f"/staff/systemic/{2**40}/status", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/staff/systemic/{issue.id}/links/{2**40}/remove",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/staff/systemic/{issue.id}/links/{world.request.id}/remove",
                       data={"csrf_token": token}).status_code == 404  # not linked
    r = client.post(f"/staff/systemic/{issue.id}/status", data={"status": "closed", "expected": "open", "note": "n"})
    assert r.status_code == 400  # no CSRF token
    _unchanged(db, issue)


@pytest.mark.parametrize("garbage", ["Ж" * 5000, "1 OR 1=1; <script>", "-1", "999999999"])
def test_garbage_posted_to_the_issue_pages_forms_is_refused_and_writes_nothing(client, db, world, issue, garbage):
    login(client, world.assistant)
    token = csrf_from(client, f"/staff/systemic/{issue.id}")
    for url, data in [(f"/staff/systemic/{issue.id}/status", {"status": garbage, "expected": garbage, "note": garbage}),
                      (f"/staff/systemic/{issue.id}/links", {"number": garbage}),
                      (f"/staff/systemic/{issue.id}/edit", {"title": garbage, "description": garbage,
                                                            "body_ids": garbage, "coordinator_id": garbage,
                                                            "region_id": garbage})]:
        r = client.post(url, data={**data, "csrf_token": token})
        assert 400 <= r.status_code < 500, (url, r.status_code)
    _unchanged(db, issue)
    assert len(db.session.get(SystemicIssue, issue.id).changes) == 0
