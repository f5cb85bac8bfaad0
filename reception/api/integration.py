"""Integration clients' resources: an appeals system sends a request on a citizen's behalf (by IIN, with the
appeal number) and reads its status.
"""
from __future__ import annotations

from .views import bp  # noqa: F401  (the routes of this module are on the API blueprint)
