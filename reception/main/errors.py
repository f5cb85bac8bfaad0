"""One place that turns errors into answers: HTML for pages, JSON for API clients."""
from __future__ import annotations

import logging
import math
import time

from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..core.errors import DomainError
from ..extensions import db, limiter

log = logging.getLogger(__name__)


def _messages():
    return {
        400: _("The request could not be understood."),
        401: _("Please log in to open this page."),
        403: _("You do not have access to this page."),
        404: _("The page or record you asked for does not exist."),
        405: _("This action is not allowed here."),
        409: _("This conflicts with the current state. Reload the page and try again."),
        413: _("The upload is too large."),
        422: _("Some of the data is not valid."),
        429: _("Too many attempts. Wait a few minutes and try again."),
        500: _("Something went wrong on our side. Please try again later."),
    }


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None):
    message = message or _messages().get(status) or _messages()[400 if status < 500 else 500]
    if _wants_json():
        return jsonify(error=message, status=status), status
    return render_template("errors/error.html", status=status, message=message), status


def retry_after() -> int:
    """Seconds until every limit this request breached lets it through again (at least 1)."""
    breached = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    return max(1, math.ceil(max(breached, default=0) - time.time()))


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        db.session.rollback()
        return error_response(400, _("The form has expired or did not come from this site. "
                                     "Go back, reload the page and send it again."))

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(exc: RateLimitExceeded):
        db.session.rollback()
        wait = retry_after()
        minutes = max(1, round(wait / 60))
        response = make_response(error_response(429, ngettext(
            "Too many attempts. Try again in %(num)d minute.", "Too many attempts. Try again in %(num)d minutes.",
            minutes)))
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status, str(exc.message))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        if exc.code is None or exc.code < 400:
            return exc
        return error_response(exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500)
