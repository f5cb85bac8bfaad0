"""Needs attention: what is flagged in a period (the rules, pure), and the reading of a period's list with
what monitors did about each item before (``needs_attention``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from . import queries
from .definitions import Period
from .models import AlertKind, MonitoringAction, item_key

#: A topic is rising at a body when its questions in the period are at least this many times those of the
#: previous period of the same length, and at least RISING_MIN.
RISING_FACTOR = Decimal("1.5")
RISING_MIN = 3

#: The sections of the page, in order, with what each flags (shown on the page).
ALERT_DEFINITIONS = {
    AlertKind.NOT_HELD: (_l("Fewer receptions held than planned"),
                         _l("Bodies with published receptions of past days in the period that were not held "
                            "(cancelled, or never marked held and nobody received).")),
    AlertKind.LOW_SUPPLY: (_l("Demand without receptions"),
                           _l("Bodies that citizens asked for (requests, waitlist joins, reports of a refused "
                              "booking) but that held no reception in the period, or offered fewer free slots "
                              "than there were citizens asking.")),
    AlertKind.OVERDUE: (_l("Overdue instructions"),
                        _l("Bodies with instructions past their due date (as extended) and not done, as of the "
                           "end of the period or today, whichever is earlier.")),
    AlertKind.RISING_TOPIC: (_l("Rising topics"),
                             _l("A topic's questions at a body's receptions in the period: at least %(min)d and at "
                                "least %(factor)s times as many as in the previous period of the same length.",
                                min=RISING_MIN, factor=str(RISING_FACTOR))),
    AlertKind.REPEATED: (_l("Citizens who came back about the same question"),
                         _l("Citizens who raised a question at a reception in the period on a topic they had "
                            "already raised at an earlier held reception (at any body).")),
}


@dataclass
class Alert:
    """One item of the list: what it is about and the numbers that flagged it."""

    kind: AlertKind
    key: str
    body_id: int | None = None
    topic_id: int | None = None
    citizen_id: int | None = None
    numbers: dict = field(default_factory=dict)
    last_action: MonitoringAction | None = None


# --- the rules (pure) -------------------------------------------------------------------------------------

def not_held(rows: dict) -> list[Alert]:
    """Bodies whose past receptions in the period were not all held (``rows``: body id -> Figures)."""
    out = [Alert(AlertKind.NOT_HELD, item_key(body_id=b), body_id=b,
                 numbers={"planned": f.planned, "held": f.held, "not_held": f.not_held, "cancelled": f.cancelled})
           for b, f in rows.items() if f.not_held > 0]
    return sorted(out, key=lambda a: (-a.numbers["not_held"], a.body_id))


def low_supply(rows: dict) -> list[Alert]:
    """Bodies with demand that held no reception, or offered fewer free slots than citizens asked."""
    out = []
    for b, f in rows.items():
        free = f.slots - f.booked
        if f.demand > 0 and (f.held == 0 or free < f.demand):
            out.append(Alert(AlertKind.LOW_SUPPLY, item_key(body_id=b), body_id=b,
                             numbers={"demand": f.demand, "requests": f.requests, "waitlist_joins": f.waitlist_joins,
                                      "access_reports": f.access_reports, "held": f.held, "free_slots": free}))
    return sorted(out, key=lambda a: (-a.numbers["demand"], a.body_id))


def overdue(rows: dict[int, tuple[int, date]], as_of: date) -> list[Alert]:
    """Bodies with overdue instructions (``rows``: body id -> (how many, the earliest due date))."""
    out = [Alert(AlertKind.OVERDUE, item_key(body_id=b), body_id=b,
                 numbers={"overdue": n, "oldest_due_on": oldest, "days_late": (as_of - oldest).days, "as_of": as_of})
           for b, (n, oldest) in rows.items() if n > 0]
    return sorted(out, key=lambda a: (-a.numbers["overdue"], a.numbers["oldest_due_on"], a.body_id))


def is_rising(now: int, before: int) -> bool:
    return now >= RISING_MIN and now >= RISING_FACTOR * before


def rising(now: dict, before: dict) -> list[Alert]:
    """(body, topic) cells whose questions rose (``now``, ``before``: topic_matrix of the two periods)."""
    out = []
    for (b, t), cell in now.items():
        earlier = before[(b, t)].questions if (b, t) in before else 0
        if is_rising(cell.questions, earlier):
            out.append(Alert(AlertKind.RISING_TOPIC, item_key(body_id=b, topic_id=t), body_id=b, topic_id=t,
                             numbers={"questions": cell.questions, "before": earlier}))
    return sorted(out, key=lambda a: (-(a.numbers["questions"] - a.numbers["before"]), a.body_id, a.topic_id))


def repeated(rows: list[queries.Repeat]) -> list[Alert]:
    return [Alert(AlertKind.REPEATED, item_key(citizen_id=r.citizen_id, topic_id=r.topic_id),
                  citizen_id=r.citizen_id, topic_id=r.topic_id,
                  numbers={"questions": r.questions, "last_on": r.last_on, "body_ids": r.body_ids})
            for r in rows]


# --- one period's list ------------------------------------------------------------------------------------

@dataclass
class FollowUp:
    """An item acted on in the previous period: its last action and whether it is still flagged."""

    action: MonitoringAction
    still_flagged: bool


@dataclass
class Attention:
    period: Period
    sections: dict[AlertKind, list[Alert]]
    follow_ups: list[FollowUp]
    reports: list
    report_answers: dict[int, MonitoringAction]
    bodies: dict
    topics: dict
    citizens: dict
    counted_at: datetime | None = None  # when the stored figures read were counted (None: counted live)

    def find(self, kind: str, key: str) -> Alert | None:
        """The item of the list (or a followed-up one) with this kind and key."""
        for alert in self.sections.get(kind, ()):
            if alert.key == key:
                return alert
        for follow in self.follow_ups:
            if follow.action.alert_kind == kind and follow.action.item_key == key:
                a = follow.action
                return Alert(a.alert_kind, a.item_key, body_id=a.body_id, topic_id=a.topic_id, citizen_id=a.citizen_id)
        return None


def needs_attention(period: Period, today: date, body_ids=None) -> Attention:
    """The period's items, each with the last action on it, the items acted on in the previous period with
    whether they are still flagged, and the citizens' reports of the period (a fixed number of statements)."""
    rows = queries.figures(period, today, "body", body_ids)
    now = queries.topic_matrix(period, today, body_ids)
    before = queries.topic_matrix(period.previous(), today, body_ids)
    sections = {
        AlertKind.NOT_HELD: not_held(rows),
        AlertKind.LOW_SUPPLY: low_supply(rows),
        AlertKind.OVERDUE: overdue(queries.overdue_by_body(period, today, body_ids),
                                   queries.overdue_as_of(period, today)),
        AlertKind.RISING_TOPIC: rising(now, before),
        AlertKind.REPEATED: repeated(queries.repeated_appeals(period, body_ids)),
    }
    reports = queries.access_reports(period, body_ids)
    flagged = {(a.kind, a.key): a for alerts in sections.values() for a in alerts}
    report_keys = {item_key(report_id=r.id) for r in reports}
    actions = queries.actions_for(period, {key for _, key in flagged} | report_keys)
    last: dict[tuple, MonitoringAction] = {}
    for action in actions:  # oldest first: the last one stays
        last[(action.alert_kind, action.item_key)] = action
    for (kind, key), alert in flagged.items():
        alert.last_action = last.get((kind, key))
    previous = period.previous()
    follow_ups = [FollowUp(a, (k, key) in flagged) for (k, key), a in last.items()
                  if k is not AlertKind.ACCESS_REPORT and previous.start <= a.period_start < period.start]
    answers = {a.report_id: a for (k, _), a in last.items() if k is AlertKind.ACCESS_REPORT}
    items = [*flagged.values(), *(f.action for f in follow_ups)]
    body_ids_shown = {i.body_id for i in items if i.body_id} | {
        b for a in sections[AlertKind.REPEATED] for b in a.numbers["body_ids"]}
    return Attention(
        period=period, sections=sections, follow_ups=follow_ups, reports=reports, report_answers=answers,
        bodies=queries.bodies(body_ids_shown) if body_ids_shown else {},
        topics={t.id: t for t in queries.top_topics()},
        citizens=queries.users(i.citizen_id for i in items if i.citizen_id),
        counted_at=queries.oldest(rows.counted_at, now.counted_at, before.counted_at))
