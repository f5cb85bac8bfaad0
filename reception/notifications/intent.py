"""What an outbox row keeps of a message before it is sent: references, not rendered text.

A message's template context is packed into plain JSON when it is enqueued: a model instance
becomes its class name and primary key, a lazily translated string its message id and arguments,
dates and times their ISO form. The dispatcher unpacks it at sending time, so the message shows
the records as they are then, in the recipient's language. Packing is cheap (no template, no
query); a value of a type this module does not know is refused (TypeError), never stringified.
"""
from __future__ import annotations

import enum
import importlib
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import flask_babel
from flask_babel.speaklater import LazyString
from markupsafe import Markup

from ..extensions import db

_LAZY_FUNCTIONS = {flask_babel.gettext: "gettext", flask_babel.ngettext: "ngettext",
                   flask_babel.pgettext: "pgettext"}


def pack(value):
    """``value`` as JSON-ready data (see the module's docstring)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Markup):
        return {"$markup": str(value)}
    if isinstance(value, enum.Enum):
        cls = type(value)
        return {"$enum": f"{cls.__module__}:{cls.__qualname__}", "v": value.value}
    if isinstance(value, str):
        return value
    if isinstance(value, LazyString):
        name = _LAZY_FUNCTIONS.get(value._func)
        if name is None:
            raise TypeError(f"cannot keep a lazy string made by {value._func!r}")
        return {"$lazy": name, "a": [pack(a) for a in value._args],
                "kw": {k: pack(v) for k, v in value._kwargs.items()}}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$t": value.isoformat()}
    if isinstance(value, ZoneInfo):
        return {"$tz": value.key}
    if isinstance(value, db.Model):
        ident = db.inspect(value).identity
        if ident is None:  # added in this transaction and not flushed yet
            db.session.flush()
            ident = db.inspect(value).identity
        return {"$m": type(value).__name__, "id": ident[0] if len(ident) == 1 else list(ident)}
    if isinstance(value, list | tuple):
        return [pack(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: pack(v) for k, v in value.items()}
        return {"$pairs": [[pack(k), pack(v)] for k, v in value.items()]}
    raise TypeError(f"an outbox message cannot keep a {type(value).__name__} ({value!r:.80}); pass a reference")


class Unpacker:
    """Turns packed data back into values, loading each referenced record once (None if it is gone)."""

    def __init__(self):
        self._models = {mapper.class_.__name__: mapper.class_ for mapper in db.Model.registry.mappers}

    def __call__(self, value):
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "$m" in value:
            ident = value["id"]
            return db.session.get(self._models[value["$m"]], tuple(ident) if isinstance(ident, list) else ident)
        if "$lazy" in value:
            function = getattr(flask_babel, value["$lazy"])
            return function(*self(value["a"]), **{k: self(v) for k, v in value["kw"].items()})
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$t" in value:
            return time.fromisoformat(value["$t"])
        if "$tz" in value:
            return ZoneInfo(value["$tz"])
        if "$markup" in value:
            return Markup(value["$markup"])
        if "$enum" in value:
            module, _, name = value["$enum"].partition(":")
            cls = importlib.import_module(module)
            for part in name.split("."):
                cls = getattr(cls, part)
            return cls(value["v"])
        if "$pairs" in value:
            return {self(k): self(v) for k, v in value["$pairs"]}
        return {k: self(v) for k, v in value.items()}
