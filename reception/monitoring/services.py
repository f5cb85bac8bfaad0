"""Monitors' changes: recording what was done about an item that needed attention, and answering a citizen's
report of a refused booking. Each adds and flushes in the caller's transaction (the view commits); the
answer to a citizen is written to the outbox in that same transaction."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..audit.services import record_change
from ..core.clock import local_today
from ..core.errors import Conflict, Invalid, NotAllowed
from ..core.i18n import localized
from ..core.permissions import Permission
from ..core.web import absolute_url
from ..extensions import db
from ..notifications.services import notify
from ..outcomes.models import AccessReport
from .alerts import Alert
from .definitions import Period, month_of
from .models import ActionKind, AlertKind, MonitoringAction, item_key

MAX_NOTE = 2000
MAX_ANSWER = 4000
#: What a monitor may record about an item of the list (answers to citizens are recorded by answering).
ITEM_ACTIONS = (ActionKind.NOTE, ActionKind.LETTER, ActionKind.RESOLVED)


def _check_actor(actor) -> None:
    if not actor.can(Permission.MONITORING_ACT):
        raise NotAllowed(_l("Only monitors may act on the items that need attention."))


def record_action(actor, alert: Alert, period: Period, action: ActionKind, note: str,
                  now: datetime) -> MonitoringAction:
    """Record what was done about ``alert`` (an item of the period's list): a note (required), a letter sent
    to the body, or "resolved". Raises NotAllowed for anyone but monitors, Invalid for a missing note."""
    _check_actor(actor)
    note = (note or "").strip()
    if action not in ITEM_ACTIONS:
        raise Invalid(_l("Choose what was done."), field="action")
    if action is ActionKind.NOTE and not note:
        raise Invalid(_l("Write the note."), field="note")
    if len(note) > MAX_NOTE:
        raise Invalid(_l("Too long: at most %(max)d characters.", max=MAX_NOTE), field="note")
    row = MonitoringAction(alert_kind=alert.kind, item_key=alert.key, body_id=alert.body_id, topic_id=alert.topic_id,
                           citizen_id=alert.citizen_id, period_start=period.start, period_end=period.end,
                           action=action, note=note, actor_id=actor.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def count_answers(report: AccessReport) -> int:
    return db.session.scalar(select(func.count()).select_from(MonitoringAction).where(
        MonitoringAction.report_id == report.id, MonitoringAction.action == ActionKind.ANSWERED))


def answer_access_report(actor, report: AccessReport, text: str, seen_answers: int, now: datetime) -> MonitoringAction:
    """Answer the citizen who reported a refused booking: one message by the channels they chose, in their
    language (``access_report_answered``); the report is marked reviewed if it was not; the answer is kept as
    a monitoring action on the report. ``seen_answers`` is how many answers the monitor saw: if another
    monitor answered meanwhile, Conflict (nothing is sent twice by a double click). Raises NotAllowed for
    anyone but monitors, Invalid for an empty or too long answer or a citizen who cannot be reached."""
    _check_actor(actor)
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("Write the answer."), field="text")
    if len(text) > MAX_ANSWER:
        raise Invalid(_l("Too long: at most %(max)d characters.", max=MAX_ANSWER), field="text")
    if count_answers(report) != seen_answers:
        raise Conflict(_l("Another monitor has answered this report meanwhile. Read the answer before you "
                          "send another."))
    citizen = report.citizen
    reported_on = local_today(citizen.timezone, report.created_at)
    period = month_of(reported_on)
    row = MonitoringAction(alert_kind=AlertKind.ACCESS_REPORT, item_key=item_key(report_id=report.id),
                           body_id=report.body_id, citizen_id=citizen.id, report_id=report.id,
                           period_start=period.start, period_end=period.end, action=ActionKind.ANSWERED,
                           note=text, actor_id=actor.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    messages = notify(citizen, "access_report_answered",
                      _l("Your report about %(body)s: the answer",
                         body=localized(report.body, "name", citizen.language)),
                      "access_report_answered", dedupe_key=f"access-report-answer:{row.id}", report=report,
                      body=report.body, answer=text, reported_on=reported_on,
                      search_url=absolute_url("booking.search"))
    if not messages:
        raise Invalid(_l("The citizen has no e-mail address or phone number to answer to."), field="text")
    if report.reviewed_at is None:
        changed = db.session.execute(
            update(AccessReport).where(AccessReport.id == report.id, AccessReport.reviewed_at.is_(None))
            .values(reviewed_at=now, reviewed_by_id=actor.id).execution_options(synchronize_session=False)).rowcount
        if changed:
            record_change("access_report", report.id, {"reviewed_at": (None, now)})
        db.session.refresh(report)
    return row
