"""The outbox: messages written in the same transaction as the change they announce.

A row is written as intent (what happened, to whom, by which channel, in which language, when: the
template's name and its context as references); the dispatcher renders it at its first sending
attempt and keeps what it rendered on the row, so a retry sends the same message.
"""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..extensions import db


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"  # a signed HTTP POST to an integration client's endpoint (reception.api.webhooks)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"      # claimed by a dispatcher until locked_until (then claimable again)
    SENT = "sent"
    FAILED = "failed"        # gave up after the configured number of attempts
    CANCELLED = "cancelled"  # dropped: e.g. a reminder of an appointment cancelled or moved meanwhile


class DeliveryStatus(enum.StrEnum):
    """What the SMS gateway last reported about a sent SMS (Kannel's delivery reports)."""

    ACCEPTED = "accepted"    # the operator's SMSC took it (Kannel report 8): not on the phone yet
    DELIVERED = "delivered"  # on the phone (report 1)
    FAILED = "failed"        # the phone or the SMSC refused it (report 2 or 16)


CHANNEL_LABELS = {Channel.EMAIL: _l("E-mail"), Channel.SMS: _l("SMS"), Channel.WEBHOOK: _l("Webhook")}

OUTBOX_STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting to be sent"),
    OutboxStatus.SENDING: _l("Being sent"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Not delivered"),
    OutboxStatus.CANCELLED: _l("Dropped"),
}

DELIVERY_STATUS_LABELS = {
    DeliveryStatus.ACCEPTED: _l("Accepted by the operator"),
    DeliveryStatus.DELIVERED: _l("Delivered to the phone"),
    DeliveryStatus.FAILED: _l("Not delivered to the phone"),
}

#: What each kind of message (its template's name) tells, for the administrators' pages.
KIND_LABELS = {
    "access_report_answered": _l("Answer to a citizen's report"),
    "appointment_cancelled": _l("Appointment cancelled"),
    "ballot_lost": _l("Not drawn in the ballot"),
    "body_invited": _l("Body invited to a reception"),
    "booking_confirmed": _l("Booking confirmed"),
    "followup_due_soon": _l("Instruction due soon"),
    "followup_overdue": _l("Instruction overdue"),
    "instruction_extended": _l("Instruction deadline extended"),
    "legal_opinion_signed": _l("Legal opinion signed"),
    "legal_review_queued": _l("Case sent for legal review"),
    "outcome_recorded": _l("Outcome of a reception"),
    "participant_invited": _l("Invitation to a reception"),
    "password_reset": _l("Password reset"),
    "phone_code": _l("Code sent by SMS"),
    "reminder": _l("Reminder of a reception"),
    "request_declined": _l("Request declined"),
    "request_offered": _l("Reception times offered"),
    "request_redirected": _l("Request redirected to a body"),
    "request_resolved": _l("Request resolved"),
    "rescheduled": _l("Appointment moved"),
    "session_cancelled": _l("Reception cancelled"),
    "solved_asked": _l("Asked whether the problem is solved"),
    "systemic_issue_progress": _l("Progress on a systemic issue"),
    "video_details": _l("Video call details"),
    "visiting_announced": _l("Visiting reception announced"),
    "waitlist_offer": _l("Free time from the waitlist"),
    # Webhooks to integration clients: the kind is the event's type.
    "appointment.booked": _l("Webhook: appointment booked"),
    "appointment.cancelled": _l("Webhook: appointment cancelled"),
    "appointment.rescheduled": _l("Webhook: appointment moved"),
    "appointment.held": _l("Webhook: reception held"),
    "outcome.recorded": _l("Webhook: outcome recorded"),
    "instruction.overdue": _l("Webhook: instruction overdue"),
    "request.decided": _l("Webhook: request decided"),
}


#: The recipient of a webhook event's row until the dispatcher expands it (reception.notifications.webhook).
FAN_OUT = "*"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. "password_reset"
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))  # e-mail address, E.164 phone or webhook URL
    locale: Mapped[str] = mapped_column(String(2))
    # The intent: templates/emails/<template>.txt and .html (or templates/sms/<template>.txt) and a JSON
    # object {"subject", "context", "with", "invite"} of references (see .intent). NULL template: the row
    # was written rendered (before revision 0012, or by a caller that gave the text itself).
    template: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str | None] = mapped_column(Text)
    # What was sent, rendered at the first attempt (rendered_at, also the e-mail's Date) and kept.
    subject: Mapped[str] = mapped_column(String(255), default="")
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A unique key makes "announce this once" a database guarantee.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "outbox_status"),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A dispatcher's claim: while SENDING and locked_until is ahead, no other dispatcher takes the row.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The appointment the message is about; with cancel_if_inactive (reminders), it is dropped
    # at sending time unless the appointment is still scheduled or checked in.
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"),
                                                          index=True)
    cancel_if_inactive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An iCalendar attachment (RFC 5545 text with its METHOD), e-mail only; rendered with the rest.
    ics: Mapped[str | None] = mapped_column(Text)

    # SMS: how many segments the sent text takes (counted when rendered), and what the gateway reported
    # after it was sent (delivery reports: the status, when it came, the operator's words on a failure).
    segments: Mapped[int | None] = mapped_column(Integer)
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    delivery_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_error: Mapped[str | None] = mapped_column(String(255))

    @property
    def delivery_label(self) -> str:
        return str(DELIVERY_STATUS_LABELS[self.delivery_status]) if self.delivery_status else ""

    @property
    def is_event(self) -> bool:
        """A webhook event before it is expanded into one delivery per subscribed endpoint."""
        return self.channel is Channel.WEBHOOK and self.recipient == FAN_OUT

    @property
    def is_rendered(self) -> bool:
        return self.template is None or self.rendered_at is not None


class InboundSms(db.Model):
    """An SMS a citizen sent to the system's number, as the gateway handed it over (Kannel's sms-service)."""

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(32), index=True)  # E.164 when it could be read as a phone
    receiver: Mapped[str] = mapped_column(String(32), default="")  # the number it was sent to
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Whether a receiver of signals.sms_received understood it (e.g. the answer "1" to "is it solved?").
    understood: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
