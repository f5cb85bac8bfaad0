"""The redirect deadline: 3 working days from the local date of receipt, and when it is flagged."""
from datetime import UTC, date, datetime

import pytest

from reception.core.workdays import WorkCalendar
from reception.requests.rules import DeadlineFlag, deadline_flag, is_late, redirect_due_on

CAL = WorkCalendar()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("received,due", [
    (utc(2026, 11, 23, 6), date(2026, 11, 26)),   # Monday -> Thursday
    (utc(2026, 11, 20, 6), date(2026, 11, 25)),   # Friday -> Wednesday: the weekend does not count
    (utc(2026, 11, 21, 6), date(2026, 11, 25)),   # Saturday: counting starts on Monday
    (utc(2026, 12, 15, 6), date(2026, 12, 21)),   # Independence Day (16 December) does not count
    (utc(2026, 3, 19, 6), date(2026, 3, 27)),     # Nauryz (21-25 March with the days off in lieu) does not count
])
def test_the_redirect_deadline_is_the_third_working_day_after_receipt(received, due):
    assert redirect_due_on(received, "Asia/Almaty", CAL) == due


def test_receipt_counts_by_the_local_date_of_the_officials_region():
    # Thursday 20:30 UTC is already Friday 01:30 in Astana (UTC+5): counted from Friday.
    received = utc(2026, 11, 19, 20, 30)
    assert redirect_due_on(received, "Asia/Almaty", CAL) == date(2026, 11, 25)
    assert redirect_due_on(received, "UTC", CAL) == date(2026, 11, 24)


def test_a_decreed_day_off_from_the_configuration_moves_the_deadline():
    cal = WorkCalendar.from_config({"HOLIDAY_TRANSFERS": "2026-11-24"})
    assert redirect_due_on(utc(2026, 11, 23, 6), "Asia/Almaty", cal) == date(2026, 11, 27)


@pytest.mark.parametrize("today,flag", [
    (date(2026, 11, 23), DeadlineFlag.ON_TIME),    # Monday, due Thursday: two working days left
    (date(2026, 11, 25), DeadlineFlag.DUE_SOON),   # the next working day is the last one
    (date(2026, 11, 26), DeadlineFlag.DUE_SOON),   # the last day is today
    (date(2026, 11, 27), DeadlineFlag.OVERDUE),
])
def test_the_deadline_is_due_soon_on_its_last_day_and_the_working_day_before(today, flag):
    assert deadline_flag(date(2026, 11, 26), today, CAL) is flag


def test_a_deadline_on_monday_is_due_soon_from_friday():
    assert deadline_flag(date(2026, 11, 30), date(2026, 11, 27), CAL) is DeadlineFlag.DUE_SOON
    assert deadline_flag(date(2026, 11, 30), date(2026, 11, 26), CAL) is DeadlineFlag.ON_TIME


def test_a_decision_after_the_last_local_day_is_late():
    assert not is_late(utc(2026, 11, 26, 18, 59), date(2026, 11, 26), "Asia/Almaty")  # 23:59 in Astana
    assert is_late(utc(2026, 11, 26, 19, 0), date(2026, 11, 26), "Asia/Almaty")       # 00:00 the next day
    assert not is_late(None, date(2026, 11, 26), "Asia/Almaty")
