"""Pure rules of request mode: the redirect deadline in working days, its flags, and the labels of decisions."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from ..booking.models import DeclineGround, RequestDecision
from ..core.timeutil import to_local

#: A request that is not for this official goes to the competent body within 3 working days of receipt.
REDIRECT_WORKING_DAYS = 3

DECISION_LABELS = {
    RequestDecision.OFFERED: _l("Reception time offered"),
    RequestDecision.REDIRECTED: _l("Sent to the competent body"),
    RequestDecision.RESOLVED: _l("Resolved without a reception"),
    RequestDecision.DECLINED: _l("Declined"),
}

DECLINE_GROUND_LABELS = {
    DeclineGround.REPEATED: _l("The same issue has already been answered and the request raises nothing new"),
    DeclineGround.COURT: _l("The issue has been decided by a court or is before a court"),
    DeclineGround.NO_SUBSTANCE: _l("The issue cannot be identified from the request"),
    DeclineGround.OFFENSIVE: _l("The request contains obscene or offensive language or threats"),
    DeclineGround.WITHDRAWN: _l("The citizen withdrew the request"),
}


class DeadlineFlag(enum.StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"  # the last day is today or the next working day
    OVERDUE = "overdue"    # the last day has passed


DEADLINE_LABELS = {
    DeadlineFlag.ON_TIME: _l("On time"),
    DeadlineFlag.DUE_SOON: _l("Due soon"),
    DeadlineFlag.OVERDUE: _l("Overdue"),
}


def local_date(value: datetime, tz_name: str) -> date:
    """The calendar date of an aware instant in ``tz_name``."""
    return to_local(value, tz_name).date()


def redirect_due_on(received_at: datetime, tz_name: str, calendar) -> date:
    """The last day to redirect a request received at ``received_at``: the 3rd working day after the local date."""
    return calendar.add_working_days(local_date(received_at, tz_name), REDIRECT_WORKING_DAYS)


def deadline_flag(due_on: date, today: date, calendar) -> DeadlineFlag:
    """Overdue once the day has passed; due soon when the last day is today or the next working day."""
    if today > due_on:
        return DeadlineFlag.OVERDUE
    if due_on <= calendar.add_working_days(today, 1):
        return DeadlineFlag.DUE_SOON
    return DeadlineFlag.ON_TIME


def is_late(decided_at: datetime | None, due_on: date | None, tz_name: str) -> bool:
    """A decision taken after the last day of its deadline (local date of the decision)."""
    if decided_at is None or due_on is None:
        return False
    return local_date(decided_at, tz_name) > due_on


#: An urgent request is decided within this many working days of being found urgent.
URGENT_WORKING_DAYS = 1


def urgent_due_on(since: datetime, tz_name: str, calendar) -> date:
    """The last day to decide an urgent request: the next working day after the local date it became urgent
    (marked by staff, or sent marked by the citizen). A request found urgent on a Friday is due on Monday,
    unless Monday is a holiday."""
    return calendar.add_working_days(local_date(since, tz_name), URGENT_WORKING_DAYS)


def is_urgent_late(due_on: date | None, today: date) -> bool:
    """An urgent request still waiting after its last day."""
    return due_on is not None and today > due_on
