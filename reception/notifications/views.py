"""Administrators' view of the outbox: what is pending and what failed, with the last error."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from ..core.permissions import Permission, require
from ..extensions import db
from .models import OutboxMessage, OutboxStatus

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
