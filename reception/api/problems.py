"""Errors as RFC 9457 problem details (``application/problem+json``), for every answer under /api/.

The API blueprint's handlers turn what its views raise into problems: :class:`ApiProblem`, request
validation (422 with the fields), domain errors (with the alternatives of a slot just taken), HTTP errors,
rate limits (429 with Retry-After). What is answered elsewhere (an unknown /api/ address, a method not
allowed, a database error) comes back from the application's own handlers as JSON, and
:func:`as_problem` (after every request) rewrites it, so no /api/ error is ever an HTML page.
"""
from __future__ import annotations

import json

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from ..core.errors import DomainError
from ..extensions import db
from ..main.errors import retry_after

MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"
#: Problem types: a stable address per kind of problem our clients may act on.
TYPES = {
    401: "unauthorized", 403: "forbidden", 404: "not-found", 409: "conflict", 422: "invalid",
    429: "too-many-requests",
}


def problem_type(status: int) -> str:
    name = TYPES.get(status)
    return f"/api/v1/problems/{name}" if name else "about:blank"


class ApiProblem(Exception):
    """Raise to answer with a problem: ``status``, a ``detail`` for people, extension members, headers."""

    def __init__(self, status: int, detail: str | None = None, *, headers: dict | None = None, **extensions):
        super().__init__(detail or HTTP_STATUS_CODES.get(status, ""))
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(status: int, detail: str | None = None, *, headers: dict | None = None,
                     **extensions) -> Response:
    body = {"type": problem_type(status), "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = str(detail)
    body.update({k: v for k, v in extensions.items() if v is not None})
    response = current_app.response_class(json.dumps(body, ensure_ascii=False, default=str), status=status,
                                          mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def unauthorized(detail: str, *, invalid: bool) -> ApiProblem:
    """401 with the challenge RFC 6750 asks for (``invalid_token`` when a token was sent but is no good)."""
    challenge = 'Bearer realm="reception"' + (', error="invalid_token"' if invalid else "")
    return ApiProblem(401, detail, headers={"WWW-Authenticate": challenge})


class RequestInvalid(Exception):
    """The request does not match its schema (raised from spectree's ``before`` hook)."""

    def __init__(self, errors: list[dict]):
        super().__init__("invalid request")
        self.errors = errors


def validation_hook(req, resp, error, instance, model_adapter=None):
    """spectree's ``before`` hook: a request that failed validation becomes a 422 problem with its fields."""
    if error is None:
        return
    raise RequestInvalid([{"field": ".".join(str(part) for part in e.get("loc", ())) or "body",
                           "message": e.get("msg", "")} for e in error.errors()])


def register(bp) -> None:
    """The API blueprint's error handlers, and the rewrite of every other /api/ error."""

    @bp.errorhandler(ApiProblem)
    def api_problem(exc: ApiProblem):
        db.session.rollback()
        return problem_response(exc.status, exc.detail, headers=exc.headers, **exc.extensions)

    @bp.errorhandler(RequestInvalid)
    def invalid(exc: RequestInvalid):
        db.session.rollback()
        return problem_response(422, _("Some of the data is not valid."), errors=exc.errors)

    @bp.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        errors = [{"field": exc.field, "message": str(exc.message)}] if exc.field and exc.status == 422 else None
        return problem_response(exc.status, str(exc.message), errors=errors)

    @bp.errorhandler(RateLimitExceeded)
    def too_many(exc: RateLimitExceeded):
        db.session.rollback()
        wait = retry_after()
        return problem_response(429, _("Too many requests with this token. Wait and try again."),
                                headers={"Retry-After": str(wait)})

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        if exc.code is None or exc.code < 400:
            return exc
        headers = {"Allow": exc.response.headers["Allow"]} if exc.response is not None and exc.code == 405 \
            and "Allow" in exc.response.headers else None
        return problem_response(exc.code, exc.description if exc.code != 500 else None, headers=headers)

    @bp.after_app_request
    def as_problem(response: Response) -> Response:
        """An error answered for an /api/ address outside the blueprint's handlers, as a problem."""
        if (response.status_code < 400 or not request.path.startswith(API_PREFIX)
                or response.mimetype == MEDIA_TYPE):
            return response
        detail = None
        if response.is_json:
            data = response.get_json(silent=True)
            detail = data.get("error") if isinstance(data, dict) else None
        problem = problem_response(response.status_code, detail)
        for name in ("Retry-After", "Allow", "WWW-Authenticate"):
            if name in response.headers:
                problem.headers[name] = response.headers[name]
        if response.status_code == 405 and "Allow" not in problem.headers:
            allowed = current_app.url_map.bind_to_environ(request.environ).allowed_methods()
            problem.headers["Allow"] = ", ".join(sorted(allowed))
        return problem
