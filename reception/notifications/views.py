"""Administrators' view of the outbox: what is pending and what failed, with the last error, and each
message as it was sent (or, not rendered yet, as it would be sent now), with the SMS gateway's delivery
reports. And the addresses the SMS gateway (Kannel) calls: delivery reports and SMS from citizens."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.clock import utcnow
from ..core.errors import DomainError
from ..core.permissions import Permission, require
from ..extensions import db
from . import gateway, sms
from .models import Channel, OutboxMessage, OutboxStatus
from .services import render

bp = Blueprint("notifications", __name__)


@bp.app_template_filter("sms_free")
def sms_free(value) -> str:
    """In an SMS template: a free-text part (a name, a reason) that may be shortened to keep the SMS within
    two segments (see reception.notifications.sms.fit)."""
    return sms.mark_free(value)


@bp.app_template_filter("sms_initials")
def sms_initials(full_name) -> str:
    """In an SMS template: a person's name as surname and initials (see reception.notifications.sms.initials)."""
    return sms.initials(full_name)


@bp.get("/admin/outbox/")
@require(Permission.OUTBOX_VIEW)
def outbox():
    status = request.args.get("status", OutboxStatus.FAILED.value)
    if status not in {s.value for s in OutboxStatus}:
        status = OutboxStatus.FAILED.value
    channel = request.args.get("channel", "")
    query = select(OutboxMessage).where(OutboxMessage.status == status)
    if channel in {c.value for c in Channel}:  # e.g. only the webhook deliveries
        query = query.where(OutboxMessage.channel == channel)
    else:
        channel = ""
    messages = db.session.scalars(query.order_by(OutboxMessage.created_at.desc()).limit(200)).all()
    return render_template("notifications/outbox.html", messages=messages, status=status,
                           statuses=list(OutboxStatus), channel=channel, channels=list(Channel))


@bp.get("/admin/outbox/<int:message_id>")
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


def _plain(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/plain")


@bp.get("/sms/kannel/dlr")
def kannel_report():
    """Kannel's delivery report of one SMS: ``id`` and ``sig`` as the dispatcher gave them, ``type`` (its
    %d) and ``reply`` (its %A). 404 for an unknown id, 403 for a wrong signature, 400 for a type that is
    not a number; a report arriving twice changes nothing."""
    raw_type = request.args.get("type", "")
    raw_id = request.args.get("id", "")
    if not raw_type.isdigit() or len(raw_type) > 4 or not raw_id.isdigit() or len(raw_id) > 10:
        return _plain(_("A delivery report needs a message id and a report type."), 400)
    try:
        gateway.record_delivery_report(int(raw_id), request.args.get("sig", ""), int(raw_type),
                                       request.args.get("reply", ""), current_app.config["SECRET_KEY"], utcnow())
    except DomainError as exc:
        return _plain(str(exc.message), exc.status)
    db.session.commit()
    return _plain("")


@bp.get("/sms/kannel/incoming")
def kannel_incoming():
    """An SMS a citizen sent to the system's number (Kannel's sms-service get-url): ``key`` (the shared
    secret RECEPTION_KANNEL_MO_SECRET), ``from`` (%p), ``to`` (%P) and ``text`` (%a). Answered with an empty
    text/plain body: Kannel's sms-service is configured to send no reply (omit-empty); an answer to the
    citizen, if any, goes through the outbox like every SMS. 404 when no secret is configured."""
    secret = current_app.config.get("KANNEL_MO_SECRET") or ""
    if not secret:
        abort(404)
    if not hmac.compare_digest(secret.encode(), request.args.get("key", "").encode()):
        return _plain(_("Wrong key."), 403)
    sender, text = request.args.get("from", ""), request.args.get("text", "")
    if not sender.strip() or len(sender) > 64 or len(text) > 2000:
        return _plain(_("An SMS needs a sender and a text of at most 2000 characters."), 400)
    gateway.receive_sms(sender, request.args.get("to", ""), text, utcnow())
    db.session.commit()
    return _plain("")
