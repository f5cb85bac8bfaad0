"""Home page, role home pages, language choice and the health check."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts.services import set_language
from ..core.i18n import LANG_COOKIE, LANGUAGES
from ..core.permissions import Role
from ..core.web import safe_next
from ..extensions import db
from . import queries

bp = Blueprint("main", __name__)


@bp.before_app_request
def refuse_nul_bytes():
    """NUL characters are never legitimate form input, and PostgreSQL text columns refuse them."""
    if request.method == "POST" and any("\x00" in v for v in request.form.values()):
        abort(400)
    if any("\x00" in v for v in request.args.values()):
        abort(400)


@bp.get("/")
def index():
    return render_template("main/index.html", stats=queries.public_stats())


@bp.get("/healthz")
def health():
    """For load balancers and monitoring: 200 while the database answers, 503 when it does not."""
    if not queries.database_answers():
        return jsonify(status="unavailable", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/language")
def choose_language():
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        lang = current_app.config["DEFAULT_LOCALE"]
    set_language(current_user if current_user.is_authenticated else None, lang)
    db.session.commit()
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("main.index"))))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response


@bp.get("/home")
@login_required
def home():
    """Each role's own page of what to do next."""
    role = current_user.primary_role or Role.CITIZEN
    context = queries.home_context(current_user, role)
    return render_template(f"main/home_{role.value}.html", role=role, **context)
