"""Pure reception-time rules: recurrence expansion, slot bounds in UTC, booking windows. No database."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule as RRule
from dateutil.rrule import rrulestr

#: Frequencies a reception schedule may use; finer ones (hourly, ...) make no sense for reception days.
ALLOWED_FREQS = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
#: RRULE parts we accept. Times of day come from the schedule, not from BYHOUR and friends.
ALLOWED_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "BYWEEKNO",
                           "BYYEARDAY", "UNTIL", "COUNT", "WKST"})
MAX_RRULE_LENGTH = 500
_MAX_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


class RuleError(ValueError):
    """An RRULE text that is not a usable reception schedule; ``code`` says why (for a translated message)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        if "=" not in chunk:
            raise RuleError("syntax")
        key, _, value = chunk.partition("=")
        key = key.strip().upper()
        if not key or not value.strip() or key in parts:
            raise RuleError("syntax")
        parts[key] = value.strip()
    return parts


def _never_occurs(parts: dict[str, str]) -> bool:
    """True for rules such as "the 30th of February": dateutil would search until the year 9999."""
    if "BYMONTHDAY" not in parts:
        return False
    months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else list(range(1, 13))
    days = [int(d) for d in parts["BYMONTHDAY"].split(",")]
    return not any(1 <= abs(d) <= _MAX_MONTH_DAYS.get(m, 0) for m in months for d in days if d)


def normalize_rrule(text: str) -> str:
    """The rule text without an ``RRULE:`` prefix and spaces, upper-cased; raises RuleError if unusable."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    text = text.replace(" ", "").upper()
    if not text:
        raise RuleError("empty")
    if len(text) > MAX_RRULE_LENGTH or "\n" in text or "\r" in text:
        raise RuleError("syntax")
    parts = _parts(text)
    if "FREQ" not in parts:
        raise RuleError("syntax")
    if parts["FREQ"] not in ALLOWED_FREQS:
        raise RuleError("frequency")
    if set(parts) - ALLOWED_PARTS:
        raise RuleError("unsupported")
    try:
        if _never_occurs(parts):
            raise RuleError("never")
    except ValueError as exc:
        if isinstance(exc, RuleError):
            raise
        raise RuleError("syntax") from None
    parse_rrule(text, date(2000, 1, 1))
    return text


def parse_rrule(text: str, starts_on: date) -> RRule:
    """A dateutil rule starting on ``starts_on`` (naive, local dates); raises RuleError if unusable."""
    try:
        rule = rrulestr(text, dtstart=datetime.combine(starts_on, time()), forceset=False)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError):
        raise RuleError("syntax") from None
    if not isinstance(rule, RRule):
        raise RuleError("syntax")
    return rule


def expand_dates(rrule: str, starts_on: date, until_on: date | None, window_start: date,
                 window_end: date) -> list[date]:
    """The dates of the rule that fall in [window_start, window_end], on or after ``starts_on`` and
    on or before ``until_on`` (when given). Raises ValueError (RuleError) for an unusable rule."""
    text = normalize_rrule(rrule)
    first = max(starts_on, window_start)
    last = min(window_end, until_on) if until_on else window_end
    if last < first:
        return []
    rule = parse_rrule(text, starts_on)
    occurrences = rule.between(datetime.combine(first, time()), datetime.combine(last, time()), inc=True)
    return [dt.date() for dt in occurrences]


def local_bounds(local_date: date, start_time: time, end_time: time, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC start and end of local wall-clock hours on ``local_date`` in the IANA zone ``tz_name``."""
    zone = ZoneInfo(tz_name)
    start = datetime.combine(local_date, start_time, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(local_date, end_time, tzinfo=zone).astimezone(UTC)
    return start, end


def slot_bounds(local_date: date, start_time: time, end_time: time, slot_minutes: int,
                tz_name: str) -> list[tuple[datetime, datetime]]:
    """Consecutive slots of ``slot_minutes`` from start to end local time, as UTC (start, end) pairs.

    A last slot that would not fit before the end is dropped.
    """
    if slot_minutes <= 0:
        raise ValueError("slot_minutes must be positive")
    start, end = local_bounds(local_date, start_time, end_time, tz_name)
    step = timedelta(minutes=slot_minutes)
    slots = []
    # Stepping in UTC counts real minutes, whatever the zone's offset does that day.
    current = start
    while current + step <= end:
        slots.append((current, current + step))
        current += step
    return slots


def booking_window(session_start_utc: datetime, opens_days_ahead: int,
                   closes_hours_before: int) -> tuple[datetime, datetime]:
    """When booking opens and closes for a session starting at ``session_start_utc``.

    Raises ValueError if the window would be empty or the times are naive.
    """
    if session_start_utc.tzinfo is None:
        raise ValueError("naive datetime")
    if opens_days_ahead < 0 or closes_hours_before < 0:
        raise ValueError("negative window")
    opens_at = session_start_utc - timedelta(days=opens_days_ahead)
    closes_at = session_start_utc - timedelta(hours=closes_hours_before)
    if closes_at <= opens_at:
        raise ValueError("empty booking window")
    return opens_at, closes_at
