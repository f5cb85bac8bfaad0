"""What the public may see: no count from 1 to 4 can be read or worked out (pure)."""
from __future__ import annotations

from decimal import Decimal
from itertools import product

from reception.monitoring.definitions import PUBLIC_MIN_COUNT, Figures
from reception.monitoring.disclosure import HIDDEN, Shown, public_figures

SMALL = range(1, PUBLIC_MIN_COUNT)


def shown(questions, closed):
    return public_figures(Figures(questions=questions, closed=closed))


def test_counts_below_five_are_hidden_and_the_others_shown():
    row = public_figures(Figures(planned=2, held=1, citizens=3, questions=12, closed=12))
    assert (row.planned, row.held) == (2, 1)  # the officials' receptions, not people
    assert row.citizens == HIDDEN and row.questions == Shown(12) and row.in_progress == Shown(0)
    assert row.closed_share == Shown(Decimal("100.0"))
    assert public_figures(Figures(citizens=0)).citizens == Shown(0)  # nobody: nothing to protect
    assert public_figures(Figures(citizens=5)).citizens == Shown(5)


def test_no_figure_gives_a_count_below_five_away():
    """For every history of up to 30 questions, whatever the public sees fits another history in which the
    questions, the closed ones or those in progress differ whenever the real count is 1 to 4."""
    histories = [(q, c) for q in range(31) for c in range(q + 1)]
    seen: dict = {}
    for q, c in histories:
        seen.setdefault(shown(q, c), []).append((q, c))
    for (q, c), count in product(histories, ("questions", "closed", "in_progress")):
        real = {"questions": q, "closed": c, "in_progress": q - c}[count]
        if real in SMALL:
            alike = seen[shown(q, c)]
            values = {{"questions": q2, "closed": c2, "in_progress": q2 - c2}[count] for q2, c2 in alike}
            assert len(values) > 1, (q, c, count)


def test_shares_are_shown_when_nothing_small_hides_behind_them():
    assert shown(10, 5).closed_share == Shown(Decimal("50.0"))
    assert shown(9, 4).closed_share == HIDDEN and shown(9, 4).in_progress == HIDDEN  # 4 closed
    assert shown(9, 6).closed_share == HIDDEN and shown(9, 6).in_progress == HIDDEN  # 3 in progress
    assert shown(3, 3).questions == HIDDEN and shown(3, 3).closed_share == HIDDEN
    assert shown(0, 0).closed_share == Shown(None) and shown(0, 0).in_progress == Shown(0)
