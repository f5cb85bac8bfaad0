"""Working days in Kazakhstan: five-day week, public holidays, decreed transfers."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _kz_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("KZ", years=year).keys())


class WorkCalendar:
    """Which dates are working days.

    ``days_off`` are extra non-working dates decreed by the government (the
    transfers); ``working_days`` are weekend dates decreed to be worked.
    """

    def __init__(self, days_off: Iterable[date] = (), working_days: Iterable[date] = ()):
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)

    @classmethod
    def from_config(cls, config) -> WorkCalendar:
        return cls(_parse_dates(config.get("HOLIDAY_TRANSFERS", "")),
                   _parse_dates(config.get("EXTRA_WORKING_DAYS", "")))

    def is_holiday(self, day: date) -> bool:
        return day in _kz_holidays(day.year) or day in self.days_off

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day.weekday() >= 5:
            return False
        return not self.is_holiday(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=n)))


def _parse_dates(raw) -> list[date]:
    if not raw:
        return []
    if isinstance(raw, (list, tuple, set, frozenset)):
        return [d if isinstance(d, date) else date.fromisoformat(str(d)) for d in raw]
    return [date.fromisoformat(part.strip()) for part in str(raw).split(",") if part.strip()]
