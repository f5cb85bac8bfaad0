"""Needs attention: the alerts of the period, what monitors did about them, citizens' reports."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit.services import record_view
from ..core.clock import local_today, utcnow
from ..core.errors import DomainError
from ..core.permissions import Permission, require
from ..core.web import attach_error, form_status
from ..directory.queries import get
from ..extensions import db
from ..outcomes.models import AccessReport
from . import alerts, queries, services
from .blueprint import bp
from .definitions import DEFINITIONS
from .forms import ActionForm, AnswerForm
from .models import ACTION_KIND_LABELS, ActionKind, AlertKind
from .scope import period_from_request, period_links

MSG_GONE = _l("This item is no longer on the list of the period. Reload the page.")


def _anchor(kind: str, key: str) -> str:
    return f"item-{kind}-{key}"


@bp.route("/monitor/attention", methods=["GET", "POST"])
@require(Permission.MONITORING_VIEW)
def attention():
    """The period's items that need attention, each with the last action on it and a form to record one; the
    items acted on last period and whether they are still flagged; the period's citizens' reports."""
    today = local_today()
    period = period_from_request(today)
    page = alerts.needs_attention(period, today)
    form, status = None, None
    if request.method == "POST":
        if not current_user.can(Permission.MONITORING_ACT):
            abort(403)
        form = ActionForm()
        if form.validate_on_submit():
            alert = page.find(form.kind.data, form.key.data)
            try:
                if alert is None:
                    form.form_errors.append(str(MSG_GONE))
                else:
                    services.record_action(current_user, alert, period, ActionKind(form.action.data),
                                           form.note.data, utcnow())
                    db.session.commit()
                    flash(_l("What was done has been recorded."), "success")
                    return redirect(url_for("monitoring.attention", **period.args,
                                            _anchor=_anchor(alert.kind, alert.key)))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
                status = exc.status
        status = status or 422  # the item's form, with its errors, is shown again
    else:
        # The list names citizens (repeated appeals, reports): the view is recorded.
        record_view("access_report", None, "needs attention", period=period.key)
    html = render_template("monitoring/attention.html", page=page, period=period, period_args=period.args,
                           form=form, new_form=ActionForm(formdata=None), definitions=alerts.ALERT_DEFINITIONS,
                           measures=DEFINITIONS, action_labels=ACTION_KIND_LABELS, AlertKind=AlertKind,
                           anchor=_anchor, fmt_date=lambda day: format_date(day, "long"), **period_links(period))
    db.session.commit()  # after rendering: the commit expires what the page loaded
    return html, status or 200


@bp.route("/monitor/attention/reports/<int:report_id>", methods=["GET", "POST"])
@require(Permission.MONITORING_ACT)
def attention_report(report_id: int):
    """Answer a citizen who reported a refused booking: one message in their language; the report is marked
    reviewed."""
    report = get(AccessReport, report_id)
    if report is None:
        abort(404)
    answers = queries.report_answers(report.id)
    form = AnswerForm()
    status = None
    if request.method == "GET":
        form.seen.data = len(answers)
    if form.validate_on_submit():
        try:
            services.answer_access_report(current_user, report, form.text.data, form.seen.data, utcnow())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            report = get(AccessReport, report_id)
            answers = queries.report_answers(report.id)
            attach_error(form, exc)
            status = exc.status
        else:
            flash(_l("Your answer has been sent to the citizen, in their language. The report is marked as "
                     "reviewed."), "success")
            return redirect(url_for("monitoring.attention_report", report_id=report.id))
    elif request.method == "GET":
        record_view("access_report", report.id, "answer to a citizen's report")
    html = render_template("monitoring/attention_report.html", report=report, answers=answers, form=form)
    db.session.commit()
    return html, status or form_status(form)
