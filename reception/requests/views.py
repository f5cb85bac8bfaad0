"""Request mode pages: a citizen's request for a reception, and the assistants' screening queue."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("requests", __name__)
