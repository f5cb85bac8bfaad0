"""The monitoring map shows the open systemic issues per body: a region's table counts them (one query however
many bodies and issues), a body's page lists them; the issues' list runs as many queries for many as for few."""
from __future__ import annotations

from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.systemic.models import IssueStatus
from reception.systemic.services import change_status, link_appointment
from tests.monitoring.test_map import table_rows
from tests.test_query_counts import assert_same_count, load

CAPTION = "Open systemic issues (open or in progress) whose working group has the body, today"


def test_a_regions_map_counts_the_open_issues_of_each_body(app, client, db, world, make_issue, login_as):
    make_issue(title="Heating")
    make_issue(title="Mortgages", body_ids=[world.body_a.id, world.body_b.id])
    closed = make_issue(title="Closed one")
    with app.test_request_context():
        change_status(world.assistant, closed, IssueStatus.OPEN, IssueStatus.CLOSED, "Done", utcnow())
        db.session.commit()
    login_as(Role.MONITOR)
    page = client.get("/monitor/map/regions/KZ-71").get_data(as_text=True)
    rows = {row[0]: row[1] for row in table_rows(page, CAPTION)}
    assert rows == {world.body_a.name_en: "2", world.body_b.name_en: "1"}
    assert f'/staff/systemic/?body={world.body_a.id}"' in page
    body_page = client.get(f"/monitor/map/bodies/{world.body_a.id}").get_data(as_text=True)
    assert "Heating" in body_page and "Mortgages" in body_page and "Closed one" not in body_page


def test_an_official_sees_the_count_of_their_body_without_a_link_to_the_issues(client, db, world, make_issue,
                                                                               login_as):
    make_issue(title="Heating")
    login_as(Role.OFFICIAL, body=world.body_a)
    page = client.get(f"/monitor/map/bodies/{world.body_a.id}").get_data(as_text=True)
    assert "Heating" in page and "/staff/systemic/" not in page


def test_a_regions_map_runs_as_many_queries_for_many_issues_as_for_few(client, db, world, make_issue, make_body,
                                                                       count_queries, login_as):
    login_as(Role.MONITOR)
    make_issue(title="Issue 0")
    _, small = load(db, client, count_queries, "/monitor/map/regions/KZ-71")
    more = [make_body() for _ in range(4)]
    for n in range(1, 6):
        make_issue(title=f"Issue {n}", body_ids=[world.body_a.id, *(b.id for b in more[:n])])
    page, large = load(db, client, count_queries, "/monitor/map/regions/KZ-71")
    assert len(table_rows(page, CAPTION)) == 5
    assert_same_count(small, large)


def test_the_issues_list_runs_as_many_queries_for_many_issues_as_for_few(app, client, db, world, make_issue,
                                                                         count_queries, login_as):
    login_as(Role.MONITOR)
    make_issue(title="Issue 0")
    _, small = load(db, client, count_queries, "/staff/systemic/")
    for n in range(1, 8):
        issue = make_issue(title=f"Issue {n}", body_ids=[world.body_a.id, world.body_b.id])
        if n < 3:
            with app.test_request_context():
                link_appointment(world.assistant, issue, world.talons[n - 1], utcnow())
                db.session.commit()
    page, large = load(db, client, count_queries, "/staff/systemic/")
    assert all(f"Issue {n}" in page for n in range(8))
    assert_same_count(small, large)


def test_the_issue_page_runs_as_many_queries_for_many_links_as_for_few(app, client, db, world, make_issue,
                                                                       count_queries, login_as):
    issue = make_issue()
    with app.test_request_context():
        link_appointment(world.assistant, issue, world.talons[0], utcnow())
        change_status(world.assistant, issue, IssueStatus.OPEN, IssueStatus.IN_PROGRESS, "n", utcnow())
        db.session.commit()
    login_as(Role.MONITOR)
    _, small = load(db, client, count_queries, f"/staff/systemic/{issue.id}")
    with app.test_request_context():
        for number in [*world.talons[1:], str(world.request.id)]:
            link_appointment(world.assistant, issue, number, utcnow())
        change_status(world.assistant, issue, IssueStatus.IN_PROGRESS, IssueStatus.RESOLVED, "n", utcnow())
        change_status(world.assistant, issue, IssueStatus.RESOLVED, IssueStatus.IN_PROGRESS, "n", utcnow())
        db.session.commit()
    page, large = load(db, client, count_queries, f"/staff/systemic/{issue.id}")
    assert all(t in page for t in world.talons)
    assert_same_count(small, large)
