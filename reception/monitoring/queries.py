"""Monitoring reads: the measures of ``definitions`` counted in the database, per body, official, level,
region or the whole country, for a period; the body x topic map; the lists behind the figures.

Each measure is one grouped statement over the period's rows (a few statements per page, whatever the
number of bodies); rows are attributed to the body of the official who received (sessions, questions,
requests, waitlist joins, slots) or named in the record (reports, instructions).

The figures of a settled period (``snapshots``) are read from those stored by the nightly count when they are
recent enough: ``figures``, ``topic_matrix``, ``trend`` and ``monthly`` do, and give what was counted with
``counted_at``; ``count_figures`` and the other ``count_*`` always count live.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..accounts.models import User
from ..booking.models import Appointment, AppointmentStatus, WaitlistEntry
from ..core.clock import utcnow
from ..directory.models import Body, Official, Region, Topic, Venue
from ..directory.queries import by_name, collation_key
from ..extensions import db
from ..outcomes.models import (
    FINAL_RESULTS,
    FORWARDED_RESULTS,
    AccessReport,
    Instruction,
    InstructionStatus,
    Outcome,
    OutcomeResult,
    Question,
)
from ..schedule.models import ReceptionSession, SessionStatus, Slot
from . import snapshots
from .definitions import Cell, Figures, Period, month_of
from .disclosure import PublicFigures, public_figures
from .models import ActionKind, MonitoringAction

#: How rows are grouped: the key of each row of the result ("body_official": (body id, official id), the
#: officials' figures as stored, whatever bodies a page then reads them for).
GROUPINGS = ("country", "level", "region", "body", "official", "body_official")
#: Slots that were taken by a booking (a cancelled booking frees its slot).
BOOKED_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN, AppointmentStatus.HELD,
                   AppointmentStatus.NO_SHOW)


def _key(by: str, official_id, body: type[Body] | None = None):
    """The grouping column: through the official (and its body) of the counted rows."""
    body = body or Body
    if by == "body_official":  # one text column, "12/34", so that every count groups by one expression
        return cast(body.id, String) + literal("/") + func.coalesce(cast(official_id, String), literal(""))
    return {"country": literal(None), "level": body.level, "region": body.region_id, "body": body.id,
            "official": official_id}[by]


def _scope(stmt, body_col, body_ids):
    return stmt.where(body_col.in_(list(body_ids))) if body_ids is not None else stmt


def _held_session():
    """Whether a session was held: marked so, or one of its appointments was held."""
    held_appointment = exists().where(Appointment.session_id == ReceptionSession.id,
                                      Appointment.status == AppointmentStatus.HELD)
    return or_(ReceptionSession.status == SessionStatus.HELD, held_appointment)


def _sessions(period: Period, today: date, by: str, body_ids) -> dict:
    held = _held_session()
    key = _key(by, ReceptionSession.official_id)
    stmt = (select(key.label("k"), func.count().label("planned"),
                   func.sum(case((held, 1), else_=0)).label("held"),
                   func.sum(case((and_(ReceptionSession.local_date < today, ~held), 1), else_=0)).label("not_held"),
                   func.sum(case((and_(ReceptionSession.status == SessionStatus.CANCELLED,
                                       ReceptionSession.local_date < today), 1), else_=0)).label("cancelled"))
            .join(Official, Official.id == ReceptionSession.official_id).join(Body, Body.id == Official.body_id)
            .where(ReceptionSession.is_published.is_(True),
                   ReceptionSession.local_date.between(period.start, period.end))
            .group_by(key))
    return {row.k: row for row in db.session.execute(_scope(stmt, Body.id, body_ids))}


def _co_applicants():
    """How many co-applicants a collective appeal names (one per line)."""
    text = func.coalesce(Appointment.co_applicants, "")
    return case((text == "", 0),
                else_=func.length(text) - func.length(func.replace(text, "\n", "")) + 1)


def _citizens(period: Period, by: str, body_ids) -> dict:
    key = _key(by, Appointment.official_id)
    stmt = (select(key.label("k"), func.count(func.distinct(Appointment.citizen_id)).label("citizens"),
                   func.sum(_co_applicants()).label("co"))
            .join(ReceptionSession, ReceptionSession.id == Appointment.session_id)
            .join(Official, Official.id == Appointment.official_id).join(Body, Body.id == Official.body_id)
            .where(Appointment.status == AppointmentStatus.HELD,
                   ReceptionSession.local_date.between(period.start, period.end))
            .group_by(key))
    rows = db.session.execute(_scope(stmt, Body.id, body_ids))
    return {row.k: int(row.citizens or 0) + int(row.co or 0) for row in rows}


def _question_closed():
    """A question is closed: a final result, or forwarded with instructions all done."""
    any_instruction = exists().where(Instruction.question_id == Question.id)
    open_instruction = exists().where(Instruction.question_id == Question.id,
                                      Instruction.status != InstructionStatus.CLOSED)
    return or_(Question.result.in_(FINAL_RESULTS),
               and_(Question.result.in_(FORWARDED_RESULTS), any_instruction, ~open_instruction))


def _question_satisfied(closed):
    return or_(Question.result.in_((OutcomeResult.RESOLVED, OutcomeResult.SATISFIED)),
               and_(Question.result.in_(FORWARDED_RESULTS), closed))


def _questions_base(period: Period):
    return (select()
            .select_from(Question)
            .join(Outcome, Outcome.id == Question.outcome_id)
            .join(Appointment, Appointment.id == Outcome.appointment_id)
            .join(ReceptionSession, ReceptionSession.id == Appointment.session_id)
            .join(Official, Official.id == Appointment.official_id).join(Body, Body.id == Official.body_id)
            .where(Appointment.status == AppointmentStatus.HELD,
                   ReceptionSession.local_date.between(period.start, period.end)))


def _questions(period: Period, by: str, body_ids) -> dict:
    key = _key(by, Appointment.official_id)
    closed = _question_closed()
    stmt = (_questions_base(period)
            .add_columns(key.label("k"), Question.result, func.count().label("n"),
                         func.sum(case((closed, 1), else_=0)).label("closed"),
                         func.sum(case((_question_satisfied(closed), 1), else_=0)).label("satisfied"))
            .group_by(key, Question.result))
    out: dict = defaultdict(lambda: {"results": {}, "closed": 0, "satisfied": 0})
    for row in db.session.execute(_scope(stmt, Body.id, body_ids)):
        item = out[row.k]
        item["results"][OutcomeResult(row.result)] = row.n
        item["closed"] += int(row.closed or 0)
        item["satisfied"] += int(row.satisfied or 0)
    return out


def overdue_as_of(period: Period, today: date) -> date:
    """Overdue is counted as of the end of the period or today, whichever is earlier."""
    return min(period.end, today)


def _overdue_condition(as_of: date):
    """An instruction overdue on ``as_of``: given by then, due before it, and not done by its end."""
    _, end_of_day = Period(as_of, as_of).utc_bounds()
    return and_(Instruction.created_at < end_of_day, Instruction.due_on < as_of,
                or_(Instruction.status != InstructionStatus.CLOSED, Instruction.closed_at >= end_of_day))


def _overdue(period: Period, today: date, by: str, body_ids) -> dict:
    if by in ("official", "body_official"):
        return {}
    key = _key(by, None)
    stmt = (select(key.label("k"), func.count().label("n"))
            .select_from(Instruction).join(Body, Body.id == Instruction.body_id)
            .where(_overdue_condition(overdue_as_of(period, today))).group_by(key))
    return {row.k: row.n for row in db.session.execute(_scope(stmt, Body.id, body_ids))}


def _count_by_official_body(model, official_col, created_col, period: Period, by: str, body_ids, *where) -> dict:
    start, end = period.utc_bounds()
    key = _key(by, official_col)
    stmt = (select(key.label("k"), func.count().label("n")).select_from(model)
            .join(Official, Official.id == official_col).join(Body, Body.id == Official.body_id)
            .where(created_col >= start, created_col < end, *where).group_by(key))
    return {row.k: row.n for row in db.session.execute(_scope(stmt, Body.id, body_ids))}


def _access_reports(period: Period, by: str, body_ids) -> dict:
    start, end = period.utc_bounds()
    key = _key(by, AccessReport.official_id)
    stmt = (select(key.label("k"), func.count().label("n")).select_from(AccessReport)
            .join(Body, Body.id == AccessReport.body_id)
            .where(AccessReport.created_at >= start, AccessReport.created_at < end).group_by(key))
    return {row.k: row.n for row in db.session.execute(_scope(stmt, Body.id, body_ids))}


def _supply(period: Period, by: str, body_ids) -> dict:
    """Slots published for the period's sessions, and how many of them were booked: two grouped counts (a
    booked slot is one with a booking that took it: scheduled, checked in, held or not come)."""
    key = _key(by, ReceptionSession.official_id)

    def count(stmt, what):
        stmt = (stmt.add_columns(key.label("k"), what.label("n"))
                .join(Official, Official.id == ReceptionSession.official_id).join(Body, Body.id == Official.body_id)
                .where(ReceptionSession.is_published.is_(True),
                       ReceptionSession.local_date.between(period.start, period.end))
                .group_by(key))
        return {row.k: row.n for row in db.session.execute(_scope(stmt, Body.id, body_ids))}

    slots = count(select().select_from(Slot).join(ReceptionSession, ReceptionSession.id == Slot.session_id),
                  func.count())
    booked = count(select().select_from(Appointment)
                   .join(ReceptionSession, ReceptionSession.id == Appointment.session_id)
                   .where(Appointment.slot_id.is_not(None), Appointment.status.in_(BOOKED_STATUSES)),
                   func.count(func.distinct(Appointment.slot_id)))
    return {k: (n, booked.get(k, 0)) for k, n in slots.items()}


def _median_days(period: Period, by: str, body_ids) -> dict:
    """Median days from booking to the reception, for bookings made in the period (requests included once
    they got their time)."""
    start, end = period.utc_bounds()
    key = _key(by, Appointment.official_id)
    base = (select().select_from(Appointment).join(Slot, Slot.id == Appointment.slot_id)
            .join(Official, Official.id == Appointment.official_id).join(Body, Body.id == Official.body_id)
            .where(Appointment.created_at >= start, Appointment.created_at < end,
                   Appointment.status != AppointmentStatus.RESCHEDULED))
    base = _scope(base, Body.id, body_ids)
    if db.session.get_bind().dialect.name == "postgresql":
        days = func.extract("epoch", Slot.starts_at - Appointment.created_at) / 86400.0
        stmt = base.add_columns(key.label("k"), func.percentile_cont(0.5).within_group(days).label("m")).group_by(key)
        return {row.k: round(float(row.m), 1) for row in db.session.execute(stmt) if row.m is not None}
    # SQLite has no percentile: the period's bookings are read and the medians taken here.
    values: dict = defaultdict(list)
    for row in db.session.execute(base.add_columns(key.label("k"), Slot.starts_at, Appointment.created_at)):
        values[row.k].append((row.starts_at - row.created_at).total_seconds() / 86400)
    return {k: round(statistics.median(v), 1) for k, v in values.items()}


class Rows(dict):
    """Rows of figures (or the map's cells) by their key, and when they were counted: ``counted_at`` is None
    when they were counted just now, else when the stored figures they come from were taken."""

    counted_at: datetime | None = None

    @classmethod
    def of(cls, rows: dict, counted_at: datetime | None = None) -> Rows:
        out = cls(rows)
        out.counted_at = counted_at
        return out


class Months(list):
    """A trend's months of figures, and when the oldest stored ones among them were counted (None: all live)."""

    counted_at: datetime | None = None


def oldest(*stamps: datetime | None) -> datetime | None:
    """The earliest of the ``counted_at`` of what a page shows (None when all of it was counted live)."""
    return min((s for s in stamps if s is not None), default=None)


def figures(period: Period, today: date, by: str = "body", body_ids=None) -> Rows:
    """The measures of the period per ``by`` (see GROUPINGS; "country" gives one row keyed None), for the
    bodies ``body_ids`` (default all). A row appears when any of its measures is not zero.

    Stored figures of a settled period are read when there are recent ones (one statement); otherwise, and
    for a few bodies' levels, regions or country, they are counted (``count_figures``)."""
    stored = _stored_figures(period, today, by, body_ids)
    return stored if stored is not None else Rows.of(count_figures(period, today, by, body_ids))


def _merged(a: Figures, b: Figures) -> Figures:
    """One official's figures from two bodies (reports naming them may be filed against another body): the
    counts add up; the citizens and the median come from the official's own body alone, so they add up too."""
    total = a.added(b)
    total.results = {r: n for r, n in total.results.items() if n}
    total.citizens = a.citizens + b.citizens
    total.median_days = a.median_days if a.median_days is not None else b.median_days
    return total


def _stored_figures(period: Period, today: date, by: str, body_ids) -> Rows | None:
    """The stored figures of the period grouped ``by``, for the bodies ``body_ids``: None when there are none
    (not settled, none recent enough, or a grouping that cannot be cut to a few bodies)."""
    if not snapshots.is_settled(period, today) or (by in ("country", "level", "region") and body_ids is not None):
        return None
    stored_by = "body_official" if by == "official" else by
    stored = snapshots.read(f"figures:{stored_by}", [period], utcnow()).get(period)
    if stored is None:
        return None
    rows = snapshots.decode_rows(stored_by, stored.payload)
    wanted = set(body_ids) if body_ids is not None else None
    if by == "official":
        officials_: dict = {}
        for (body_id, official_id), f in rows.items():
            if wanted is None or body_id in wanted:
                officials_[official_id] = _merged(officials_[official_id], f) if official_id in officials_ else f
        rows = officials_
    elif wanted is not None:
        rows = {k: f for k, f in rows.items() if k in wanted}
    return Rows.of(rows, stored.taken_at)


def count_figures(period: Period, today: date, by: str = "body", body_ids=None) -> dict[object, Figures]:
    """``figures`` counted live, always (ten or so grouped statements)."""
    assert by in GROUPINGS, by
    sessions = _sessions(period, today, by, body_ids)
    citizens = _citizens(period, by, body_ids)
    questions = _questions(period, by, body_ids)
    overdue = _overdue(period, today, by, body_ids)
    requests = _count_by_official_body(Appointment, Appointment.official_id, Appointment.created_at, period, by,
                                       body_ids, Appointment.redirect_due_on.is_not(None))
    joins = _count_by_official_body(WaitlistEntry, WaitlistEntry.official_id, WaitlistEntry.created_at, period,
                                    by, body_ids)
    reports = _access_reports(period, by, body_ids)
    supply = _supply(period, by, body_ids)
    medians = _median_days(period, by, body_ids)
    keys = set().union(sessions, citizens, questions, overdue, requests, joins, reports, supply, medians)
    out = {}
    for k in keys:
        s, q, sup = sessions.get(k), questions.get(k), supply.get(k)
        out[k] = Figures(
            planned=s.planned if s else 0, held=int(s.held or 0) if s else 0,
            not_held=int(s.not_held or 0) if s else 0, cancelled=int(s.cancelled or 0) if s else 0,
            citizens=citizens.get(k, 0),
            questions=sum(q["results"].values()) if q else 0, closed=q["closed"] if q else 0,
            satisfied=q["satisfied"] if q else 0, results=dict(q["results"]) if q else {},
            overdue=overdue.get(k, 0), requests=requests.get(k, 0), waitlist_joins=joins.get(k, 0),
            access_reports=reports.get(k, 0), slots=sup[0] if sup else 0, booked=sup[1] if sup else 0,
            median_days=medians.get(k))
    if by == "body_official":
        out = {(int(body_id), int(official_id) if official_id else None): f
               for (body_id, _, official_id), f in ((k.partition("/"), f) for k, f in out.items())}
    return out


def country(period: Period, today: date) -> Figures:
    return figures(period, today, "country").get(None, Figures())


# --- the map of problematic issues -----------------------------------------------------------------------

def root_topic():
    """A question's topic as the map shows it: its top-level topic (the tree is two levels deep)."""
    return func.coalesce(Topic.parent_id, Topic.id)


def _first_raised():
    """Each citizen's first held reception per top-level topic: a question is a repeat when its reception
    came later (one grouped pass over the questions, not a search of each citizen's past per question)."""
    q, o, a, s, t = (aliased(Question), aliased(Outcome), aliased(Appointment), aliased(ReceptionSession),
                     aliased(Topic))
    root = func.coalesce(t.parent_id, t.id)
    return (select(a.citizen_id.label("citizen_id"), root.label("topic_id"), func.min(s.local_date).label("first_on"))
            .select_from(q).join(o, o.id == q.outcome_id).join(a, a.id == o.appointment_id)
            .join(s, s.id == a.session_id).join(t, t.id == q.topic_id)
            .where(a.status == AppointmentStatus.HELD).group_by(a.citizen_id, root).subquery("first_raised"))


def _with_first_raised(stmt, topic):
    """``stmt`` (over the period's questions) joined to their citizen's first reception on the topic."""
    first = _first_raised()
    return (stmt.join(first, and_(first.c.citizen_id == Appointment.citizen_id, first.c.topic_id == topic)),
            ReceptionSession.local_date > first.c.first_on)


def topic_matrix(period: Period, today: date, body_ids=None, region_id: int | None = None) -> Rows:
    """(body id, top-level topic id) -> questions, in progress, overdue and repeated appeals of the questions
    raised at the body's receptions in the period: stored ones for a settled period when recent enough, else
    counted (``count_topic_matrix``)."""
    if region_id is None and snapshots.is_settled(period, today):
        stored = snapshots.read("topic_matrix", [period], utcnow()).get(period)
        if stored is not None:
            cells = snapshots.decode_cells(stored.payload)
            if body_ids is not None:
                wanted = set(body_ids)
                cells = {key: cell for key, cell in cells.items() if key[0] in wanted}
            return Rows.of(cells, stored.taken_at)
    return Rows.of(count_topic_matrix(period, today, body_ids, region_id))


def count_topic_matrix(period: Period, today: date, body_ids=None, region_id: int | None = None) -> dict[tuple, Cell]:
    """``topic_matrix`` counted live, always (two grouped statements)."""
    topic = root_topic()
    closed = _question_closed()
    stmt, repeated = _with_first_raised(_questions_base(period).join(Topic, Topic.id == Question.topic_id), topic)
    stmt = (stmt
            .add_columns(Body.id.label("body_id"), topic.label("topic_id"), func.count().label("n"),
                         func.sum(case((closed, 0), else_=1)).label("open"),
                         func.sum(case((repeated, 1), else_=0)).label("repeated"))
            .group_by(Body.id, topic))
    if region_id is not None:
        stmt = stmt.where(Body.region_id == region_id)
    out: dict[tuple, Cell] = {}
    for row in db.session.execute(_scope(stmt, Body.id, body_ids)):
        out[(row.body_id, row.topic_id)] = Cell(row.n, int(row.open or 0), 0, int(row.repeated or 0))
    overdue = (_questions_base(period).join(Topic, Topic.id == Question.topic_id)
               .join(Instruction, Instruction.question_id == Question.id)
               .where(_overdue_condition(overdue_as_of(period, today)))
               .add_columns(Body.id.label("body_id"), topic.label("topic_id"), func.count().label("n"))
               .group_by(Body.id, topic))
    if region_id is not None:
        overdue = overdue.where(Body.region_id == region_id)
    for row in db.session.execute(_scope(overdue, Body.id, body_ids)):
        out.setdefault((row.body_id, row.topic_id), Cell()).overdue = row.n
    return out


# --- the lists behind the figures ----------------------------------------------------------------------

def not_held_sessions(period: Period, today: date, body_id: int) -> list[ReceptionSession]:
    """The body's past sessions in the period that were not held, with their reasons, oldest first."""
    held = _held_session()
    stmt = (select(ReceptionSession).join(Official, Official.id == ReceptionSession.official_id)
            .where(Official.body_id == body_id, ReceptionSession.is_published.is_(True),
                   ReceptionSession.local_date.between(period.start, period.end),
                   ReceptionSession.local_date < today, ~held)
            .order_by(ReceptionSession.local_date, ReceptionSession.starts_at)
            .options(selectinload(ReceptionSession.official)))
    return list(db.session.scalars(stmt))


def overdue_instructions(period: Period, today: date, body_id: int | None = None) -> list[Instruction]:
    """Instructions overdue as of the period's end (or today), a body's own or all, the most late first."""
    stmt = (select(Instruction).where(_overdue_condition(overdue_as_of(period, today)))
            .order_by(Instruction.due_on, Instruction.id).options(selectinload(Instruction.body)))
    if body_id is not None:
        stmt = stmt.where(Instruction.body_id == body_id)
    return list(db.session.scalars(stmt))


def bodies(body_ids=None) -> dict[int, Body]:
    stmt = select(Body).order_by(Body.level, Body.name_en)
    if body_ids is not None:
        stmt = stmt.where(Body.id.in_(list(body_ids)))
    return {b.id: b for b in db.session.scalars(stmt)}



# --- trends, and the names behind the keys ---------------------------------------------------------------

def _month_index(column, months: list[Period]):
    """Which of ``months`` a date column falls in (0, 1, …), as one CASE (grouped by its label)."""
    return case(*[(column.between(m.start, m.end), literal(i)) for i, m in enumerate(months)], else_=None)


_TREND = ("planned", "held", "not_held", "citizens", "questions", "closed", "overdue")


def trend(months: list[Period], today: date, body_ids=None) -> Months:
    """Month by month (``months`` in order, e.g. the 12 months to a period's end), for the bodies ``body_ids``
    (default all): planned, held, not held, citizens, questions, closed, and overdue as of each month's end
    (or today). The other measures stay 0. The settled months are read from the stored figures of the country
    or of the one body (one statement), the others counted (``count_trend``, four statements)."""
    stored: dict = {}
    if body_ids is None or len(set(body_ids)) == 1:
        by, key = ("country", None) if body_ids is None else ("body", next(iter(body_ids)))
        stored = snapshots.read(f"figures:{by}", [m for m in months if snapshots.is_settled(m, today)], utcnow())
    missing = [m for m in months if m not in stored]
    counted = dict(zip(missing, count_trend(missing, today, body_ids), strict=True))
    out = Months()
    for month in months:
        if month in stored:
            row = snapshots.decode_rows(by, stored[month].payload).get(key) or Figures()
            out.append(Figures(**{name: getattr(row, name) for name in _TREND}))
        else:
            out.append(counted[month])
    out.counted_at = oldest(*(s.taken_at for s in stored.values()))
    return out


def count_trend(months: list[Period], today: date, body_ids=None) -> list[Figures]:
    """``trend`` counted live, always (``months`` need not follow each other)."""
    if not months:
        return []
    span = Period(months[0].start, months[-1].end)
    out = [Figures() for _ in months]
    held = _held_session()
    m = _month_index(ReceptionSession.local_date, months).label("m")
    sessions = (select(m, func.count().label("planned"), func.sum(case((held, 1), else_=0)).label("held"),
                       func.sum(case((and_(ReceptionSession.local_date < today, ~held), 1), else_=0)).label("not_held"))
                .join(Official, Official.id == ReceptionSession.official_id).join(Body, Body.id == Official.body_id)
                .where(ReceptionSession.is_published.is_(True),
                       ReceptionSession.local_date.between(span.start, span.end))
                .group_by("m"))
    for row in db.session.execute(_scope(sessions, Body.id, body_ids)):
        if row.m is None:  # a day between two of the months
            continue
        out[row.m].planned, out[row.m].held, out[row.m].not_held = row.planned, int(row.held), int(row.not_held)
    citizens = (select(m, func.count(func.distinct(Appointment.citizen_id)).label("citizens"),
                       func.sum(_co_applicants()).label("co"))
                .join(ReceptionSession, ReceptionSession.id == Appointment.session_id)
                .join(Official, Official.id == Appointment.official_id).join(Body, Body.id == Official.body_id)
                .where(Appointment.status == AppointmentStatus.HELD,
                       ReceptionSession.local_date.between(span.start, span.end))
                .group_by("m"))
    for row in db.session.execute(_scope(citizens, Body.id, body_ids)):
        if row.m is not None:
            out[row.m].citizens = int(row.citizens or 0) + int(row.co or 0)
    closed = func.sum(case((_question_closed(), 1), else_=0))
    questions = _questions_base(span).add_columns(m, func.count().label("n"), closed.label("closed")).group_by("m")
    for row in db.session.execute(_scope(questions, Body.id, body_ids)):
        if row.m is not None:
            out[row.m].questions, out[row.m].closed = row.n, int(row.closed or 0)
    overdue = (select(*[func.sum(case((_overdue_condition(overdue_as_of(month, today)), 1), else_=0))
                        for month in months])
               .select_from(Instruction).join(Body, Body.id == Instruction.body_id))
    counts = db.session.execute(_scope(overdue, Body.id, body_ids)).one()
    for figures_of_month, n in zip(out, counts, strict=True):
        figures_of_month.overdue = int(n or 0)
    return out


def months_to(period: Period, count: int = 12) -> list[Period]:
    """The ``count`` calendar months ending with the one the period ends in, oldest first."""
    months = [month_of(period.end)]
    while len(months) < count:
        months.insert(0, month_of(months[0].start - timedelta(days=1)))
    return months


def officials(ids) -> dict[int, Official]:
    """Officials by id (the rows of a body's figures per official)."""
    ids = list(ids)
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(select(Official).where(Official.id.in_(ids)))}


def topics(ids) -> dict[int, Topic]:
    ids = list(ids)
    if not ids:
        return {}
    return {t.id: t for t in db.session.scalars(select(Topic).where(Topic.id.in_(ids)))}


def regions() -> dict[int, Region]:
    """Every region by id (20 rows: read at once rather than per body)."""
    return {r.id: r for r in db.session.scalars(select(Region))}


# --- the map's drilling down: regions, bodies, top-level topics ------------------------------------------



def top_topics() -> list[Topic]:
    """The top-level topics, in the directory's order: the map's columns."""
    return list(db.session.scalars(select(Topic).where(Topic.parent_id.is_(None)).order_by(Topic.position, Topic.id)))


def bodies_of_region(region_id: int | None, body_ids=None) -> dict[int, Body]:
    """The bodies of a region (``None``: those without one, the central bodies), with their regions loaded."""
    stmt = (select(Body).options(joinedload(Body.region))
            .where(Body.region_id.is_(None) if region_id is None else Body.region_id == region_id)
            .order_by(Body.level, Body.name_en))
    return {b.id: b for b in db.session.scalars(_scope(stmt, Body.id, body_ids))}


# --- needs attention --------------------------------------------------------------------------------------

def overdue_by_body(period: Period, today: date, body_ids=None) -> dict[int, tuple[int, date]]:
    """Body id -> (instructions overdue as of the period's end or today, the earliest of their due dates)."""
    stmt = (select(Instruction.body_id, func.count().label("n"), func.min(Instruction.due_on).label("oldest"))
            .where(_overdue_condition(overdue_as_of(period, today))).group_by(Instruction.body_id))
    return {row.body_id: (row.n, row.oldest) for row in db.session.execute(_scope(stmt, Instruction.body_id, body_ids))}


@dataclass
class Repeat:
    """A citizen who raised a question on ``topic_id`` again in the period, after an earlier held reception."""

    citizen_id: int
    topic_id: int
    questions: int = 0                 # the period's questions on the topic that repeat an earlier one
    last_on: date | None = None        # the latest of those receptions
    body_ids: tuple[int, ...] = ()     # the bodies that received the citizen about it in the period


def repeated_appeals(period: Period, body_ids=None) -> list[Repeat]:
    """Citizens who came back about the same question: same citizen, same top-level topic, an earlier held
    reception (at any body, in or before the period). Most repeated first."""
    topic = root_topic()
    stmt, repeated = _with_first_raised(_questions_base(period).join(Topic, Topic.id == Question.topic_id), topic)
    stmt = (stmt.where(repeated)
            .add_columns(Appointment.citizen_id, topic.label("topic_id"), Body.id.label("body_id"),
                         func.count().label("n"), func.max(ReceptionSession.local_date).label("last_on"))
            .group_by(Appointment.citizen_id, topic, Body.id))
    out: dict[tuple, Repeat] = {}
    for row in db.session.execute(_scope(stmt, Body.id, body_ids)):
        item = out.setdefault((row.citizen_id, row.topic_id), Repeat(row.citizen_id, row.topic_id))
        item.questions += row.n
        item.last_on = max(filter(None, (item.last_on, row.last_on)))
        item.body_ids = tuple(sorted({*item.body_ids, row.body_id}))
    return sorted(out.values(), key=lambda r: (-r.questions, r.last_on, r.citizen_id, r.topic_id))


def users(ids) -> dict[int, User]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def access_reports(period: Period, body_ids=None) -> list[AccessReport]:
    """Citizens' reports of refused bookings made in the period, not yet reviewed first, newest first."""
    start, end = period.utc_bounds()
    stmt = (select(AccessReport).options(joinedload(AccessReport.body), joinedload(AccessReport.citizen))
            .where(AccessReport.created_at >= start, AccessReport.created_at < end)
            .order_by(AccessReport.reviewed_at.is_not(None), AccessReport.created_at.desc(), AccessReport.id.desc()))
    return list(db.session.scalars(_scope(stmt, AccessReport.body_id, body_ids)))


def actions_for(period: Period, keys) -> list[MonitoringAction]:
    """The actions a page of ``period`` shows, oldest first: every action up to the period on the items
    ``keys`` (the period's alerts), and every action recorded for the previous period or this one."""
    stmt = (select(MonitoringAction).options(joinedload(MonitoringAction.actor))
            .where(MonitoringAction.period_start <= period.end,
                   or_(MonitoringAction.item_key.in_(list(set(keys))),
                       MonitoringAction.period_start >= period.previous().start))
            .order_by(MonitoringAction.created_at, MonitoringAction.id))
    return list(db.session.scalars(stmt))


def report_answers(report_id: int) -> list[MonitoringAction]:
    """What monitors answered a citizen's report, oldest first."""
    stmt = (select(MonitoringAction).options(joinedload(MonitoringAction.actor))
            .where(MonitoringAction.report_id == report_id, MonitoringAction.action == ActionKind.ANSWERED)
            .order_by(MonitoringAction.created_at, MonitoringAction.id))
    return list(db.session.scalars(stmt))


# --- public results ---------------------------------------------------------------------------------------

def _month(column):
    """A date's calendar month as a number, 202402 (one expression on both databases)."""
    return cast(func.extract("year", column) * 100 + func.extract("month", column), Integer)


_MONTHLY = ("planned", "held", "citizens", "questions", "closed")


def monthly(period: Period, today: date, body_ids=None) -> Rows:
    """(body id, month as 202402) -> receptions planned and held, citizens received, questions and closed
    ones, with the same definitions as :func:`figures`: the settled months from the bodies' stored figures
    (one statement), the others counted (``count_monthly``)."""
    months = period.months()
    stored = snapshots.read("figures:body", [m for m in months if snapshots.is_settled(m, today)], utcnow())
    missing = [m for m in months if m not in stored]
    out = Rows.of({}, oldest(*(s.taken_at for s in stored.values())))
    if missing:
        counted = count_monthly(Period(missing[0].start, missing[-1].end), today, body_ids)
        numbers = {m.start.year * 100 + m.start.month for m in missing}
        out.update((key, f) for key, f in counted.items() if key[1] in numbers)
    wanted = set(body_ids) if body_ids is not None else None
    for month, snapshot in stored.items():
        number = month.start.year * 100 + month.start.month
        for body_id, row in snapshots.decode_rows("body", snapshot.payload).items():
            # A body's month is there when it had receptions or questions (as counted below).
            if (wanted is None or body_id in wanted) and (row.planned or row.citizens or row.questions):
                out[(body_id, number)] = Figures(**{name: getattr(row, name) for name in _MONTHLY})
    return out


def count_monthly(period: Period, today: date, body_ids=None) -> dict[tuple[int, int], Figures]:
    """``monthly`` counted live, always (three statements for every body and month)."""
    held = _held_session()
    month = _month(ReceptionSession.local_date)
    out: dict[tuple[int, int], Figures] = defaultdict(Figures)
    sessions = (select(Body.id.label("body_id"), month.label("m"), func.count().label("planned"),
                       func.sum(case((held, 1), else_=0)).label("held"))
                .select_from(ReceptionSession).join(Official, Official.id == ReceptionSession.official_id)
                .join(Body, Body.id == Official.body_id)
                .where(ReceptionSession.is_published.is_(True),
                       ReceptionSession.local_date.between(period.start, period.end))
                .group_by(Body.id, month))
    for row in db.session.execute(_scope(sessions, Body.id, body_ids)):
        figures_ = out[(row.body_id, int(row.m))]
        figures_.planned, figures_.held = row.planned, int(row.held or 0)
    citizens = (select(Body.id.label("body_id"), month.label("m"),
                       func.count(func.distinct(Appointment.citizen_id)).label("citizens"),
                       func.sum(_co_applicants()).label("co"))
                .select_from(Appointment).join(ReceptionSession, ReceptionSession.id == Appointment.session_id)
                .join(Official, Official.id == Appointment.official_id).join(Body, Body.id == Official.body_id)
                .where(Appointment.status == AppointmentStatus.HELD,
                       ReceptionSession.local_date.between(period.start, period.end))
                .group_by(Body.id, month))
    for row in db.session.execute(_scope(citizens, Body.id, body_ids)):
        out[(row.body_id, int(row.m))].citizens = int(row.citizens or 0) + int(row.co or 0)
    closed = _question_closed()
    questions = (_questions_base(period)
                 .add_columns(Body.id.label("body_id"), month.label("m"), func.count().label("n"),
                              func.sum(case((closed, 1), else_=0)).label("closed"))
                 .group_by(Body.id, month))
    for row in db.session.execute(_scope(questions, Body.id, body_ids)):
        figures_ = out[(row.body_id, int(row.m))]
        figures_.questions, figures_.closed = row.n, int(row.closed or 0)
    return dict(out)


def _coming(now):
    return (select(ReceptionSession).join(Official, Official.id == ReceptionSession.official_id)
            .where(ReceptionSession.is_published.is_(True), ReceptionSession.status == SessionStatus.PLANNED,
                   ReceptionSession.starts_at > now, Official.is_active.is_(True)))


def next_sessions(body_ids, now) -> dict[int, datetime]:
    """Body id -> when its next published reception begins (bodies with none are absent)."""
    stmt = (_coming(now).with_only_columns(Official.body_id, func.min(ReceptionSession.starts_at).label("at"))
            .group_by(Official.body_id))
    return {row.body_id: row.at for row in db.session.execute(_scope(stmt, Official.body_id, body_ids))}


def coming_sessions(body_id: int, now, limit: int = 5) -> list[ReceptionSession]:
    """The body's next published receptions, soonest first, with their officials and venues."""
    stmt = (_coming(now).where(Official.body_id == body_id)
            .options(joinedload(ReceptionSession.official), joinedload(ReceptionSession.venue).joinedload(Venue.region))
            .order_by(ReceptionSession.starts_at, ReceptionSession.id).limit(limit))
    return list(db.session.scalars(stmt))


def active_bodies(body_ids=None) -> dict[int, Body]:
    """Active bodies with their regions, central ones first, then by region and name."""
    stmt = (select(Body).options(joinedload(Body.region)).where(Body.is_active.is_(True))
            .order_by(Body.level, Body.name_en))
    return {b.id: b for b in db.session.scalars(_scope(stmt, Body.id, body_ids))}


@dataclass
class PublicResults:
    """What the public results show for a month: the bodies (with figures or a reception to come) grouped by
    region (central bodies first, then regions by name), each body's figures as the public may see them
    (``disclosure``), when each body next receives, and when the figures were counted (None: live)."""

    groups: list[tuple[Region | None, list[Body]]]
    figures: dict[int, PublicFigures]
    upcoming: dict[int, datetime]
    counted_at: datetime | None


def public_results(period: Period, today: date, body_ids, now: datetime) -> PublicResults:
    """The public results of the month ``period`` for the bodies ``body_ids`` (None: every body)."""
    rows = monthly(period, today, body_ids)
    upcoming = next_sessions(body_ids, now)
    found = active_bodies({b for b, _ in rows} | set(upcoming))
    month = period.start.year * 100 + period.start.month
    by_region: dict = {}
    for body in found.values():
        by_region.setdefault(body.region, []).append(body)
    ordered = sorted(by_region.items(), key=lambda item: (item[0] is not None,
                                                          collation_key(item[0].name) if item[0] else ()))
    return PublicResults(groups=[(r, by_name(b)) for r, b in ordered],
                         figures={b: public_figures(rows.get((b, month), Figures())) for b in found},
                         upcoming=upcoming, counted_at=rows.counted_at)
