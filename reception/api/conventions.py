"""The API's shared conventions: cursor pages with Link headers, ETag / If-None-Match on reads, and the
Idempotency-Key of creates."""
from __future__ import annotations

import hashlib
import json

from flask import g, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core.clock import utcnow
from ..core.web import commit, valid_id
from ..extensions import db
from .models import IdempotentResponse
from .problems import ApiProblem

# --- cursor pages ---------------------------------------------------------------------------

def next_link(endpoint: str, cursor: str | None, **values) -> dict:
    """The Link header naming the next page (``after=cursor`` with the request's other arguments), if any."""
    if cursor is None:
        return {}
    args = {k: v for k, v in request.args.items() if k != "after"}
    url = url_for(endpoint, **values, **args, after=cursor, _external=False)
    return {"Link": f'<{url}>; rel="next"'}


def id_cursor(cursor: str | None) -> int | None:
    """The id an id cursor holds (a page of a list ordered by id); a damaged one is a 422."""
    if cursor is None:
        return None
    value = valid_id(int(cursor)) if cursor.isdigit() and len(cursor) <= 10 else None
    if value is None:
        raise ApiProblem(422, _("This cursor is damaged. Start again from the first page."),
                         errors=[{"field": "after", "message": _("Not a cursor of this list.")}])
    return value


# --- ETag ------------------------------------------------------------------------------------

def conditional(response):
    """A successful read gets a strong ETag of its body; a client's matching If-None-Match gets 304."""
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.vary.add("Authorization")
        return response.make_conditional(request)
    return response


# --- Idempotency-Key --------------------------------------------------------------------------

def request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps([request.path, body], sort_keys=True, default=str).encode()).hexdigest()


def replay(token_id: int, key: str | None, body: dict):
    """The stored response of an earlier create with this key, as (status, body, location); None when there
    is none. The same key with another request is a 422."""
    if key is None:
        return None
    done = db.session.scalar(select(IdempotentResponse).where(IdempotentResponse.token_id == token_id,
                                                              IdempotentResponse.key == key))
    if done is None:
        return None
    if done.request_hash != request_hash(body):
        raise ApiProblem(422, _("This Idempotency-Key was used for a different request. Use a new key."),
                         errors=[{"field": "Idempotency-Key", "message": _("Already used for another request.")}])
    return done.status, json.loads(done.body), done.location


def remember(token_id: int, key: str | None, body: dict, status: int, payload: dict, location: str | None,
             now) -> None:
    """Keep the response of a create under its key, in the create's own transaction."""
    if key is None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(IdempotentResponse(token_id=token_id, key=key, request_hash=request_hash(body),
                                              status=status, body=json.dumps(payload, default=str),
                                              location=location, created_at=now))
    except IntegrityError:
        pass  # the same key raced itself: the booking service gave both the one appointment; one row is kept


def booking_key(token_id: int, key: str | None) -> str | None:
    """The key the booking service keeps on the appointment (scoped there to the citizen): two requests with
    the same key that race each other book once even before either has stored its response."""
    if key is None:
        return None
    return hashlib.sha256(f"api:{token_id}:{key}".encode()).hexdigest()[:40]


def create_once(created, conflict) -> tuple[dict, int, dict]:
    """A create under the request's Idempotency-Key: ``created(key)`` makes the record and returns (payload,
    location); the response is kept under the key in the same transaction and committed. The same key again
    answers what the first call answered (with ``Idempotent-Replayed``); the same key with another body is a
    422. A unique-constraint race found at the commit is a 409 saying ``conflict``."""
    token = g.api_token
    body = request.context.json.model_dump(mode="json")
    key = request.context.headers.idempotency_key
    done = replay(token.id, key, body)
    if done is not None:
        status, payload, location = done
        return payload, status, {"Location": location or "", "Idempotent-Replayed": "true"}
    payload, location = created(key)
    remember(token.id, key, body, 201, payload, location, utcnow())
    commit(conflict)
    return payload, 201, {"Location": location}
