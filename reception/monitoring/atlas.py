"""The map of problematic issues: body x topic, and Kazakhstan's 20 regions shaded by a measure."""
from __future__ import annotations

from .blueprint import bp  # noqa: F401
