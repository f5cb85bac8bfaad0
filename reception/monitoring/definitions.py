"""What monitoring counts: the periods, the measures and their definitions (shown on the pages as help
text), and the rounding of shares. Pure: no database here (the counting is in ``queries``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from ..core.clock import CAPITAL_TZ
from ..outcomes.models import OutcomeResult

#: Counts below this are shown to the public as "fewer than 5" (so that nobody can be recognised).
PUBLIC_MIN_COUNT = 5


# --- periods -----------------------------------------------------------------------------------------

class PeriodError(ValueError):
    """The period asked for cannot be read or makes no sense."""


@dataclass(frozen=True)
class Period:
    """Dates ``start`` to ``end``, both included (local dates: a session counts by the date it is held)."""

    start: date
    end: date
    kind: str = "custom"  # month, quarter, year or custom

    def __post_init__(self):
        if self.end < self.start:
            raise PeriodError("the period ends before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def key(self) -> str:
        """The period as it is written in addresses: 2026-11, 2026-Q4, 2026, or 2026-11-03..2026-11-20."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before (the previous month, quarter or year for those)."""
        if self.kind == "month":
            return month_of(self.start - timedelta(days=1))
        if self.kind == "quarter":
            return quarter_of(self.start - timedelta(days=1))
        if self.kind == "year":
            return year_of(self.start.year - 1)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def next(self) -> Period:
        """The period of the same kind and length just after (the next month, quarter or year for those)."""
        day = self.end + timedelta(days=1)
        if self.kind == "month":
            return month_of(day)
        if self.kind == "quarter":
            return quarter_of(day)
        if self.kind == "year":
            return year_of(day.year)
        return Period(day, day + timedelta(days=self.days - 1))

    @property
    def args(self) -> dict[str, str]:
        """The period as the query arguments of an address: ``period=2026-11``, or ``from`` and ``to``."""
        if self.kind == "custom":
            return {"from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"period": self.key}

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period."""
        out, day = [], self.start
        while day <= self.end:
            month = month_of(day)
            out.append(Period(max(month.start, self.start), min(month.end, self.end),
                              "month" if month.start >= self.start and month.end <= self.end else "custom"))
            day = month.end + timedelta(days=1)
        return out

    def utc_bounds(self, tz_name: str = CAPITAL_TZ) -> tuple[datetime, datetime]:
        """The period as UTC instants [from, to) for events stamped with a time (requests, reports): from
        midnight of its first day to midnight after its last, in the capital's zone."""
        zone = ZoneInfo(tz_name)
        return (datetime.combine(self.start, time(), tzinfo=zone).astimezone(ZoneInfo("UTC")),
                datetime.combine(self.end + timedelta(days=1), time(), tzinfo=zone).astimezone(ZoneInfo("UTC")))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1), "month")


def quarter_of(day: date) -> Period:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(first, month_of(first.replace(month=first.month + 2)).end, "quarter")


def year_of(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year")


def last_full_month(today: date) -> Period:
    return month_of(today.replace(day=1) - timedelta(days=1))


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
MAX_DAYS = 366 * 5


def parse_period(text: str | None, start: str | None, end: str | None, today: date) -> Period:
    """The period of a page's address: ``period=2026-11`` (a month), ``2026-Q4``, ``2026``, or ``from`` and
    ``to`` dates (a custom range); nothing: the last full month. Raises PeriodError for anything else."""
    try:
        if start or end:
            if not (start and end):
                raise PeriodError("give both the first and the last day")
            period = Period(date.fromisoformat(start), date.fromisoformat(end))
        elif not text:
            return last_full_month(today)
        elif m := _MONTH.match(text):
            period = month_of(date(int(m[1]), int(m[2]), 1))
        elif m := _QUARTER.match(text):
            period = quarter_of(date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1))
        elif m := _YEAR.match(text):
            period = year_of(int(m[1]))
        else:
            raise PeriodError("unknown period")
    except ValueError as exc:  # impossible dates (2026-02-30, month 13) and PeriodError alike
        raise PeriodError(str(exc)) from None
    if period.days > MAX_DAYS or period.start.year < 2000:
        raise PeriodError("the period is too long")
    return period


# --- measures ------------------------------------------------------------------------------------------

def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, one decimal, rounded half up (None when there is no whole)."""
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


#: Results, in the order reports list them.
RESULTS = (OutcomeResult.RESOLVED, OutcomeResult.SATISFIED, OutcomeResult.EXPLAINED, OutcomeResult.REFUSED,
           OutcomeResult.FORWARDED, OutcomeResult.FORWARDED_PART, OutcomeResult.UNDER_CONSIDERATION)


@dataclass
class Figures:
    """The measures of one row (a body, an official, a level, a region, the country) for one period.

    Every count adds up across rows except ``citizens`` (each person once per row: a citizen received by
    two bodies counts once in the country's row) and ``median_days`` (a median of the row's bookings).
    """

    planned: int = 0
    held: int = 0
    not_held: int = 0
    cancelled: int = 0      # of the not held: cancelled by the body, with a reason
    citizens: int = 0
    questions: int = 0
    closed: int = 0
    satisfied: int = 0      # of the closed
    results: dict[OutcomeResult, int] = field(default_factory=dict)
    overdue: int = 0
    requests: int = 0
    waitlist_joins: int = 0
    access_reports: int = 0
    slots: int = 0
    booked: int = 0
    median_days: float | None = None

    ADDITIVE = ("planned", "held", "not_held", "cancelled", "questions", "closed", "satisfied", "overdue",
                "requests", "waitlist_joins", "access_reports", "slots", "booked")

    @property
    def in_progress(self) -> int:
        return self.questions - self.closed

    @property
    def demand(self) -> int:
        return self.requests + self.waitlist_joins + self.access_reports

    @property
    def closed_share(self) -> Decimal | None:
        return share(self.closed, self.questions)

    @property
    def satisfied_share(self) -> Decimal | None:
        return share(self.satisfied, self.questions)

    @property
    def fill_rate(self) -> Decimal | None:
        return share(self.booked, self.slots)

    def result_share(self, result: OutcomeResult) -> Decimal | None:
        return share(self.results.get(result, 0), self.questions)

    def added(self, other: Figures) -> Figures:
        """The sum of two rows' additive counts (citizens and the median are not additive: left out)."""
        total = Figures(**{name: getattr(self, name) + getattr(other, name) for name in self.ADDITIVE})
        total.results = {r: self.results.get(r, 0) + other.results.get(r, 0) for r in RESULTS}
        return total



@dataclass
class Cell:
    """The map's measures of one body and top-level topic for one period."""

    questions: int = 0
    in_progress: int = 0
    overdue: int = 0
    repeated: int = 0


#: The definitions shown on the pages (help text), in the order of the tables.
DEFINITIONS = {
    "planned": (_l("Planned receptions"),
                _l("Published reception sessions dated in the period, including those later cancelled or not "
                   "held.")),
    "held": (_l("Held"), _l("Sessions marked held, or with at least one citizen received.")),
    "not_held": (_l("Not held"),
                 _l("Sessions of past days that were not held: cancelled by the body (the reason is shown) or "
                    "simply not marked held.")),
    "citizens": (_l("Citizens received"),
                 _l("Different citizens received at held receptions in the period, with the co-applicants of "
                    "collective appeals. A citizen received by two bodies counts once in a total.")),
    "questions": (_l("Questions"), _l("Questions recorded at receptions held in the period.")),
    "closed": (_l("Closed"),
               _l("Questions with a final result: resolved on the spot, satisfied, explained, refused, or "
                  "forwarded with every instruction done.")),
    "in_progress": (_l("In progress"), _l("All other questions.")),
    "satisfied": (_l("Satisfied"),
                  _l("Of the closed: resolved on the spot, satisfied, or forwarded and done with the report "
                     "accepted.")),
    "closed_share": (_l("Closed share"),
                     _l("Closed questions of all questions, in per cent, one decimal, rounded half up. The "
                        "shares of each result are of all questions too.")),
    "overdue": (_l("Overdue"),
                _l("Instructions past their due date (as extended) and not done, as of the end of the period "
                   "or today, whichever is earlier. In the bodies table, a body's own instructions; on the map, "
                   "those given on the questions raised at the body's receptions.")),
    "demand": (_l("Demand"),
               _l("Requests received, waitlist joins, and citizens' reports of being refused a reception.")),
    "fill_rate": (_l("Fill rate"), _l("Slots booked of the slots published for sessions in the period.")),
    "median_days": (_l("Days to a reception"),
                    _l("Median days from booking to the reception, for bookings made in the period: how far "
                       "ahead the official's next free time was.")),
    "repeated": (_l("Repeated appeals"),
                 _l("Questions of citizens who had raised a question on the same topic at an earlier "
                    "reception.")),
}
