"""Systemic issues: one problem raised by many citizens (a district without heating, the mortgage holders of
one developer), the bodies of its working group, its coordinator, its status with the history of changes, and
the appointments and requests linked to it (each belongs to at most one issue)."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..booking.models import Appointment
from ..core.clock import CAPITAL_TZ, utcnow
from ..core.types import UTCDateTime, str_enum
from ..directory.models import Body, Region
from ..extensions import db


class IssueStatus(enum.StrEnum):
    OPEN = "open"                # gathered, nobody works on it yet
    IN_PROGRESS = "in_progress"  # the working group works on it
    RESOLVED = "resolved"        # the problem is solved (the citizens are told and may say it is not)
    CLOSED = "closed"            # nothing more will be done (merged, withdrawn, beyond the bodies' reach)


STATUS_LABELS = {
    IssueStatus.OPEN: _l("Open"),
    IssueStatus.IN_PROGRESS: _l("In progress"),
    IssueStatus.RESOLVED: _l("Resolved"),
    IssueStatus.CLOSED: _l("Closed"),
}

#: The one table of status changes: from each status, where it may go.
TRANSITIONS: dict[IssueStatus, frozenset[IssueStatus]] = {
    IssueStatus.OPEN: frozenset({IssueStatus.IN_PROGRESS, IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.IN_PROGRESS: frozenset({IssueStatus.OPEN, IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.RESOLVED: frozenset({IssueStatus.IN_PROGRESS, IssueStatus.CLOSED}),
    IssueStatus.CLOSED: frozenset({IssueStatus.IN_PROGRESS}),
}

#: Statuses counted as open on the monitoring map (work not finished).
OPEN_STATUSES = (IssueStatus.OPEN, IssueStatus.IN_PROGRESS)

systemic_issue_bodies = Table(
    "systemic_issue_bodies", db.metadata,
    Column("issue_id", Integer, ForeignKey("systemic_issues.id", ondelete="CASCADE"), primary_key=True),
    Column("body_id", Integer, ForeignKey("bodies.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class SystemicIssue(db.Model):
    """A problem many citizens raised, worked on by the bodies of its working group under a coordinator."""

    __audit__ = "systemic_issue"
    __tablename__ = "systemic_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[IssueStatus] = mapped_column(str_enum(IssueStatus, "systemic_issue_status"), index=True,
                                                default=IssueStatus.OPEN)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    coordinator: Mapped[User] = relationship(foreign_keys=[coordinator_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    region: Mapped[Region | None] = relationship()
    bodies: Mapped[list[Body]] = relationship(secondary=systemic_issue_bodies)
    changes: Mapped[list[IssueChange]] = relationship(back_populates="issue", order_by="IssueChange.id")
    links: Mapped[list[IssueLink]] = relationship(back_populates="issue", order_by="IssueLink.id")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def timezone(self) -> str:
        """Where its times are shown: the region's zone, else the capital's."""
        return self.region.timezone if self.region else CAPITAL_TZ

    @property
    def body_ids(self) -> set[int]:
        return {b.id for b in self.bodies}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IssueChange(db.Model):
    """One change of an issue's status, with the note the linked citizens are told."""

    __tablename__ = "systemic_issue_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("systemic_issues.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[IssueStatus] = mapped_column(str_enum(IssueStatus, "systemic_old_status"))
    new_status: Mapped[IssueStatus] = mapped_column(str_enum(IssueStatus, "systemic_new_status"))
    note: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    issue: Mapped[SystemicIssue] = relationship(back_populates="changes")
    changed_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.new_status])

    @property
    def old_status_label(self) -> str:
        return str(STATUS_LABELS[self.old_status])


class IssueLink(db.Model):
    """An appointment or request linked to an issue; the unique appointment makes "at most one issue" a
    database rule. Linking and unlinking are recorded in the audit log (``__audit__``)."""

    __audit__ = "systemic_link"
    __tablename__ = "systemic_issue_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("systemic_issues.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="RESTRICT"), unique=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    issue: Mapped[SystemicIssue] = relationship(back_populates="links")
    appointment: Mapped[Appointment] = relationship()
    linked_by: Mapped[User | None] = relationship()
