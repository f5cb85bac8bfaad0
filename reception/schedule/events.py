"""Pages of unified reception days and visiting receptions: public listings, announcing, publishing."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__)
