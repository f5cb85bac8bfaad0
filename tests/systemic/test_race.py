"""Two status changes of one issue at once (two assistants, or a form sent twice), on real connections: the
database lets one through; the citizens are told once. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from reception.accounts.models import NotifyBy, User, UserRole
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.errors import Conflict
from reception.core.permissions import Role
from reception.directory.models import Body, BodyLevel, Official, Region, Topic
from reception.extensions import db
from reception.notifications.models import OutboxMessage
from reception.schedule.models import AttendanceFormat
from reception.systemic import queries
from reception.systemic.models import (
    IssueChange,
    IssueLink,
    IssueStatus,
    SystemicIssue,
    systemic_issue_bodies,
)
from reception.systemic.services import KIND, change_status
from tests.conftest import _PASSWORD_HASH
from tests.races import run_racers, statement

# The compare-and-set of the status (reception.systemic.services.change_status).
STATUS_UPDATE = statement(r"^UPDATE systemic_issues SET")


@dataclass
class RaceWorld:
    issue_id: int
    assistant_ids: list[int]
    citizen_ids: list[int]


@pytest.fixture
def race_issue(app):
    """Committed on the app's engine: an issue of one body with two assistants and three linked citizens' talons;
    deleted afterwards with its changes, links and messages."""
    with app.app_context():
        engine = db.engine
    with Session(engine) as s:
        region = s.scalars(select(Region).where(Region.code == "KZ-71")).one()
        n = s.scalar(select(func.count()).select_from(Body)) + 1
        body = Body(code=f"systemic-race-{n}", level=BodyLevel.REGIONAL, region=region, name_kk=f"S{n}",
                    name_ru=f"S{n}", name_en=f"Systemic race body {n}")
        official = Official(body=body, full_name="Race official", position_kk="p", position_ru="p", position_en="p")
        staff = [User(email=f"sys-race{n}-a{i}@example.kz", full_name=f"Race assistant {i}", language="en",
                      password_hash=_PASSWORD_HASH, body=body, role_rows=[UserRole(role=Role.ASSISTANT)])
                 for i in range(2)]
        citizens = [User(email=f"sys-race{n}-c{i}@example.kz", full_name=f"Race citizen {i}", language="ru",
                         phone=f"+7701555000{i}", notify_by=NotifyBy.BOTH, password_hash=_PASSWORD_HASH,
                         region_id=region.id, role_rows=[UserRole(role=Role.CITIZEN)]) for i in range(3)]
        s.add_all([body, official, *staff, *citizens])
        s.flush()
        topic_id = s.scalars(select(Topic.id).order_by(Topic.id)).first()
        now = utcnow()
        appointments = [Appointment(citizen_id=c.id, official_id=official.id, format=AttendanceFormat.IN_PERSON,
                                    topic_id=topic_id, summary="No heating", status=AppointmentStatus.HELD,
                                    talon_number=f"KZ71-RACE{n}-{i:06d}", accepted_at=now - timedelta(days=2))
                        for i, c in enumerate(citizens)]
        s.add_all(appointments)
        issue = SystemicIssue(title="No heating", description="d", status=IssueStatus.OPEN,
                              coordinator_id=staff[0].id, bodies=[body])
        s.add(issue)
        s.flush()
        s.add_all([IssueLink(issue_id=issue.id, appointment_id=a.id) for a in appointments])
        s.commit()
        world = RaceWorld(issue.id, [u.id for u in staff], [c.id for c in citizens])
        made = {"body": body.id, "official": official.id, "users": [u.id for u in (*staff, *citizens)]}
    yield world
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id.in_(made["users"])))
        conn.execute(delete(IssueLink).where(IssueLink.issue_id == world.issue_id))
        conn.execute(delete(IssueChange).where(IssueChange.issue_id == world.issue_id))
        conn.execute(delete(systemic_issue_bodies).where(systemic_issue_bodies.c.issue_id == world.issue_id))
        conn.execute(delete(SystemicIssue).where(SystemicIssue.id == world.issue_id))
        conn.execute(delete(Appointment).where(Appointment.citizen_id.in_(made["users"])))
        conn.execute(delete(Official).where(Official.id == made["official"]))
        conn.execute(delete(UserRole).where(UserRole.user_id.in_(made["users"])))
        conn.execute(delete(User).where(User.id.in_(made["users"])))
        conn.execute(delete(Body).where(Body.id == made["body"]))


def _read(app, stmt):
    with app.app_context():
        try:
            return db.session.execute(stmt).all()
        finally:
            db.session.remove()


@pytest.mark.parametrize("targets", [(IssueStatus.IN_PROGRESS, IssueStatus.IN_PROGRESS),
                                     (IssueStatus.IN_PROGRESS, IssueStatus.CLOSED)],
                         ids=["double submit", "two assistants"])
def test_two_status_changes_from_the_same_status_make_one_change_and_tell_each_citizen_once(app, race_issue,
                                                                                           targets):
    world = race_issue

    def change_by(assistant_id, new):
        def prepare():
            user = db.session.get(User, assistant_id)
            issue = queries.get_issue(world.issue_id)
            _ = user.roles, issue.body_ids  # what the page loaded
            return lambda: change_status(user, issue, IssueStatus.OPEN, new, f"to {new}", utcnow())
        return prepare

    outcomes = run_racers(app, [change_by(world.assistant_ids[i], targets[i]) for i in range(2)], STATUS_UPDATE,
                          prepare=True, context=app.test_request_context)
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Conflict), outcomes
    changes = _read(app, select(IssueChange.id, IssueChange.new_status).where(IssueChange.issue_id == world.issue_id))
    assert len(changes) == 1
    [(status,)] = _read(app, select(SystemicIssue.status).where(SystemicIssue.id == world.issue_id))
    assert status == changes[0][1]
    messages = _read(app, select(OutboxMessage.user_id, OutboxMessage.channel)
                     .where(OutboxMessage.kind == KIND, OutboxMessage.user_id.in_(world.citizen_ids)))
    assert sorted(messages) == sorted((c, ch) for c in world.citizen_ids for ch in ("email", "sms"))
