"""Legal review cases, versioned legal opinions with attachments, and free consultations."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..booking.models import Appointment
from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..directory.models import Body, Region, Topic
from ..extensions import db


class ReviewStatus(enum.StrEnum):
    QUEUED = "queued"        # flagged, waiting for a consultant of the region
    TAKEN = "taken"          # a consultant took it
    DONE = "done"            # the signed opinion was sent
    WITHDRAWN = "withdrawn"  # the flag was taken back before an opinion was signed


REVIEW_STATUS_LABELS = {
    ReviewStatus.QUEUED: _l("Waiting for a consultant"),
    ReviewStatus.TAKEN: _l("Being examined"),
    ReviewStatus.DONE: _l("Opinion sent"),
    ReviewStatus.WITHDRAWN: _l("Withdrawn"),
}


class LegalReview(db.Model):
    """A request or appointment flagged for legal review; it sits in the queue of the citizen's region."""

    __audit__ = "legal_review"
    __tablename__ = "legal_reviews"
    __table_args__ = (UniqueConstraint("appointment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # what the assistant wants examined
    status: Mapped[ReviewStatus] = mapped_column(str_enum(ReviewStatus, "review_status"), default=ReviewStatus.QUEUED)
    flagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship()
    region: Mapped[Region | None] = relationship()
    consultant: Mapped[User | None] = relationship(foreign_keys=[consultant_id])
    flagged_by: Mapped[User | None] = relationship(foreign_keys=[flagged_by_id])
    opinions: Mapped[list[LegalOpinion]] = relationship(back_populates="review", order_by="LegalOpinion.version")

    @property
    def status_label(self) -> str:
        return str(REVIEW_STATUS_LABELS[self.status])


class OpinionStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # locked: a change is a new version
    SENT = "sent"      # sent to the addressee


OPINION_STATUS_LABELS = {
    OpinionStatus.DRAFT: _l("Draft"),
    OpinionStatus.SIGNED: _l("Signed"),
    OpinionStatus.SENT: _l("Sent to the addressee"),
}


class Addressee(enum.StrEnum):
    """Where the consultant recommends the case goes."""

    PROSECUTOR = "prosecutor"            # the prosecutor's office
    LAW_ENFORCEMENT = "law_enforcement"
    CENTRAL_BODY = "central_body"        # a central executive body
    LOCAL_BODY = "local_body"            # a local executive body (akimat)
    COURT_REVIEW = "court_review"        # review of a court decision


ADDRESSEE_LABELS = {
    Addressee.PROSECUTOR: _l("Prosecutor's office"),
    Addressee.LAW_ENFORCEMENT: _l("Law enforcement"),
    Addressee.CENTRAL_BODY: _l("A central executive body"),
    Addressee.LOCAL_BODY: _l("A local executive body"),
    Addressee.COURT_REVIEW: _l("Review of a court decision"),
}


class LegalOpinion(db.Model):
    """One version of a consultant's opinion on a review. Versions are never edited once signed."""

    __audit__ = "legal_opinion"
    __tablename__ = "legal_opinions"
    __table_args__ = (UniqueConstraint("review_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("legal_reviews.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[OpinionStatus] = mapped_column(str_enum(OpinionStatus, "opinion_status"),
                                                  default=OpinionStatus.DRAFT)
    findings: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    conclusion: Mapped[str] = mapped_column(Text, default="")
    recommended_action: Mapped[str] = mapped_column(Text, default="")
    addressee: Mapped[Addressee | None] = mapped_column(str_enum(Addressee, "opinion_addressee"))
    addressee_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    addressee_detail: Mapped[str | None] = mapped_column(String(300))  # e.g. which court decision
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    review: Mapped[LegalReview] = relationship(back_populates="opinions")
    author: Mapped[User] = relationship()
    addressee_body: Mapped[Body | None] = relationship()
    attachments: Mapped[list[OpinionAttachment]] = relationship(back_populates="opinion",
                                                                   order_by="OpinionAttachment.id")

    @property
    def status_label(self) -> str:
        return str(OPINION_STATUS_LABELS[self.status])

    @property
    def addressee_label(self) -> str:
        return str(ADDRESSEE_LABELS[self.addressee]) if self.addressee else ""


class OpinionAttachment(db.Model):
    """A file attached to an opinion version (kept in the database: small, and backed up with it)."""

    __audit__ = "opinion_attachment"
    __tablename__ = "opinion_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("legal_opinions.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    opinion: Mapped[LegalOpinion] = relationship(back_populates="attachments")


class FreeConsultation(db.Model):
    """A free consultation a legal consultant gave at a reception (logged for the chamber's report)."""

    __audit__ = "free_consultation"
    __tablename__ = "free_consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    given_on: Mapped[date] = mapped_column(Date)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    consultant: Mapped[User] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
