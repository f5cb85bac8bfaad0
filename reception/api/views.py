"""The API's resources under /api/v1/: the directory and the search of free reception time (public), the
citizen's own appointments (a token with the citizen's scopes), and the OpenAPI document with its page.

Thin views over the pages' queries and services (reception.booking, reception.directory); what they
answer is described by reception.api.schemas, and spectree validates requests against it.
"""
from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from spectree import Response as Responses

from ..booking import queries as booking_queries
from ..booking import services as booking
from ..core.clock import utcnow
from ..core.errors import NotFound
from ..directory.queries import get_public_body, get_region_by_code, list_regions
from ..extensions import db, limiter
from . import conventions, present, problems, queries, schemas
from .auth import rate_limit_key, scoped
from .scopes import APPOINTMENTS_READ, APPOINTMENTS_WRITE
from .spec import BEARER, document, spec

# CSRF exempt (registered so in reception/__init__.py): tokens only, no session cookie is accepted, so there
# is no cross-site request to forge.
bp = Blueprint("api", __name__, url_prefix="/api/v1")
problems.register(bp)
bp.after_request(conventions.conditional)


def _limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_limit, key_func=rate_limit_key, scope="api")(bp)

TOKEN = {BEARER: []}
_CURSOR = re.compile(r"^\d{1,20}-\d{1,18}$")


def taken(exc: booking.SlotTaken) -> problems.ApiProblem:
    """A time just taken: a 409 with the free times the booking page would offer instead."""
    return problems.ApiProblem(409, str(exc.message), alternatives=[json.loads(present.slot(s).model_dump_json())
                                                                    for s in exc.alternatives])


def _docs(ok_status: int, model, *errors: int) -> Responses:
    return Responses(**{f"HTTP_{ok_status}": model}, **{f"HTTP_{code}": schemas.Problem for code in (*errors, 429)})


@bp.after_request
def _record_token_use(response):
    """A read's token use (its last use) is kept: the read itself commits nothing else."""
    if g.get("api_token") is not None and response.status_code < 400 and db.session.dirty:
        db.session.commit()
    return response


# --- the document ---------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    return current_app.json.response(document())


@bp.get("/docs")
def docs():
    """The document as a page people read: served from this repository (no scripts, no CDN)."""
    return render_template("api/docs.html", doc=document(), spec_url=url_for("api.openapi"))


# --- the directory (public) -----------------------------------------------------------------

@bp.get("/regions")
@spec.validate(resp=_docs(200, schemas.RegionList), tags=["directory"])
def regions():
    """The regions, each with its IANA time zone."""
    return schemas.RegionList(items=[present.region(r) for r in list_regions()])


@bp.get("/topics")
@spec.validate(resp=_docs(200, schemas.TopicList), tags=["directory"])
def topics():
    """The topics of citizens' issues (a tree: ``parent_id``)."""
    return schemas.TopicList(items=[present.topic(t) for t in queries.list_topics()])


@bp.get("/bodies")
@spec.validate(query=schemas.BodyQuery, resp=_docs(200, schemas.BodyPage, 422), tags=["directory"])
def bodies():
    """Active government bodies, a page at a time (by id)."""
    query = request.context.query
    region = None
    if query.region:
        region = get_region_by_code(query.region)
        if region is None:
            raise problems.ApiProblem(422, _("Unknown region."),
                                      errors=[{"field": "region", "message": _("Unknown region.")}])
    rows = queries.list_active_bodies(region_id=region.id if region else None,
                                      after_id=conventions.id_cursor(query.after), limit=query.limit + 1)
    cursor = str(rows[query.limit - 1].id) if len(rows) > query.limit else None
    page = schemas.BodyPage(items=[present.body(b) for b in rows[:query.limit]], next=cursor)
    return page, 200, conventions.next_link("api.bodies", cursor)


@bp.get("/bodies/<int:body_id>")
@spec.validate(resp=_docs(200, schemas.Body, 404), tags=["directory"])
def body(body_id: int):
    """One active body."""
    found = get_public_body(body_id)
    if found is None:
        raise NotFound(_("The page or record you asked for does not exist."))
    return present.body(found.body)


@bp.get("/officials")
@spec.validate(query=schemas.OfficialQuery, resp=_docs(200, schemas.OfficialPage, 422), tags=["directory"])
def officials():
    """Active officials of active bodies, a page at a time (by id)."""
    query = request.context.query
    rows = queries.list_active_officials(body_id=query.body, after_id=conventions.id_cursor(query.after),
                                         limit=query.limit + 1)
    cursor = str(rows[query.limit - 1].id) if len(rows) > query.limit else None
    page = schemas.OfficialPage(items=[present.official(o) for o in rows[:query.limit]], next=cursor)
    return page, 200, conventions.next_link("api.officials", cursor)


@bp.get("/officials/<int:official_id>")
@spec.validate(resp=_docs(200, schemas.Official, 404), tags=["directory"])
def official(official_id: int):
    """One active official of an active body."""
    found = booking_queries.get_public_official(official_id)
    if found is None:
        raise NotFound(_("The page or record you asked for does not exist."))
    return present.official(found)


# --- free reception time (public) ----------------------------------------------------------------

@bp.get("/slots")
@spec.validate(query=schemas.SlotQuery, resp=_docs(200, schemas.SlotPage, 422), tags=["reception time"])
def slots():
    """Free reception time, soonest first, with the filters of the search page; a page at a time."""
    query = request.context.query
    after = booking_queries.parse_page_cursor(query.after) if query.after and _CURSOR.match(query.after) else None
    errors = []
    if query.after and after is None:
        errors.append({"field": "after", "message": _("This link to later times is damaged. Search again.")})
    if query.region and get_region_by_code(query.region) is None:
        errors.append({"field": "region", "message": _("Unknown region.")})
    if query.date_from and query.date_to and query.date_to < query.date_from:
        errors.append({"field": "date_to", "message": _("The end date is before the start date.")})
    if errors:
        raise problems.ApiProblem(422, errors[0]["message"], errors=errors)
    page_size = booking_queries.SEARCH_PAGE
    rows = booking_queries.search_free_slots(
        region_code=query.region.upper() if query.region else None, body_id=query.body,
        official_id=query.official, topic_id=query.topic, date_from=query.date_from, date_to=query.date_to,
        format=query.format, now=utcnow(), limit=page_size + 1, after=after)
    cursor = booking_queries.page_cursor(rows[page_size - 1]) if len(rows) > page_size else None
    page = schemas.SlotPage(items=[present.slot(s) for s in rows[:page_size]], next=cursor)
    return page, 200, conventions.next_link("api.slots", cursor)


# --- the citizen's appointments ----------------------------------------------------------------

def _own_appointment(appointment_id: int):
    found = booking_queries.get_own_appointment(g.api_user.id, appointment_id)
    if found is None:
        raise NotFound(_("The page or record you asked for does not exist."))
    return found


@bp.get("/me/appointments")
@scoped(APPOINTMENTS_READ)
@spec.validate(resp=_docs(200, schemas.AppointmentList, 401, 403), tags=["my appointments"], security=TOKEN)
def my_appointments():
    """The token's citizen's appointments and requests, newest first."""
    now = utcnow()
    return schemas.AppointmentList(items=[present.appointment(a, g.api_user, now)
                                          for a in booking_queries.list_my_appointments(g.api_user.id)])


@bp.get("/me/appointments/<int:appointment_id>")
@scoped(APPOINTMENTS_READ)
@spec.validate(resp=_docs(200, schemas.Appointment, 401, 403, 404), tags=["my appointments"], security=TOKEN)
def my_appointment(appointment_id: int):
    """One of the citizen's appointments, with its talon (number, time of acceptance, who accepted)."""
    return present.appointment(_own_appointment(appointment_id), g.api_user, utcnow())


@bp.post("/me/appointments")
@scoped(APPOINTMENTS_WRITE)
@spec.validate(json=schemas.BookingRequest, headers=schemas.IdempotencyHeaders,
               resp=_docs(201, schemas.Appointment, 401, 403, 404, 409, 422), tags=["my appointments"],
               security=TOKEN)
def book():
    """Book a free slot and get the talon. A time just taken is a 409 with ``alternatives``; the same
    Idempotency-Key again gives the same answer and books once."""
    token, user, wanted = g.api_token, g.api_user, request.context.json

    def book(key):
        now = utcnow()
        slot = booking_queries.get_slot(wanted.slot_id, lock_for_citizen=user.id)
        if slot is None:
            raise NotFound(_("This reception time does not exist."))
        try:
            made = booking.book_slot(user, slot.id, wanted.booking_data(), conventions.booking_key(token.id, key), now,
                                     current_app.config, slot=slot)
        except booking.SlotTaken as exc:
            raise taken(exc) from None
        appointment = booking_queries.get_own_appointment(user.id, made.id)
        return (json.loads(present.appointment(appointment, user, now).model_dump_json()),
                url_for("api.my_appointment", appointment_id=made.id))

    return conventions.create_once(book, booking.MSG_SLOT_TAKEN)


@bp.post("/me/appointments/<int:appointment_id>/cancel")
@scoped(APPOINTMENTS_WRITE)
@spec.validate(resp=_docs(200, schemas.Appointment, 401, 403, 404, 422), tags=["my appointments"],
               security=TOKEN)
def cancel(appointment_id: int):
    """Cancel one of the citizen's appointments (until booking closes); the time is free for others again."""
    appointment = _own_appointment(appointment_id)
    now = utcnow()
    booking.cancel_appointment(g.api_user, appointment, now)
    payload = json.loads(present.appointment(appointment, g.api_user, now).model_dump_json())
    db.session.commit()
    return payload




# The other resources, on the same blueprint: imported last, as they import ``bp`` from here.
from . import citizen, integration, public, staff  # noqa: E402, F401
