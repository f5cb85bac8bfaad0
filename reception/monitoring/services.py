"""Monitors' changes: recording what was done about an item that needed attention, answering a citizen's
report of a refused booking, and storing the figures of settled periods (the nightly count). Each adds and
flushes in the caller's transaction (the view or command commits); the answer to a citizen is written to the
outbox in that same transaction."""
from __future__ import annotations

from datetime import date, datetime

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
from . import queries, snapshots
from .alerts import Alert
from .definitions import Period, month_of, quarter_of, year_of
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


# --- stored figures -------------------------------------------------------------------------------------------

#: How far back the nightly count goes: the settled periods from January of this many years before today's.
SNAPSHOT_YEARS = 2


def snapshot_periods(today: date) -> list[Period]:
    """The settled months, quarters and years from January two years ago, with the period before each (the
    pages compare a period with it) and the 12 months of each one's trend, oldest first."""
    first = today.year - SNAPSHOT_YEARS
    candidates = [year_of(year) for year in range(first, today.year + 1)]
    candidates += [quarter_of(date(year, month, 1)) for year in range(first, today.year + 1) for month in (1, 4, 7, 10)]
    candidates += [month_of(date(year, month, 1)) for year in range(first, today.year + 1) for month in range(1, 13)]
    settled = [p for p in candidates if snapshots.is_settled(p, today)]
    periods = set(settled) | {p.previous() for p in settled}
    periods |= {month for p in settled for month in queries.months_to(p)}  # the months of their trends
    return sorted(periods, key=lambda p: (p.start, p.end))


def _count(what: str, period: Period, today: date) -> dict:
    if what == "topic_matrix":
        return snapshots.encode_cells(queries.count_topic_matrix(period, today))
    by = what.removeprefix("figures:")
    return snapshots.encode_rows(queries.count_figures(period, today, by))


def take_snapshot(period: Period, today: date, now: datetime, again: bool = False,
                  recent: set | None = None) -> int:
    """Count and store every kind of figures of the settled ``period`` (snapshots.WHAT) as of ``now``, replacing
    those stored before; unless ``again``, the kinds counted less than RECOUNT_AFTER ago are kept (``recent``:
    what ``snapshots.recent`` gave, read here if not given). Returns how many were stored. Adds in the caller's
    transaction; emits nothing; raises Invalid for a period that is not settled."""
    if not snapshots.is_settled(period, today):
        raise Invalid(_l("Only the figures of a month, quarter or year that ended at least %(days)d days ago are "
                         "stored.", days=snapshots.SETTLE_DAYS))
    if recent is None:
        recent = set() if again else snapshots.recent([period], now)
    taken = 0
    for what in snapshots.WHAT:
        if again or (what, period.start, period.end) not in recent:
            snapshots.store(what, period, _count(what, period, today), now)
            taken += 1
    db.session.flush()
    return taken


def take_snapshots(today: date, now: datetime, again: bool = False) -> int:
    """Count and store the figures of every period of ``snapshot_periods(today)`` (see ``take_snapshot``);
    idempotent: a second run keeps what the first stored, unless ``again``. Returns how many were stored."""
    periods = snapshot_periods(today)
    recent = set() if again else snapshots.recent(periods, now)
    return sum(take_snapshot(period, today, now, again, recent) for period in periods)
