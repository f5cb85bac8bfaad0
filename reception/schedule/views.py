"""Staff pages of reception time: schedules, upcoming sessions, one-off sessions, cancelling and moving."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.clock import local_today, utcnow
from ..core.errors import DomainError, NotAllowed
from ..core.permissions import Permission, require_any
from ..core.timeutil import to_local
from ..core.web import attach_error, commit, render_form
from ..directory.models import Official, Venue
from ..directory.queries import topic_choices
from ..extensions import db
from . import policy, queries, services
from .forms import SESSION_STATUS_LABELS, CancelSessionForm, MoveSessionForm, ScheduleForm, SessionForm
from .models import AttendanceFormat, BookingMode

bp = Blueprint("schedule", __name__, url_prefix="/staff/schedule")

manage = require_any(Permission.SCHEDULE_MANAGE, Permission.SCHEDULE_MANAGE_OWN)
SESSIONS_DAYS = 60


@bp.context_processor
def _labels():
    return {"session_status_labels": SESSION_STATUS_LABELS}


def _or_404(obj):
    if obj is None:
        abort(404)
    return obj


def _scope():
    scope = policy.schedule_scope(current_user)
    if scope is not None and not scope:
        abort(403)
    return scope


def _save(form, template: str, change, *, conflict_message, done_message, next_url, **context):
    """Validate ``form``, run ``change()`` and commit; a domain error shows on the form and nothing is written.

    NotAllowed is not a form problem: it goes to the error handler (403).
    """
    if form.validate_on_submit():
        try:
            result = change()
            commit(conflict_message)
        except NotAllowed:
            raise
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, **context)
        flash(done_message(result) if callable(done_message) else done_message, "success")
        return redirect(next_url)
    return render_form(template, form, **context)


def _hours(form) -> services.SessionHours:
    return services.SessionHours(
        start_time=form.start_time.data, end_time=form.end_time.data, slot_minutes=form.slot_minutes.data,
        formats=frozenset(AttendanceFormat(f) for f in form.formats.data or []),
        booking_mode=BookingMode(form.booking_mode.data), opens_days_ahead=form.opens_days_ahead.data,
        closes_hours_before=form.closes_hours_before.data, single_video_room=bool(form.single_video_room.data))


def _fill_choices(form, scope) -> None:
    form.official_id.choices = queries.official_choices(scope)
    form.venue_id.choices = queries.venue_choices(scope)
    if request.method == "GET":
        if len(form.official_id.choices) == 1:
            form.official_id.data = form.official_id.choices[0][0]
        if len(form.venue_id.choices) == 1:
            form.venue_id.data = form.venue_id.choices[0][0]


# --- schedules ---------------------------------------------------------------------------------

@bp.get("/", endpoint="schedules")
@manage
def list_schedules():
    return render_template("schedule/schedules.html", schedules=queries.list_schedules(_scope()))


@bp.route("/new", methods=["GET", "POST"], endpoint="schedule_new")
@manage
def new_schedule():
    scope = _scope()
    form = ScheduleForm()
    _fill_choices(form, scope)
    form.topic_ids.choices = topic_choices()
    if request.method == "GET" and form.starts_on.data is None:
        form.starts_on.data = local_today(current_user.timezone)

    def change():
        schedule = services.create_schedule(current_user, services.ScheduleData(
            official_id=form.official_id.data, venue_id=form.venue_id.data, rrule=form.rrule_text(),
            starts_on=form.starts_on.data, until_on=form.until_on.data, hours=_hours(form),
            topic_ids=form.topic_ids.data or []))
        return services.generate_sessions(schedule, local_today(schedule.venue.region.timezone))

    return _save(form, "schedule/schedule_form.html", change,
                 conflict_message=_l("The schedule could not be saved. Try again."),
                 done_message=lambda created: _l("The schedule has been saved; %(n)d sessions were planned.",
                                                 n=len(created)),
                 next_url=url_for("schedule.sessions"))


# --- sessions ----------------------------------------------------------------------------------

@bp.get("/sessions", endpoint="sessions")
@manage
def list_sessions():
    # From the start of today (UTC) so that today's sessions stay visible while they run.
    start = datetime.combine(utcnow().date(), time(), tzinfo=UTC) - timedelta(hours=12)
    rows = queries.list_sessions(_scope(), start, SESSIONS_DAYS)
    return render_template("schedule/sessions.html", rows=rows, days=SESSIONS_DAYS)


@bp.route("/sessions/new", methods=["GET", "POST"], endpoint="session_new")
@manage
def new_session():
    scope = _scope()
    form = SessionForm()
    _fill_choices(form, scope)

    def change():
        return services.add_one_off_session(
            current_user, db.session.get(Official, form.official_id.data), db.session.get(Venue, form.venue_id.data),
            form.local_date.data, _hours(form))

    return _save(form, "schedule/session_form.html", change,
                 conflict_message=_l("The session could not be saved. Try again."),
                 done_message=_l("The session has been added."), next_url=url_for("schedule.sessions"))


def _managed_session(session_id: int):
    session = _or_404(queries.get_session(session_id))
    if not policy.can_manage_session(current_user, session):
        abort(403)
    return session


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"], endpoint="session_cancel")
@manage
def cancel_session(session_id: int):
    session = _managed_session(session_id)
    form = CancelSessionForm()
    to_notify = services.count_citizens_to_notify(session)
    template, context = "schedule/session_cancel.html", {"session": session, "to_notify": to_notify}
    if request.method == "GET":
        form.expected_count.data = str(to_notify)
    if form.validate_on_submit():
        if int(form.expected_count.data) != to_notify:
            form.expected_count.data = str(to_notify)
            form.form_errors.append(str(_l("The number of citizens to notify has changed since the page was "
                                           "opened. Check it and confirm again.")))
            return render_form(template, form, 409, **context)
        try:
            notified = services.cancel_session(current_user, session, form.reason.data)
            commit(_l("The session could not be cancelled. Try again."))
        except NotAllowed:
            raise
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, **context)
        flash(_l("The session has been cancelled; %(n)d citizens will be notified.", n=notified), "success")
        return redirect(url_for("schedule.sessions"))
    if form.expected_count.errors:
        form.form_errors.append(str(form.expected_count.errors[0]))
    return render_form(template, form, **context)


@bp.route("/sessions/<int:session_id>/move", methods=["GET", "POST"], endpoint="session_move")
@manage
def move_session(session_id: int):
    session = _managed_session(session_id)
    form = MoveSessionForm()
    if request.method == "GET":
        tz = session.timezone
        form.local_date.data = session.local_date
        form.start_time.data = to_local(session.starts_at, tz).time()
        form.end_time.data = to_local(session.ends_at, tz).time()
    return _save(form, "schedule/session_move.html",
                 lambda: services.move_session(current_user, session, form.local_date.data, form.start_time.data,
                                               form.end_time.data, form.reason.data),
                 conflict_message=_l("The session could not be moved. Try again."),
                 done_message=_l("The session has been moved."), next_url=url_for("schedule.sessions"),
                 session=session, to_notify=services.count_citizens_to_notify(session))
