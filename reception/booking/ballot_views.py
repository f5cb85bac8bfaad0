"""Pages of booking by lot (:mod:`.ballot`): the citizen applies and withdraws; an assistant opens a draw."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.clock import utcnow
from ..core.errors import DomainError
from ..core.permissions import Permission, require_any
from ..core.web import attach_error, render_form
from ..directory.queries import get
from ..extensions import db
from ..schedule.models import ReceptionSession
from ..schedule.policy import can_manage_session
from . import ballot, policy, queries
from .forms import BallotApplyForm, BallotOpenForm, BallotWithdrawForm, format_choices
from .views import booking_per_user, citizen_required

bp = Blueprint("ballot", __name__)


def _session_or_404(session_id: int) -> ReceptionSession:
    session = get(ReceptionSession, session_id)
    if session is None:
        abort(404)
    return session


def _apply_form(session) -> BallotApplyForm:
    form = BallotApplyForm()
    form.format.choices = format_choices(policy.allowed_formats(session))
    form.studio_id.choices = [(0, "—")] + queries.studio_choices(current_user.region_id)
    form.topic_id.choices = queries.topic_choices_for(session.official.body_id)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        if len(form.format.choices) == 1:
            form.format.data = form.format.choices[0][0]
    return form


def _render(session, form, status=None):
    return render_form("booking/ballot.html", form, status, session=session, now=utcnow(),
                       entry=ballot.own_entry(current_user.id, session.id), withdraw_form=BallotWithdrawForm())


@bp.route("/reception/sessions/<int:session_id>/draw", methods=["GET", "POST"])
@booking_per_user
@citizen_required
def apply(session_id: int):
    session = _session_or_404(session_id)
    form = _apply_form(session)
    if form.validate_on_submit():
        data = form.booking_data()
        try:
            ballot.apply(current_user, session, data, form.wants_waitlist.data, utcnow(), current_app.config)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return _render(session, form, exc.status)
        flash(_l("You have applied for the draw. You will be told the result when it is held."), "success")
        return redirect(url_for("ballot.apply", session_id=session.id))
    return _render(session, form)


@bp.post("/reception/sessions/<int:session_id>/draw/withdraw")
@citizen_required
def withdraw(session_id: int):
    session = _session_or_404(session_id)
    entry = ballot.own_entry(current_user.id, session.id)
    if entry is None:
        abort(404)
    if BallotWithdrawForm().validate_on_submit():
        try:
            ballot.withdraw(current_user, entry, utcnow())
            db.session.commit()
            flash(_l("Your application has been withdrawn."), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    return redirect(url_for("ballot.apply", session_id=session.id))


@bp.route("/staff/sessions/<int:session_id>/draw", methods=["GET", "POST"])
@require_any(Permission.SCHEDULE_MANAGE, Permission.SCHEDULE_MANAGE_OWN)
def open_draw(session_id: int):
    session = get(ReceptionSession, session_id)
    if session is None:
        abort(404)
    if not can_manage_session(current_user, session):
        abort(403)
    form = BallotOpenForm()
    context = {"session": session, "booked": ballot.count_booked(session), "entries": ballot.counts(session.id)}
    if session.ballot_closes_at is None and form.validate_on_submit():
        try:
            ballot.open_ballot(session, form.hours.data, utcnow())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form("booking/ballot_open.html", form, exc.status, **context)
        flash(_l("The reception is now booked by a draw."), "success")
        return redirect(url_for("ballot.open_draw", session_id=session.id))
    return render_form("booking/ballot_open.html", form, **context)
