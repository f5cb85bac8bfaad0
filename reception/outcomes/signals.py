"""What happens to outcomes and instructions, for the areas built on outcomes to react to (blinker signals).

Sent inside the caller's transaction, after the change is written: a receiver adds and flushes in the same
transaction (an outbox row) and never commits; if the transaction rolls back, so does what it wrote.
Receivers are connected at application setup (each area's ``connect_receivers``), never at import.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

outcome_recorded = _signals.signal("outcome-recorded", doc="""
The outcome of a reception was recorded for the first time (its questions, results and instructions).
Not sent again when the outcome is edited.

*sender*: the Outcome (with its questions and instructions loaded); *now*: the time of the change.
""")

instruction_overdue = _signals.signal("instruction-overdue", doc="""
An instruction's deadline has passed and it is not closed: found by the follow-up warnings, sent once per
deadline (an extension gives a new deadline, which may pass again).

*sender*: the Instruction; *now*: the time of the run; *due_on*: the deadline that passed.
""")
