"""Pages of reception.outcomes (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outcomes", __name__)
