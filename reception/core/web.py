"""Helpers for thin views: map domain errors onto forms and commit one unit of work."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import render_template, request
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .errors import Conflict, DomainError

#: Primary keys are 32-bit integers on PostgreSQL: a larger id in a URL is simply not found.
MAX_ID = 2**31 - 1


def valid_id(value) -> int | None:
    """``value`` when some row could have it as its id (an int from 1 to :data:`MAX_ID`), else None.

    Every lookup by an id that came from outside (a URL's path or query string, a form) goes through this,
    so an id past the integer range is "not found", never a database error (a 500)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID else None


def id_arg(name: str) -> int | None:
    """The query-string parameter ``name`` as a record id, or None (absent, not a number, out of range)."""
    raw = request.args.get(name, "")
    return valid_id(int(raw)) if raw.isdigit() and len(raw) <= 10 else None


def form_status(form) -> int:
    """200 for a fresh form, 422 when a submitted form failed validation."""
    return 422 if form.is_submitted() and form.errors else 200


def render_form(template: str, form, status: int | None = None, **context):
    return render_template(template, form=form, **context), status or form_status(form)


def attach_error(form, exc: DomainError) -> None:
    """Show a domain error next to its field, or at the top of the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def commit(conflict_message) -> None:
    """Commit the request's unit of work; a unique-constraint race becomes a Conflict."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(conflict_message) from None


def absolute_url(endpoint: str, **values) -> str:
    """RECEPTION_BASE_URL plus the path of ``endpoint``, from a request or without one (a job, a thread)."""
    from flask import current_app, has_request_context, url_for

    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return base + url_for(endpoint, **values)


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths are followed after a form (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
