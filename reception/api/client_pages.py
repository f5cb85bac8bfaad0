"""The administrators' "Integration clients" pages: the list, a new client (name, the body whose system it
is or the national system, its scopes), and a client's page with its tokens (make one: the secret shown
once; revoke one) and disabling the client. Pages with sessions and CSRF like every other page."""
from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..core.clock import utcnow
from ..core.errors import DomainError, NotFound
from ..core.forms import REQUIRED, FlaskForm, MultiCheckboxField
from ..core.permissions import Permission, require
from ..core.timeutil import local_to_utc
from ..core.web import attach_error, render_form
from ..directory.queries import body_choices
from ..extensions import db
from . import clients
from .forms import RevokeForm
from .scopes import integration_scope_choices, scope_label

bp = Blueprint("api_clients", __name__, url_prefix="/admin/api-clients")

NATIONAL = 0


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ClientForm(FlaskForm):
    name = StringField(_l("Name (the system, e.g. e-Otinish)"), filters=[_strip], validators=[
        DataRequired(message=REQUIRED), Length(max=100, message=_l("Too long: at most %(max)d characters.", max=100))])
    body_id = SelectField(_l("Whose system"), coerce=int)
    scopes = MultiCheckboxField(_l("What the client may do"), validators=[DataRequired(message=_l(
        "Choose at least one scope."))])


class ClientTokenForm(FlaskForm):
    name = StringField(_l("Token name (where it is used)"), filters=[_strip], validators=[
        DataRequired(message=REQUIRED), Length(max=100, message=_l("Too long: at most %(max)d characters.", max=100))])
    expires_on = DateField(_l("Valid until (at most a year)"), validators=[DataRequired(message=_l(
        "Give a date: day, month and year."))])
    scopes = MultiCheckboxField(_l("What the token may do"), validators=[DataRequired(message=_l(
        "Choose at least one scope."))])


def _client_form() -> ClientForm:
    form = ClientForm()
    form.body_id.choices = [(NATIONAL, str(_l("National system (no body): may send to every body")))] + \
        body_choices()
    form.scopes.choices = integration_scope_choices()
    return form


def _token_form(client, **kwargs) -> ClientTokenForm:
    form = ClientTokenForm(**kwargs)
    form.scopes.choices = [(s, scope_label(s)) for s in sorted(client.scope_set)]
    return form


def _client_or_404(client_id: int):
    client = clients.get_client(client_id)
    if client is None:
        abort(404)
    return client


@bp.get("/")
@require(Permission.API_CLIENT_MANAGE)
def index():
    return render_template("api/clients.html", clients=clients.list_clients(), scope_label=scope_label)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.API_CLIENT_MANAGE)
def new():
    form = _client_form()
    if form.validate_on_submit():
        try:
            client = clients.create_client(current_user, form.name.data, form.body_id.data or None,
                                           form.scopes.data, utcnow())
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return render_form("api/clients_new.html", form)
        db.session.commit()
        flash(_l("The client is made. Now make it a token."), "success")
        return redirect(url_for("api_clients.show", client_id=client.id))
    return render_form("api/clients_new.html", form)


def _client_page(client, form, status=None, secret=None):
    return render_form("api/clients_show.html", form, status, client=client, secret=secret, now=utcnow(),
                       tokens=clients.list_client_tokens(client.id), revoke_form=RevokeForm(),
                       scope_label=scope_label, tz=current_user.timezone)


@bp.route("/<int:client_id>", methods=["GET", "POST"])
@require(Permission.API_CLIENT_MANAGE)
def show(client_id: int):
    client = _client_or_404(client_id)
    form = _token_form(client)
    if form.validate_on_submit():
        # Valid through the chosen day, in the administrator's own zone.
        expires_at = local_to_utc(datetime.combine(form.expires_on.data, time(23, 59, 59)), current_user.timezone)
        try:
            _token, secret = clients.issue_client_token(current_user, client, form.name.data, expires_at,
                                                        form.scopes.data, utcnow())
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return _client_page(client, form)
        db.session.commit()
        # The secret is shown on this answer only (never stored, never in a redirect's address).
        return _client_page(client, _token_form(client, formdata=None), secret=secret)
    return _client_page(client, form)


@bp.post("/<int:client_id>/tokens/<int:token_id>/revoke")
@require(Permission.API_CLIENT_MANAGE)
def revoke(client_id: int, token_id: int):
    client = _client_or_404(client_id)
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        clients.revoke_client_token(current_user, client, token_id, utcnow())
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_l("The token is revoked: it no longer works."), "success")
    return redirect(url_for("api_clients.show", client_id=client.id))


@bp.post("/<int:client_id>/disable")
@require(Permission.API_CLIENT_MANAGE)
def disable(client_id: int):
    client = _client_or_404(client_id)
    if not RevokeForm().validate_on_submit():
        abort(400)
    clients.disable_client(current_user, client, utcnow())
    db.session.commit()
    flash(_l("The client is disabled: none of its tokens works any more."), "success")
    return redirect(url_for("api_clients.show", client_id=client.id))
