"""The monitors' pages: the overview, the bodies table and a body's page (routes on the blueprint)."""
from __future__ import annotations

from .blueprint import bp  # noqa: F401
