"""Administrators' pages of an integration client's webhooks: its endpoints, a new one (the address and the
events), a new secret for one, disabling one. A secret is shown on the answer that made it, never again."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired

from ..core.clock import utcnow
from ..core.errors import DomainError, NotFound
from ..core.forms import REQUIRED, FlaskForm, MultiCheckboxField
from ..core.permissions import Permission, require
from ..core.web import attach_error, render_form
from ..extensions import db
from . import clients, webhooks

bp = Blueprint("api_webhooks", __name__)

#: Who runs clients' webhooks: who manages integration clients (administrators).
PERMISSION = Permission.API_CLIENT_MANAGE


class EndpointForm(FlaskForm):
    url = StringField(_l("Address (https://…)"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                      validators=[DataRequired(message=REQUIRED)])
    events = MultiCheckboxField(_l("Events to send"),
                                validators=[DataRequired(message=_l("Choose at least one event from the list."))])


class ButtonForm(FlaskForm):
    """A button (new secret, disable): the CSRF token is all it carries."""


def _event_choices():
    return [(event, str(webhooks.EVENT_LABELS[event])) for event in webhooks.EVENTS]


def _client(client_id: int):
    client = clients.get_client(client_id)
    if client is None:
        abort(404)
    return client


def _page(client, form, status=None, secret=None, secret_for=None):
    form.events.choices = _event_choices()
    return render_form("api/webhooks.html", form, status, client=client,
                       endpoints=webhooks.list_endpoints(client.id), secret=secret, secret_for=secret_for,
                       button_form=ButtonForm(), event_labels=webhooks.EVENT_LABELS, tz=current_user.timezone)


@bp.route("/admin/api-clients/<int:client_id>/webhooks", methods=["GET", "POST"])
@require(PERMISSION)
def index(client_id: int):
    client = _client(client_id)
    form = EndpointForm()
    form.events.choices = _event_choices()
    if form.validate_on_submit():
        try:
            endpoint, secret = webhooks.create_endpoint(client, form.url.data, form.events.data, utcnow(),
                                                        current_app.config)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return _page(client, form)
        db.session.commit()
        # The secret is shown on this answer only (never in a redirect's address).
        return _page(client, EndpointForm(formdata=None), secret=secret, secret_for=endpoint)
    return _page(client, form)


@bp.post("/admin/api-clients/<int:client_id>/webhooks/<int:endpoint_id>/rotate")
@require(PERMISSION)
def rotate(client_id: int, endpoint_id: int):
    client = _client(client_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        endpoint = webhooks.get_endpoint(client, endpoint_id)
        secret = webhooks.rotate_secret(endpoint, utcnow())
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("api_webhooks.index", client_id=client.id))
    db.session.commit()
    return _page(client, EndpointForm(formdata=None), secret=secret, secret_for=endpoint)


@bp.post("/admin/api-clients/<int:client_id>/webhooks/<int:endpoint_id>/disable")
@require(PERMISSION)
def disable(client_id: int, endpoint_id: int):
    client = _client(client_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        webhooks.disable_endpoint(webhooks.get_endpoint(client, endpoint_id), utcnow())
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_l("The address is disabled: it gets no more events."), "success")
    return redirect(url_for("api_webhooks.index", client_id=client.id))
