"""Public results: per body and month, without personal data (no login)."""
from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..core.clock import local_today, utcnow
from ..core.errors import Invalid
from ..directory.models import Body
from ..directory.queries import by_name, get, get_region_by_code
from . import queries
from .blueprint import bp
from .definitions import DEFINITIONS, PUBLIC_MIN_COUNT, Figures, Period, last_full_month
from .disclosure import public_figures
from .mapping import format_value
from .scope import period_from_request, period_links

MSG_MONTH = _l("Public results are shown by month: give one, for example period=2026-11.")
MSG_YEAR = _l("Give a year, for example period=2026, or nothing for the last twelve months.")
CENTRAL = "central"


def _month_number(day: date) -> int:
    return day.year * 100 + day.month


def _months_before(first: date, count: int) -> date:
    index = first.year * 12 + first.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _context(**extra) -> dict:
    return dict(definitions=DEFINITIONS, min_count=PUBLIC_MIN_COUNT, format_share=format_value, **extra)


@bp.get("/results/")
def results():
    """Each body's month: receptions planned and held, citizens received, questions, the closed share and the
    questions in progress (counts below 5 shown as "fewer than 5"), and its next reception; by region."""
    today = local_today()
    period = period_from_request(today, allowed=("month",), message=MSG_MONTH)
    code = request.args.get("region") or ""
    region = get_region_by_code(code) if code and code != CENTRAL else None
    if code and code != CENTRAL and region is None:
        raise Invalid(_l("Unknown region: %(code)s.", code=code[:12]))
    scope = list(queries.bodies_of_region(region.id if region else None)) if code else None
    found = queries.public_results(period, today, scope, utcnow())
    keep = {"region": code} if code else {}
    return render_template("public/results.html", **_context(
        period=period, period_args=period.args, groups=found.groups, figures=found.figures,
        upcoming=found.upcoming, regions=by_name(list(queries.regions().values())), region_code=code,
        counted_at=found.counted_at,
        **period_links(period, **keep)))


@bp.get("/results/bodies/<int:body_id>")
def results_body(body_id: int):
    """One body's months (the last twelve full months, or a year's) and its coming receptions."""
    body = get(Body, body_id)
    if body is None or not body.is_active:
        abort(404)
    today = local_today()
    if request.args.get("period"):
        period = period_from_request(today, allowed=("year",), message=MSG_YEAR)
    else:
        last = last_full_month(today)
        period = Period(_months_before(last.start, 11), last.end)
    rows = queries.monthly(period, today, [body.id])
    months = [m.start for m in reversed(period.months()) if m.start <= today]  # not the months to come
    return render_template("public/results_body.html", **_context(
        body=body, period=period, months=[(m, format_date(m, "LLLL y").capitalize(),
                                           public_figures(rows.get((body.id, _month_number(m)), Figures())))
                                          for m in months],
        coming=queries.coming_sessions(body.id, utcnow()), years=range(today.year, today.year - 5, -1),
        counted_at=rows.counted_at))
