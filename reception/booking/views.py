"""Booking pages: public search of free reception time, booking, the citizen's appointments and talons."""
from __future__ import annotations

import secrets
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..core.errors import DomainError, NotFound
from ..core.permissions import Role
from ..core.types import utcnow
from ..core.web import attach_error, render_form
from ..directory.queries import body_choices, get_region_by_code, list_regions, topic_choices
from ..extensions import db
from ..schedule.models import FORMAT_LABELS, AttendanceFormat
from . import policy, queries, services
from .forms import BookingForm, SlotSearchForm, format_choices
from .talon import qr_svg

bp = Blueprint("booking", __name__)


def citizen_required(view):
    """Visitors go to the login page; signed-in users who are not citizens get 403."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from ..extensions import login_manager
            return login_manager.unauthorized()
        if not current_user.has_role(Role.CITIZEN):
            abort(403)
        return view(*args, **kwargs)

    wrapped.required_role = Role.CITIZEN
    return wrapped


# --- public search -------------------------------------------------------------------

def _search_form() -> SlotSearchForm:
    form = SlotSearchForm(request.args)
    any_label = str(_l("Any"))
    form.region.choices = [("", any_label)] + [(r.code, r.name) for r in list_regions()]
    form.body.choices = body_choices(blank_label=any_label)
    form.official.choices = [(0, any_label)] + queries.official_choices()
    form.topic.choices = topic_choices(blank_label=any_label)
    form.format.choices = [("", any_label)] + format_choices()
    return form


@bp.get("/reception/")
def search():
    form = _search_form()
    now = utcnow()
    slots, next_free, searched = [], {}, bool(request.args)
    valid = form.validate() if searched else True
    if valid:
        region = get_region_by_code(form.region.data) if form.region.data else None
        slots = queries.search_free_slots(
            region_code=region.code if region else None, body_id=form.body.data or None,
            official_id=form.official.data or None, topic_id=form.topic.data or None,
            date_from=form.date_from.data, date_to=form.date_to.data,
            format=AttendanceFormat(form.format.data) if form.format.data else None, now=now)
        official_ids = list(dict.fromkeys(s.session.official_id for s in slots))
        next_free = queries.next_free_slot_per_official(official_ids, now)
    return render_template("booking/search.html", form=form, slots=slots, next_free=next_free,
                           limit=queries.DEFAULT_LIMIT), 200 if valid else 422


# --- booking -------------------------------------------------------------------------

def _booking_form(slot) -> BookingForm:
    form = BookingForm()
    session = slot.session
    form.format.choices = format_choices(policy.allowed_formats(session))
    form.studio_id.choices = [(0, "—")] + queries.studio_choices(current_user.region_id)
    form.topic_id.choices = queries.topic_choices_for(session.official.body)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        if len(form.format.choices) == 1:
            form.format.data = form.format.choices[0][0]
    return form


def _render_book(slot, form, status=None, alternatives=()):
    return render_form("booking/book.html", form, status, slot=slot, alternatives=alternatives)


@bp.route("/reception/slots/<int:slot_id>/book", methods=["GET", "POST"])
@citizen_required
def book(slot_id: int):
    slot = queries.get_slot(slot_id)
    if slot is None:
        abort(404)
    now = utcnow()
    # A slot that cannot be booked (past, window closed, cancelled, other region) is answered
    # by the domain-error handler with its status, before any form is shown or saved.
    policy.check_slot_bookable(slot, current_user, now)
    form = _booking_form(slot)
    if form.validate_on_submit():
        data = services.BookingData(
            format=AttendanceFormat(form.format.data), topic_id=form.topic_id.data, summary=form.summary.data,
            studio_id=form.studio_id.data or None, appeal_numbers=form.appeal_numbers.data,
            needs_wheelchair=form.needs_wheelchair.data, needs_sign_language=form.needs_sign_language.data,
            co_applicants=form.co_applicants.data)
        try:
            appointment = services.book_slot(current_user, slot.id, data, form.idempotency_key.data, now,
                                             current_app.config)
            db.session.commit()
        except services.SlotTaken as exc:
            db.session.rollback()
            attach_error(form, exc)
            return _render_book(slot, form, exc.status, exc.alternatives)
        except NotFound:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return _render_book(slot, form, exc.status)
        flash(_l("Your reception is booked. Keep the talon number."), "success")
        return redirect(url_for("booking.appointment", appointment_id=appointment.id))
    return _render_book(slot, form)


# --- the citizen's appointments ------------------------------------------------------------

@bp.get("/my/appointments/")
@citizen_required
def my_appointments():
    return render_template("booking/my_appointments.html",
                           appointments=queries.list_my_appointments(current_user.id), now=utcnow())


@bp.get("/my/appointments/<int:appointment_id>")
@citizen_required
def appointment(appointment_id: int):
    appt = queries.get_own_appointment(current_user.id, appointment_id)
    if appt is None:
        abort(404)
    verify_url = current_app.config["BASE_URL"].rstrip("/") + url_for("booking.verify_talon",
                                                                       talon_number=appt.talon_number or "-")
    return render_template("booking/talon.html", appointment=appt, verify_url=verify_url,
                           qr=Markup(qr_svg(verify_url)), format_label=FORMAT_LABELS[appt.format],
                           can_cancel=policy.can_cancel(current_user, appt, utcnow()))


@bp.post("/my/appointments/<int:appointment_id>/cancel")
@citizen_required
def cancel(appointment_id: int):
    appt = queries.get_own_appointment(current_user.id, appointment_id)
    if appt is None:
        abort(404)
    services.cancel_appointment(current_user, appt, utcnow())  # a DomainError is answered by the handler
    db.session.commit()
    flash(_l("Your appointment has been cancelled. The time is free for others again."), "success")
    return redirect(url_for("booking.my_appointments"))


# --- public talon check -----------------------------------------------------------------

@bp.get("/talons/<talon_number>")
def verify_talon(talon_number: str):
    appt = queries.get_by_talon(talon_number)
    if appt is None:
        return render_template("booking/verify.html", appointment=None, number=talon_number), 404
    return render_template("booking/verify.html", appointment=appt, number=talon_number)
