"""Time at the edges: stored UTC shown in a region's IANA zone."""
from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_time, get_date_format, get_time_format, match_skeleton, parse_pattern
from flask_babel import lazy_gettext as _l

from .i18n import current_locale


def to_local(value: datetime, tz_name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(ZoneInfo(tz_name))


def local_to_utc(value: datetime, tz_name: str) -> datetime:
    """Interpret a naive wall-clock time in ``tz_name`` and return it in UTC."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


#: The zones of Kazakhstan's regions in words, as people say them (the capital's time for Asia/Almaty, which
#: most regions keep); an unknown zone is shown by its IANA name.
ZONE_NAMES = {
    "Asia/Almaty": _l("Astana time"),
    "Asia/Aqtau": _l("Aktau time"),
    "Asia/Aqtobe": _l("Aktobe time"),
    "Asia/Atyrau": _l("Atyrau time"),
    "Asia/Oral": _l("Oral time"),
    "Asia/Qostanay": _l("Kostanay time"),
    "Asia/Qyzylorda": _l("Kyzylorda time"),
}


def zone_name(tz_name: str) -> str:
    """The zone in words in the current language ("Aktobe time")."""
    name = ZONE_NAMES.get(tz_name)
    return str(name) if name is not None else tz_name


def format_local(value: datetime | None, tz_name: str, fmt: str = "full") -> str:
    """The date and time people read, in the given zone and the current language, the zone in words and no
    seconds: "Monday, December 7, 2026, 3:00 PM (Aktobe time)"; ``fmt="short"`` abbreviates the weekday and
    the month ("Mon, Dec 7, 2026, 3:00 PM (Aktobe time)"), for lists."""
    if value is None:
        return ""
    return _formatted(value, tz_name, "short" if fmt == "short" else "full", current_locale())


@lru_cache(maxsize=4096)
def _formatted(value: datetime, tz_name: str, fmt: str, locale: Locale) -> str:
    """:func:`format_local`'s text, kept: a region's search page shows the same few times over and over (every
    official receiving at ten), and Babel's formatting was a tenth of the page's CPU. The locale is part of the
    key, and so of the zone's name in words."""
    local = to_local(value, tz_name)
    date_pattern, time_pattern = _patterns(str(locale), fmt)
    return f"{date_pattern.apply(local, locale)}, {time_pattern.apply(local, locale)} ({zone_name(tz_name)})"


@lru_cache(maxsize=32)
def _patterns(locale_id: str, fmt: str):
    """The date and time patterns of ``fmt`` in a language, looked up once (a search page formats dozens of
    times: the lookups cost more than the formatting)."""
    locale = Locale.parse(locale_id)
    if fmt == "short":
        skeletons = locale.datetime_skeletons
        date_pattern = parse_pattern(skeletons[match_skeleton("yMMMEd", skeletons)])
    else:
        date_pattern = parse_pattern(get_date_format("full", locale=locale))
    return date_pattern, parse_pattern(get_time_format("short", locale=locale))


def format_local_time(value: datetime | None, tz_name: str) -> str:
    """The wall-clock time alone (e.g. 10:30), for lists whose heading names the date and zone."""
    if value is None:
        return ""
    return format_time(to_local(value, tz_name), "short", locale=current_locale())
