"""The monitoring blueprint: its routes live in pages, reports, atlas, attention and public (see views)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("monitoring", __name__)
