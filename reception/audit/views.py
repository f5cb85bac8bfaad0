"""Pages of reception.audit (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__)
