"""The monitors' pages: the overview, the bodies table and a body's page (routes on the blueprint)."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ..core.clock import local_today
from ..core.permissions import Permission, require, require_any
from ..directory.models import Body
from ..directory.queries import get
from . import headline, queries, tables
from .blueprint import bp
from .definitions import DEFINITIONS, Period, last_full_month
from .scope import period_from_request


def requested_period() -> Period:
    """The period of the address; an impossible one is a 422 with a message in the user's language."""
    return period_from_request(local_today())


def visible_body(body_id: int) -> Body:
    """The body whose figures the user may see: every body's for monitors, one's own for its assistants and
    officials (another body's: 403); an unknown id: 404."""
    body = get(Body, body_id)
    if body is None:
        abort(404)
    if not current_user.can_in_body(Permission.MONITORING_VIEW, body.id):
        abort(403)
    return body


@bp.context_processor
def _monitoring_helpers():
    """For the monitoring templates: numbers, shares and periods in words, the definitions, the tables' columns."""
    return {"mon": headline, "DEFINITIONS": DEFINITIONS, "tables": tables, "period_url": period_url}


def period_url(endpoint: str, period: Period, **args) -> str:
    """The address of ``endpoint`` for ``period`` (and ``args``: a body, a sort order)."""
    return url_for(endpoint, **args, **period.args)


@bp.app_template_global("monitoring_headline")
def monitoring_headline() -> str | None:
    """For the monitors' home page: the last full month's headline sentence (None for users who may not see the
    country's figures)."""
    if not (current_user.is_authenticated and current_user.can(Permission.MONITORING_VIEW)):
        return None
    today = local_today()
    period = last_full_month(today)
    return headline.sentence(period, queries.country(period, today))


@bp.get("/monitor/")
@require(Permission.MONITORING_VIEW)
def overview():
    """The country's headline figures for a period, against the previous one, by level, with the trend."""
    period = requested_period()
    data = tables.overview(period, local_today())
    return render_template("monitoring/overview.html", data=data, period=period,
                           sentence=headline.sentence(period, data.figures))


@bp.get("/monitor/bodies")
@require(Permission.MONITORING_VIEW)
def bodies():
    """Every body's measures for a period, sorted on the server (``sort=column&dir=asc|desc``)."""
    period = requested_period()
    table = tables.bodies_table(period, local_today(), request.args.get("sort", "name"),
                                request.args.get("dir", "asc"))
    return render_template("monitoring/bodies.html", table=table, period=period)


@bp.get("/monitor/bodies/<int:body_id>")
@require_any(Permission.MONITORING_VIEW, Permission.MONITORING_VIEW_OWN)
def body(body_id: int):
    """One body: its figures, monthly trend, officials, topics, sessions not held and overdue instructions."""
    body = visible_body(body_id)
    period = requested_period()
    page = tables.body_page(body, period, local_today())
    return render_template("monitoring/body.html", page=page, period=period,
                           sentence=headline.sentence(period, page.figures))
