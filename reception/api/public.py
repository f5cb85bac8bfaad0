"""Public resources beyond the directory and the search: venues and studios, unified reception days, visiting
receptions and the public monitoring results.
"""
from __future__ import annotations

from .views import bp  # noqa: F401  (the routes of this module are on the API blueprint)
