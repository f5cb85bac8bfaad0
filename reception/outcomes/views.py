"""Pages of outcomes and follow-up: recording an outcome question by question with instructions, the
responsible body's reports, the official's side's checks and contacts, the follow-up lists, the citizen's
rating and citizens' reports of refused bookings (read by monitors)."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..audit.services import record_view
from ..booking.models import Appointment
from ..booking.policy import is_officials_side
from ..booking.views import citizen_required
from ..core.clock import local_today, utcnow
from ..core.errors import DomainError
from ..core.permissions import Permission, require, require_any
from ..core.web import attach_error, commit, id_arg, render_form
from ..directory.models import Body, Official
from ..directory.queries import get, topic_choices
from ..extensions import db
from . import services
from .forms import (
    CONTACT_CHANNEL_LABELS,
    AccessReportForm,
    ContactForm,
    ExtendForm,
    OutcomeForm,
    RatingForm,
    ReportForm,
    ReviewForm,
    SolvedForm,
    VerdictForm,
)
from .models import AccessReport, AccessReportKind, AnswerChannel, ContactChannel, Instruction, InstructionStatus

bp = Blueprint("outcomes", __name__)

# --- helpers for partials (the talon, the day board) -----------------------------------------------

@bp.app_template_filter("due_date")
def due_date(value) -> str:
    """A date in the reader's language, e.g. "3 March 2026"."""
    return format_date(value, "long") if value else "—"


@bp.app_template_global()
def outcome_of(appointment):
    """The appointment's outcome, or None (for templates/outcomes/_*.html)."""
    return services.get_outcome(appointment.id) if appointment is not None and appointment.id else None


@bp.app_template_global()
def outcomes_of(appointments) -> dict:
    """The outcomes of a list's appointments by appointment id (absent: none recorded), in one go."""
    return services.outcomes_by_appointment(a.id for a in appointments)


@bp.app_template_global()
def rating_of(appointment):
    return services.get_rating(appointment.id) if appointment is not None and appointment.id else None


@bp.app_template_global()
def new_rating_form():
    return RatingForm(formdata=None)


@bp.app_template_global()
def solved_checks_of(appointment) -> dict:
    """The "is your problem solved?" checks of the appointment's questions, by question id (one query)."""
    return services.solved_checks_by_question(appointment.id) if appointment is not None and appointment.id else {}


@bp.app_template_global()
def solved_check_for(question):
    """The question's "is your problem solved?" check, or None (not asked yet)."""
    return services.get_solved_check(question.outcome.appointment_id, question.id)


@bp.app_template_global()
def instruction_is_overdue(instruction) -> bool:
    return services.is_overdue(instruction, local_today(instruction.body.timezone))


# --- the official's side: the outcome ----------------------------------------------------------

def _reception_for_staff(reception_id: int) -> Appointment:
    appointment = get(Appointment, reception_id)
    if appointment is None:
        abort(404)
    if not is_officials_side(current_user, appointment, Permission.OUTCOME_RECORD):
        abort(403)
    return appointment


def _outcome_form(appointment, outcome) -> OutcomeForm:
    data = {}
    if request.method == "GET":  # a POST reads the request instead
        if outcome is None:  # the first question as the citizen put it when booking
            data = dict(questions=[dict(topic_id=appointment.topic_id, wording=appointment.summary)])
        else:
            data = dict(notes=outcome.notes, seen=outcome.updated_at.isoformat(), questions=[
                dict(id=q.id, topic_id=q.topic_id, wording=q.wording, result=q.result.value,
                     grounds=q.grounds or "", body_id=q.body_id or 0) for q in outcome.questions])
    form = OutcomeForm(data=data)
    form.set_choices(topic_choices(), services.active_bodies())
    return form


def _outcome_page(appointment, form, outcome, status=None):
    return render_form("outcomes/record.html", form, status, appointment=appointment, outcome=outcome,
                       recorded={q.id: q for q in outcome.questions} if outcome else {},
                       recordable=appointment.status in services.RECORDABLE,
                       appeal_types=services.APPEAL_TYPE_LABELS,
                       terms=services.followup_terms(current_app.config))


def _show_errors(form, exc: DomainError) -> None:
    for field, message in getattr(exc, "problems", None) or [(exc.field, exc.message)]:
        form.show_error(field, str(message))


@bp.route("/staff/appointments/<int:reception_id>/outcome", methods=["GET", "POST"])
@login_required
def record(reception_id: int):
    """Record or edit the outcome of a reception: its questions, each with its result and new instructions."""
    appointment = _reception_for_staff(reception_id)
    outcome = services.get_outcome(appointment.id)
    form = _outcome_form(appointment, outcome)
    if form.is_submitted() and form.row_requested():
        if form.validate_on_submit():  # a damaged form is refused, not given one more row
            form.add_row(appointment.topic_id)
            form.set_choices(topic_choices(), services.active_bodies())  # the new row's choices
        return _outcome_page(appointment, form, outcome)
    if not form.validate_on_submit():
        if request.method == "GET":
            record_view("appointment", appointment.id, "outcome")
            db.session.commit()
        return _outcome_page(appointment, form, outcome)
    try:
        seen = datetime.fromisoformat(form.seen.data) if form.seen.data else None
    except ValueError:
        abort(400)  # a damaged hidden field
    try:
        services.record_outcome(current_user, appointment, [row.to_data() for row in form.rows()],
                                form.notes.data, seen, utcnow(), current_app.config)
        commit(services.MSG_STALE)
    except DomainError as exc:
        db.session.rollback()
        appointment = get(Appointment, reception_id)
        outcome = services.get_outcome(appointment.id)
        _show_errors(form, exc)
        return _outcome_page(appointment, form, outcome, exc.status)
    flash(_l("The outcome has been saved. The citizen has been told.") if outcome is None
          else _l("The changes have been saved."), "success")
    return redirect(url_for("outcomes.record", reception_id=appointment.id))


# --- instructions -------------------------------------------------------------------------------

def _instruction(instruction_id: int) -> Instruction:
    instruction = get(Instruction, instruction_id)
    if instruction is None:
        abort(404)
    if not services.can_view_instruction(current_user, instruction):
        abort(403)
    return instruction


def _officials_instruction(instruction_id: int) -> Instruction:
    instruction = get(Instruction, instruction_id)
    if instruction is None:
        abort(404)
    if not is_officials_side(current_user, instruction.outcome.appointment, Permission.OUTCOME_RECORD):
        abort(403)
    return instruction


def _instruction_page(template, instruction, form, status=None, **context):
    if request.method == "GET":  # these pages show the citizen's name and phone
        record_view("instruction", instruction.id, template.rsplit("/", 1)[-1].removesuffix(".html"))
        db.session.commit()
    today = local_today(instruction.body.timezone)
    return render_form(template, form, status, instruction=instruction, appointment=instruction.outcome.appointment,
                       today=today, overdue=services.is_overdue(instruction, today),
                       is_body=services.is_responsible_body(current_user, instruction),
                       is_officials_side=is_officials_side(current_user, instruction.outcome.appointment,
                                                           Permission.OUTCOME_RECORD),
                       appeal_types=services.APPEAL_TYPE_LABELS, channel_labels=CONTACT_CHANNEL_LABELS, **context)


@bp.route("/staff/instructions/<int:instruction_id>", methods=["GET", "POST"])
@login_required
def instruction(instruction_id: int):
    """An instruction with its reports; the responsible body reports here what it did."""
    instruction = _instruction(instruction_id)
    form = ReportForm()
    if request.method == "POST" and not services.is_responsible_body(current_user, instruction):
        abort(403)
    if request.method == "GET":
        form.seen_status.data = instruction.status.value
    if not form.validate_on_submit():
        return _instruction_page("outcomes/instruction.html", instruction, form)
    try:
        services.report_instruction(current_user, instruction, form.text.data,
                                     InstructionStatus(form.seen_status.data), utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        instruction = _instruction(instruction_id)
        attach_error(form, exc)
        return _instruction_page("outcomes/instruction.html", instruction, form, exc.status)
    flash(_l("Your report has been sent. The reception's staff will check it."), "success")
    return redirect(url_for("outcomes.instruction", instruction_id=instruction.id))


@bp.route("/staff/instructions/<int:instruction_id>/verdict", methods=["GET", "POST"])
@login_required
def verdict(instruction_id: int):
    """The official's side accepts the body's latest report or returns it with a note."""
    instruction = _officials_instruction(instruction_id)
    form = VerdictForm()
    latest = instruction.reports[-1] if instruction.reports else None
    if request.method == "GET" and latest is not None:
        form.report_id.data = str(latest.id)
    if not form.validate_on_submit():
        return _instruction_page("outcomes/verdict.html", instruction, form, latest=latest)
    try:
        services.judge_report(current_user, instruction, int(form.report_id.data), form.verdict.data == "accepted",
                              form.note.data, utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        instruction = _officials_instruction(instruction_id)
        attach_error(form, exc)
        return _instruction_page("outcomes/verdict.html", instruction, form, exc.status,
                                 latest=instruction.reports[-1] if instruction.reports else None)
    flash(_l("The instruction is done.") if form.verdict.data == "accepted"
          else _l("The report has been returned to the body."), "success")
    return redirect(url_for("outcomes.instruction", instruction_id=instruction.id))


@bp.route("/staff/instructions/<int:instruction_id>/contacts", methods=["GET", "POST"])
@login_required
def contact(instruction_id: int):
    """Log a contact with the citizen to double-check what the body reports."""
    instruction = _officials_instruction(instruction_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _instruction_page("outcomes/contact.html", instruction, form)
    confirmed = {"yes": True, "no": False}.get(form.confirmed.data)
    services.log_contact(current_user, instruction, ContactChannel(form.channel.data), confirmed, form.note.data,
                         utcnow())
    db.session.commit()
    flash(_l("The contact has been logged."), "success")
    return redirect(url_for("outcomes.instruction", instruction_id=instruction.id))


@bp.route("/staff/instructions/<int:instruction_id>/extend", methods=["GET", "POST"])
@login_required
def extend(instruction_id: int):
    """Extend an instruction's deadline by a reasoned decision (at most two months after it was given)."""
    instruction = _officials_instruction(instruction_id)
    form = ExtendForm()
    if request.method == "GET":
        form.seen_due_on.data = instruction.due_on.isoformat()
    latest = services.latest_extension_on(instruction)
    if not form.validate_on_submit():
        return _instruction_page("outcomes/extend.html", instruction, form, latest=latest)
    try:
        services.extend_instruction(current_user, instruction, form.due_on.data, form.reason.data,
                                    date.fromisoformat(form.seen_due_on.data), utcnow())
        db.session.commit()
    except ValueError:
        abort(400)
    except DomainError as exc:
        db.session.rollback()
        instruction = _officials_instruction(instruction_id)
        attach_error(form, exc)
        return _instruction_page("outcomes/extend.html", instruction, form, exc.status, latest=latest)
    flash(_l("The deadline has been extended. The citizen has been told."), "success")
    return redirect(url_for("outcomes.instruction", instruction_id=instruction.id))


@bp.get("/staff/instructions/")
@require(Permission.INSTRUCTION_REPORT_OWN)
def instructions():
    """The instructions given to the user's body: open first, overdue flagged."""
    today = local_today(current_user.timezone)
    rows = services.list_body_instructions(current_user, today)
    record_view("instruction", None, "instructions of the body")
    page = render_template("outcomes/instructions.html", instructions=rows, today=today,
                           title=_l("Instructions to your body"))
    db.session.commit()  # after rendering: the commit expires what the list loaded
    return page


@bp.get("/staff/follow-ups/")
@require_any(Permission.OUTCOME_RECORD, Permission.OUTCOME_RECORD_OWN)
def follow_ups():
    """Open and reported instructions from the receptions of the user's side, overdue first."""
    today = local_today(current_user.timezone)
    rows = services.list_follow_ups(current_user, today)
    record_view("instruction", None, "follow-ups")
    page = render_template("outcomes/instructions.html", instructions=rows, today=today,
                           title=_l("Follow-ups of your receptions"), follow_ups=True,
                           unsolved=services.list_unsolved(current_user))
    db.session.commit()  # after rendering: the commit expires what the list loaded
    return page


# --- the citizen -------------------------------------------------------------------------------

def _own_reception(reception_id: int) -> Appointment:
    appointment = get(Appointment, reception_id)
    if appointment is None or appointment.citizen_id != current_user.id:
        abort(404)
    return appointment


@bp.route("/my/appointments/<int:reception_id>/rating", methods=["GET", "POST"])
@citizen_required
def rate(reception_id: int):
    """The citizen rates their held reception, once."""
    appointment = _own_reception(reception_id)
    form = RatingForm()
    if not form.validate_on_submit():
        return render_form("outcomes/rate.html", form, appointment=appointment,
                           rating=services.get_rating(appointment.id))
    try:
        services.rate_reception(current_user, appointment, form.score.data, form.comment.data, utcnow())
        commit(_l("You have already rated this reception. Thank you."))
    except DomainError as exc:
        db.session.rollback()
        appointment = _own_reception(reception_id)
        attach_error(form, exc)
        return render_form("outcomes/rate.html", form, exc.status, appointment=appointment,
                           rating=services.get_rating(appointment.id))
    flash(_l("Thank you for your mark."), "success")
    return redirect(url_for("booking.appointment", appointment_id=appointment.id))


@bp.post("/my/appointments/<int:reception_id>/solved")
@citizen_required
def answer_solved(reception_id: int):
    """The citizen answers whether the problem of one question is solved: yes, or no (a follow-up task for
    the reception's staff). Once: a second answer is refused (409) and changes nothing."""
    appointment = _own_reception(reception_id)
    form = SolvedForm()
    if not form.validate_on_submit():
        return render_form("outcomes/solved.html", form, 422, appointment=appointment)
    check = services.get_solved_check(appointment.id, form.question_id.data)
    if check is None:
        abort(404)
    try:
        services.answer_solved(current_user, check, form.answer.data == "yes", AnswerChannel.PAGE, utcnow())
        commit(services.MSG_ANSWERED)
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return render_form("outcomes/solved.html", form, exc.status, appointment=_own_reception(reception_id))
    flash(_l("Thank you: we are glad the problem is solved.") if form.answer.data == "yes"
          else _l("Thank you. The reception office will call you back and check what the body did."), "success")
    return redirect(url_for("booking.appointment", appointment_id=appointment.id))


def _access_report_form() -> AccessReportForm:
    form = AccessReportForm()
    bodies = services.active_bodies()
    form.body_id.choices = [(0, "—")] + [(b.id, b.name) for b in bodies]
    officials = db.session.scalars(select(Official).join(Official.body).where(Body.is_active)
                                   .order_by(Official.full_name)).all()
    form.official_id.choices = [(0, "—")] + [(o.id, f"{o.full_name}, {o.body.name}") for o in officials]
    return form


@bp.get("/my/reports/")
@citizen_required
def my_reports():
    """The citizen's own reports of refused bookings."""
    return render_template("outcomes/my_reports.html", reports=services.list_own_access_reports(current_user))


@bp.route("/my/reports/new", methods=["GET", "POST"])
@citizen_required
def report_new():
    """Report being refused a booking, or finding no reception time for months."""
    form = _access_report_form()
    if not form.validate_on_submit():
        return render_form("outcomes/report_new.html", form)
    try:
        services.report_access(current_user, form.body_id.data, form.official_id.data or None,
                               AccessReportKind(form.kind.data), form.text.data, utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return render_form("outcomes/report_new.html", form, exc.status)
    flash(_l("Thank you. Your report has been sent to the monitoring staff."), "success")
    return redirect(url_for("outcomes.my_reports"))


# --- monitors ----------------------------------------------------------------------------------

@bp.get("/monitor/reports/")
@require(Permission.ACCESS_REPORT_VIEW)
def monitor_reports():
    """Citizens' reports of refused bookings, not yet reviewed first; filter by body."""
    body_id = id_arg("body_id")
    reports = services.list_access_reports(body_id)
    record_view("access_report", None, "citizens' reports", body_id=body_id)
    db.session.commit()
    return render_template("outcomes/monitor_reports.html", reports=reports, bodies=services.active_bodies(),
                           body_id=body_id)


@bp.route("/monitor/reports/<int:report_id>", methods=["GET", "POST"])
@require(Permission.ACCESS_REPORT_VIEW)
def monitor_report(report_id: int):
    """One citizen's report; the monitor marks it reviewed (the page answers in place)."""
    report = get(AccessReport, report_id)
    if report is None:
        abort(404)
    form = ReviewForm()
    status, done = None, False
    if form.validate_on_submit():
        try:
            services.review_access_report(current_user, report, utcnow())
            db.session.commit()
            done = True
        except DomainError as exc:
            db.session.rollback()
            report = get(AccessReport, report_id)
            attach_error(form, exc)
            status = exc.status
    elif request.method == "GET":
        record_view("access_report", report.id, "citizen's report")
        db.session.commit()
    return render_form("outcomes/monitor_report.html", form, status, report=report, done=done)


