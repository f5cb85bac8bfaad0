"""Request mode pages: a citizen's request for a reception, and the assistants' screening queue."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit.services import record_view
from ..booking import queries as booking_queries
from ..booking.forms import format_choices
from ..booking.models import Appointment, SlotOffer
from ..booking.services import BookingData
from ..booking.views import citizen_required
from ..core.clock import utcnow
from ..core.errors import Conflict, DomainError, NotAllowed, NotFound
from ..core.permissions import Permission, require_any
from ..core.timeutil import format_local
from ..core.web import attach_error, commit, render_form
from ..core.workdays import WorkCalendar
from ..extensions import db
from ..schedule.models import FORMAT_LABELS, AttendanceFormat
from . import policy, queries, rules, services
from .forms import AcceptOfferForm, DeclineForm, OfferForm, RedirectForm, RequestForm, ResolveForm, UrgencyForm
from .models import URGENCY_REASON_LABELS

bp = Blueprint("requests", __name__)

screen = require_any(Permission.REQUEST_SCREEN, Permission.REQUEST_SCREEN_OWN)


def _or_404(obj):
    if obj is None:
        abort(404)
    return obj


# --- what every page may show about a request (talon page, the citizen's list, home pages) -------

@dataclass
class RequestInfo:
    """A request as the citizen and staff see it: decision, deadline, offers."""

    appointment: Appointment
    now: datetime

    @property
    def timezone(self) -> str:
        return self.appointment.official.body.timezone

    @property
    def live_offers(self) -> list[SlotOffer]:
        return policy.live_offers(self.appointment, self.now)

    @property
    def offers_expired(self) -> bool:
        return policy.offers_expired(self.appointment, self.now)

    @property
    def can_accept(self) -> bool:
        return policy.can_accept(current_user, self.appointment, self.now)

    @property
    def decision_label(self) -> str:
        decision = self.appointment.decision
        return str(rules.DECISION_LABELS[decision]) if decision else ""

    @property
    def decline_ground_label(self) -> str:
        ground = self.appointment.decline_ground
        return str(rules.DECLINE_GROUND_LABELS[ground]) if ground else ""

    @property
    def status_label(self) -> str:
        if self.offers_expired:
            return str(_l("Offered times expired: waiting for a new decision"))
        return self.appointment.status_label

    @cached_property
    def urgency(self):
        """The request's urgency record, or None (never marked urgent)."""
        return services.get_urgency(self.appointment)

    @property
    def urgent_late(self) -> bool:
        """Urgent, still waiting for a decision, and its one working day has passed."""
        u = self.urgency
        return (u is not None and u.is_urgent and policy.is_awaiting_decision(self.appointment, self.now)
                and rules.is_urgent_late(u.due_on, rules.local_date(self.now, self.timezone)))

    @property
    def redirect_was_late(self) -> bool:
        a = self.appointment
        return a.decision is not None and a.decision.value == "redirected" and rules.is_late(
            a.decided_at, a.redirect_due_on, self.timezone)


@bp.app_template_global("request_info")
def request_info(appointment: Appointment) -> RequestInfo | None:
    """For templates: the request view of ``appointment``, or None when it was booked directly."""
    return RequestInfo(appointment, utcnow()) if policy.is_request(appointment) else None


@bp.app_template_global("open_request_count")
def open_request_count() -> int:
    """For the assistant's home page: requests waiting for a decision in the user's bodies."""
    if not current_user.is_authenticated:
        return 0
    return queries.count_awaiting(policy.screen_scope(current_user), utcnow())


@bp.app_template_global("official_takes_requests")
def official_takes_requests(official_id: int) -> bool:
    """For public pages: show "Send a request" instead of booking."""
    return queries.official_takes_requests(official_id, utcnow())


@bp.app_context_processor
def _labels():
    return {"decision_labels": rules.DECISION_LABELS, "decline_ground_labels": rules.DECLINE_GROUND_LABELS,
            "deadline_labels": rules.DEADLINE_LABELS, "urgency_reason_labels": URGENCY_REASON_LABELS}


# --- the citizen: send a request, choose an offered time -----------------------------------------

def _request_form(official, now) -> RequestForm:
    form = RequestForm()
    form.format.choices = format_choices(queries.request_formats(official.id, now))
    form.studio_id.choices = [(0, "—")] + booking_queries.studio_choices(current_user.region_id)
    form.topic_id.choices = booking_queries.topic_choices_for(official.body_id)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        if len(form.format.choices) == 1:
            form.format.data = form.format.choices[0][0]
    return form


@bp.route("/reception/officials/<int:official_id>/request", methods=["GET", "POST"], endpoint="new")
@citizen_required
def new_request(official_id: int):
    official = _or_404(queries.get_official(official_id))
    now = utcnow()
    if not queries.official_takes_requests(official.id, now):
        raise NotFound(services.MSG_NOT_TAKING)
    form = _request_form(official, now)
    template = "requests/new.html"
    if form.validate_on_submit():
        data = BookingData(
            format=AttendanceFormat(form.format.data), topic_id=form.topic_id.data, summary=form.summary.data,
            studio_id=form.studio_id.data or None, appeal_numbers=form.appeal_numbers.data,
            needs_wheelchair=form.needs_wheelchair.data, needs_sign_language=form.needs_sign_language.data,
            co_applicants=form.co_applicants.data)
        try:
            urgency = (form.urgency_reason.data, form.urgency_note.data) if form.urgency_reason.data else None
            appointment = services.submit_request(current_user, official, data, form.idempotency_key.data, now,
                                                  current_app.config, urgency=urgency)
            commit(services.MSG_ALREADY_ACTIVE)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, official=official)
        flash(_l("Your request has been sent. You will get an e-mail when the reception office has reviewed it."),
              "success")
        return redirect(url_for("booking.appointment", appointment_id=appointment.id))
    return render_form(template, form, official=official)


def _offer_label(offer: SlotOffer) -> str:
    session = offer.slot.session
    return str(_l("%(when)s, %(place)s (kept for you until %(until)s)",
                  when=format_local(offer.slot.starts_at, session.timezone),
                  place=f"{session.venue.name}, {session.venue.address}",
                  until=format_local(offer.expires_at, session.timezone)))


@bp.route("/my/requests/<int:my_request_id>/accept", methods=["GET", "POST"], endpoint="accept")
@citizen_required
def accept_offer(my_request_id: int):
    appointment = _or_404(queries.get_own_request(current_user.id, my_request_id))
    now = utcnow()
    if request.method == "GET" and appointment.slot_id is not None:
        return redirect(url_for("booking.appointment", appointment_id=appointment.id))
    form = AcceptOfferForm()
    form.offer_id.choices = [(o.id, _offer_label(o)) for o in policy.live_offers(appointment, now)]
    template, context = "requests/accept.html", {"appointment": appointment,
                                                 "info": RequestInfo(appointment, now),
                                                 "format_label": FORMAT_LABELS[appointment.format]}
    if form.validate_on_submit():
        try:
            services.accept_offer(current_user, appointment, form.offer_id.data, now)
            commit(_l("This time has just been taken."))
        except NotFound:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form(template, form, exc.status, **context)
        return redirect(url_for("booking.appointment", appointment_id=appointment.id, booked=1))
    return render_form(template, form, **context)


# --- the assistant: the screening queue and one request -----------------------------------------

def _scope():
    if not policy.can_screen_any(current_user):
        abort(403)
    return policy.screen_scope(current_user)


@bp.get("/staff/requests/", endpoint="queue")
@screen
def queue():
    scope = _scope()
    now = utcnow()
    calendar = WorkCalendar.from_config(current_app.config)
    awaiting, offered = queries.list_awaiting(scope, now, calendar), queries.list_offered(scope, now, calendar)
    # The queue shows citizens' names and requests: one audit event per page view, naming the rows shown.
    record_view("appointment", None, "screening queue",
                appointments=[row.request.id for row in awaiting + offered])
    page = render_template("requests/queue.html", awaiting=awaiting, offered=offered,
                           total=queries.count_awaiting(scope, now), limit=queries.QUEUE_LIMIT)
    db.session.commit()
    return page


def _slot_label(slot) -> str:
    session = slot.session
    formats = ", ".join(str(FORMAT_LABELS[f]) for f in (AttendanceFormat.IN_PERSON, AttendanceFormat.VIDEO_STUDIO)
                        if getattr(session, f"allow_{f.value}"))
    return f"{format_local(slot.starts_at, session.timezone)} · {session.venue.name} · {formats}"


def _decision_forms(appointment: Appointment, now: datetime) -> dict:
    offer = OfferForm()
    offer.slot_ids.choices = [(s.id, _slot_label(s)) for s in queries.offerable_slots(appointment, now)]
    redirect_form = RedirectForm()
    suggested, others = queries.redirect_body_choices(appointment)
    groups = {}
    if suggested:
        groups[str(_l("Competent for the topic of the request"))] = suggested
    if others:
        groups[str(_l("Other bodies"))] = others
    redirect_form.body_id.choices = groups or [(0, "—")]
    return {"offer": offer, "redirect": redirect_form, "resolve": ResolveForm(), "decline": DeclineForm()}


def _decide(action: str, form, appointment: Appointment, now: datetime) -> None:
    if action == "offer":
        services.offer_slots(current_user, appointment, form.slot_ids.data, form.offer_note.data, now,
                             current_app.config)
    elif action == "redirect":
        services.redirect_request(current_user, appointment, form.body_id.data, form.reasons.data, now)
    elif action == "resolve":
        services.resolve_request(current_user, appointment, form.resolution.data, now)
    else:
        services.decline_request(current_user, appointment, form.ground.data, form.decline_note.data, now)


DONE_MESSAGES = {
    "offer": _l("The times are offered and kept for the citizen; the citizen will be notified by e-mail."),
    "redirect": _l("The request has been sent to the competent body; the citizen will be notified by e-mail."),
    "resolve": _l("The request is resolved; the citizen will be notified by e-mail."),
    "decline": _l("The request is declined; the citizen will be notified by e-mail."),
}


def _urgency_form(appointment: Appointment, info: RequestInfo) -> UrgencyForm | None:
    """The urgency form while the request is open (waiting for a decision or for the citizen's choice)."""
    if appointment.status.value not in ("requested", "screening"):
        return None
    form = UrgencyForm()
    if request.method == "GET" and info.urgency is not None and info.urgency.is_urgent:
        form.reason.data, form.note.data = info.urgency.reason.value, info.urgency.note
    return form


def _save_urgency(appointment: Appointment, form: UrgencyForm | None, now: datetime, template: str, forms: dict,
                  context: dict):
    if form is None:
        raise Conflict(_l("This request has been decided or withdrawn: its urgency can no longer change."))
    if not form.validate_on_submit():
        return render_template(template, forms=forms, **context), 422
    try:
        urgency = services.set_urgency(current_user, appointment, form.reason.data, form.note.data, now,
                                       current_app.config)
        commit(_l("Someone else changed the urgency of this request at the same moment. Reload the page."))
    except NotAllowed:
        raise
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return render_template(template, forms=forms, **context), exc.status
    flash(_l("The request is marked urgent: decide it by %(date)s.", date=format_date(urgency.due_on, "full"))
          if urgency is not None and urgency.is_urgent else _l("The request is not urgent."), "success")
    return redirect(url_for("requests.detail", request_id=appointment.id))


@bp.route("/staff/requests/<int:request_id>", methods=["GET", "POST"], endpoint="detail")
@screen
def detail(request_id: int):
    appointment = _or_404(queries.get_request(request_id))
    if not policy.can_screen(current_user, appointment):
        abort(403)
    now = utcnow()
    calendar = WorkCalendar.from_config(current_app.config)
    tz = appointment.official.body.timezone
    flag = rules.deadline_flag(appointment.redirect_due_on, rules.local_date(now, tz), calendar)
    context = {"appointment": appointment, "info": RequestInfo(appointment, now), "flag": flag,
               "format_label": FORMAT_LABELS[appointment.format], "max_offered": services.MAX_OFFERED_SLOTS}
    awaiting = policy.is_awaiting_decision(appointment, now)
    forms = _decision_forms(appointment, now) if awaiting else {}
    template = "requests/detail.html"
    context["urgency_form"] = _urgency_form(appointment, context["info"])
    if request.method == "POST" and request.form.get("action") == "urgency":
        return _save_urgency(appointment, context["urgency_form"], now, template, forms, context)
    if request.method == "POST":
        if not awaiting:
            services.check_decidable(current_user, appointment, now)  # raises the fitting 409
        action = request.form.get("action", "")
        form = forms.get(action)
        if form is None:
            return render_template(template, forms=forms, page_error=_l("Choose one of the decisions below."),
                                   **context), 422
        if form.validate_on_submit():
            try:
                _decide(action, form, appointment, now)
                commit(services.MSG_ALREADY_DECIDED)
            except NotAllowed:
                raise
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
                return render_template(template, forms=forms, **context), exc.status
            flash(DONE_MESSAGES[action], "success")
            return redirect(url_for("requests.queue"))
        return render_template(template, forms=forms, **context), 422
    record_view("appointment", appointment.id, "request screening")
    page = render_template(template, forms=forms, **context)
    db.session.commit()
    return page
