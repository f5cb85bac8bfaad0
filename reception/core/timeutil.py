"""Time at the edges: stored UTC shown in a region's IANA zone."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import get_locale


def to_local(value: datetime, tz_name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(ZoneInfo(tz_name))


def local_to_utc(value: datetime, tz_name: str) -> datetime:
    """Interpret a naive wall-clock time in ``tz_name`` and return it in UTC."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def format_local(value: datetime | None, tz_name: str, fmt: str = "medium") -> str:
    """Localized date and time in the given zone, with the zone named (e.g. "Asia/Aqtobe")."""
    if value is None:
        return ""
    local = to_local(value, tz_name)
    offset = local.strftime("%z")
    if fmt == "long":
        # Babel's long date-time names the zone itself ("UTC" for a naive value): build it from parts.
        locale = get_locale()
        text = f"{format_date(local, 'long', locale=locale)}, {format_time(local, 'short', locale=locale)}"
    else:
        text = babel_format_datetime(local.replace(tzinfo=None), fmt)
    return f"{text} ({tz_name}, UTC{offset[:3]}:{offset[3:]})"


def format_local_time(value: datetime | None, tz_name: str) -> str:
    """The wall-clock time alone (e.g. 10:30), for lists whose heading names the date and zone."""
    if value is None:
        return ""
    return format_time(to_local(value, tz_name), "short", locale=get_locale())
