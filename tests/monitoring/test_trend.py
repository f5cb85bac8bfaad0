"""The monthly trend counts each month as the period's figures do, in a fixed number of statements."""
from __future__ import annotations

from datetime import date

from reception.monitoring import queries
from reception.monitoring.definitions import Period, month_of

LATER = date(2024, 3, 20)
TREND = ("planned", "held", "not_held", "citizens", "questions", "closed", "overdue")


def test_each_month_of_the_trend_has_that_months_figures(history):
    months = queries.months_to(month_of(date(2024, 3, 1)), 3)
    assert [m.key for m in months] == ["2024-01", "2024-02", "2024-03"]
    for body_ids in (None, [history.a.id], [history.b.id, history.c.id]):
        trend = queries.trend(months, LATER, body_ids)
        for month, row in zip(months, trend, strict=True):
            expected = queries.figures(month, LATER, "country", body_ids).get(None)
            for name in TREND:
                assert getattr(row, name) == (getattr(expected, name) if expected else 0), (month.key, name)
    # March: i2 still open and i4 past its extended date (5 March) on the 20th.
    assert [f.overdue for f in queries.trend(months, LATER)] == [0, 1, 2]


def test_months_to_a_period_cross_the_year(history):
    months = queries.months_to(Period(date(2024, 1, 10), date(2024, 2, 3)))
    assert (months[0].key, months[-1].key, len(months)) == ("2023-03", "2024-02", 12)


def test_the_trend_runs_four_statements_for_a_year(history, count_queries, db):
    months = queries.months_to(month_of(date(2024, 2, 1)))
    with count_queries() as statements:
        queries.count_trend(months, LATER)
    assert len(statements) == 4
    # Its settled months (to mid-February) are looked for among the stored figures first: one statement more.
    with count_queries() as statements:
        queries.trend(months, LATER)
    assert len(statements) == 5
