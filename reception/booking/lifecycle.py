"""The appointment's life: which status changes are allowed (one table) and the one function that makes them.

Every change of an appointment's status in the system goes through :func:`transition`: one
``UPDATE appointments SET status = … WHERE id = … AND status = <the status the caller saw>`` (so of two
changes at once exactly one wins and the other gets :class:`StatusConflict`, nothing overwritten), the
audit record of what it changed (a Core UPDATE bypasses the audit hook), and the event of
:mod:`.signals`. Creating an appointment is not a transition: a booking starts scheduled, a request
requested (:data:`INITIAL`).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from blinker import NamedSignal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record_change
from ..core.errors import Conflict
from ..extensions import db
from . import signals
from .models import STATUS_LABELS, Appointment, AppointmentStatus

S = AppointmentStatus

#: The statuses an appointment is created in: booked directly, or requested (request mode).
INITIAL = frozenset({S.SCHEDULED, S.REQUESTED})


class Action(enum.StrEnum):
    OFFER = "offer"            # screening offers times (again, once earlier offers ran out)
    ACCEPT = "accept"          # the citizen accepts an offered time: the request becomes a booking
    CLOSE = "close"            # screening redirects, resolves or declines the request
    CANCEL = "cancel"          # the citizen cancels (or withdraws the request), or the session is cancelled
    RESCHEDULE = "reschedule"  # moved to another time: a new appointment takes its place
    CHECK_IN = "check_in"      # the citizen has arrived (front office or studio)
    START = "start"            # the official starts receiving the citizen (checks in if not yet)
    NO_SHOW = "no_show"        # the citizen did not come (once the time has begun, not once started)
    FINISH = "finish"          # the day board: the started reception is over
    HOLD = "hold"              # the outcome is recorded: the reception took place


_NOT_STARTED = (Appointment.started_at.is_(None),)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[AppointmentStatus]
    target: AppointmentStatus
    #: Sent when the status changes (not for START of an appointment already checked in).
    signal: NamedSignal | None = None
    #: Further conditions of the guarded UPDATE, beyond the status.
    guard: tuple = field(default=(), compare=False)


#: The whole state machine. Anything not here is refused.
TRANSITIONS: dict[Action, Transition] = {
    Action.OFFER: Transition(frozenset({S.REQUESTED, S.SCREENING}), S.SCREENING),
    Action.ACCEPT: Transition(frozenset({S.SCREENING}), S.SCHEDULED, signals.booked),
    Action.CLOSE: Transition(frozenset({S.REQUESTED, S.SCREENING}), S.CLOSED),
    Action.CANCEL: Transition(frozenset({S.REQUESTED, S.SCREENING, S.SCHEDULED, S.CHECKED_IN}), S.CANCELLED,
                              signals.cancelled),
    Action.RESCHEDULE: Transition(frozenset({S.SCHEDULED}), S.RESCHEDULED, signals.rescheduled),
    Action.CHECK_IN: Transition(frozenset({S.SCHEDULED}), S.CHECKED_IN, signals.checked_in),
    Action.START: Transition(frozenset({S.SCHEDULED, S.CHECKED_IN}), S.CHECKED_IN, signals.checked_in,
                             guard=_NOT_STARTED),
    Action.NO_SHOW: Transition(frozenset({S.SCHEDULED, S.CHECKED_IN}), S.NO_SHOW, guard=_NOT_STARTED),
    Action.FINISH: Transition(frozenset({S.CHECKED_IN}), S.HELD, signals.held,
                              guard=(Appointment.started_at.is_not(None), Appointment.finished_at.is_(None))),
    Action.HOLD: Transition(frozenset({S.CHECKED_IN}), S.HELD, signals.held),
}


def _label(status: AppointmentStatus | None) -> str:
    return str(STATUS_LABELS[status]) if status is not None else "—"


def changed_message(status: AppointmentStatus | None):
    return _l("Someone has just changed this reception: it is now “%(status)s”. Reload the page to see it.",
              status=_label(status))


class StatusConflict(Conflict):
    """The transition is not allowed from the appointment's status, or another change won the race.

    ``current`` is the status the appointment has now.
    """

    def __init__(self, message, current: AppointmentStatus | None, *, field: str | None = None):
        super().__init__(message, field=field)
        self.current = current


def allowed(status: AppointmentStatus, action: Action) -> bool:
    return status in TRANSITIONS[action].sources


def transition(appointment: Appointment, action: Action, now: datetime, *, values: dict | None = None,
               conflict=None, emit: bool = True, **event) -> None:
    """Move ``appointment`` by ``action`` from the status it has in memory (what the caller saw).

    Writes the new status and ``values`` (other columns of the same change) with one guarded UPDATE,
    records the change in the audit log, updates the in-memory appointment and, when the status
    changed and ``emit`` is true, sends the transition's signal with ``now`` and ``event`` (with
    ``emit=False`` the caller sends it later with :func:`emit_event`). Adds to the caller's transaction.

    Raises StatusConflict when the action is not allowed from that status or the row changed meanwhile
    (pages reload the appointment before they change it, so both mean someone else was quicker):
    ``conflict`` is the message, by default that someone has just changed it, and to what.
    """
    rule = TRANSITIONS[action]
    seen = appointment.status
    values = {"status": rule.target, **(values or {})}
    A = Appointment
    # The database decides, also when ``seen`` is not an allowed source (nothing matches then): the
    # statement that refuses is the same one that races, and the status it replaces is exactly ``seen``.
    done = db.session.execute(
        update(A).where(A.id == appointment.id, A.status == seen, A.status.in_(rule.sources), *rule.guard)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        current = db.session.scalar(select(A.status).where(A.id == appointment.id))
        message = conflict or changed_message(current)
        raise StatusConflict(message, current)
    old = {key: seen if key == "status" else appointment.__dict__.get(key) for key in values}
    record_change("appointment", appointment.id, {key: (old[key], value) for key, value in values.items()
                                                  if old[key] != value})
    for key, value in values.items():  # what the row now holds, without a reload or an audit of its own
        set_committed_value(appointment, key, value)
    if emit and seen is not rule.target:
        emit_event(appointment, action, now, **event)


def emit_event(appointment: Appointment, action: Action, now: datetime, **event) -> None:
    """Send the signal of ``action`` about ``appointment`` (done by :func:`transition` unless told not to)."""
    signal = TRANSITIONS[action].signal
    if signal is not None:
        signal.send(appointment, now=now, **event)
