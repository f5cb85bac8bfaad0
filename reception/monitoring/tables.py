"""What the monitoring pages and the monthly report show: the columns of each table and the data of each page,
read once through ``queries`` and used alike by the HTML page, the printable report, the XLSX and the CSV (so
that they always carry the same numbers)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from ..directory.models import BODY_LEVEL_LABELS, Body, BodyLevel, Official, Topic
from ..outcomes.models import OUTCOME_RESULT_LABELS, Instruction
from ..schedule.models import ReceptionSession, SessionStatus
from . import queries
from .definitions import DEFINITIONS, RESULTS, Cell, Figures, Period


@dataclass(frozen=True)
class Column:
    """A measure shown as a column: its key in DEFINITIONS (label and help text) and how it is written."""

    key: str
    kind: str = "count"  # count, share or days

    @property
    def label(self) -> str:
        return str(DEFINITIONS[self.key][0])

    @property
    def help(self) -> str:
        return str(DEFINITIONS[self.key][1])

    def value(self, figures: Figures):
        return getattr(figures, self.key)


def _columns(*spec) -> tuple[Column, ...]:
    return tuple(Column(*item) if isinstance(item, tuple) else Column(item) for item in spec)


#: The bodies table (and the levels, and the report's rows per body).
BODY_COLUMNS = _columns("planned", "held", "not_held", "citizens", "questions", ("closed_share", "share"),
                        "in_progress", "overdue", "demand", ("fill_rate", "share"))
#: Per official: overdue instructions belong to bodies, not to officials.
OFFICIAL_COLUMNS = tuple(c for c in BODY_COLUMNS if c.key != "overdue")
#: The headline table: every measure, this period against the previous one.
SUMMARY_COLUMNS = _columns("planned", "held", "not_held", "citizens", "questions", "closed", ("closed_share", "share"),
                           "in_progress", "satisfied", "overdue", "demand", ("fill_rate", "share"),
                           ("median_days", "days"))
#: The monthly trend.
TREND_COLUMNS = _columns("planned", "held", "not_held", "citizens", "questions", "closed", ("closed_share", "share"),
                         "overdue")
#: The body x topic figures of one body.
TOPIC_COLUMNS = _columns("questions", "in_progress", "overdue", "repeated")

#: The bodies table's sort keys besides the measures.
NAME_SORTS = ("name", "level", "region")
SORTS = NAME_SORTS + tuple(c.key for c in BODY_COLUMNS)

LEVEL_ORDER = list(BodyLevel)


@dataclass
class ResultShare:
    result: object
    label: str
    count: int
    share: object


def result_shares(figures: Figures) -> list[ResultShare]:
    """The questions by result, in the reports' order, each with its share of all questions."""
    return [ResultShare(r, str(OUTCOME_RESULT_LABELS[r]), figures.results.get(r, 0), figures.result_share(r))
            for r in RESULTS]


@dataclass
class MonthRow:
    period: Period
    figures: Figures


class Trend(list):
    """The MonthRows of a trend, and when the oldest stored figures among them were counted (None: live)."""

    counted_at: datetime | None = None


def monthly_trend(period: Period, today: date, body_ids=None) -> Trend:
    months = queries.months_to(period)
    figures = queries.trend(months, today, body_ids)
    out = Trend(MonthRow(m, f) for m, f in zip(months, figures, strict=True))
    out.counted_at = figures.counted_at
    return out


def _country(period: Period, today: date) -> tuple[Figures, datetime | None]:
    rows = queries.figures(period, today, "country")
    return rows.get(None, Figures()), rows.counted_at


# --- the overview --------------------------------------------------------------------------------------------

@dataclass
class Overview:
    period: Period
    previous: Period
    figures: Figures
    before: Figures
    levels: list[tuple[BodyLevel, Figures]]
    trend: Trend
    counted_at: datetime | None = None  # when the oldest stored figures shown were counted (None: all live)

    @property
    def results(self) -> list[ResultShare]:
        return result_shares(self.figures)

    @property
    def level_rows(self) -> list[tuple[str, str, Figures]]:
        return [(str(BODY_LEVEL_LABELS[BodyLevel(level)]), BodyLevel(level).value, f) for level, f in self.levels]


def overview(period: Period, today: date) -> Overview:
    """The country's figures for the period and the previous one of the same length, by level, and the trend."""
    previous = period.previous()
    levels = queries.figures(period, today, "level")
    (now, now_at), (before, before_at) = _country(period, today), _country(previous, today)
    trend = monthly_trend(period, today)
    return Overview(period, previous, now, before,
                    sorted(levels.items(), key=lambda item: LEVEL_ORDER.index(BodyLevel(item[0]))), trend,
                    queries.oldest(levels.counted_at, now_at, before_at, trend.counted_at))


# --- the bodies table ----------------------------------------------------------------------------------------

@dataclass
class BodyRow:
    body: Body
    region_name: str
    figures: Figures


@dataclass
class BodiesTable:
    period: Period
    rows: list[BodyRow]
    total: Figures
    sort: str
    direction: str
    counted_at: datetime | None = None


def _sort_key(sort: str):
    if sort == "name":
        return lambda row: row.body.name.casefold()
    if sort == "level":
        return lambda row: (LEVEL_ORDER.index(row.body.level), row.body.name.casefold())
    if sort == "region":
        return lambda row: (row.region_name.casefold(), row.body.name.casefold())
    column = next(c for c in BODY_COLUMNS if c.key == sort)
    return lambda row: column.value(row.figures)


def bodies_table(period: Period, today: date, sort: str = "name", direction: str = "asc") -> BodiesTable:
    """Every active body (and any inactive one with figures in the period) with its measures, sorted by ``sort``
    (a measure or name, level, region; anything else: name) ``asc`` or ``desc``; rows without a value (a share
    of nothing) come last either way, then by name. A fixed number of statements, whatever the number of bodies."""
    sort = sort if sort in SORTS else "name"
    direction = direction if direction in ("asc", "desc") else "asc"
    figures = queries.figures(period, today, "body")
    regions = queries.regions()
    rows = [BodyRow(b, regions[b.region_id].name if b.region_id else "", figures.get(b.id) or Figures())
            for b in queries.bodies().values() if b.is_active or b.id in figures]
    rows.sort(key=lambda row: row.body.name.casefold())
    key = _sort_key(sort)
    present = [row for row in rows if key(row) is not None]
    present.sort(key=key, reverse=direction == "desc")
    rows = present + [row for row in rows if key(row) is None]
    total, total_at = _country(period, today)
    return BodiesTable(period, rows, total, sort, direction, queries.oldest(figures.counted_at, total_at))


# --- one body ---------------------------------------------------------------------------------------------------

@dataclass
class OfficialRow:
    official: Official
    figures: Figures


@dataclass
class TopicRow:
    topic: Topic
    cell: Cell


@dataclass
class BodyPage:
    body: Body
    period: Period
    previous: Period
    figures: Figures
    before: Figures
    officials: list[OfficialRow]
    topics: list[TopicRow]
    not_held: list[ReceptionSession]
    overdue: list[Instruction]
    trend: Trend
    as_of: date  # overdue is counted as of this day
    counted_at: datetime | None = None

    @property
    def results(self) -> list[ResultShare]:
        return result_shares(self.figures)

    @property
    def official_rows(self) -> list[tuple[str, int, Figures]]:
        return [(row.official.full_name, row.official.id, row.figures) for row in self.officials]


def body_page(body: Body, period: Period, today: date) -> BodyPage:
    """One body's figures for the period (and the previous one), per official and per topic, its sessions that
    were not held, its overdue instructions and its monthly trend."""
    ids = [body.id]
    previous = period.previous()
    by_official = queries.figures(period, today, "official", body_ids=ids)
    names = queries.officials(by_official)
    officials = sorted((OfficialRow(names[k], f) for k, f in by_official.items() if k in names),
                       key=lambda row: (not row.official.is_head, row.official.full_name))
    matrix = queries.topic_matrix(period, today, body_ids=ids)
    cells = {topic_id: cell for (_, topic_id), cell in matrix.items()}
    topics = queries.topics(cells)
    topic_rows = sorted((TopicRow(topics[k], c) for k, c in cells.items()),
                        key=lambda row: (-row.cell.questions, row.topic.position, row.topic.name))
    now = queries.figures(period, today, "body", body_ids=ids)
    before = queries.figures(previous, today, "body", body_ids=ids)
    trend = monthly_trend(period, today, ids)
    return BodyPage(body, period, previous, now.get(body.id) or Figures(), before.get(body.id) or Figures(),
                    officials, topic_rows, queries.not_held_sessions(period, today, body.id),
                    queries.overdue_instructions(period, today, body.id), trend, queries.overdue_as_of(period, today),
                    queries.oldest(by_official.counted_at, matrix.counted_at, now.counted_at, before.counted_at,
                                   trend.counted_at))


def not_held_reason(session: ReceptionSession) -> str:
    """Why a session was not held: the body's reason, else what the record shows."""
    if session.status_reason:
        return session.status_reason
    if session.status is SessionStatus.CANCELLED:
        return str(_l("Cancelled, no reason given"))
    return str(_l("Not marked held, nobody received"))


# Headings that are not measures (the measures' labels are in DEFINITIONS).
HEADINGS = {
    "body": _l("Body"), "level": _l("Level"), "region": _l("Region"), "official": _l("Official"),
    "topic": _l("Topic"), "month": _l("Month"), "result": _l("Result"), "count": _l("Questions"),
    "share": _l("Share"), "measure": _l("Measure"), "this_period": _l("This period"),
    "previous_period": _l("Previous period"), "change": _l("Change"), "row": _l("Row"),
}
