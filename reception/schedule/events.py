"""Pages of unified reception days and visiting receptions: public listings, announcing, publishing."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ..core.clock import local_today, utcnow
from ..core.errors import DomainError, NotAllowed
from ..core.permissions import Permission, Role, require
from ..core.timeutil import to_local
from ..core.web import attach_error, commit, render_form
from ..core.workdays import WorkCalendar
from ..directory.queries import get_region_by_code, region_choices
from ..extensions import db
from . import policy, queries, unified, visiting
from .forms import (
    SESSION_STATUS_LABELS,
    AddMissingSessionsForm,
    UnifiedDayForm,
    UnifiedSessionForm,
    VisitingFilterForm,
    VisitingForm,
)
from .models import AttendanceFormat, formats_of
from .views import _or_404, _save, _scope, manage

bp = Blueprint("events", __name__)

manage_days = require(Permission.UNIFIED_DAY_MANAGE)
PROBLEM_LABELS = {
    "no_head": _l("No active head is recorded: add the head in the directory."),
    "no_venue": _l("No active reception office or hall: add a venue in the directory."),
}


@bp.app_template_filter("local_hours")
def local_hours(session) -> str:
    """A session's date and local hours with the zone named, e.g. for the public pages and the e-mails."""
    return visiting.format_hours(session.starts_at, session.ends_at, session.timezone)


@bp.context_processor
def _labels():
    return {"session_status_labels": SESSION_STATUS_LABELS, "problem_labels": PROBLEM_LABELS,
            "booking_state": policy.booking_state, "now": utcnow()}


def _calendar() -> WorkCalendar:
    return WorkCalendar.from_config(current_app.config)


# --- public: unified reception days ------------------------------------------------------------------

@bp.get("/unified-days/", endpoint="unified_days")
def unified_days():
    return render_template("public/unified_days.html", rows=queries.list_unified_days(local_today()))


@bp.get("/unified-days/<local_date>", endpoint="unified_day")
def unified_day(local_date: str):
    try:
        day_date = date.fromisoformat(local_date)
    except ValueError:
        abort(404)
    day = _or_404(queries.get_unified_day_on(day_date))
    return render_template("public/unified_day.html", day=day, groups=queries.public_unified_day(day))


# --- public: visiting receptions -------------------------------------------------------------------

@bp.get("/visiting/", endpoint="visiting_list")
def visiting_list():
    form = VisitingFilterForm(request.args)
    form.region.choices = [("", str(_l("Any")))] + queries.region_choices_by_code()
    valid = form.validate() if request.args else True
    region = get_region_by_code(form.region.data) if valid and form.region.data else None
    visits = queries.list_upcoming_visiting(utcnow(), region.id if region else None) if valid else []
    return render_template("public/visiting_list.html", form=form, visits=visits, region=region), \
        200 if valid else 422


@bp.get("/visiting/<int:visiting_id>", endpoint="visiting")
def visiting_page(visiting_id: int):
    visit = _or_404(queries.get_visiting(visiting_id))
    other_region = (current_user.is_authenticated and current_user.has_role(Role.CITIZEN)
                    and current_user.region_id != visit.region_id)
    return render_template("public/visiting.html", visit=visit, other_region=other_region)


# --- the body's staff: unified-day sessions ----------------------------------------------------------

@bp.get("/staff/unified-days/", endpoint="unified_sessions")
@manage
def unified_sessions():
    sessions = queries.list_unified_sessions(_scope(), local_today())
    return render_template("schedule/unified_sessions.html", sessions=sessions,
                           can_edit=lambda s: policy.can_edit_unified_session(current_user, s))


@bp.route("/staff/unified-days/sessions/<int:unified_session_id>", methods=["GET", "POST"],
          endpoint="unified_session_edit")
@manage
def unified_session_edit(unified_session_id: int):
    session = _or_404(queries.get_unified_session(unified_session_id))
    if not policy.can_manage_session(current_user, session):
        abort(403)
    editable = policy.can_edit_unified_session(current_user, session)
    form = UnifiedSessionForm()
    if request.method == "GET":
        form.start_time.data = to_local(session.starts_at, session.timezone).time()
        form.end_time.data = to_local(session.ends_at, session.timezone).time()
        slots = session.slots
        if slots:
            form.slot_minutes.data = int((slots[0].ends_at - slots[0].starts_at).total_seconds() // 60)
        form.formats.data = [f.value for f in AttendanceFormat if f in formats_of(session)]
    publish = "publish" in request.form
    return _save(form, "schedule/unified_session_form.html",
                 lambda: unified.update_unified_session(
                     current_user, session, start_time=form.start_time.data, end_time=form.end_time.data,
                     slot_minutes=form.slot_minutes.data, formats=form.formats.data, publish=publish, now=utcnow()),
                 conflict_message=_l("The session could not be saved. Try again."),
                 done_message=_l("The session is published: citizens can see it and book.") if publish
                 else _l("The session has been saved. Publish it when the hours are final."),
                 next_url=url_for("events.unified_sessions"), session=session, editable=editable)


# --- the body's staff: visiting receptions --------------------------------------------------------

@bp.get("/staff/visiting/", endpoint="visiting_staff")
@manage
def visiting_staff():
    since = utcnow() - timedelta(days=30)
    return render_template("schedule/visiting_staff.html", visits=queries.list_visiting_for_staff(_scope(), since))


def _attach_visiting_error(form: VisitingForm, exc: DomainError) -> None:
    """Errors about the i-th given date (``dates-<i>``) go next to the field that held it."""
    if exc.field and exc.field.startswith("dates-"):
        filled = form.filled_date_fields()
        index = int(exc.field.split("-", 1)[1])
        target = filled[index] if index < len(filled) else form.date_1
        target.errors = list(target.errors) + [str(exc.message)]
    else:
        attach_error(form, exc)


@bp.route("/staff/visiting/new", methods=["GET", "POST"], endpoint="visiting_new")
@manage
def visiting_new():
    scope = _scope()
    form = VisitingForm()
    form.official_id.choices = queries.official_choices(scope)
    form.region_id.choices = region_choices(blank_label="—")
    form.venue_id.choices = [(0, "—")] + queries.visiting_venue_choices()
    if request.method == "GET" and len(form.official_id.choices) == 1:
        form.official_id.data = form.official_id.choices[0][0]
    template = "schedule/visiting_form.html"
    if form.validate_on_submit():
        try:
            visit = visiting.announce_visiting(current_user, visiting.VisitingData(
                official_id=form.official_id.data, region_id=form.region_id.data, venue_id=form.venue_id.data,
                dates=[f.data for f in form.filled_date_fields()], start_time=form.start_time.data,
                end_time=form.end_time.data, slot_minutes=form.slot_minutes.data,
                formats=frozenset(AttendanceFormat(f) for f in form.formats.data or []), note=form.note.data),
                now=utcnow(), calendar=_calendar())
            commit(_l("The visiting reception could not be saved. Try again."))
        except NotAllowed:
            raise
        except DomainError as exc:
            db.session.rollback()
            _attach_visiting_error(form, exc)
            return render_form(template, form, exc.status)
        flash(_l("The visiting reception has been announced; citizens of the region who asked have been notified."),
              "success")
        return redirect(url_for("events.visiting", visiting_id=visit.id))
    return render_form(template, form)


# --- administrators: announcing and following unified days ------------------------------------------

@bp.get("/admin/unified-days/", endpoint="unified_days_admin")
@manage_days
def unified_days_admin():
    return render_template("schedule/unified_days_admin.html", rows=queries.list_unified_days(), today=local_today())


def _announced_message(result: unified.Announcement) -> str:
    created = ngettext("%(num)d session was created.", "%(num)d sessions were created.", len(result.created))
    if result.is_new:
        head = str(_l("The unified reception day has been announced."))
    else:
        head = str(_l("This date was already announced: its coverage was widened and only missing sessions "
                      "were added."))
    tail = ngettext("%(num)d body could not be served: see the list.", "%(num)d bodies could not be served: "
                    "see the list.", len(result.problems)) if result.problems else ""
    return " ".join(part for part in (head, created, tail) if part)


@bp.route("/admin/unified-days/new", methods=["GET", "POST"], endpoint="unified_day_new")
@manage_days
def unified_day_new():
    form = UnifiedDayForm()
    form.region_ids.choices = region_choices()
    template = "schedule/unified_day_form.html"
    if form.validate_on_submit():
        try:
            result = unified.announce_unified_day(current_user, unified.UnifiedDayData(
                local_date=form.local_date.data, levels=form.levels.data or [],
                region_ids=form.region_ids.data or [], start_time=form.start_time.data,
                end_time=form.end_time.data, slot_minutes=form.slot_minutes.data, note=form.note.data),
                now=utcnow(), calendar=_calendar())
            commit(_l("This date has just been announced by someone else. Open it from the list."))
        except NotAllowed:
            raise
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status)
        flash(_announced_message(result), "success")
        return redirect(url_for("events.unified_day_admin", unified_day_id=result.day.id))
    return render_form(template, form)


@bp.route("/admin/unified-days/<int:unified_day_id>", methods=["GET", "POST"], endpoint="unified_day_admin")
@manage_days
def unified_day_admin(unified_day_id: int):
    day = _or_404(queries.get_unified_day(unified_day_id))
    coverage = queries.unified_day_coverage(day)
    counts = queries.coverage_counts(coverage)
    form = AddMissingSessionsForm()
    can_add = day.local_date > local_today()
    template = "schedule/unified_day_admin.html"

    def context():
        return {"day": day, "coverage": coverage, "counts": counts, "can_add": can_add}

    if request.method == "GET":
        form.expected_count.data = str(counts.missing)
    if form.validate_on_submit():
        if int(form.expected_count.data) != counts.missing:
            form.expected_count.data = str(counts.missing)
            form.form_errors.append(str(_l("The number of sessions to add has changed since the page was opened. "
                                           "Check it and confirm again.")))
            return render_form(template, form, 409, **context())
        try:
            result = unified.add_missing_sessions(current_user, day, now=utcnow())
            commit(_l("Someone else has just added these sessions. Reload the page."))
        except NotAllowed:
            raise
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, **context())
        flash(ngettext("%(num)d session was created.", "%(num)d sessions were created.", len(result.created)),
              "success")
        return redirect(url_for("events.unified_day_admin", unified_day_id=day.id))
    if form.expected_count.errors:
        form.form_errors.append(str(form.expected_count.errors[0]))
    return render_form(template, form, **context())
