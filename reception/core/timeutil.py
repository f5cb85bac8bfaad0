"""Time at the edges: stored UTC shown in a region's IANA zone."""
from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_time,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
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
    locale = get_locale()
    if fmt == "long":
        # Babel's long date-time names the zone itself ("UTC" for a naive value): build it from parts.
        text = f"{format_date(local, 'long', locale=locale)}, {format_time(local, 'short', locale=locale)}"
    else:
        text = _format_datetime(local, fmt, locale)
    return f"{text} ({tz_name}, UTC{offset[:3]}:{offset[3:]})"


def _format_datetime(local: datetime, fmt: str, locale: Locale) -> str:
    """What babel.dates.format_datetime(local, fmt) gives for the wall-clock time, from patterns looked up
    once per language and format (a search page formats dozens of times: the lookups cost more than the
    formatting)."""
    combined, date_pattern, time_pattern = _datetime_patterns(str(locale), fmt)
    return combined.replace("{0}", time_pattern.apply(local, locale)).replace("{1}", date_pattern.apply(local, locale))


@lru_cache(maxsize=32)
def _datetime_patterns(locale_id: str, fmt: str):
    locale = Locale.parse(locale_id)
    return (get_datetime_format(fmt, locale=locale).replace("'", ""),
            parse_pattern(get_date_format(fmt, locale=locale)), parse_pattern(get_time_format(fmt, locale=locale)))


def format_local_time(value: datetime | None, tz_name: str) -> str:
    """The wall-clock time alone (e.g. 10:30), for lists whose heading names the date and zone."""
    if value is None:
        return ""
    return format_time(to_local(value, tz_name), "short", locale=get_locale())
