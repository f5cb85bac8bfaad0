"""What the dispatcher asks the areas that write messages (blinker signals)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

message_due = _signals.signal("message-due", doc="""
A message marked ``cancel_if_inactive`` (a reminder, the video details) is due and about to be sent:
is what it announces still true? Sent by the dispatcher, in its own transaction.

*sender*: the OutboxMessage. Each receiver returns true to send it, false to drop it (status
cancelled); a message nobody answers for is dropped too. reception.booking answers for messages
about an appointment: still scheduled or checked in.
""")
