"""The monthly report: printable, XLSX and CSV, for the country and each body (routes on the blueprint).

Any period the pages take works here too (default: the last full month); the numbers come from ``tables``, the
same reads as the pages."""
from __future__ import annotations

from flask import Response, render_template

from ..core.clock import local_today
from ..core.permissions import Permission, require, require_any
from . import exports, headline, queries, tables
from .blueprint import bp
from .pages import requested_period, visible_body

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _country():
    period = requested_period()
    today = local_today()
    data = tables.overview(period, today)
    return period, data, tables.bodies_table(period, today), headline.sentence(period, data.figures)


def _body(body_id: int):
    body = visible_body(body_id)
    period = requested_period()
    page = tables.body_page(body, period, local_today())
    return period, page, headline.sentence(period, page.figures)


@bp.get("/monitor/report")
@require(Permission.MONITORING_VIEW)
def report():
    """The country's report, to print (or save as PDF from the browser)."""
    period, data, table, sentence = _country()
    return render_template("monitoring/report.html", period=period, data=data, table=table, sentence=sentence,
                           today=local_today(), counted_at=queries.oldest(data.counted_at, table.counted_at))


@bp.get("/monitor/report.xlsx")
@require(Permission.MONITORING_VIEW)
def report_xlsx():
    period, data, table, sentence = _country()
    return _download(exports.country_xlsx(data, table, sentence), XLSX, f"report-{period.key}.xlsx")


@bp.get("/monitor/report.csv")
@require(Permission.MONITORING_VIEW)
def report_csv():
    period, data, table, _sentence = _country()
    return _download(exports.country_csv(data, table), CSV, f"report-{period.key}.csv")


@bp.get("/monitor/bodies/<int:body_id>/report")
@require_any(Permission.MONITORING_VIEW, Permission.MONITORING_VIEW_OWN)
def body_report(body_id: int):
    """One body's report, to print."""
    period, page, sentence = _body(body_id)
    return render_template("monitoring/report.html", period=period, page=page, sentence=sentence,
                           today=local_today(), counted_at=page.counted_at)


@bp.get("/monitor/bodies/<int:body_id>/report.xlsx")
@require_any(Permission.MONITORING_VIEW, Permission.MONITORING_VIEW_OWN)
def body_report_xlsx(body_id: int):
    period, page, sentence = _body(body_id)
    return _download(exports.body_xlsx(page, sentence), XLSX, f"report-{page.body.code}-{period.key}.xlsx")


@bp.get("/monitor/bodies/<int:body_id>/report.csv")
@require_any(Permission.MONITORING_VIEW, Permission.MONITORING_VIEW_OWN)
def body_report_csv(body_id: int):
    period, page, _sentence = _body(body_id)
    return _download(exports.body_csv(page), CSV, f"report-{page.body.code}-{period.key}.csv")
