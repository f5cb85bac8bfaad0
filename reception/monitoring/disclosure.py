"""What the public results may show of a body's month, so that nobody can be recognised. Pure.

Counts of people and of their questions below ``PUBLIC_MIN_COUNT`` (1 to 4) are shown as "fewer than 5";
no count (0) is shown as 0, since it is nobody. Receptions planned and held are the officials' public acts
and are shown as they are. A figure that would give a hidden count away is hidden too: the questions "in
progress" are the questions less the closed ones, so they are hidden when either is 1 to 4; the closed
share is hidden unless the questions, the closed and the questions in progress are each 0 or at least 5.
The public pages show months of single bodies and no totals, so no count can be worked out by adding or
subtracting rows either.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .definitions import PUBLIC_MIN_COUNT, Figures, share


@dataclass(frozen=True)
class Shown:
    """A figure as the public sees it: its value, or hidden ("fewer than 5", or not shown for a share)."""

    value: int | Decimal | None
    hidden: bool = False


HIDDEN = Shown(None, hidden=True)


def is_small(count: int) -> bool:
    return 0 < count < PUBLIC_MIN_COUNT


def _count(count: int) -> Shown:
    return HIDDEN if is_small(count) else Shown(count)


@dataclass(frozen=True)
class PublicFigures:
    planned: int
    held: int
    citizens: Shown
    questions: Shown
    in_progress: Shown
    closed_share: Shown  # value None (and not hidden) when there were no questions


def public_figures(figures: Figures) -> PublicFigures:
    questions, closed = figures.questions, figures.closed
    in_progress = questions - closed
    hide_progress = is_small(in_progress) or is_small(closed)
    hide_share = is_small(questions) or is_small(closed) or is_small(in_progress)
    return PublicFigures(
        planned=figures.planned, held=figures.held, citizens=_count(figures.citizens), questions=_count(questions),
        in_progress=HIDDEN if hide_progress else Shown(in_progress),
        closed_share=HIDDEN if hide_share else Shown(share(closed, questions)))
