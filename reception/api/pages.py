"""The "API tokens" page, reached from the profile: make a token (its secret shown once), see the list with
each token's last use, revoke one. Pages with sessions and CSRF like every other page."""
from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.clock import utcnow
from ..core.errors import DomainError, NotFound
from ..core.timeutil import local_to_utc
from ..core.web import attach_error, render_form
from ..extensions import db
from . import tokens
from .forms import RevokeForm, TokenForm
from .scopes import scope_choices, scope_label

bp = Blueprint("api_tokens", __name__)


def _page(form, status=None, secret=None):
    form.scopes.choices = scope_choices(current_user)
    now = utcnow()
    return render_form("api/tokens.html", form, status, tokens=tokens.list_tokens(current_user.id), now=now,
                       secret=secret, revoke_form=RevokeForm(), scope_label=scope_label, tz=current_user.timezone)


@bp.route("/profile/api-tokens", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    form.scopes.choices = scope_choices(current_user)  # before validation: a scope must be one of these
    if form.validate_on_submit():
        # Valid through the chosen day, in the user's own zone.
        expires_at = local_to_utc(datetime.combine(form.expires_on.data, time(23, 59, 59)), current_user.timezone)
        try:
            _token, secret = tokens.create_token(current_user, form.name.data, expires_at, form.scopes.data,
                                                 utcnow())
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return _page(form)
        db.session.commit()
        # The secret is shown on this answer only (never stored, never in a redirect's address).
        return _page(TokenForm(formdata=None), secret=secret)
    return _page(form)


@bp.post("/profile/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        tokens.revoke_token(current_user, token_id, utcnow())
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_l("The token is revoked: it no longer works."), "success")
    return redirect(url_for("api_tokens.index"))
