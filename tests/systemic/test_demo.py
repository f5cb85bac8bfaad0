"""The demo's systemic issue: "no heating" in Aktobe Region, two akimats in its working group, the demo assistant
coordinating, in progress, three citizens' receptions linked and each citizen told once; `flask demo load` run
twice in a fresh instance makes it once."""
from __future__ import annotations

from sqlalchemy import func, select

from reception import create_app
from reception.booking.models import Appointment
from reception.cli.demo import load_demo_data
from reception.cli.demo_data import AKTOBE_AKIMAT
from reception.cli.demo_systemic import TITLE, load_systemic_issue
from reception.core.clock import local_today, utcnow
from reception.extensions import db as _db
from reception.notifications.models import OutboxMessage
from reception.systemic.models import IssueLink, IssueStatus, SystemicIssue
from reception.systemic.services import KIND
from tests.test_migrations import fresh_database  # noqa: F401  (a fixture)


def test_the_demo_has_an_issue_in_progress_with_three_linked_citizens(ctx):
    load_demo_data(local_today())
    _db.session.flush()
    issue = _db.session.scalars(select(SystemicIssue).where(SystemicIssue.title == TITLE)).one()
    assert issue.status is IssueStatus.IN_PROGRESS
    assert issue.coordinator.email == "assistant@demo.kz"
    assert sorted(b.code for b in issue.bodies) == [AKTOBE_AKIMAT, f"{AKTOBE_AKIMAT}-alga"]
    citizens = set(_db.session.scalars(select(Appointment.citizen_id).join(IssueLink)
                                       .where(IssueLink.issue_id == issue.id)))
    assert len(citizens) == 3
    assert "citizen@demo.kz" in {a.appointment.citizen.email for a in issue.links}
    # The demo citizen, linked before the change, is told; the history's citizens, linked after it, are not.
    told = _db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == KIND)).all()
    demo_citizen = next(a.appointment.citizen for a in issue.links if a.appointment.citizen.email == "citizen@demo.kz")
    assert set(told) == {demo_citizen.id} and len(issue.changes) == 1
    assert load_systemic_issue(utcnow()) is None  # once


def test_flask_demo_load_twice_makes_the_issue_once(fresh_database):  # noqa: F811
    url, engine_options = fresh_database
    app = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": engine_options, "BASE_URL": "http://reception.test"})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    for _ in range(2):
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(SystemicIssue)) == 1
        assert _db.session.scalar(select(func.count()).select_from(IssueLink)) == 3
        assert _db.session.scalar(select(func.count(func.distinct(OutboxMessage.user_id)))
                                  .where(OutboxMessage.kind == KIND)) == 1
        _db.session.remove()
        _db.engine.dispose()
