"""Staff resources: the day board, holding receptions (check-in, no-show, start, finish), outcomes and
instructions, bodies' reports, the screening queue and its decisions, legal review status; each with the
pages' permission checks.
"""
from __future__ import annotations

from .views import bp  # noqa: F401  (the routes of this module are on the API blueprint)
