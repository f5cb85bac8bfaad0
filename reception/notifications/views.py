"""Administrators' view of the outbox: what is pending and what failed, with the last error, and each
message as it was sent (or, not rendered yet, as it would be sent now)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from ..core.permissions import Permission, require
from ..extensions import db
from .models import OutboxMessage, OutboxStatus
from .services import render

bp = Blueprint("notifications", __name__, url_prefix="/admin/outbox")


@bp.get("/")
@require(Permission.OUTBOX_VIEW)
def outbox():
    status = request.args.get("status", OutboxStatus.FAILED.value)
    if status not in {s.value for s in OutboxStatus}:
        status = OutboxStatus.FAILED.value
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == status)
        .order_by(OutboxMessage.created_at.desc()).limit(200)).all()
    return render_template("notifications/outbox.html", messages=messages, status=status,
                           statuses=list(OutboxStatus))


@bp.get("/<int:message_id>")
@require(Permission.OUTBOX_VIEW)
def message(message_id: int):
    """One message: what was sent, kept on the row; a message not rendered yet is rendered for the page
    (from the records as they are now: the dispatcher renders it again when it sends it)."""
    row = db.session.get(OutboxMessage, message_id) if message_id <= 2**31 - 1 else None
    if row is None:
        abort(404)
    content, error = None, None
    try:
        content = render(row)
    except Exception as exc:  # a message that cannot be rendered is what an administrator must see
        error = f"{exc.__class__.__name__}: {exc}"
    return render_template("notifications/message.html", message=row, content=content, error=error)
