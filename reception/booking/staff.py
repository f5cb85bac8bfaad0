"""Staff pages around appointments: the day list of the official's side, participants, and the
receptions a staff member takes part in."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record_view
from ..core.clock import utcnow
from ..core.errors import DomainError, NotAllowed
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

def _with_details(stmt):
    return stmt.options(
        joinedload(Appointment.official).joinedload(Official.body),
        joinedload(Appointment.session).joinedload(ReceptionSession.venue),
        joinedload(Appointment.slot), joinedload(Appointment.studio), joinedload(Appointment.topic),
        joinedload(Appointment.citizen), selectinload(Appointment.participants).joinedload(Participant.user))


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
    # The invited bodies and their form are reception.hearings' (template globals it registers).
    return render_form("staff/participants.html", form, status, appointment=appointment,
                       change_form=ParticipantChangeForm(), format_labels=FORMAT_LABELS)


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
