"""Public results: per body and month, without personal data (no login)."""
from __future__ import annotations

from .blueprint import bp  # noqa: F401
