"""Domain errors raised by services and mapped to HTTP answers in one place."""
from __future__ import annotations


class DomainError(Exception):
    """Base class. ``message`` is already translated (lazy string) for the user."""

    status = 400

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class Invalid(DomainError):
    """The input breaks a rule (422)."""

    status = 422


class NotAllowed(DomainError):
    """The acting user may not do this (403)."""

    status = 403


class NotFound(DomainError):
    """The record does not exist or is not visible to the user (404)."""

    status = 404


class Conflict(DomainError):
    """The change collides with the current state, e.g. a duplicate (409)."""

    status = 409
