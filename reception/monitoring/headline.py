"""Figures in words: numbers, shares and periods in the user's language, and the headline of a period written
as a sentence a minister could read out ("In November 2026, 216 receptions were held of 231 planned; …").

Every number that decides a word's form has its own ``ngettext`` fragment (Russian has three plural forms, and a
phrase like "of 231 planned" agrees with 231, not with the receptions held); one template puts the fragments in
each language's order.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import format_date, format_decimal, format_percent, ngettext
from flask_babel import gettext as _

from ..core.clock import CAPITAL_TZ
from ..core.i18n import current_language
from ..core.timeutil import format_local_time, to_local
from .definitions import Figures, Period

DASH = "—"


def number(value) -> str:
    """A count as the user's language writes it (1,498 / 1 498); None is a dash."""
    return DASH if value is None else format_decimal(value)


def percent(share: Decimal | None) -> str:
    """A share in per cent (already rounded to one decimal) as the user's language writes it (73.9% / 73,9%)."""
    return DASH if share is None else format_percent(share / 100, format="#,##0.0%")


def days(value: float | None) -> str:
    return DASH if value is None else format_decimal(Decimal(str(value)), format="#,##0.0")


def change(now, before) -> str:
    """The change from ``before`` to ``now``: +12, −3, 0; for shares, percentage points (+1.5); a dash when either
    side is missing."""
    if now is None or before is None:
        return DASH
    diff = now - before
    text = format_decimal(abs(diff), format="#,##0.0" if isinstance(diff, Decimal) else "#,##0")
    return ("+" if diff > 0 else "−" if diff < 0 else "") + text


def _month_name(day) -> str:
    # CLDR's stand-alone Kazakh month names are capitalised; Kazakh and Russian write them in lower case within
    # a sentence.
    name = format_date(day, "LLLL")
    return name if current_language() == "en" else name.lower()


def _quarter(period: Period) -> int:
    return (period.start.month - 1) // 3 + 1


def period_title(period: Period) -> str:
    """The period as a heading: "February 2024", "Q1 2024", "Year 2024", "3 November 2026 – 20 November 2026"."""
    year = str(period.start.year)
    if period.kind == "month":
        title = _("%(month)s %(year)s", month=_month_name(period.start), year=year)
    elif period.kind == "quarter":
        title = _("Q%(quarter)d %(year)s", quarter=_quarter(period), year=year)
    elif period.kind == "year":
        title = _("Year %(year)s", year=year)
    else:
        title = _("%(start)s – %(end)s", start=format_date(period.start, "long"), end=format_date(period.end, "long"))
    return title[:1].upper() + title[1:]


def period_phrase(period: Period) -> str:
    """The period as the sentence begins with it: "In November 2026", "In quarter 4 of 2026", "In 2026"."""
    year = str(period.start.year)
    if period.kind == "month":
        return _("In %(month)s %(year)s", month=_month_name(period.start), year=year)
    if period.kind == "quarter":
        return _("In quarter %(quarter)d of %(year)s", quarter=_quarter(period), year=year)
    if period.kind == "year":
        return _("In %(year)s", year=year)
    return _("From %(start)s to %(end)s", start=format_date(period.start, "long"), end=format_date(period.end, "long"))


def sentence(period: Period, f: Figures) -> str:
    """The period's headline figures as one sentence, e.g. "In November 2026, 216 receptions were held of 231
    planned; 1,498 citizens raised 1,679 questions; 1,241 (73.9%) are closed, 438 in progress; 12 instructions
    are overdue." """
    parts = {
        "period": period_phrase(period),
        "held": ngettext("%(n)s reception was held", "%(n)s receptions were held", f.held, n=number(f.held)),
        "planned": ngettext("of %(n)s planned", "of %(n)s planned", f.planned, n=number(f.planned)),
        "overdue": ngettext("%(n)s instruction is overdue", "%(n)s instructions are overdue", f.overdue,
                            n=number(f.overdue)),
    }
    if not f.questions:
        return _("%(period)s, %(held)s %(planned)s; no questions were recorded; %(overdue)s.", **parts)
    parts.update(
        citizens=ngettext("%(n)s citizen raised", "%(n)s citizens raised", f.citizens, n=number(f.citizens)),
        questions=ngettext("%(n)s question", "%(n)s questions", f.questions, n=number(f.questions)),
        closed=ngettext("%(n)s (%(share)s) is closed", "%(n)s (%(share)s) are closed", f.closed,
                        n=number(f.closed), share=percent(f.closed_share)),
        in_progress=ngettext("%(n)s in progress", "%(n)s in progress", f.in_progress, n=number(f.in_progress)),
    )
    return _("%(period)s, %(held)s %(planned)s; %(citizens)s %(questions)s; %(closed)s, %(in_progress)s; "
             "%(overdue)s.", **parts)


def month_short(period: Period) -> str:
    """A month as a chart's axis names it: "Feb", "февр.", "ақп."."""
    return format_date(period.start, "LLL")


def day(value) -> str:
    """A date written out: "20 February 2024", "20 февраля 2024 г."."""
    return format_date(value, "long")


def counted(at: datetime) -> str:
    """When stored figures were counted, in the capital's time: "Counted at 02:10, 4 December 2026"."""
    return _("Counted at %(time)s, %(date)s", time=format_local_time(at, CAPITAL_TZ),
             date=format_date(to_local(at, CAPITAL_TZ).date(), "long"))
