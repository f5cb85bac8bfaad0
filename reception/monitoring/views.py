"""Monitoring pages: every module that adds routes to the blueprint is imported here."""
from __future__ import annotations

from . import atlas, attention, pages, public, reports  # noqa: F401  (their routes)
from .blueprint import bp

__all__ = ["bp"]
