"""What happens to appointments, for the areas built on booking to react to (blinker signals).

Sent inside the caller's transaction, after the change is written: a receiver adds and flushes in
the same transaction (an outbox row, an invitation, a waitlist offer) and never commits; if the
transaction rolls back, so does what the receivers wrote. The ``sender`` is always the appointment.
Receivers are connected at application setup (each area's ``connect_receivers``), never at import.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

booked = _signals.signal("booked", doc="""
An appointment now holds a slot and a talon: a citizen booked a free slot, or accepted a time
offered after screening. Not sent for the new appointment of a reschedule (see ``rescheduled``).

*sender*: the appointment (scheduled); *now*: the time of the change; *fresh*: True when the appointment was
inserted in this transaction (a booking), so nothing can have been attached to it yet; *outbox* (a booking
only): a list receivers may append outbox rows to (as ``reception.notifications.services.notify(batch=...)``
collects them), written by the sender in one statement once every receiver has run; *competent_body_ids* (a
booking only): the bodies competent for its topic (``reception.directory.queries.competent_bodies``), read with
the booking's checks.
""")

cancelled = _signals.signal("cancelled", doc="""
An active appointment (or request) was cancelled; its reservations are released.

*sender*: the appointment (cancelled); *now*; *by*: ``"citizen"`` (the citizen cancelled it or
withdrew the request) or ``"session"`` (the whole session was cancelled: its citizens are told by
the receivers of ``reception.schedule.signals.session_cancelled``, and the slot is not free again).
""")

rescheduled = _signals.signal("rescheduled", doc="""
A scheduled appointment was moved to another slot of the same official: the old one is
rescheduled and a new scheduled appointment (new talon, ``rescheduled_from_id`` pointing back)
took its place; the old slot is free.

*sender*: the old appointment; *new*: the new appointment; *old_slot*: the freed slot; *now*.
""")

checked_in = _signals.signal("checked-in", doc="""
The citizen has arrived: at the front office or the akimat's studio (check-in), or the official
started receiving them without a check-in first.

*sender*: the appointment (checked in); *now*.
""")

held = _signals.signal("held", doc="""
The reception took place: finished on the day board, or its outcome was recorded.

*sender*: the appointment (held); *now*.
""")
