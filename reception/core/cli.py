"""The command group every area's Flask commands use (areas import it from here, the bottom layer)."""
from __future__ import annotations

from functools import wraps

from flask import current_app
from flask.cli import AppGroup


class CommandGroup(AppGroup):
    """An AppGroup whose commands run in a request context for RECEPTION_BASE_URL.

    Commands write e-mails with links (a visiting reception announced by the demo loader,
    a waitlist offer made when a hold expires); ``url_for`` needs a request to build them.
    """

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(f):
            @wraps(f)
            def in_url_context(*a, **kw):
                with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
                    return f(*a, **kw)

            return register(in_url_context)

        return decorator
