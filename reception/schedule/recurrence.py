"""Recurrence for people: the weekly rule the schedule form builds from ticked weekdays, and any stored RFC 5545
rule described in words ("every Friday, 15:00–18:00") in the current language. No database.

Day names inside a sentence come from the catalog as whole phrases (Russian "каждую пятницу", Kazakh
"әр жұма сайын"), never by gluing a nominative day name into an English word order.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from babel.dates import get_day_names, get_month_names
from babel.lists import format_list
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY
from flask_babel import get_locale, gettext, lazy_gettext, ngettext, pgettext

from .rules import RuleError, normalize_rrule, parse_rrule

#: RFC 5545 weekday codes in the order of the week (Monday first, as in Kazakhstan), index = Python's weekday().
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WORKING_WEEK = WEEKDAYS[:5]

#: "every <day>" for a single day: the whole phrase, so that each language inflects the day its own way.
_EVERY_DAY_OF_WEEK = {
    "MO": lazy_gettext("every Monday"),
    "TU": lazy_gettext("every Tuesday"),
    "WE": lazy_gettext("every Wednesday"),
    "TH": lazy_gettext("every Thursday"),
    "FR": lazy_gettext("every Friday"),
    "SA": lazy_gettext("every Saturday"),
    "SU": lazy_gettext("every Sunday"),
}
#: Any start date will do to read a rule's parts (a Monday).
_EPOCH = date(2000, 1, 3)
_FREQ_WORDS = {
    DAILY: lazy_gettext("every day"),
    WEEKLY: lazy_gettext("every week"),
    MONTHLY: lazy_gettext("every month"),
    YEARLY: lazy_gettext("every year"),
}


def build_weekly_rule(days: Iterable[str]) -> str:
    """The RRULE of "every week on these days" (``FREQ=WEEKLY;BYDAY=MO,WE``), days in week order.

    Raises ValueError for no day or a code that is not a weekday.
    """
    chosen = set(days)
    if not chosen or chosen - set(WEEKDAYS):
        raise ValueError("choose weekdays from MO..SU")
    return "FREQ=WEEKLY;BYDAY=" + ",".join(d for d in WEEKDAYS if d in chosen)


def weekdays_of(rule: str) -> tuple[str, ...] | None:
    """The weekdays of a rule the weekday picker can express (every week on some days, nothing else), else None."""
    try:
        text = normalize_rrule(rule)
    except RuleError:
        return None
    parts = dict(chunk.partition("=")[::2] for chunk in text.split(";"))
    parts.pop("WKST", None)
    if parts.pop("INTERVAL", "1") != "1" or parts.pop("FREQ") != "WEEKLY" or set(parts) != {"BYDAY"}:
        return None
    days = parts["BYDAY"].split(",")
    if not days or set(days) - set(WEEKDAYS):
        return None  # "1MO" and friends: not a plain weekday
    return tuple(d for d in WEEKDAYS if d in days)


def _day_in_list(code: str) -> str:
    """A day as it stands in a list of days after "every … and …" (Russian: dative plural after "по")."""
    if code == "MO":
        return pgettext("weekday in a list after 'every'", "Monday")
    if code == "TU":
        return pgettext("weekday in a list after 'every'", "Tuesday")
    if code == "WE":
        return pgettext("weekday in a list after 'every'", "Wednesday")
    if code == "TH":
        return pgettext("weekday in a list after 'every'", "Thursday")
    if code == "FR":
        return pgettext("weekday in a list after 'every'", "Friday")
    if code == "SA":
        return pgettext("weekday in a list after 'every'", "Saturday")
    if code == "SU":
        return pgettext("weekday in a list after 'every'", "Sunday")
    raise ValueError(code)


def _day_names() -> dict[int, str]:
    return get_day_names("wide", context="stand-alone", locale=get_locale())


def _weekdays_phrase(days: tuple[str, ...]) -> str:
    if len(days) == 1:
        return str(_EVERY_DAY_OF_WEEK[days[0]])
    if days == WORKING_WEEK:
        return gettext("every working day, Monday to Friday")
    listed = format_list([_day_in_list(d) for d in days], locale=get_locale())
    return gettext("every %(days)s", days=listed)


def _ordinal_day(weekday: int, n: int | None) -> str:
    name = _day_names()[weekday]
    if not n:
        return name
    if n == -1:
        return gettext("%(weekday)s, the last of the month", weekday=name)
    return gettext("%(weekday)s, number %(n)d in the month", weekday=name, n=n)


def describe_rule(rule: str) -> str:
    """The repeat of an RRULE in words in the current language: "every Friday", "every Monday and Wednesday";
    rules the weekday picker cannot express as best possible ("every month: Monday, number 1 in the month")."""
    days = weekdays_of(rule)
    if days:
        return _weekdays_phrase(days)
    try:
        parsed = parse_rrule(normalize_rrule(rule), _EPOCH)
    except RuleError:
        return rule
    interval = parsed._interval
    freq = parsed._freq
    if interval > 1:
        unit = {DAILY: ngettext("every %(num)d day", "every %(num)d days", interval),
                WEEKLY: ngettext("every %(num)d week", "every %(num)d weeks", interval),
                MONTHLY: ngettext("every %(num)d month", "every %(num)d months", interval),
                YEARLY: ngettext("every %(num)d year", "every %(num)d years", interval)}.get(freq, rule)
    else:
        unit = str(_FREQ_WORDS.get(freq, rule))
    details = []
    text = normalize_rrule(rule)
    if "BYDAY" in text:
        weekdays = sorted(set(parsed._byweekday or ()))
        details += [_ordinal_day(d, None) for d in weekdays]
        details += [_ordinal_day(d, n) for d, n in sorted(parsed._bynweekday or ())]
    if "BYMONTHDAY" in text:
        numbers = [str(n) for n in sorted(parsed._bymonthday or ())] + [str(n) for n in (parsed._bynmonthday or ())]
        details.append(gettext("day %(days)s of the month", days=", ".join(numbers)))
    if "BYMONTH=" in text:
        months = get_month_names("wide", context="stand-alone", locale=get_locale())
        details.append(format_list([months[m] for m in sorted(parsed._bymonth or ())], locale=get_locale()))
    if not details:
        return unit
    return gettext("%(repeat)s: %(details)s", repeat=unit, details="; ".join(details))


def describe_hours(rule: str, start: time, end: time) -> str:
    """A schedule's hours in words: "every Friday, 15:00–18:00" (wall-clock times at the venue)."""
    return gettext("%(repeat)s, %(start)s–%(end)s", repeat=describe_rule(rule), start=start.strftime("%H:%M"),
                   end=end.strftime("%H:%M"))
