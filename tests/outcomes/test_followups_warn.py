"""`flask followups warn`: the responsible body hears once per deadline that it is near or has passed."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.notifications.models import Channel
from tests.conftest import login
from tests.outcomes.conftest import messages


def _today():
    return utcnow().astimezone(ZoneInfo("Asia/Almaty")).date()


def _warn(app) -> str:
    result = app.test_cli_runner().invoke(args=["followups", "warn"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_near_deadline_warns_the_bodys_representatives_once_even_when_run_twice(
        db, app, reception, with_instruction, make_user):
    due = WorkCalendar.from_config(app.config).add_working_days(_today(), 2)
    instruction = with_instruction(due_on=due)
    second_rep = make_user(Role.AGENCY_REP, body=reception.body_b, notify_by="email")
    gone = make_user(Role.AGENCY_REP, body=reception.body_b, is_active=False)
    other_body = make_user(Role.AGENCY_REP, body=reception.body_a)

    assert "due soon 1, overdue 0" in _warn(app)
    assert "due soon 0, overdue 0, messages 0" in _warn(app)  # the second run sends nothing

    sent = messages(db, reception.rep, "followup_due_soon")
    assert len([m for m in sent if m.channel is Channel.EMAIL]) == 1
    assert f"No. {instruction.id}" in sent[0].subject
    assert len(messages(db, second_rep, "followup_due_soon")) == 1
    assert messages(db, gone, "followup_due_soon") == [] and messages(db, other_body, "followup_due_soon") == []
    db.session.refresh(instruction)
    assert instruction.near_warned_for == due


def test_a_far_deadline_or_a_done_instruction_warns_nobody(db, app, reception, with_instruction):
    with_instruction(due_on=_today() + timedelta(days=40))
    assert "due soon 0, overdue 0" in _warn(app)
    assert messages(db, reception.rep, "followup_due_soon") == []


def test_a_passed_deadline_warns_once_and_an_extension_rearms_the_warnings(
        db, app, client, submit, reception, with_instruction):
    instruction = with_instruction(due_on=_today() - timedelta(days=1))
    assert "overdue 1" in _warn(app)
    assert "overdue 0" in _warn(app)
    assert len([m for m in messages(db, reception.rep, "followup_overdue") if m.channel is Channel.EMAIL]) == 1

    # Extended to a date two working days ahead: the body is warned of the new deadline, once.
    new_due = WorkCalendar.from_config(app.config).add_working_days(_today(), 2)
    login(client, reception.assistant)
    r = submit(f"/staff/instructions/{instruction.id}/extend",
               {"due_on": new_due.isoformat(), "reason": "Waiting for the budget",
                "seen_due_on": instruction.due_on.isoformat()})
    assert r.status_code == 302
    assert "due soon 1, overdue 0" in _warn(app)
    assert "due soon 0, overdue 0" in _warn(app)
    assert len([m for m in messages(db, reception.rep, "followup_due_soon") if m.channel is Channel.EMAIL]) == 1
