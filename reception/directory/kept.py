"""Reference lists kept between requests while the directory is unchanged.

The search form and the booking form offer regions, topics and studios on every page; reading and naming them
was a fifth of the search page's work. Each process keeps such a list (plain values: names, ids) with the
directory's token (``directory_version``, which triggers on regions, topics, bodies, body_topics and venues
change on every write, committed or not, and never to a value used before): a list is used again only while the
token is still the one it was made under, so a new studio or a renamed topic shows on the next page, whichever
process or tool wrote it.

A GET request reads the token once; any other request reads it for each list (it may have just written).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, g, has_request_context, request
from sqlalchemy import select

from ..core.i18n import current_language
from ..extensions import db
from .models import directory_version

T = TypeVar("T")

_TOKEN = select(directory_version.c.token)


def _token() -> int | None:
    if has_request_context() and request.method in ("GET", "HEAD"):
        if "directory_token" not in g:
            g.directory_token = db.session.scalar(_TOKEN)
        return g.directory_token
    return db.session.scalar(_TOKEN)


def kept(make: Callable[..., T], *args: Hashable) -> T:
    """``make(*args)`` in the page's language, as made before under the directory's current token, or made now
    (and kept). ``make`` must return plain values, never database objects (they belong to one request); a list
    is given as a copy, which the caller may change."""
    key = (make, current_language(), args)
    lists = current_app.extensions.setdefault("kept_lists", {})
    token = _token()
    if token is None:  # no token row (a database not made by the migrations): nothing can be kept
        return make(*args)
    entry = lists.get(key)
    if entry is None or entry[0] != token:
        entry = lists[key] = (token, make(*args))
    return list(entry[1]) if isinstance(entry[1], list) else entry[1]
