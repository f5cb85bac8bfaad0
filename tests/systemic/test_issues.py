"""Staff create a systemic issue, edit it, link the receptions about the same problem by number, and change its
status with a note: the page shows the working group, the linked receptions and the history."""
from __future__ import annotations

from sqlalchemy import select

from reception.audit.models import AuditAction, AuditEvent
from reception.systemic.models import IssueLink, IssueStatus, SystemicIssue
from tests.conftest import login


def _page(client, issue_id) -> str:
    r = client.get(f"/staff/systemic/{issue_id}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_an_assistant_creates_an_issue_with_a_working_group_and_a_coordinator(client, db, world, submit):
    login(client, world.assistant)
    r = submit("/staff/systemic/new", {"title": "No heating in Alga", "description": "Since October",
                                       "body_ids": [world.body_a.id, world.body_b.id],
                                       "coordinator_id": world.assistant.id, "region_id": 0})
    assert r.status_code == 302
    issue = db.session.scalars(select(SystemicIssue)).one()
    assert issue.status is IssueStatus.OPEN and issue.coordinator_id == world.assistant.id
    assert issue.body_ids == {world.body_a.id, world.body_b.id}
    page = _page(client, issue.id)
    assert "No heating in Alga" in page and world.body_b.name_en in page and "Assistant Of Body A" in page


def test_an_assistant_cannot_leave_their_own_body_out_of_the_working_group(client, db, world, submit):
    login(client, world.assistant)
    r = submit("/staff/systemic/new", {"title": "T", "description": "D", "body_ids": [world.body_b.id],
                                       "coordinator_id": world.assistant.id})
    assert r.status_code == 422
    assert "Your own body must be in the working group" in r.get_data(as_text=True)
    assert db.session.scalar(select(SystemicIssue.id)) is None


def test_a_coordinator_must_be_staff_of_the_working_group(client, db, world, submit):
    login(client, world.assistant)
    for coordinator in (world.citizens[0].id, 99999999999, "x", 0):
        r = submit("/staff/systemic/new", {"title": "T", "description": "D", "body_ids": [world.body_a.id],
                                           "coordinator_id": coordinator})
        assert r.status_code == 422, coordinator
        assert "Choose a staff member as the coordinator" in r.get_data(as_text=True)


def test_editing_changes_the_title_and_working_group_not_the_status(client, db, world, make_issue, submit):
    issue = make_issue()
    login(client, world.assistant)
    r = submit(f"/staff/systemic/{issue.id}/edit", {"title": "Cold flats in Alga", "description": "Updated",
                                                    "body_ids": [world.body_a.id, world.body_b.id],
                                                    "coordinator_id": world.assistant.id})
    assert r.status_code == 302
    db.session.expire_all()
    issue = db.session.get(SystemicIssue, issue.id)
    assert issue.title == "Cold flats in Alga" and issue.body_ids == {world.body_a.id, world.body_b.id}
    assert issue.status is IssueStatus.OPEN


def test_receptions_are_linked_by_talon_or_request_number_and_shown_with_their_citizens(client, db, world, make_issue,
                                                                                       submit):
    issue = make_issue()
    login(client, world.assistant)
    for number in (world.talons[0].lower(), f" {world.talons[1]} ", f"№ {world.request.id}"):
        r = submit(f"/staff/systemic/{issue.id}/links", {"number": number}, form_url=f"/staff/systemic/{issue.id}")
        assert r.status_code == 302, r.get_data(as_text=True)
    page = _page(client, issue.id)
    assert world.talons[0] in page and world.talons[1] in page and "Citizen 0" in page and "Citizen 1" in page
    assert len(db.session.scalars(select(IssueLink).where(IssueLink.issue_id == issue.id)).all()) == 3


def test_linking_and_unlinking_are_in_the_audit_log(client, db, world, make_issue, submit):
    issue = make_issue()
    login(client, world.assistant)
    submit(f"/staff/systemic/{issue.id}/links", {"number": world.talons[0]}, form_url=f"/staff/systemic/{issue.id}")
    link = db.session.scalars(select(IssueLink)).one()
    appointment_id = link.appointment_id
    r = submit(f"/staff/systemic/{issue.id}/links/{appointment_id}/remove", form_url=f"/staff/systemic/{issue.id}")
    assert r.status_code == 302
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "systemic_link",
                                                         AuditEvent.id > db.audit_floor)
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.DELETE]
    assert all(e.actor_id == world.assistant.id for e in events)
    assert db.session.scalar(select(IssueLink.id)) is None


def test_an_appointment_belongs_to_at_most_one_issue(client, db, world, make_issue, submit):
    first, second = make_issue(title="First"), make_issue(title="Second")
    login(client, world.assistant)
    submit(f"/staff/systemic/{first.id}/links", {"number": world.talons[0]}, form_url=f"/staff/systemic/{first.id}")
    r = submit(f"/staff/systemic/{second.id}/links", {"number": world.talons[0]},
               form_url=f"/staff/systemic/{second.id}")
    assert r.status_code == 409
    assert "already linked to another systemic issue: “First”" in r.get_data(as_text=True)
    r = submit(f"/staff/systemic/{first.id}/links", {"number": world.talons[0]}, form_url=f"/staff/systemic/{first.id}")
    assert r.status_code == 409 and "already linked to this issue" in r.get_data(as_text=True)


def test_unknown_numbers_and_receptions_outside_the_working_group_are_refused(client, db, world, make_issue, submit):
    issue = make_issue()
    login(client, world.assistant)
    for number, message in [("KZ71-20990101-999999", "No appointment or request has this number"),
                            ("99999999999", "No appointment or request has this number"),
                            (str(world.citizens[0].id + 10**6), "No appointment or request has this number"),
                            ("'; DROP TABLE appointments; --", "No appointment or request has this number"),
                            (world.outside, "outside the working group")]:
        r = submit(f"/staff/systemic/{issue.id}/links", {"number": number}, form_url=f"/staff/systemic/{issue.id}")
        assert r.status_code == 422, number
        assert message in r.get_data(as_text=True), number
    r = submit(f"/staff/systemic/{issue.id}/links", {"number": ""}, form_url=f"/staff/systemic/{issue.id}")
    assert r.status_code == 422 and "This field is required" in r.get_data(as_text=True)
    assert db.session.scalar(select(IssueLink.id)) is None


def test_a_scheduled_talon_is_not_linked_by_its_id_as_if_it_were_a_request(client, db, world, make_issue, submit):
    issue = make_issue()
    appointment_id = db.session.scalar(select(IssueLink.appointment_id))  # none yet
    assert appointment_id is None
    login(client, world.assistant)
    talon_id = int(world.talons[2].rsplit("-", 1)[1])
    r = submit(f"/staff/systemic/{issue.id}/links", {"number": str(talon_id)}, form_url=f"/staff/systemic/{issue.id}")
    assert r.status_code == 422


def test_a_status_change_is_recorded_with_its_note_and_shown_in_the_history(client, db, world, make_issue, submit):
    issue = make_issue()
    login(client, world.assistant)
    r = submit(f"/staff/systemic/{issue.id}/status", {"status": "in_progress", "expected": "open",
                                                      "note": "The heating main is being repaired."},
               form_url=f"/staff/systemic/{issue.id}")
    assert r.status_code == 302
    page = _page(client, issue.id)
    assert "The heating main is being repaired." in page and "Open → In progress" in page
    db.session.expire_all()
    assert db.session.get(SystemicIssue, issue.id).status is IssueStatus.IN_PROGRESS
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "systemic_issue",
                                                         AuditEvent.action == AuditAction.UPDATE,
                                                         AuditEvent.id > db.audit_floor)).all()
    assert any("in_progress" in (e.changes or "") for e in events)


def test_a_status_change_needs_a_note_and_an_allowed_status(client, db, world, make_issue, submit):
    issue = make_issue()
    login(client, world.assistant)
    url, form_url = f"/staff/systemic/{issue.id}/status", f"/staff/systemic/{issue.id}"
    assert submit(url, {"status": "in_progress", "expected": "open", "note": ""}, form_url=form_url).status_code == 422
    r = submit(url, {"status": "open", "expected": "open", "note": "n"}, form_url=form_url)
    assert r.status_code == 422 and "already has this status" in r.get_data(as_text=True)
    assert submit(url, {"status": "erased", "expected": "open", "note": "n"}, form_url=form_url).status_code == 422
    r = submit(url, {"status": "resolved", "note": "n"}, form_url=form_url)  # a forged form: no status seen
    assert r.status_code == 422 and "out of date" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SystemicIssue, issue.id).status is IssueStatus.OPEN


def test_a_form_sent_twice_changes_the_status_once(client, db, world, make_issue, submit):
    issue = make_issue()
    login(client, world.assistant)
    data = {"status": "in_progress", "expected": "open", "note": "Repair started"}
    assert submit(f"/staff/systemic/{issue.id}/status", data, form_url=f"/staff/systemic/{issue.id}").status_code == 302
    r = submit(f"/staff/systemic/{issue.id}/status", data, form_url=f"/staff/systemic/{issue.id}")
    assert r.status_code == 409 and "changed the status of this issue meanwhile" in r.get_data(as_text=True)
    assert len(db.session.get(SystemicIssue, issue.id).changes) == 1


def test_the_list_filters_by_status_and_body(client, db, world, make_issue, submit):
    make_issue(title="Heating issue")
    make_issue(title="Mortgage issue", body_ids=[world.body_a.id, world.body_b.id])
    login(client, world.assistant)
    page = client.get("/staff/systemic/").get_data(as_text=True)
    assert "Heating issue" in page and "Mortgage issue" in page
    page = client.get(f"/staff/systemic/?body={world.body_b.id}").get_data(as_text=True)
    assert "Mortgage issue" in page and "Heating issue" not in page
    assert "No systemic issues match" in client.get("/staff/systemic/?status=closed").get_data(as_text=True)
    for query in ("status=erased", "body=abc", "body=99999999999", "body=2147483647"):
        r = client.get(f"/staff/systemic/?{query}")
        assert r.status_code == 422, query
