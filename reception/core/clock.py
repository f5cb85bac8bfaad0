"""The one clock: every "now" and "today" of the application comes from here.

``utcnow()`` asks the application's clock (``CLOCK`` in its configuration: a callable returning an
aware UTC datetime, e.g. ``create_app({"CLOCK": lambda: moment})``) and, outside an application or
without one configured, the system clock. Services take ``now`` as an argument; views, CLI commands,
model defaults and templates read it here. Tests move the system clock itself with time-machine
(``pytest --today``), so everything that asks for the time, here or in a library, agrees.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

#: The capital's zone: the country's reference, for people and bodies without a region of their own
#: (central bodies, administrators). Every Kazakh zone has been UTC+5 since 2024-03-01.
CAPITAL_TZ = "Asia/Almaty"


def utcnow() -> datetime:
    """The current moment, aware, in UTC."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock is not None else datetime.now(UTC)


def local_today(tz_name: str | None = None, now: datetime | None = None) -> date:
    """The date it is (at ``now``, default the clock's now) in ``tz_name`` (default the capital's zone)."""
    return (now or utcnow()).astimezone(ZoneInfo(tz_name or CAPITAL_TZ)).date()
