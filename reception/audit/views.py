"""The administrators' audit page: who changed or saw what, when and from where (read only)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..core.permissions import Permission, require
from . import queries
from .forms import ACTION_LABELS, AuditFilterForm
from .models import AuditAction

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

def _page(args):
    tz = current_user.timezone
    form = AuditFilterForm(args, queries.audited_entities())
    context = {"form": form, "tz": tz, "action_labels": ACTION_LABELS, "entity_label": queries.entity_label}
    if args and not form.validate():
        return render_template("audit/events.html", rows=[], next_before=None, filters={},
                               page_error=_l("Check the filters below."), **context), 422
    actor_id = form.actor_id
    f = queries.AuditFilter(
        tz=tz, entity=form.entity.data or None, entity_id=form.entity_id.data,
        actor_id=actor_id, actor_name=None if actor_id else (form.actor.data or "").strip() or None,
        action=AuditAction(form.action.data) if form.action.data else None,
        date_from=form.date_from.data, date_to=form.date_to.data)
    rows, next_before = queries.list_events(f, form.before.data)
    filters = {k: v for k, v in args.items() if k != "before" and v}
    return render_template("audit/events.html", rows=rows, next_before=next_before, filters=filters, **context)


@bp.get("/")
@require(Permission.AUDIT_VIEW)
def events():
    """The record, newest first, 50 a page, filtered by record, person, action and period."""
    return _page(request.args)


@bp.get("/<entity>/<int:entity_id>")
@require(Permission.AUDIT_VIEW)
def history(entity: str, entity_id: int):
    """The history of one record (a bookmarkable address for the list filtered by it)."""
    args = MultiDict(request.args)
    args["entity"], args["entity_id"] = entity, str(entity_id)
    return _page(args)
