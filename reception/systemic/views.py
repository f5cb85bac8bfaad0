"""Pages of systemic issues: the staff's list and issue page (working group, linked receptions, history),
creating and editing an issue, changing its status, linking by number; and the linked citizen's own page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..audit.services import record_view
from ..core.clock import utcnow
from ..core.errors import DomainError, Invalid
from ..core.permissions import Permission, Role, require_any
from ..core.web import attach_error, commit, id_arg
from ..directory.models import Body
from ..directory.queries import body_choices, get, region_choices
from ..extensions import db
from . import policy, queries, services
from .forms import ButtonForm, IssueForm, LinkForm, StatusForm, status_choices
from .models import STATUS_LABELS, TRANSITIONS, IssueStatus

bp = Blueprint("systemic", __name__)

STAFF = (Permission.SYSTEMIC_MANAGE, Permission.SYSTEMIC_MANAGE_OWN, Permission.SYSTEMIC_VIEW)
MANAGE = (Permission.SYSTEMIC_MANAGE, Permission.SYSTEMIC_MANAGE_OWN)

STATUS_VALUES = frozenset(s.value for s in IssueStatus)
MSG_STATUS = _l("Unknown status: choose one from the list.")
MSG_BODY = _l("Unknown body: choose one from the list.")


def _issue_or_404(issue_id: int, check=policy.can_view):
    issue = queries.get_issue(issue_id)
    if issue is None:
        abort(404)
    if not check(current_user, issue):
        abort(403)
    return issue


@bp.get("/staff/systemic/")
@require_any(*STAFF)
def issues():
    """The issues the user may see, filtered by status and body."""
    raw_status = request.args.get("status", "")
    if raw_status and raw_status not in STATUS_VALUES:
        raise Invalid(MSG_STATUS)
    body_id = id_arg("body")
    if request.args.get("body") and (body_id is None or get(Body, body_id) is None):
        raise Invalid(MSG_BODY)
    status = IssueStatus(raw_status) if raw_status else None
    rows = queries.list_issues(current_user, status, body_id)
    return render_template("systemic/issues.html", issues=rows, counts=queries.link_counts(i.id for i in rows),
                           status=raw_status, body_id=body_id or 0, status_choices=status_choices(),
                           body_choices=body_choices(), can_create=policy.can_create(current_user))


def _fill_choices(form: IssueForm, include_coordinator: int | None = None) -> None:
    form.coordinator_id.choices = [(0, "—")] + queries.coordinator_choices(current_user, include_coordinator)
    form.region_id.choices = region_choices(blank_label=_l("No one region"))
    form.body_ids.choices = body_choices()


def _data(form: IssueForm) -> services.IssueData:
    return services.IssueData(title=form.title.data, description=form.description.data,
                              body_ids=list(form.body_ids.data or []), coordinator_id=form.coordinator_id.data,
                              region_id=form.region_id.data or None)


@bp.route("/staff/systemic/new", methods=["GET", "POST"])
@require_any(*MANAGE)
def new():
    if not policy.can_create(current_user):
        abort(403)
    form = IssueForm()
    _fill_choices(form)
    if request.method == "GET":
        form.body_ids.data = [current_user.body_id] if current_user.body_id else []
        form.coordinator_id.data = current_user.id
    if not form.validate_on_submit():
        return _render_issue_form(form, None)
    try:
        issue = services.create_issue(current_user, _data(form), utcnow())
        commit(_l("The issue could not be saved. Try again."))
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _render_issue_form(form, None, exc.status)
    flash(_l("The systemic issue has been created. Now link the appointments and requests about it."), "success")
    return redirect(url_for("systemic.issue", issue_id=issue.id))


def _render_issue_form(form, issue, status: int | None = None):
    code = status or (422 if form.is_submitted() and (form.errors or form.form_errors) else 200)
    return render_template("systemic/form.html", form=form, issue=issue), code


@bp.route("/staff/systemic/<int:issue_id>/edit", methods=["GET", "POST"])
@require_any(*MANAGE)
def edit(issue_id: int):
    issue = _issue_or_404(issue_id, policy.can_manage)
    form = IssueForm(obj=issue if request.method == "GET" else None)
    _fill_choices(form, issue.coordinator_id)
    if request.method == "GET":
        form.body_ids.data = sorted(issue.body_ids)
        form.region_id.data = issue.region_id or 0
    if not form.validate_on_submit():
        return _render_issue_form(form, issue)
    try:
        services.update_issue(current_user, issue, _data(form), utcnow())
        commit(_l("The issue could not be saved. Try again."))
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _render_issue_form(form, queries.get_issue(issue_id), exc.status)
    flash(_l("The systemic issue has been saved."), "success")
    return redirect(url_for("systemic.issue", issue_id=issue.id))


def _status_form(issue, form: StatusForm | None = None) -> StatusForm:
    form = form or StatusForm(formdata=None, expected=issue.status.value)
    form.status.choices = status_choices(sorted(TRANSITIONS[issue.status], key=list(IssueStatus).index))
    return form


def _issue_page(issue, status_form=None, link_form=None, status: int = 200):
    can_manage = policy.can_manage(current_user, issue)
    page = render_template("systemic/issue.html", issue=issue, can_manage=can_manage,
                           status_form=_status_form(issue, status_form) if can_manage else None,
                           link_form=link_form or LinkForm(formdata=None), button=ButtonForm(formdata=None),
                           status_labels=STATUS_LABELS)
    if issue.links:
        record_view("systemic_issue", issue.id, "systemic issue")
    db.session.commit()
    return page, status


@bp.get("/staff/systemic/<int:issue_id>")
@require_any(*STAFF)
def issue(issue_id: int):
    """The issue: its working group and coordinator, the linked citizens' receptions, the history of its
    status; for those who run it, the status and linking forms."""
    return _issue_page(_issue_or_404(issue_id))


@bp.post("/staff/systemic/<int:issue_id>/status")
@require_any(*MANAGE)
def change_status(issue_id: int):
    issue = _issue_or_404(issue_id, policy.can_manage)
    form = StatusForm()
    form.status.choices = status_choices()
    if not form.validate_on_submit():
        return _issue_page(issue, status_form=form, status=422)
    if form.expected.data not in STATUS_VALUES:
        form.form_errors.append(str(_l("The form is out of date. Open the issue again.")))
        return _issue_page(issue, status_form=form, status=422)
    try:
        change = services.change_status(current_user, issue, IssueStatus(form.expected.data),
                                        IssueStatus(form.status.data),
                                        form.note.data, utcnow())
        commit(services.MSG_CHANGED_MEANWHILE)
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _issue_page(queries.get_issue(issue_id), status_form=form, status=exc.status)
    flash(_l("The status is now “%(status)s”. The linked citizens will be told.", status=change.status_label),
          "success")
    return redirect(url_for("systemic.issue", issue_id=issue_id))


@bp.post("/staff/systemic/<int:issue_id>/links")
@require_any(*MANAGE)
def link(issue_id: int):
    issue = _issue_or_404(issue_id, policy.can_manage)
    form = LinkForm()
    if not form.validate_on_submit():
        return _issue_page(issue, link_form=form, status=422)
    try:
        services.link_appointment(current_user, issue, form.number.data, utcnow())
        commit(_l("This appointment or request has just been linked to a systemic issue."))
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _issue_page(queries.get_issue(issue_id), link_form=form, status=exc.status)
    flash(_l("Linked to the issue."), "success")
    return redirect(url_for("systemic.issue", issue_id=issue_id))


@bp.post("/staff/systemic/<int:issue_id>/links/<int:appointment_id>/remove")
@require_any(*MANAGE)
def unlink(issue_id: int, appointment_id: int):
    issue = _issue_or_404(issue_id, policy.can_manage)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.unlink_appointment(current_user, issue, appointment_id, utcnow())
    db.session.commit()
    flash(_l("Taken off the issue."), "success")
    return redirect(url_for("systemic.issue", issue_id=issue_id))


@bp.get("/my/issues/<int:issue_id>")
@login_required
def citizen_issue(issue_id: int):
    """A linked citizen's view of the issue: its title, status and the notes of its progress."""
    if not current_user.has_role(Role.CITIZEN):
        abort(403)
    issue = queries.get_plain(issue_id)
    if issue is None or not queries.citizen_is_linked(current_user.id, issue.id):
        abort(404)
    return render_template("systemic/citizen_issue.html", issue=issue)
