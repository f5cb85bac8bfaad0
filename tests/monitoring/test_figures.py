"""Every figure of the monitoring pages, worked out by hand on the history of ``conftest`` (February 2024)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reception.directory.models import BodyLevel
from reception.monitoring import queries
from reception.monitoring.definitions import Figures, Period, PeriodError, month_of, parse_period, share
from reception.outcomes.models import OutcomeResult, overall_result

FEBRUARY = month_of(date(2024, 2, 1))
MARCH = month_of(date(2024, 3, 1))
LATER = date(2024, 3, 20)  # "today" for these tests: the history is in the past


def test_each_body_has_the_figures_worked_out_by_hand(history):
    rows = queries.figures(FEBRUARY, LATER, "body", body_ids=[history.a.id, history.b.id, history.c.id])
    a, b, c = rows[history.a.id], rows[history.b.id], rows[history.c.id]
    # A: S1 held, S2 held through its appointment, S3 cancelled with a reason.
    assert (a.planned, a.held, a.not_held, a.cancelled) == (3, 2, 1, 1)
    # X (with two co-applicants) and Y; X came twice and counts once.
    assert a.citizens == 4
    assert (a.questions, a.closed, a.in_progress, a.satisfied) == (4, 3, 1, 1)
    assert a.results == {OutcomeResult.RESOLVED: 1, OutcomeResult.REFUSED: 1, OutcomeResult.FORWARDED_PART: 1,
                         OutcomeResult.EXPLAINED: 1}
    assert a.closed_share == Decimal("75.0") and a.result_share(OutcomeResult.REFUSED) == Decimal("25.0")
    assert (a.overdue, a.demand) == (0, 0)
    assert (a.slots, a.booked, a.fill_rate) == (7, 4, Decimal("57.1"))  # the cancelled booking freed its slot
    assert a.median_days == 3.0  # 4, 3, 2 (the no-show), 3, 5 (the cancelled booking) days ahead
    # B: S4 simply not marked held; S5 unpublished is not counted; i2 is overdue, i1 was done in time;
    # the request at 01:30 on 1 February in Astana (31 January in UTC) counts, the one of 1 March does not.
    assert (b.planned, b.held, b.not_held, b.cancelled, b.citizens, b.questions) == (1, 0, 1, 0, 0, 0)
    assert b.closed_share is None and b.fill_rate == Decimal("0.0") and b.median_days is None
    assert (b.overdue, b.requests, b.waitlist_joins, b.access_reports, b.demand) == (1, 1, 1, 1, 3)
    # C: S6 is in January. q5 forwarded with its only instruction done: closed and satisfied; i4 was due on
    # 26 February but was extended to 5 March: not overdue at the end of February.
    assert (c.planned, c.held, c.not_held, c.citizens) == (1, 1, 0, 1)
    assert (c.questions, c.closed, c.satisfied, c.in_progress, c.overdue) == (2, 1, 1, 1, 0)
    assert (c.slots, c.booked, c.median_days) == (2, 1, 10.0)


def test_the_country_counts_each_citizen_once_and_everything_else_adds_up(history):
    country = queries.country(FEBRUARY, LATER)
    # Only this history is in the database in February 2024.
    assert (country.planned, country.held, country.not_held, country.cancelled) == (5, 3, 2, 1)
    assert country.citizens == 4  # X, Y and X's two co-applicants: not 4 + 1
    assert (country.questions, country.closed, country.satisfied, country.in_progress) == (6, 4, 2, 2)
    assert country.closed_share == Decimal("66.7")  # 4 of 6, half up
    assert country.result_share(OutcomeResult.RESOLVED) == Decimal("16.7")
    assert (country.overdue, country.requests, country.waitlist_joins, country.access_reports) == (1, 1, 1, 1)
    assert (country.slots, country.booked, country.fill_rate) == (10, 5, Decimal("50.0"))
    assert country.median_days == 3.5  # 2, 3, 3, 4, 5, 10


@pytest.mark.parametrize("period,today", [(FEBRUARY, LATER), (MARCH, LATER), (FEBRUARY, date(2024, 2, 15))])
def test_the_country_equals_the_levels_and_the_bodies(history, period, today):
    country = queries.country(period, today)
    for by in ("level", "region", "body"):
        total = Figures()
        for row in queries.figures(period, today, by).values():
            total = total.added(row)
        for name in Figures.ADDITIVE:
            assert getattr(total, name) == getattr(country, name), (by, name)
        assert {r: n for r, n in total.results.items() if n} == country.results


def test_levels_carry_their_bodies(history):
    rows = queries.figures(FEBRUARY, LATER, "level")
    assert rows[BodyLevel.REGIONAL].planned == 3 and rows[BodyLevel.DISTRICT].not_held == 1
    assert rows[BodyLevel.CENTRAL].questions == 2


def test_officials_split_their_body(history):
    rows = queries.figures(FEBRUARY, LATER, "official", body_ids=[history.a.id])
    a1, a2 = rows[history.officials["a1"].id], rows[history.officials["a2"].id]
    assert (a1.planned, a1.held, a1.questions) == (2, 2, 4)
    assert (a2.planned, a2.held, a2.not_held, a2.cancelled) == (1, 0, 1, 1)


def test_overdue_is_counted_at_the_end_of_the_period_or_today_if_earlier(history):
    # In March (today the 20th) i2 is still open and i4 is past its extended date too.
    march = queries.figures(MARCH, LATER, "body", body_ids=[history.b.id, history.c.id])
    assert march[history.b.id].overdue == 1 and march[history.c.id].overdue == 1
    # The request of 00:30 on 1 March in Astana (29 February in UTC) is March's.
    assert march[history.b.id].requests == 1
    # On 15 February, i2 (due the 20th) was not late yet, and S4 (the 20th) had not happened: planned, not
    # "not held".
    early = queries.figures(FEBRUARY, date(2024, 2, 15), "body", body_ids=[history.b.id])[history.b.id]
    assert (early.overdue, early.planned, early.not_held) == (0, 1, 0)


def test_the_map_shows_questions_open_overdue_and_repeated_per_body_and_topic(history):
    cells = queries.topic_matrix(FEBRUARY, LATER, body_ids=[history.a.id, history.c.id])
    t = history.topics
    housing, land, social = (cells[(history.a.id, t[c].id)] for c in ("housing", "land", "social"))
    assert (housing.questions, housing.in_progress, housing.repeated) == (2, 0, 1)  # X came back about housing
    assert (land.questions, land.in_progress, land.overdue) == (1, 0, 0)
    assert (social.questions, social.in_progress, social.overdue) == (1, 1, 1)  # i2 late; i4 extended
    assert cells[(history.c.id, t["other"].id)].in_progress == 1
    assert (history.b.id, t["land"].id) not in cells  # B received nobody


def test_the_lists_behind_the_figures(history):
    not_held = queries.not_held_sessions(FEBRUARY, LATER, history.a.id)
    assert [(s.local_date, s.status_reason) for s in not_held] == [(date(2024, 2, 14), "Business trip")]
    assert [s.local_date for s in queries.not_held_sessions(FEBRUARY, LATER, history.b.id)] == [date(2024, 2, 20)]
    assert queries.overdue_instructions(FEBRUARY, LATER, history.b.id) == [history.instructions["i2"]]
    assert set(queries.overdue_instructions(MARCH, LATER)) >= {history.instructions["i2"],
                                                               history.instructions["i4"]}


# --- periods and rounding (pure) ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,start,end,kind", [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "month"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "quarter"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "year"),
])
def test_periods_are_read_from_the_address(text, start, end, kind):
    period = parse_period(text, None, None, date(2027, 1, 15))
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert parse_period(period.key, None, None, date(2027, 1, 15)) == period


def test_the_default_period_is_the_last_full_month_and_the_previous_has_the_same_length():
    assert parse_period(None, None, None, date(2027, 1, 1)) == month_of(date(2026, 12, 1))
    assert parse_period("2026-Q1", None, None, date(2027, 1, 1)).previous().key == "2025-Q4"
    custom = parse_period(None, "2026-03-10", "2026-03-19", date(2027, 1, 1))
    assert (custom.previous().start, custom.previous().end) == (date(2026, 2, 28), date(2026, 3, 9))


@pytest.mark.parametrize("text,start,end", [("2026-13", None, None), ("2026-02-30", None, None), ("x", None, None),
                                            (None, "2026-03-10", None), (None, "2026-03-10", "2026-03-01"),
                                            (None, "2000-01-01", "2026-01-01"), (None, "1999-01-01", "1999-01-02")])
def test_impossible_periods_are_refused(text, start, end):
    with pytest.raises(PeriodError):
        parse_period(text, start, end, date(2027, 1, 1))


def test_shares_have_one_decimal_rounded_half_up():
    assert share(1, 8) == Decimal("12.5") and share(1, 16) == Decimal("6.3") and share(2, 3) == Decimal("66.7")
    assert share(0, 0) is None and share(0, 5) == Decimal("0.0")


def test_a_period_crossing_the_time_zone_change_starts_and_ends_at_astana_midnight():
    # Astana was UTC+6 until 1 March 2024, UTC+5 after.
    start, end = Period(date(2024, 2, 1), date(2024, 3, 1)).utc_bounds()
    assert (start.isoformat(), end.isoformat()) == ("2024-01-31T18:00:00+00:00", "2024-03-01T19:00:00+00:00")


def test_a_reception_with_different_results_takes_the_least_settled():
    R = OutcomeResult
    assert overall_result([]) is None
    assert overall_result([R.EXPLAINED, R.EXPLAINED]) is R.EXPLAINED
    assert overall_result([R.RESOLVED, R.UNDER_CONSIDERATION, R.FORWARDED]) is R.UNDER_CONSIDERATION
    assert overall_result([R.RESOLVED, R.FORWARDED]) is R.FORWARDED_PART
    assert overall_result([R.FORWARDED, R.FORWARDED_PART]) is R.FORWARDED_PART
    assert overall_result([R.RESOLVED, R.REFUSED, R.EXPLAINED]) is R.REFUSED
    assert overall_result([R.RESOLVED, R.SATISFIED]) is R.SATISFIED
