"""Pages of the reception itself: a body's invitations and answers, inviting bodies, the day board's
buttons, the official's printable case brief, and the day board itself (``staff.day``: it joins the
staff pages' blueprint of reception.booking, keeping its address and name)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..audit.services import record_view, record_views
from ..booking.models import Appointment
from ..booking.staff import bp as staff_bp
from ..booking.staff import managed_appointment
from ..core.clock import local_today, utcnow
from ..core.errors import DomainError, Invalid, NotAllowed
from ..core.permissions import Permission, require, require_any
from ..core.web import attach_error, commit, render_form
from ..directory.queries import get
from ..extensions import db
from ..schedule.models import FORMAT_LABELS, ReceptionSession
from . import queries, services
from .forms import BoardStepForm, InvitationResponseForm, SessionStatusForm, invite_body_form

bp = Blueprint("hearings", __name__)


@bp.app_template_global()
def body_invitations(appointment) -> list:
    """For the participants page (reception.booking): the bodies invited to ``appointment``, with their answers."""
    return queries.invitations_by_appointment([appointment.id]).get(appointment.id, [])


@bp.app_template_global("invite_body_form")
def _invite_body_form(appointment):
    """For the participants page: the form inviting another body."""
    return invite_body_form(appointment)


# --- the day board -----------------------------------------------------------------------------

def _parse_day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(404)


@staff_bp.get("/staff/day/")
@require_any(Permission.APPOINTMENT_VIEW, Permission.APPOINTMENT_VIEW_OWN)
def day():
    """The day board: the day's sessions in the user's scope, each with its appointments in order,
    who takes part and which bodies confirmed, the citizen's earlier appointments, and the buttons
    to run the reception (check in, no-show, start, finish; the session held or not held)."""
    today = local_today(current_user.timezone)
    day = _parse_day(request.args.get("date"), today)
    now = utcnow()
    sessions = queries.board(queries.appointment_scope(current_user), day, now)
    # The board shows these sessions' citizens' personal data.
    record_views("session", [item.session.id for item in sessions if item.rows], "day board")
    # Render, then commit: the commit expires what the board loaded, and the page would load it again per row.
    page = render_template("staff/day.html", sessions=sessions, day=day, today=today, now=now,
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                           format_labels=FORMAT_LABELS, appointments=queries.shown_appointments(sessions),
                           can_run={item.session.id: services.can_run_board(current_user, item.session.official)
                                    for item in sessions})
    db.session.commit()
    return page




def _back_to_board(appointment_or_session):
    session = getattr(appointment_or_session, "session", None) or appointment_or_session
    target = request.form.get("next", "")
    if target == "participants" and isinstance(appointment_or_session, Appointment):
        return redirect(url_for("staff.participants", appointment_id=appointment_or_session.id))
    return redirect(url_for("staff.day", date=session.local_date.isoformat()) + f"#session-{session.id}")


# --- a body's invitations -------------------------------------------------------------------------

@bp.get("/staff/invitations/")
@require(Permission.INVITATION_RESPOND_OWN)
def invitations():
    """The representative's body's invitations, upcoming first, answered or not."""
    now = utcnow()
    items = queries.list_body_invitations(current_user, now)
    if items:
        record_view("appointment", None, "body invitations", appointments=[i.appointment_id for i in items])
    # Render, then commit: the commit expires what the page loaded.
    page = render_template("hearings/invitations.html", invitations=items, now=now, format_labels=FORMAT_LABELS,
                           answerable={i.id: services.is_answerable(i, now) for i in items})
    db.session.commit()
    return page


def _response_form(invitation) -> InvitationResponseForm:
    form = InvitationResponseForm()
    reps = services.body_representatives(invitation.body_id)
    form.attendee_id.choices = [(u.id, u.full_name) for u in reps]
    if not form.is_submitted():
        default = invitation.attendee_id or (current_user.id if any(u.id == current_user.id for u in reps) else None)
        if default:
            form.attendee_id.data = default
        if invitation.status.value in ("accepted", "declined"):
            form.answer.data = "accept" if invitation.status.value == "accepted" else "decline"
            form.reason.data = invitation.reason
    return form


def _respond_page(invitation, form, status=None):
    now = utcnow()
    return render_form("hearings/respond.html", form, status, invitation=invitation,
                       appointment=invitation.appointment, answerable=services.is_answerable(invitation, now),
                       format_labels=FORMAT_LABELS)


@bp.route("/staff/invitations/<int:invitation_id>", methods=["GET", "POST"])
@require(Permission.INVITATION_RESPOND_OWN)
def invitation_respond(invitation_id: int):
    """Accept naming who attends, or decline with a reason."""
    invitation = services.get_invitation(invitation_id)
    if not services.can_respond(current_user, invitation):
        raise NotAllowed(services.MSG_NOT_THEIRS)
    form = _response_form(invitation)
    if not form.validate_on_submit():
        if request.method == "GET":
            record_view("appointment", invitation.appointment_id, "body invitation")
        page = _respond_page(invitation, form)
        db.session.commit()
        return page
    try:
        services.respond_to_invitation(current_user, invitation, form.answer.data == "accept",
                                       form.attendee_id.data, form.reason.data, utcnow())
        commit(_l("This invitation has just been answered. Reload the page and try again."))
    except DomainError as exc:
        db.session.rollback()
        if exc.field is None:
            raise
        invitation = services.get_invitation(invitation_id)
        form = _response_form(invitation)
        attach_error(form, exc)
        return _respond_page(invitation, form, exc.status)
    flash(_l("Thank you. Your answer has been saved.") if form.answer.data == "accept"
          else _l("Your answer has been saved: your body will not attend."), "success")
    return redirect(url_for("hearings.invitations"))


# --- the official's side invites or withdraws bodies -----------------------------------------------

@bp.post("/staff/appointments/<int:appointment_id>/invitations")
@login_required
def invite_body(appointment_id: int):
    appointment = managed_appointment(appointment_id)
    form = invite_body_form(appointment)
    if not form.validate_on_submit():
        raise Invalid(" ".join(str(e) for field in form for e in field.errors) or _l("Choose a body."))
    services.invite_body(current_user, appointment, form.body_id.data, form.required.data, utcnow())
    commit(_l("This body is already invited."))
    flash(_l("The body has been invited. Its representatives have been told."), "success")
    return redirect(url_for("staff.participants", appointment_id=appointment.id))


@bp.post("/staff/appointments/<int:appointment_id>/invitations/<int:invitation_id>/withdraw")
@login_required
def invitation_withdraw(appointment_id: int, invitation_id: int):
    appointment = managed_appointment(appointment_id)
    services.withdraw_invitation(current_user, appointment, invitation_id)
    db.session.commit()
    flash(_l("The invitation has been withdrawn."), "success")
    return redirect(url_for("staff.participants", appointment_id=appointment.id))


# --- the day board's buttons ------------------------------------------------------------------------

@bp.post("/staff/appointments/<int:appointment_id>/board")
@login_required
def board_step(appointment_id: int):
    """Check in, no-show, start or finish (the hidden ``step``)."""
    appointment = get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    if not services.can_run_board(current_user, appointment.official):
        abort(403)
    form = BoardStepForm()
    if not form.validate_on_submit():
        abort(400)
    services.advance_appointment(current_user, appointment, form.step.data, utcnow())
    db.session.commit()
    flash(services.step_done_message(form.step.data), "success")
    return _back_to_board(appointment)


@bp.post("/staff/sessions/<int:session_id>/status")
@login_required
def session_status(session_id: int):
    """Mark the session held or not held (with a reason)."""
    session = get(ReceptionSession, session_id)
    if session is None:
        abort(404)
    if not services.can_run_board(current_user, session.official):
        abort(403)
    form = SessionStatusForm()
    if not form.validate_on_submit():
        raise Invalid(" ".join(str(e) for field in form for e in field.errors))
    services.mark_session(current_user, session, form.held.data == "held", form.reason.data, utcnow())
    db.session.commit()
    flash(_l("Saved: the session was held.") if form.held.data == "held"
          else _l("Saved: the session was not held."), "success")
    return _back_to_board(session)


# --- the case brief ------------------------------------------------------------------------------------

@bp.get("/staff/appointments/<int:appointment_id>/brief")
@login_required
def brief(appointment_id: int):
    """A printable case brief for the official: the citizen, the case, who attends, the history."""
    appointment = managed_appointment(appointment_id)
    row = queries.build_rows([appointment], utcnow())[0]
    record_view("appointment", appointment.id, "case brief")
    page = render_template("hearings/brief.html", appointment=appointment, row=row, format_labels=FORMAT_LABELS)
    db.session.commit()  # after rendering: the commit expires what the brief loaded
    return page
