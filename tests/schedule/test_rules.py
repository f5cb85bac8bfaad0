"""Pure rules: recurrence expansion, slot bounds in UTC, booking windows."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from reception.schedule.rules import RuleError, booking_window, expand_dates, normalize_rrule, slot_bounds

UTC = UTC


def test_weekly_tuesday_rule_gives_every_tuesday_in_the_window():
    dates = expand_dates("FREQ=WEEKLY;BYDAY=TU", date(2026, 1, 1), None, date(2026, 12, 1), date(2026, 12, 31))
    assert dates == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22),
                     date(2026, 12, 29)]
    assert all(d.weekday() == 1 for d in dates)


def test_no_date_before_the_schedule_starts_or_after_it_ends():
    dates = expand_dates("FREQ=WEEKLY;BYDAY=TU", date(2026, 12, 9), date(2026, 12, 22),
                         date(2026, 12, 1), date(2027, 1, 31))
    assert dates == [date(2026, 12, 15), date(2026, 12, 22)]


def test_window_outside_the_schedule_gives_nothing():
    assert expand_dates("FREQ=DAILY", date(2026, 12, 1), date(2026, 12, 5), date(2027, 1, 1), date(2027, 2, 1)) == []


def test_interval_counts_from_the_first_day_not_from_the_window():
    # Every second Monday from 2026-11-02: 11-02, 11-16, 11-30, 12-14 ...
    dates = expand_dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", date(2026, 11, 2), None,
                         date(2026, 12, 1), date(2026, 12, 31))
    assert dates == [date(2026, 12, 14), date(2026, 12, 28)]


def test_count_limits_the_occurrences_from_the_first_day():
    dates = expand_dates("FREQ=WEEKLY;BYDAY=TU;COUNT=3", date(2026, 12, 1), None,
                         date(2026, 12, 1), date(2027, 3, 1))
    assert dates == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15)]


def test_monthly_first_monday_rule():
    dates = expand_dates("FREQ=MONTHLY;BYDAY=1MO", date(2026, 1, 1), None, date(2026, 1, 1), date(2026, 4, 30))
    assert dates == [date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2), date(2026, 4, 6)]


def test_weekdays_rule_skips_weekends():
    dates = expand_dates("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2026, 12, 1), None,
                         date(2026, 12, 1), date(2026, 12, 14))
    assert len(dates) == 10 and all(d.weekday() < 5 for d in dates)


def test_rrule_prefix_spaces_and_case_are_accepted():
    assert normalize_rrule(" rrule:freq=weekly; byday=tu ") == "FREQ=WEEKLY;BYDAY=TU"


@pytest.mark.parametrize("text,code", [
    ("", "empty"),
    ("   ", "empty"),
    ("WEEKLY", "syntax"),
    ("BYDAY=TU", "syntax"),
    ("FREQ=WEEKLY;BYDAY=XX", "syntax"),
    ("FREQ=WEEKLY;FREQ=DAILY", "syntax"),
    ("FREQ=WEEKLY;INTERVAL=abc", "syntax"),
    ("FREQ=SOMETIMES", "frequency"),
    ("FREQ=HOURLY", "frequency"),
    ("FREQ=MINUTELY", "frequency"),
    ("FREQ=SECONDLY", "frequency"),
    ("FREQ=DAILY;BYHOUR=10", "unsupported"),
    ("FREQ=WEEKLY;BYDAY=TU\nEXDATE:20261201", "syntax"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never"),
    ("FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31", "never"),
    ("FREQ=WEEKLY;BYDAY=TU;" + "X" * 600, "syntax"),
    ("1 OR 1=1; <script>", "syntax"),
])
def test_bad_rule_is_refused_with_a_reason(text, code):
    with pytest.raises(RuleError) as info:
        expand_dates(text, date(2026, 1, 1), None, date(2026, 1, 1), date(2026, 3, 1))
    assert info.value.code == code
    assert isinstance(info.value, ValueError)


def test_tuesday_15_to_18_with_20_minute_slots_gives_9_slots():
    slots = slot_bounds(date(2026, 12, 1), time(15), time(18), 20, "Asia/Almaty")
    assert len(slots) == 9
    assert slots[0] == (datetime(2026, 12, 1, 10, 0, tzinfo=UTC), datetime(2026, 12, 1, 10, 20, tzinfo=UTC))
    assert slots[-1][1] == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert all(a[1] == b[0] for a, b in pairwise(slots))


def test_last_partial_slot_is_dropped():
    slots = slot_bounds(date(2026, 12, 1), time(15), time(16, 10), 20, "Asia/Aqtobe")
    assert len(slots) == 3
    assert slots[-1][1] == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_hours_shorter_than_a_slot_give_no_slot():
    assert slot_bounds(date(2026, 12, 1), time(15), time(15, 10), 20, "Asia/Almaty") == []


@pytest.mark.parametrize("day,tz,utc_hour", [
    # Almaty (Astana) was UTC+6 until 2024-03-01, UTC+5 since.
    (date(2024, 2, 27), "Asia/Almaty", 9),
    (date(2024, 3, 5), "Asia/Almaty", 10),
    # Aktobe was already UTC+5.
    (date(2024, 2, 27), "Asia/Aqtobe", 10),
    (date(2024, 3, 5), "Asia/Aqtobe", 10),
])
def test_local_15_00_is_converted_with_the_zone_rules_of_that_date(day, tz, utc_hour):
    slots = slot_bounds(day, time(15), time(18), 20, tz)
    assert slots[0][0] == datetime.combine(day, time(utc_hour), tzinfo=UTC)
    assert len(slots) == 9


def test_slots_are_aware_utc_datetimes():
    for start, end in slot_bounds(date(2026, 12, 1), time(9), time(10), 15, "Asia/Qyzylorda"):
        assert start.tzinfo is UTC and end - start == timedelta(minutes=15)


def test_zero_slot_length_is_refused():
    with pytest.raises(ValueError):
        slot_bounds(date(2026, 12, 1), time(9), time(10), 0, "Asia/Almaty")


def test_booking_window_opens_days_ahead_and_closes_hours_before():
    start = datetime(2026, 12, 15, 10, tzinfo=UTC)
    assert booking_window(start, 30, 24) == (datetime(2026, 11, 15, 10, tzinfo=UTC),
                                             datetime(2026, 12, 14, 10, tzinfo=UTC))


def test_booking_window_may_close_at_the_start():
    start = datetime(2026, 12, 15, 10, tzinfo=UTC)
    assert booking_window(start, 1, 0)[1] == start


@pytest.mark.parametrize("days,hours", [(1, 24), (1, 48), (0, 0), (-1, 0), (2, -1)])
def test_empty_or_negative_booking_window_is_refused(days, hours):
    with pytest.raises(ValueError):
        booking_window(datetime(2026, 12, 15, 10, tzinfo=UTC), days, hours)


def test_booking_window_refuses_naive_times():
    with pytest.raises(ValueError):
        booking_window(datetime(2026, 12, 15, 10), 30, 24)
