"""What monitors did about the items that needed attention (and their answers to citizens' reports), and the
figures of settled periods stored so that the pages need not count them again."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.clock import utcnow
from ..core.types import UTCDateTime, str_enum
from ..directory.models import Body, Topic
from ..extensions import db


class AlertKind(enum.StrEnum):
    NOT_HELD = "not_held"            # a body held fewer receptions than it planned
    LOW_SUPPLY = "low_supply"        # citizens asked for receptions the body hardly offered
    OVERDUE = "overdue"              # instructions to a body past their due date
    RISING_TOPIC = "rising_topic"    # a topic's questions at a body rising against the previous period
    REPEATED = "repeated"            # a citizen came back about the same question
    ACCESS_REPORT = "access_report"  # a citizen's report of a refused booking


class ActionKind(enum.StrEnum):
    NOTE = "note"          # a note for the record
    LETTER = "letter"      # a letter sent to the body
    RESOLVED = "resolved"  # the monitor considers the matter settled
    ANSWERED = "answered"  # the citizen who reported was answered (the note is the answer)


ACTION_KIND_LABELS = {
    ActionKind.NOTE: _l("Note"),
    ActionKind.LETTER: _l("Letter sent to the body"),
    ActionKind.RESOLVED: _l("Resolved"),
    ActionKind.ANSWERED: _l("The citizen was answered"),
}


def item_key(*, body_id: int | None = None, topic_id: int | None = None, citizen_id: int | None = None,
             report_id: int | None = None) -> str:
    """The key of an item: the same body (topic, citizen, report) is the same item from month to month."""
    parts = [f"{letter}{value}" for letter, value in (("b", body_id), ("c", citizen_id), ("t", topic_id),
                                                      ("r", report_id)) if value is not None]
    return "-".join(parts)


class MonitoringAction(db.Model):
    """One thing a monitor did about an item of the "needs attention" list, in the period it was raised in:
    the item is its kind and key (with the body, topic, citizen or report it is about), the action a note,
    a letter, "resolved", or the answer sent to a citizen who reported a refused booking."""

    __audit__ = "monitoring_action"
    __tablename__ = "monitoring_actions"
    __table_args__ = (Index("ix_monitoring_actions_item", "item_key", "alert_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind, "alert_kind"))
    item_key: Mapped[str] = mapped_column(String(64))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("access_reports.id", ondelete="RESTRICT"), index=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    action: Mapped[ActionKind] = mapped_column(str_enum(ActionKind, "monitoring_action_kind"))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    body: Mapped[Body | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    @property
    def action_label(self) -> str:
        return str(ACTION_KIND_LABELS[self.action])


class Snapshot(db.Model):
    """The figures of one settled period as counted at ``taken_at``: ``what`` they are (``figures:body``,
    ``figures:level``, ``topic_matrix``, ...; see ``snapshots.WHAT``) and the counted rows as JSON. One row per
    what and period: taking it again replaces it."""

    __tablename__ = "monitoring_snapshots"
    __table_args__ = (UniqueConstraint("what", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(String(32))
    period_kind: Mapped[str] = mapped_column(String(10))  # month, quarter or year
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    payload: Mapped[dict] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
