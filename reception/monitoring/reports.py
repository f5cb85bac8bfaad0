"""The monthly report: printable, XLSX and CSV, for the country and each body (routes on the blueprint)."""
from __future__ import annotations

from .blueprint import bp  # noqa: F401
