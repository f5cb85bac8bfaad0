"""Needs attention: the alerts of the period, what monitors did about them, citizens' reports."""
from __future__ import annotations

from .blueprint import bp  # noqa: F401
