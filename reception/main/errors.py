"""One place that turns errors into answers: HTML for pages, JSON for API clients."""
from __future__ import annotations

import logging
import math
import time
from contextlib import nullcontext

from flask import current_app, g, jsonify, make_response, render_template, request
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from ..core.errors import DomainError
from ..core.i18n import LANGUAGES
from ..extensions import db, limiter

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait (Retry-After) when the database is unavailable or too busy: about the
#: time PostgreSQL takes to restart.
RETRY_AFTER_SECONDS = 5


_SQLITE_PASSING = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL",
                   "SQLITE_PROTOCOL")


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
        503: _("The service is briefly unavailable. Please try again in a minute."),
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


def _rollback() -> None:
    """End the request's transaction; with the database gone the rollback itself may fail, and the
    connection is then dropped (the pool replaces it), so the error is still answered."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.warning("rollback failed; closing the session", exc_info=True)
        try:
            db.session.close()
        except SQLAlchemyError:
            log.warning("closing the session failed", exc_info=True)


def _database_answer(exc: SQLAlchemyError) -> tuple[int, str | None] | None:
    """(status, message) for a database error that is no bug of ours, or None (a 500).

    - the connection is lost, cannot be made or none is free in time (PostgreSQL restarting, too many
      connections), or the database is too busy (lock or statement timeout, SQLite's lock): 503;
    - the transaction lost to a concurrent one (serialization failure, deadlock: SQLSTATE class 40), or a
      constraint refused a change no service expected to be refused: 409, nothing was saved;
    - a value the database cannot take (a number out of range, say): 400.
    """
    if isinstance(exc, PoolTimeout):
        return 503, None
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return 503, None
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate.startswith("40"):
        return 409, _("Someone changed the same record at the same moment. Nothing was saved: send it again.")
    if isinstance(exc, OperationalError):
        # SQLite calls a missing table an OperationalError too: only its lock, file and I/O errors pass.
        name = getattr(exc.orig, "sqlite_errorname", None)
        return (503, None) if name is None or name.startswith(_SQLITE_PASSING) else None
    if isinstance(exc, IntegrityError):
        return 409, None
    if isinstance(exc, DataError):
        return 400, None
    return None


def _answer_without_database(status: int, message: str | None):
    """The error page, drawn without asking the database anything: it may be the very thing that failed.

    The signed-in user is not loaded again (the page is drawn as for a visitor), in their language when it
    is known already, else by the cookie or the browser's languages.
    """
    user = g.get("_login_user")  # where Flask-Login keeps the request's user once loaded
    language = vars(user).get("language") if user is not None and hasattr(user, "__dict__") else None
    _rollback()
    g._login_user = current_app.login_manager.anonymous_user()
    with force_locale(language) if language in LANGUAGES else nullcontext():
        response = make_response(error_response(status, message))
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def retry_after() -> int:
    """Seconds until every limit this request breached lets it through again (at least 1)."""
    breached = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    return max(1, math.ceil(max(breached, default=0) - time.time()))


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        _rollback()
        return error_response(400, _("The form has expired or did not come from this site. "
                                     "Go back, reload the page and send it again."))

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(exc: RateLimitExceeded):
        _rollback()
        wait = retry_after()
        minutes = max(1, round(wait / 60))
        response = make_response(error_response(429, ngettext(
            "Too many attempts. Try again in %(num)d minute.", "Too many attempts. Try again in %(num)d minutes.",
            minutes)))
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        _rollback()
        return error_response(exc.status, str(exc.message))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        _rollback()
        if exc.code is None or exc.code < 400:
            return exc
        return error_response(exc.code)

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        answer = _database_answer(exc)
        if answer is None:
            return unexpected(exc)
        status, message = answer
        # A lost connection is an event, not a bug (one line); a refused change may be one (with the traceback).
        log.warning("database error on %s %s, answered %s: %s", request.method, request.path, status,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__, exc_info=status != 503)
        return _answer_without_database(status, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if isinstance(exc, SQLAlchemyError):
            return _answer_without_database(500, None)
        _rollback()
        return error_response(500)
