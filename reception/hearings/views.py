"""Pages of reception.hearings (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("hearings", __name__)
