"""Dates for tests, stated relative to the clock (never the calendar of the week a test was written in)."""
from __future__ import annotations

from datetime import date, timedelta

from reception.core.clock import local_today
from reception.core.workdays import WorkCalendar

CALENDAR = WorkCalendar()


def today(tz_name: str | None = None) -> date:
    """Today in ``tz_name`` (default the capital's zone), by the app's clock."""
    return local_today(tz_name)


def working_day(days_ahead: int = 1, *, start: date | None = None, calendar: WorkCalendar = CALENDAR) -> date:
    """The first working day at least ``days_ahead`` days after ``start`` (default today)."""
    day = (start or today()) + timedelta(days=days_ahead)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def next_weekday(weekday: int, *, after: date | None = None) -> date:
    """The first date strictly after ``after`` (default today) falling on ``weekday`` (0 = Monday)."""
    start = after or today()
    return start + timedelta(days=(weekday - start.weekday() - 1) % 7 + 1)
