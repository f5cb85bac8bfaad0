"""Booking pages: public search of free reception time, booking, the citizen's appointments, talons,
rescheduling and the waitlist."""
from __future__ import annotations

import secrets
from functools import wraps

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from ..core.clock import utcnow
from ..core.errors import DomainError, Invalid, NotAllowed, NotFound
from ..core.i18n import localized
from ..core.permissions import Role
from ..core.web import attach_error, id_arg, render_form
from ..directory.models import Official
from ..directory.queries import get, get_region_by_code, region_rows, topic_choices
from ..extensions import db, limiter, login_manager, user_or_address
from ..schedule.models import FORMAT_LABELS, AttendanceFormat, VisitingReception
from . import ballot, lookup, policy, queries, services, waitlist
from .forms import (
    BookingForm,
    LookupForm,
    RescheduleForm,
    SlotSearchForm,
    WaitlistJoinForm,
    WaitlistLeaveForm,
    format_choices,
)
from .models import AppointmentStatus, WaitlistStatus
from .talon import qr_svg, talon_verify_url

bp = Blueprint("booking", __name__)

# Booking POSTs (booking, moving, joining a waitlist, applying for a draw) share one budget per citizen: generous
# for people, a wall for scripts. Not per address: at a noon rush many citizens book from one address (a mobile
# carrier's NAT, an akimat's studio), and accounts themselves are bounded (registration is limited per address).
booking_per_user = limiter.shared_limit(lambda: "20 per minute;200 per day", scope="booking-user",
                                        key_func=user_or_address, methods=["POST"])
# Talon checks: a person checks a few; the numbers are sequential, so walking them is slowed (the page by number
# shows little anyway, see verify_talon).
talon_checks = limiter.shared_limit(lambda: "60 per minute;1000 per day", scope="talons")


def citizen_required(view):
    """Visitors go to the login page; signed-in users who are not citizens get 403."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(Role.CITIZEN):
            abort(403)
        return view(*args, **kwargs)

    wrapped.required_role = Role.CITIZEN
    return wrapped


# --- public search -------------------------------------------------------------------

def _search_form() -> SlotSearchForm:
    """The search filters with the few choices they offer: the region's bodies, the body's officials."""
    form = SlotSearchForm(request.args)
    any_label = str(_l("Any"))
    regions = region_rows()
    form.region.choices = [("", any_label)] + [(r.code, localized(r, "name")) for r in regions]
    region = next((r for r in regions if r.code == form.region.data), None)
    body_id, official_id = id_arg("body"), id_arg("official")
    form.body.choices = [(0, any_label)] + lookup.search_body_choices(region.id if region else None, body_id)
    form.official.choices = [(0, any_label)] + lookup.search_official_choices(body_id, official_id)
    form.topic.choices = topic_choices(blank_label=any_label)
    form.format.choices = [("", any_label)] + format_choices()
    citizen_region = getattr(current_user, "region_id", None) if current_user.is_authenticated else None
    form.studio.choices = [(0, any_label)] + queries.search_studio_choices(citizen_region)
    if "studio" not in request.args and citizen_region is not None and len(form.studio.choices) > 1:
        form.studio.data = form.studio.choices[1][0]  # the citizen's region's studio, where they would sit
    return form


@bp.get("/reception/")
def search():
    form = _search_form()
    now = utcnow()
    slots, next_free, searched = [], {}, bool(request.args)
    waitlist_official = None
    valid = form.validate() if searched else True
    after = queries.parse_page_cursor(form.after.data) if valid and form.after.data else None
    if valid and form.after.data and after is None:
        form.after.errors.append(str(_l("This link to later times is damaged. Search again.")))
        valid = False
    later = None
    if valid:
        slots = queries.search_free_slots(
            region_code=form.region.data or None, body_id=form.body.data or None,
            official_id=form.official.data or None, topic_id=form.topic.data or None,
            date_from=form.date_from.data, date_to=form.date_to.data,
            format=AttendanceFormat(form.format.data) if form.format.data else None, now=now,
            limit=queries.SEARCH_PAGE + 1, after=after, studio_id=form.studio.data or None)
        if len(slots) > queries.SEARCH_PAGE:
            slots = slots[:queries.SEARCH_PAGE]
            later = url_for("booking.search", **{**request.args, "after": queries.page_cursor(slots[-1])})
        narrowed = any((form.region.data, form.topic.data, form.date_from.data, form.date_to.data, form.format.data))
        # A studio narrows only with its format (see search_free_slots), and the format already says "narrowed".
        if after is None:  # the first page: each official's soonest time (later pages go on from there)
            next_free = queries.next_free_of_listed(slots, now, narrowed=narrowed)
        if form.official.data and not slots and after is None and (
                not (narrowed or form.body.data) or not queries.next_free_slot_per_official([form.official.data], now)):
            # Nothing free at all, not only within these filters: the waitlist is the way in.
            waitlist_official = get(Official, form.official.data)
    return render_template("booking/search.html", form=form, slots=slots, next_free=next_free, later=later,
                           first_page=url_for("booking.search", **{k: v for k, v in request.args.items()
                                                                   if k != "after"}) if after else None,
                           waitlist_official=waitlist_official), 200 if valid else 422


@bp.get("/reception/lookup")
def lookup_names():
    """Officials and bodies matching what the visitor types in the search form, as JSON (in the visitor's
    language); bad input answers 422 with a message."""
    form = LookupForm(request.args)
    region = get_region_by_code(form.region.data) if form.region.data else None
    if not form.validate() or (form.region.data and region is None):
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        if form.region.data and region is None:
            errors["region"] = [str(_l("Unknown region."))]
        message = next(iter(errors.values()))[0]
        return jsonify(error=message, errors=errors, status=422), 422
    matches = lookup.match_officials_and_bodies(form.q.data, region, form.limit.data or lookup.DEFAULT_MATCHES)
    return jsonify(results=[m.as_json() for m in matches])


@bp.get("/reception/officials/<int:official_id>")
def official(official_id: int):
    """An official's public page: who, where, the coming free reception time, a request or the waitlist."""
    official = queries.get_public_official(official_id)
    if official is None:
        abort(404)
    now = utcnow()
    slots = queries.search_free_slots(official_id=official.id, now=now, limit=20)
    return render_template("booking/official.html", official=official, slots=slots,
                           next_free=slots[0] if slots else None)


# --- booking -------------------------------------------------------------------------

def _booking_form(slot) -> BookingForm:
    form = BookingForm()
    session = slot.session
    formats = policy.allowed_formats(session)
    form.format.choices = format_choices(formats)
    if AttendanceFormat.VIDEO_STUDIO not in formats:
        del form.studio_id  # this reception is not attended from a studio: no studio to choose
    if request.method == "POST":
        # The booking checks the topic and the studio in its one statement of checks (book_slot); the
        # lists are loaded only if the form is shown again.
        form.topic_id.validate_choice = False
        if "studio_id" in form:
            form.studio_id.validate_choice = False
        return form
    _fill_choices(form, slot)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        if len(form.format.choices) == 1:
            form.format.data = form.format.choices[0][0]
        # A slot offered from the waitlist is held for the citizen: only then is there an entry to read.
        entry = (queries.get_live_waitlist_entry(current_user.id, session.official_id)
                 if slot.held_for_id == current_user.id else None)
        if entry is not None and entry.offered_slot_id == slot.id and entry.topic_id:
            form.topic_id.data = entry.topic_id  # chosen when joining the waitlist
    return form


def _fill_choices(form, slot) -> None:
    if "studio_id" in form:
        form.studio_id.choices = [(0, "—")] + queries.studio_choices(current_user.region_id)
    form.topic_id.choices = queries.topic_choices_for(slot.session.official.body_id)


def _answers(form) -> list[tuple[str, str]]:
    """What the citizen sent in ``form`` (its own fields only, the CSRF token and idempotency key too), as
    name and value pairs for the hidden fields of a one-tap booking of another time."""
    return [(field.name, value) for field in form for value in request.form.getlist(field.name)]


def _render_book(slot, form, status=None, alternatives=()):
    if form.topic_id.choices is None:
        _fill_choices(form, slot)
    return render_form("booking/book.html", form, status, slot=slot, alternatives=alternatives)


@bp.route("/reception/slots/<int:slot_id>/book", methods=["GET", "POST"])
@booking_per_user
@citizen_required
def book(slot_id: int):
    holder = None
    if request.method == "POST":
        # A booking locks the citizen's row and the slot's with the same statement that loads the slot.
        slot = queries.get_slot(slot_id, lock_for_citizen=current_user.id)
    else:
        slot, holder = queries.get_slot_to_book(slot_id)
    if slot is None:
        abort(404)
    now = utcnow()
    if slot.session.awaits_draw and now < slot.session.ballot_closes_at:
        return redirect(url_for("ballot.apply", session_id=slot.session_id))  # citizens apply for its draw
    # A slot that cannot be booked (past, window closed, cancelled, other region) is answered
    # by the domain-error handler with its status, before any form is shown or saved.
    policy.check_slot_bookable(slot, current_user, now)
    if holder is not None:  # taken before the form is even shown: said now, not once it is filled in
        mine = holder == current_user.id
        alternatives = () if mine else queries.nearest_free_slots(slot, now, citizen_id=current_user.id)
        return render_template("booking/taken.html", slot=slot, alternatives=alternatives, answers=(),
                               message=services.MSG_SAME_OFFICIAL if mine else services.MSG_SLOT_TAKEN), 409
    form = _booking_form(slot)
    if form.validate_on_submit():
        data = form.booking_data()
        try:
            appointment_id = services.book_slot(current_user, slot.id, data, form.idempotency_key.data, now,
                                               current_app.config, slot=slot).id
            db.session.commit()
        except services.SlotTaken as exc:
            # Render, then roll back: the page uses what is loaded (a rollback would expire it all).
            if exc.field is None:  # the time itself is gone: offer the nearest ones, not this form again
                page = render_template("booking/taken.html", slot=slot, message=exc.message,
                                       alternatives=exc.alternatives, answers=_answers(form)), exc.status
            else:
                attach_error(form, exc)
                page = _render_book(slot, form, exc.status, exc.alternatives)
            db.session.rollback()
            return page
        except NotFound:
            abort(404)
        except DomainError as exc:
            attach_error(form, exc)
            page = _render_book(slot, form, exc.status)
            db.session.rollback()
            return page
        # The talon says it was just booked (booked=1), not a flashed message: the answer writes no session cookie.
        return redirect(url_for("booking.appointment", appointment_id=appointment_id, booked=1))
    _show_hidden_errors(form)
    return _render_book(slot, form)


# --- the citizen's appointments ------------------------------------------------------------

@bp.get("/my/appointments/")
@citizen_required
def my_appointments():
    return render_template("booking/my_appointments.html",
                           appointments=queries.list_my_appointments(current_user.id), now=utcnow(),
                           draws=ballot.my_entries(current_user.id))


def _own_appointment_or_404(appointment_id: int):
    appt = queries.get_own_appointment(current_user.id, appointment_id)
    if appt is None:
        abort(404)
    return appt


def _show_hidden_errors(form) -> None:
    """A hidden field's error (a damaged form) has no place next to a field: show it at the top."""
    for field in form:
        if field.type == "HiddenField" and field.errors:
            form.form_errors.extend(str(e) for e in field.errors)


def _can_reschedule(appt, now) -> bool:
    return (appt.status is AppointmentStatus.SCHEDULED and appt.slot_id is not None
            and now < appt.session.closes_at)


def _check_reschedulable(appt, now) -> None:
    """The reason, as a domain error (422), why this appointment cannot be moved now."""
    if appt.status is not AppointmentStatus.SCHEDULED or appt.slot_id is None:
        raise Invalid(_l("Only a scheduled appointment can be moved to another time."))
    if now >= appt.session.closes_at:
        raise Invalid(_l("It is too late to move this appointment online. Call the reception office."))


@bp.get("/my/appointments/<int:appointment_id>")
@citizen_required
def appointment(appointment_id: int):
    appt = _own_appointment_or_404(appointment_id)
    now = utcnow()
    verify_url = talon_verify_url(appt)
    rebook_slots, waiting = [], None
    if appt.status is AppointmentStatus.CANCELLED and appt.slot_id is not None:
        # Cancelled (by the citizen or with the whole session): the official's free time, else the waitlist.
        rebook_slots = queries.bookable_free_slots(appt.official_id, current_user, now, limit=3)
        waiting = queries.get_live_waitlist_entry(current_user.id, appt.official_id)
    return render_template("booking/talon.html", appointment=appt, verify_url=verify_url,
                           just_booked=request.args.get("booked") == "1" and appt.status is AppointmentStatus.SCHEDULED,
                           qr=Markup(qr_svg(verify_url)), format_label=FORMAT_LABELS[appt.format],
                           can_cancel=policy.can_cancel(current_user, appt, now),
                           can_reschedule=_can_reschedule(appt, now), history=queries.talon_history(appt),
                           moved_to=queries.get_moved_to(appt.id)
                           if appt.status is AppointmentStatus.RESCHEDULED else None,
                           rebook_slots=rebook_slots, waiting=waiting, video=_video_details(appt))


def _video_details(appt) -> dict | None:
    """For a video appointment: the join page's address (never a token) and when its call opens."""
    window = policy.call_window(appt, current_app.config) if appt.is_video and appt.is_active else None
    if window is None:
        return None
    return {"url": current_app.config["BASE_URL"].rstrip("/") + url_for("video.join_page", appointment_id=appt.id),
            "opens_at": window.opens_at, "joinable": appt.format is AttendanceFormat.VIDEO_REMOTE}


@bp.route("/my/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@citizen_required
def cancel(appointment_id: int):
    """GET asks once more, naming the reception (one tap on the talon must not cancel it); POST cancels."""
    appt = _own_appointment_or_404(appointment_id)
    now = utcnow()
    if request.method == "GET":
        if not policy.can_cancel(current_user, appt, now):
            return redirect(url_for("booking.appointment", appointment_id=appt.id))
        return render_template("booking/cancel.html", appointment=appt)
    services.cancel_appointment(current_user, appt, now)  # a DomainError is answered by the handler
    db.session.commit()
    flash(_l("Your appointment has been cancelled. The time is free for others again."), "success")
    return redirect(url_for("booking.my_appointments"))


# --- rescheduling -------------------------------------------------------------------------

@bp.get("/my/appointments/<int:appointment_id>/reschedule")
@citizen_required
def reschedule(appointment_id: int):
    appt = _own_appointment_or_404(appointment_id)
    now = utcnow()
    _check_reschedulable(appt, now)
    slots = queries.bookable_free_slots(appt.official_id, current_user, now, format=appt.format,
                                        exclude_slot_id=appt.slot_id)
    return render_template("booking/reschedule.html", appointment=appt, slots=slots, limit=queries.DEFAULT_LIMIT)


@bp.route("/my/appointments/<int:appointment_id>/reschedule/<int:slot_id>", methods=["GET", "POST"])
@booking_per_user
@citizen_required
def reschedule_confirm(appointment_id: int, slot_id: int):
    appt = _own_appointment_or_404(appointment_id)
    slot = queries.get_slot(slot_id)
    if slot is None or slot.session.official_id != appt.official_id:
        abort(404)  # only the same official's time is offered here
    now = utcnow()
    form = RescheduleForm()
    if request.method == "GET":
        _check_reschedulable(appt, now)
        if slot.id == appt.slot_id:
            raise Invalid(_l("This is the time you already have."))
        policy.check_slot_bookable(slot, current_user, now)
        form.idempotency_key.data = secrets.token_urlsafe(24)
    template = "booking/reschedule_confirm.html"
    if form.validate_on_submit():
        try:
            new = services.reschedule_appointment(current_user, appt, slot.id, form.idempotency_key.data, now,
                                                  current_app.config)
            db.session.commit()
        except services.SlotTaken as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, appointment=appt, slot=slot,
                               alternatives=exc.alternatives)
        except NotFound:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, appointment=appt, slot=slot, alternatives=())
        flash(_l("Your reception has been moved. This is your new talon; the old one is no longer valid."),
              "success")
        return redirect(url_for("booking.appointment", appointment_id=new.id))
    _show_hidden_errors(form)
    return render_form(template, form, appointment=appt, slot=slot, alternatives=())


# --- the waitlist -----------------------------------------------------------------------------

@bp.app_context_processor
def _waitlist_panel():
    """``my_waitlist_panel()`` for the citizen's home page: places in line and offered slots
    (queried only if called)."""
    def panel():
        if not (current_user.is_authenticated and current_user.has_role(Role.CITIZEN)):
            return [], {}
        entries = queries.list_my_waitlist(current_user.id)
        return entries, queries.places_in_line(entries)
    return {"my_waitlist_panel": panel}


def _join_form(now) -> WaitlistJoinForm:
    form = WaitlistJoinForm()
    if request.method == "GET":
        form.official.data = id_arg("official") or 0
        form.visiting.data = id_arg("visiting") or 0
        form.topic.data = 0
    form.official.choices = [(0, str(_l("— choose an official —")))] + queries.official_choices()
    form.visiting.choices = [(0, str(_l("Any reception of this official")))] + [
        (vid, str(_l("Only the visiting reception in %(region)s", region=name)))
        for vid, name in queries.visiting_choices(form.official.data, now)]
    form.topic.choices = topic_choices(blank_label=_l("Not chosen"))
    return form


@bp.route("/my/waitlist/", methods=["GET", "POST"])
@booking_per_user
@login_required
def my_waitlist():
    """The signed-in user's own places in line (staff accounts have none) and the form to join a waitlist."""
    now = utcnow()
    form = _join_form(now)
    template = "booking/waitlist.html"

    def page(status=None):
        entries = queries.list_my_waitlist(current_user.id)
        return render_form(template, form, status, entries=entries, places=queries.places_in_line(entries),
                           ended=queries.list_my_waitlist(current_user.id, live=False),
                           status_labels=waitlist.STATUS_LABELS, now=now)

    if form.validate_on_submit():
        visiting = get(VisitingReception, form.visiting.data) if form.visiting.data else None
        try:
            waitlist.join_waitlist(current_user, get(Official, form.official.data), visiting=visiting,
                                   topic_id=form.topic.data or None, now=now)
            db.session.commit()
        except NotAllowed:
            raise
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return page(exc.status)
        flash(_l("You are on the waitlist. When a time becomes free, we will keep it for you and write to you."),
              "success")
        return redirect(url_for("booking.my_waitlist"))
    return page()


@bp.route("/my/waitlist/<int:entry_id>/leave", methods=["GET", "POST"])
@citizen_required
def waitlist_leave(entry_id: int):
    entry = queries.get_own_waitlist_entry(current_user.id, entry_id)
    if entry is None:
        abort(404)
    if entry.status not in queries.LIVE_WAITLIST:
        raise Invalid(_l("You are no longer on this waitlist."))
    form = WaitlistLeaveForm()
    if request.method == "GET":
        form.expected_status.data = entry.status.value
    template = "booking/waitlist_leave.html"
    if form.validate_on_submit():
        try:
            waitlist.leave_waitlist(current_user, entry, WaitlistStatus(form.expected_status.data), utcnow())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            db.session.refresh(entry)
            form.expected_status.data = entry.status.value
            attach_error(form, exc)
            return render_form(template, form, exc.status, entry=entry)
        flash(_l("You have left the waitlist."), "success")
        return redirect(url_for("booking.my_waitlist"))
    _show_hidden_errors(form)
    return render_form(template, form, entry=entry)


# --- public talon check -----------------------------------------------------------------
# The QR code and the link on a talon carry its unguessable token: that page shows the official, the time and the
# status. The page by number is for someone who has only the number on paper: talon numbers are sequential, so
# it says only whether such a talon is valid (and is rate-limited); more would let anyone walk every reception.

@bp.get("/talons/t/<token>")
@talon_checks
def verify_talon_token(token: str):
    appt = queries.get_by_talon_token(token)
    if appt is None:
        return render_template("booking/verify.html", appointment=None, number=None, full=True), 404
    return render_template("booking/verify.html", appointment=appt, number=appt.talon_number, full=True)


@bp.get("/talons/<talon_number>")
@talon_checks
def verify_talon(talon_number: str):
    appt = queries.get_by_talon(talon_number)
    if appt is None:
        return render_template("booking/verify.html", appointment=None, number=talon_number, full=False), 404
    return render_template("booking/verify.html", appointment=appt, number=talon_number, full=False)
