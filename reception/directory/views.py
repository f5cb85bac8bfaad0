"""Public directory pages and the administrators' directory management."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("directory", __name__, url_prefix="/directory")
admin_bp = Blueprint("directory_admin", __name__, url_prefix="/admin/directory")


# Placeholders until the directory pages land (being written now).
@bp.get("/")
def regions():
    return "directory"


for _name in ("regions", "topics", "bodies", "officials", "venues", "official_new", "venue_new"):
    admin_bp.add_url_rule(f"/{_name}", _name, lambda: "todo")
admin_bp.add_url_rule("/officials/<int:official_id>", "official_edit", lambda official_id: "todo")
