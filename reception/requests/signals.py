"""What screening decides about requests, for the areas built on requests to react to (blinker signals).

Sent inside the caller's transaction, after the decision is written: a receiver adds and flushes in the same
transaction (an outbox row) and never commits; if the transaction rolls back, so does what it wrote.
Receivers are connected at application setup (each area's ``connect_receivers``), never at import.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

decided = _signals.signal("decided", doc="""
Screening decided a request: times offered, redirected to another body, resolved without a reception, or
declined (``request.decision``). Sent once per decision (times offered again after the earlier offers ran
out is a new decision).

*sender*: the request (an Appointment in request mode, its decision written); *now*: the time of the decision.
""")
