"""Pages of reception.legal (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("legal", __name__)
