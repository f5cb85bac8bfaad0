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

sms_received = _signals.signal("sms-received", doc="""
An SMS from a citizen reached the app (Kannel's MO request to /sms/kannel/incoming). Sent by
reception.notifications in the request's transaction, after the message was recorded.

*sender*: the sender's phone number in E.164 (``+77011234567``); keyword ``text``: the message,
stripped; keyword ``received_at``: when it arrived (UTC). A receiver that understood the message
returns true (for example reception.outcomes: "1" or "2", the answer to "is your problem solved?").
""")
