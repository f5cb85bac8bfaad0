"""Working days: five-day week, Kazakhstan's holidays, decreed transfers."""
from datetime import date

from reception.core.workdays import WorkCalendar


def test_weekends_and_public_holidays_are_not_working_days():
    cal = WorkCalendar()
    assert not cal.is_working_day(date(2026, 11, 21))  # Saturday
    assert not cal.is_working_day(date(2026, 12, 16))  # Independence Day
    assert not cal.is_working_day(date(2026, 3, 23))   # Nauryz
    assert cal.is_working_day(date(2026, 11, 23))


def test_fifteen_working_days_skip_weekends_and_independence_day():
    cal = WorkCalendar()
    # From Monday 2026-12-07: 16 Dec (Wed) is a holiday, so day 15 is 29 Dec instead of 28 Dec.
    assert cal.add_working_days(date(2026, 12, 7), 15) == date(2026, 12, 29)


def test_decreed_day_off_and_working_saturday_come_from_configuration():
    cal = WorkCalendar.from_config({"HOLIDAY_TRANSFERS": "2026-11-24", "EXTRA_WORKING_DAYS": "2026-11-28"})
    assert not cal.is_working_day(date(2026, 11, 24))
    assert cal.is_working_day(date(2026, 11, 28))
    assert cal.add_working_days(date(2026, 11, 23), 1) == date(2026, 11, 25)


def test_working_days_between_counts_both_directions():
    cal = WorkCalendar()
    assert cal.working_days_between(date(2026, 11, 20), date(2026, 11, 27)) == 5
    assert cal.working_days_between(date(2026, 11, 27), date(2026, 11, 20)) == -5
