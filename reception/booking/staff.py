"""Staff pages around appointments: the day list of the official's side, participants, and the
receptions a staff member takes part in."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import false, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record_view, record_views
from ..core.clock import local_today, utcnow
from ..core.errors import DomainError, NotAllowed
from ..core.permissions import Permission, Role, require_any
from ..core.web import attach_error, commit, render_form
from ..directory.models import Official
from ..directory.queries import get
from ..extensions import db
from ..schedule.models import FORMAT_LABELS, ReceptionSession, Slot
from . import participants as participant_service
from .forms import ParticipantChangeForm, ParticipantForm
from .models import Appointment, AppointmentStatus, Participant, ParticipantKind, ParticipantResponse
from .policy import is_officials_side

bp = Blueprint("staff", __name__)

def _appointment_scope(user):
    """Which appointments the user's day list shows: all, their body's, or their own official record's."""
    if user.can(Permission.APPOINTMENT_VIEW):
        return None
    conditions = []
    if user.can(Permission.APPOINTMENT_VIEW_OWN):
        conditions.append(Official.user_id == user.id)
        if user.body_id is not None and user.has_role(Role.ASSISTANT):
            conditions.append(Official.body_id == user.body_id)
    return or_(*conditions) if conditions else false()


def _with_details(stmt):
    return stmt.options(
        joinedload(Appointment.official).joinedload(Official.body),
        joinedload(Appointment.session).joinedload(ReceptionSession.venue),
        joinedload(Appointment.slot), joinedload(Appointment.studio), joinedload(Appointment.topic),
        joinedload(Appointment.citizen), selectinload(Appointment.participants).joinedload(Participant.user))


def _parse_day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(404)


@bp.get("/staff/day/")
@require_any(Permission.APPOINTMENT_VIEW, Permission.APPOINTMENT_VIEW_OWN)
def day():
    """The day board: the day's sessions in the user's scope, each with its appointments in order,
    who takes part and which bodies confirmed, the citizen's earlier appointments, and the buttons
    to run the reception (check in, no-show, start, finish; the session held or not held)."""
    from ..hearings import queries as board_queries
    from ..hearings.services import can_run_board

    today = local_today(current_user.timezone)
    day = _parse_day(request.args.get("date"), today)
    now = utcnow()
    sessions = board_queries.board(_appointment_scope(current_user), day, now)
    # The board shows these sessions' citizens' personal data.
    record_views("session", [item.session.id for item in sessions if item.rows], "day board")
    # Render, then commit: the commit expires what the board loaded, and the page would load it again per row.
    page = render_template("staff/day.html", sessions=sessions, day=day, today=today, now=now,
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                           format_labels=FORMAT_LABELS, appointments=board_queries.shown_appointments(sessions),
                           can_run={item.session.id: can_run_board(current_user, item.session.official)
                                    for item in sessions})
    db.session.commit()
    return page


def managed_appointment(appointment_id: int) -> Appointment:
    """The appointment, for the official's side only: 404 if it does not exist, else 403."""
    appointment = get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    if not is_officials_side(current_user, appointment):
        abort(403)
    return appointment


def _participant_form(appointment: Appointment) -> ParticipantForm:
    form = ParticipantForm()
    form.user_id.choices = [(0, "—")] + [
        (u.id, f"{u.full_name}{', ' + u.body.name if u.body else ''}")
        for u in participant_service.candidates(appointment)]
    return form


def _participants_page(appointment: Appointment, form: ParticipantForm, status: int | None = None):
    from ..hearings.forms import invite_body_form
    from ..hearings.queries import invitations_by_appointment

    return render_form("staff/participants.html", form, status, appointment=appointment,
                       change_form=ParticipantChangeForm(), format_labels=FORMAT_LABELS,
                       invitations=invitations_by_appointment([appointment.id]).get(appointment.id, []),
                       invite_form=invite_body_form(appointment))


@bp.route("/staff/appointments/<int:appointment_id>/participants", methods=["GET", "POST"])
@login_required
def participants(appointment_id: int):
    appointment = managed_appointment(appointment_id)
    form = _participant_form(appointment)
    if not form.validate_on_submit():
        if request.method == "GET":
            record_view("appointment", appointment.id, "participants")
        page = _participants_page(appointment, form)
        db.session.commit()
        return page
    try:
        participant_service.add_participant(current_user, appointment, form.user_id.data,
                                            ParticipantKind(form.kind.data), form.is_moderator.data, utcnow())
        commit(_l("This person already takes part."))
    except DomainError as exc:
        db.session.rollback()
        form = _participant_form(appointment)
        attach_error(form, exc)
        return _participants_page(appointment, form, exc.status)
    flash(_l("The participant has been added."), "success")
    return redirect(url_for("staff.participants", appointment_id=appointment.id))


@bp.post("/staff/appointments/<int:appointment_id>/participants/<int:participant_id>")
@login_required
def participant_change(appointment_id: int, participant_id: int):
    """Remove a participant (button ``remove``) or set whether they moderate (hidden ``moderator``)."""
    appointment = managed_appointment(appointment_id)
    form = ParticipantChangeForm()
    if not form.validate_on_submit():
        abort(400)
    if "remove" in request.form:
        participant_service.remove_participant(current_user, appointment, participant_id)
        message = _l("The participant has been removed.")
    elif form.moderator.data in ("0", "1"):
        participant_service.set_moderator(current_user, appointment, participant_id, form.moderator.data == "1")
        message = _l("Saved. It takes effect the next time they join the call.")
    else:
        abort(400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff.participants", appointment_id=appointment.id))


@bp.get("/my/receptions/")
@login_required
def my_receptions():
    """Receptions the staff member was invited to take part in, from today on."""
    if not current_user.is_staff:
        raise NotAllowed(_l("This page is for staff invited to receptions."))
    now = utcnow()
    stmt = (select(Appointment).join(Appointment.participants).join(Appointment.slot)
            .where(Participant.user_id == current_user.id,
                   Participant.response != ParticipantResponse.DECLINED,
                   Appointment.status.in_([AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN]),
                   Slot.ends_at > now - timedelta(hours=1))
            .order_by(Slot.starts_at))
    appointments = db.session.scalars(_with_details(stmt)).unique().all()
    record_view("appointment", None, "my receptions", appointments=[a.id for a in appointments])
    page = render_template("staff/my_receptions.html", appointments=appointments, format_labels=FORMAT_LABELS)
    db.session.commit()
    return page
