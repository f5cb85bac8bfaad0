"""The citizen's other resources: rescheduling, requests (send, accept an offered time, withdraw), the waitlist,
and the outcome with the questions' status.
"""
from __future__ import annotations

from .views import bp  # noqa: F401  (the routes of this module are on the API blueprint)
