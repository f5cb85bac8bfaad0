"""What happens to reception time, and what the schedule asks the areas built on it (blinker signals).

Reception time knows nothing of who booked it: booking answers for its appointments through these
signals (receivers connected at application setup). Sent inside the caller's transaction.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

session_cancelled = _signals.signal("session-cancelled", doc="""
A planned session was cancelled (status cancelled, with the reason). Its active appointments are to
be cancelled with the same reason and their citizens told, with links to book again.

*sender*: the session; *reason*: the reason citizens read; *now*. Each receiver returns how many
citizens it told; :func:`reception.schedule.services.cancel_session` returns the sum.
""")

bookings_counted = _signals.signal("bookings-counted", doc="""
How many active bookings (appointments holding the citizen's turn) each session has: for the
sessions list, for the number of citizens a cancellation would tell (one active appointment per
citizen and official), and to refuse moving a booked session.

*sender*: a list of session ids. Each receiver returns ``{session_id: count}`` (sessions without
bookings may be left out); the counts of all receivers are added up.
""")

session_referenced = _signals.signal("session-referenced", doc="""
Whether anything points at the session or its slots (an appointment in any status, a time offered
to a request): then its slots cannot be remade.

*sender*: the session. Each receiver returns true or false; any true answer means referenced.
""")


def count_bookings(session_ids: list[int]) -> dict[int, int]:
    """The active bookings per session (:data:`bookings_counted`), zero for sessions without."""
    counts = dict.fromkeys(session_ids, 0)
    if session_ids:
        for _receiver, answer in bookings_counted.send(list(session_ids)):
            for session_id, n in (answer or {}).items():
                counts[session_id] = counts.get(session_id, 0) + n
    return counts


def is_referenced(session) -> bool:
    """Any answer of :data:`session_referenced` is true."""
    return any(answer for _receiver, answer in session_referenced.send(session))
