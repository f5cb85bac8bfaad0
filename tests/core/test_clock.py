"""The one clock: the app's CLOCK setting moves every "now" and "today", pages and commands included."""
from __future__ import annotations

from datetime import UTC, date, datetime

from reception import create_app
from reception.core.clock import CAPITAL_TZ, local_today, utcnow


def _app_at(moment: datetime):
    return create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "CLOCK": lambda: moment})


def test_the_app_clock_decides_now_and_today():
    # 19:30 UTC on 31 December is already 1 January in Kazakhstan (UTC+5).
    moment = datetime(2030, 12, 31, 19, 30, tzinfo=UTC)
    with _app_at(moment).app_context():
        assert utcnow() == moment
        assert local_today() == date(2031, 1, 1)
        assert local_today(CAPITAL_TZ, datetime(2030, 12, 31, 18, 59, tzinfo=UTC)) == date(2030, 12, 31)


def test_without_an_app_the_system_clock_answers():
    before = datetime.now(UTC)
    assert before <= utcnow() <= datetime.now(UTC)


def test_model_defaults_take_the_app_clock(app):
    from reception.audit.models import AuditEvent

    moment = datetime(2031, 3, 1, 4, 0, tzinfo=UTC)
    clocked = _app_at(moment)
    with clocked.app_context():
        column = AuditEvent.__table__.c.at
        assert column.default.arg(None) == moment
