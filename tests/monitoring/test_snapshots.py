"""Stored figures of settled periods: they are what live counting gives (on the hand-worked history of
``conftest``, February 2024), the pages read them when they are recent, and count live otherwise."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from reception.core.clock import utcnow
from reception.core.errors import Invalid
from reception.core.permissions import Role
from reception.monitoring import queries, services, snapshots, tables
from reception.monitoring.definitions import Figures, Period, month_of, quarter_of, year_of
from reception.monitoring.models import Snapshot
from tests.dates import today
from tests.monitoring.html import summary

FEBRUARY = month_of(date(2024, 2, 1))
SETTLED = date(2025, 3, 1)     # "today" for which every period of 2024 has settled
UNSETTLED = date(2024, 3, 20)  # February 2024 ended 20 days before
PERIODS = (FEBRUARY, month_of(date(2024, 1, 1)), month_of(date(2024, 3, 1)), quarter_of(date(2024, 1, 1)),
           year_of(2024), month_of(date(2023, 12, 1)))


def _take(db, today=SETTLED, now=None, again=False) -> int:
    taken = services.take_snapshots(today, now or utcnow(), again)
    db.session.flush()
    return taken


def _take_february(db, now=None) -> None:
    """Store February 2024's figures, and those of the months and the period its pages compare it with, as
    counted today (whatever the clock's date: February 2024 has settled)."""
    for period in {FEBRUARY, FEBRUARY.previous(), *queries.months_to(FEBRUARY)}:
        services.take_snapshot(period, today(), now or utcnow(), again=True)
    db.session.flush()


def _stored(db, what: str, period: Period) -> Snapshot:
    return db.session.scalars(select(Snapshot).where(Snapshot.what == what, Snapshot.period_start == period.start,
                                                     Snapshot.period_end == period.end)).one()


def _tamper(db, what: str, period: Period, key, **changes) -> None:
    """Change a stored row's figures, as if the records had changed since they were counted."""
    row = _stored(db, what, period)
    payload = snapshots.decode_rows(what.removeprefix("figures:"), row.payload)
    for name, value in changes.items():
        setattr(payload[key], name, value)
    db.session.execute(update(Snapshot).where(Snapshot.id == row.id).values(payload=snapshots.encode_rows(payload)))
    db.session.expire_all()


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.key)
def test_stored_figures_are_those_counted_live(ctx, db, history, period):
    _take(db)
    ids = [history.a.id, history.b.id, history.c.id]
    for by in ("country", "level", "region", "body", "official"):
        stored = queries.figures(period, SETTLED, by)
        assert stored.counted_at is not None, by
        assert stored == queries.count_figures(period, SETTLED, by), by
    for some in ([history.a.id], [history.b.id], ids):
        for by in ("body", "official"):
            stored = queries.figures(period, SETTLED, by, some)
            assert stored.counted_at is not None
            assert stored == queries.count_figures(period, SETTLED, by, some), (by, some)
        matrix = queries.topic_matrix(period, SETTLED, some)
        assert matrix.counted_at is not None and matrix == queries.count_topic_matrix(period, SETTLED, some)
    assert queries.topic_matrix(period, SETTLED) == queries.count_topic_matrix(period, SETTLED)
    months = queries.months_to(period)
    for scope in (None, [history.a.id], [history.c.id]):
        trend = queries.trend(months, SETTLED, scope)
        assert trend.counted_at is not None and trend == queries.count_trend(months, SETTLED, scope)
    for scope in (None, [history.b.id]):
        assert queries.monthly(period, SETTLED, scope) == queries.count_monthly(period, SETTLED, scope)


def test_the_officials_of_a_body_include_reports_that_name_no_official(ctx, db, history):
    _take(db)
    rows = queries.figures(FEBRUARY, SETTLED, "official", [history.b.id])
    assert rows[None].access_reports == 1 and rows[history.officials["b1"].id].requests == 1


def test_a_trend_reads_the_settled_months_and_counts_the_others(ctx, db, history):
    _take(db, today=date(2024, 4, 15))  # January and February have settled, March has not
    months = queries.months_to(month_of(date(2024, 3, 1)))
    _tamper(db, "figures:country", FEBRUARY, None, planned=99)
    trend = queries.trend(months, date(2024, 4, 15))
    assert [f.planned for f in trend[-3:]] == [1, 99, 0]
    assert trend.counted_at is not None


def test_the_overview_shows_stored_figures_with_the_time_they_were_counted(client, login_as, db, history):
    login_as(Role.MONITOR)
    with client.application.app_context():
        taken_at = utcnow().replace(hour=21, minute=5, second=0, microsecond=0) - timedelta(days=1)
        if utcnow() - taken_at >= snapshots.MAX_AGE:
            taken_at += timedelta(days=1)
        _take_february(db, now=taken_at)
    _tamper(db, "figures:country", FEBRUARY, None, planned=777)
    page = client.get("/monitor/?period=2024-02").get_data(as_text=True)
    assert summary(page)["planned"] == "777"  # read from the stored figures, not counted
    assert re.search(r"Counted at 2:05\sAM, ", page)  # 21:05 UTC is 02:05 in Astana, the next day
    live = client.get("/monitor/?from=2024-02-01&to=2024-02-29").get_data(as_text=True)
    assert summary(live)["planned"] == "5"  # a custom range is counted (its trend's months are stored)


def test_the_pages_read_stored_figures_in_a_handful_of_statements(client, login_as, db, history, count_queries):
    login_as(Role.MONITOR)
    with client.application.app_context():
        _take_february(db)
    # Each page loads the signed-in user with their roles (one statement), then: the overview the levels, the
    # country now and before and the 12 months of the trend (one statement); the bodies table the bodies, the
    # regions, their figures and the country's; the map the regions and their figures. Without stored figures
    # they are 39, 25 and 13 (below).
    for path, expected in (("/monitor/", 5), ("/monitor/bodies", 5), ("/monitor/map", 3)):
        with count_queries() as statements:
            response = client.get(f"{path}?period=2024-02")
        assert response.status_code == 200
        assert "Counted at" in response.get_data(as_text=True), path
        assert len(statements) == expected, (path, "\n".join(statements))


def test_a_period_that_has_not_settled_is_counted_live(ctx, db, history):
    _take(db, today=date(2024, 4, 15))
    _tamper(db, "figures:body", FEBRUARY, history.a.id, planned=99)
    assert queries.figures(FEBRUARY, date(2024, 4, 15), "body")[history.a.id].planned == 99
    rows = queries.figures(FEBRUARY, UNSETTLED, "body")
    assert rows.counted_at is None and rows[history.a.id].planned == 3
    custom = Period(FEBRUARY.start, FEBRUARY.end)
    assert queries.figures(custom, date(2024, 4, 15), "body")[history.a.id].planned == 3


def test_stale_stored_figures_are_not_shown(ctx, db, history):
    _take(db, now=utcnow() - snapshots.MAX_AGE - timedelta(minutes=1))
    _tamper(db, "figures:body", FEBRUARY, history.a.id, planned=99)
    rows = queries.figures(FEBRUARY, SETTLED, "body")
    assert rows.counted_at is None and rows[history.a.id].planned == 3
    table = tables.bodies_table(FEBRUARY, SETTLED)
    assert table.counted_at is None


def test_only_settled_periods_are_stored(ctx, db, history):
    periods = services.snapshot_periods(date(2024, 4, 15))
    assert FEBRUARY in periods and month_of(date(2024, 3, 1)) not in periods
    assert quarter_of(date(2023, 10, 1)) in periods and year_of(2023) in periods  # compared with 2024's
    assert all(snapshots.is_settled(p, date(2024, 4, 15)) for p in periods)
    with pytest.raises(Invalid):
        services.take_snapshot(month_of(date(2024, 3, 1)), date(2024, 4, 15), utcnow())


def test_taking_snapshots_twice_keeps_one_row_each(ctx, db, history):
    first = _take(db)
    count = db.session.scalar(select(func.count()).select_from(Snapshot))
    assert first == count == len(services.snapshot_periods(SETTLED)) * len(snapshots.WHAT)
    assert _take(db) == 0  # counted minutes ago: kept
    assert _take(db, again=True) == first
    # Two runs at once upsert the same rows: never two of one period.
    services.take_snapshot(FEBRUARY, SETTLED, utcnow(), again=True)
    services.take_snapshot(FEBRUARY, SETTLED, utcnow(), again=True)
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == count


def test_the_command_stores_the_settled_periods_once(app, db, history):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["monitoring", "snapshot"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(select(func.count()).select_from(Snapshot))
    assert count > 0 and f"stored {count} snapshot(s)" in first.output
    second = runner.invoke(args=["monitoring", "snapshot"])
    assert second.exit_code == 0 and "stored 0 snapshot(s)" in second.output
    again = runner.invoke(args=["monitoring", "snapshot", "--again"])
    assert again.exit_code == 0 and f"stored {count} snapshot(s)" in again.output
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == count


def test_figures_survive_their_encoding(ctx, history):
    rows = queries.count_figures(FEBRUARY, SETTLED, "body_official")
    assert rows and all(isinstance(k, tuple) for k in rows)
    assert snapshots.decode_rows("body_official", snapshots.encode_rows(rows)) == rows
    assert snapshots.decode_figures(snapshots.encode_figures(Figures())) == Figures()


def test_without_stored_figures_the_pages_count_live(client, login_as, db, history, count_queries):
    login_as(Role.MONITOR)
    # Each measure's grouped statement, and one look for stored figures per read (4, 2 and 1 of them).
    for path, expected in (("/monitor/", 39), ("/monitor/bodies", 25), ("/monitor/map", 13)):
        with count_queries() as statements:
            response = client.get(f"{path}?period=2024-02")
        assert response.status_code == 200 and "Counted at" not in response.get_data(as_text=True)
        assert len(statements) == expected, (path, len(statements))
