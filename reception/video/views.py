"""Video receptions: the join page with its device check, the call, and the studio operator's pages.

GET /video/appointments/<id> shows who you join as, when the call opens and a device check; it
never carries a token. POST .../join mints the participant's token at that moment and answers
the call page (not cached, not logged, no token in any URL of this site).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit.services import record_view
from ..booking.models import Appointment, AppointmentStatus
from ..booking.services import check_in as check_in_appointment
from ..core.clock import CAPITAL_TZ, local_today, utcnow
from ..core.errors import Conflict
from ..core.forms import FlaskForm
from ..core.headers import allow_video_from
from ..core.i18n import current_language
from ..core.permissions import Permission, require_any
from ..directory.models import Official, Venue, VenueKind
from ..directory.queries import get
from ..extensions import db
from ..schedule.models import FORMAT_LABELS, ReceptionSession, Slot
from . import access, rooms, tokens
from .access import STATE_MESSAGES, STATE_STATUS, CallState, Seat

bp = Blueprint("video", __name__)
log = logging.getLogger(__name__)

MSG_NOT_CONFIGURED = _l("Video calls are not set up on this server yet. Please call the reception office.")
MSG_MISCONFIGURED = _l("Video calls are unavailable because of a setup problem on our side. "
                       "Please call the reception office.")
MSG_CHANGED = _l("This appointment has just been changed. Reload the page and try again.")
MSG_AT_STUDIO = _l("You take part from the studio: the studio operator connects the call there.")


def _no_store(response):
    """Join and call pages are personal: never cached, their address never sent to another site (same-origin
    requests keep the Referer, which the join form's CSRF check needs over HTTPS)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


class _Context:
    """Everything the join page and the call need about one appointment and the current user."""

    def __init__(self, appointment_id: int):
        appointment = get(Appointment, appointment_id)
        if appointment is None:
            abort(404)
        if not appointment.is_video:
            abort(404)
        self.appointment = appointment
        self.access = access.access_of(current_user, appointment)
        if self.access is None:
            abort(403)
        config = current_app.config
        self.window = access.call_window(appointment, config)
        self.now = utcnow()
        self.state = access.call_state(appointment, self.window, self.now)
        self.joins = access.joins_by_token(self.access, appointment)
        self.timezone = appointment.session.timezone if appointment.session else CAPITAL_TZ
        self.settings, self.setup_error = None, None
        try:
            self.settings = tokens.load_settings(config)
        except tokens.VideoConfigError as exc:
            log.error("video: Jitsi configuration error: %s", exc)
            self.setup_error = MSG_MISCONFIGURED
        if self.settings is None and self.setup_error is None:
            self.setup_error = MSG_NOT_CONFIGURED

    @property
    def seconds_to_open(self) -> int:
        return max(0, int((self.window.opens_at - self.now).total_seconds())) if self.window else 0

    def display_name(self) -> str:
        """How others see this participant in the call, labelled in the joining user's language."""
        seat = self.access.seat
        if seat is Seat.STUDIO:
            studio = self.appointment.studio
            return _("%(studio)s, %(body)s", studio=studio.name, body=studio.body.name)
        if seat is Seat.PARTICIPANT:
            label = self.access.participant.kind_label
        else:
            label = str(access.SEAT_LABELS[seat])
        return _("%(name)s (%(role)s)", name=current_user.full_name, role=label)

    def render(self, template: str, status: int, **extra):
        return _no_store(make_response(render_template(
            template, appointment=self.appointment, access=self.access, seat_labels=access.SEAT_LABELS,
            state=self.state, window=self.window, tz=self.timezone, joins=self.joins,
            setup_error=self.setup_error, state_message=STATE_MESSAGES.get(self.state),
            seconds_to_open=self.seconds_to_open, format_label=FORMAT_LABELS[self.appointment.format],
            at_studio_message=MSG_AT_STUDIO, form=FlaskForm(), **extra), status))


@bp.get("/video/appointments/<int:appointment_id>")
@login_required
def join_page(appointment_id: int):
    ctx = _Context(appointment_id)
    status = STATE_STATUS[ctx.state]
    if ctx.state is CallState.OPEN and ctx.joins and ctx.setup_error:
        status = 503
    return ctx.render("video/join.html", status)


@bp.post("/video/appointments/<int:appointment_id>/join")
@login_required
def join(appointment_id: int):
    """Mint this participant's token now and answer the call page."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    ctx = _Context(appointment_id)
    if ctx.state is not CallState.OPEN:
        status = 403 if ctx.state in (CallState.EARLY, CallState.ENDED) else STATE_STATUS[ctx.state]
        return ctx.render("video/join.html", status)
    if not ctx.joins:
        return ctx.render("video/join.html", 403)
    if ctx.setup_error:
        return ctx.render("video/join.html", 503)
    room = rooms.room_for(ctx.appointment)
    db.session.commit()
    settings = ctx.settings
    name = ctx.display_name()
    token = tokens.mint_token(settings, room=room, user_id=current_user.id, name=name,
                              moderator=ctx.access.moderator, not_before=ctx.window.opens_at,
                              expires=ctx.window.closes_at, now=ctx.now)
    log.info("video: user %s joined appointment %s as %s", current_user.id, ctx.appointment.id,
             ctx.access.seat.value)
    allow_video_from(settings.domain)  # this page's policy lets in this Jitsi's script and frames only
    call = {"domain": settings.domain, "room": settings.iframe_room(room), "jwt": token,
            "displayName": name, "lang": current_language(), "moderator": ctx.access.moderator}
    return ctx.render("video/call.html", 200, call=call, script_url=settings.script_url,
                      meeting_url=settings.meeting_url(room, token))


# --- the studio operator ---------------------------------------------------------------------

def _studio_scope():
    """The studios the user operates: every studio (administrators) or their akimat's."""
    stmt = select(Venue).where(Venue.kind == VenueKind.STUDIO)
    if not current_user.can(Permission.STUDIO_OPERATE):
        stmt = stmt.where(Venue.body_id == current_user.body_id)
    return stmt


@bp.get("/studio/")
@require_any(Permission.STUDIO_OPERATE, Permission.STUDIO_OPERATE_OWN)
def studio():
    """Today's and the coming week's receptions in the user's studios, with check-in and the call."""
    studios = db.session.scalars(_studio_scope().order_by(Venue.id)).all()
    tz = current_user.timezone
    today = local_today(tz)
    appointments = []
    if studios:
        appointments = db.session.scalars(
            select(Appointment).join(Appointment.session).join(Appointment.slot)
            .where(Appointment.studio_id.in_([s.id for s in studios]),
                   ReceptionSession.local_date >= today, ReceptionSession.local_date < today + timedelta(days=7),
                   Appointment.status.in_([AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN,
                                           AppointmentStatus.HELD, AppointmentStatus.NO_SHOW]))
            .options(joinedload(Appointment.official).joinedload(Official.body), joinedload(Appointment.slot),
                     joinedload(Appointment.citizen), joinedload(Appointment.studio),
                     joinedload(Appointment.session).joinedload(ReceptionSession.venue))
            .order_by(Slot.starts_at)).unique().all()
    week = [(today + timedelta(days=n), []) for n in range(7)]
    for appointment in appointments:
        week[(appointment.session.local_date - today).days][1].append(appointment)
    record_view("appointment", None, "studio week", appointments=[a.id for a in appointments])
    page = render_template("video/studio.html", studios=studios, week=week, tz=tz)
    db.session.commit()
    return page


@bp.post("/studio/appointments/<int:appointment_id>/check-in")
@require_any(Permission.STUDIO_OPERATE, Permission.STUDIO_OPERATE_OWN)
def check_in(appointment_id: int):
    """The citizen has arrived at the studio."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    appointment = get(Appointment, appointment_id)
    if appointment is None or appointment.studio is None:
        abort(404)
    if not current_user.can_in_body(Permission.STUDIO_OPERATE, appointment.studio.body_id):
        abort(403)
    now = utcnow()
    window = access.call_window(appointment, current_app.config)
    if appointment.status is AppointmentStatus.CHECKED_IN:
        flash(_l("Already checked in."), "info")
        return redirect(url_for("video.studio"))
    state = access.call_state(appointment, window, now)
    if appointment.status is not AppointmentStatus.SCHEDULED or state is CallState.ENDED:
        raise Conflict(STATE_MESSAGES[CallState.CANCELLED if state is CallState.CANCELLED else CallState.ENDED])
    # Only a scheduled appointment changes, so a cancellation at the same moment is never overwritten.
    check_in_appointment(appointment, now, conflict=MSG_CHANGED)
    db.session.commit()
    flash(_l("%(name)s is checked in.", name=appointment.citizen.full_name), "success")
    return redirect(url_for("video.studio"))
