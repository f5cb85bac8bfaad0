"""Integration clients' resources: an appeals system sends a request on a citizen's behalf (by IIN, with the
appeal number) and reads its status.

Only a client's token reaches them (the integration scopes are never a person's); a body's client sends
requests to its own body's officials only, a national client (no body) to any. What a client reads is what
it sent: another client's request, or one a citizen sent themselves, is a 404.
"""
from __future__ import annotations

import enum
import json
from datetime import datetime

from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from ..booking.models import Appointment, AppointmentStatus, DeclineGround, RequestDecision
from ..booking.services import BookingData
from ..core.clock import utcnow
from ..core.errors import NotFound
from ..requests.policy import live_offers
from ..requests.services import MSG_ALREADY_ACTIVE
from ..schedule.models import AttendanceFormat
from . import clients, conventions
from .auth import scoped
from .present import local
from .schemas import MAX_ID, IdempotencyHeaders, Strict
from .scopes import REQUESTS_ON_BEHALF, REQUESTS_ON_BEHALF_READ
from .spec import spec
from .views import TOKEN, _docs, bp

# --- schemas -----------------------------------------------------------------------------------


class RequestState(enum.StrEnum):
    """Where a request sent on a citizen's behalf stands."""

    SUBMITTED = "submitted"      # waiting for the reception office's screening
    OFFERED = "offered"          # times offered (``offered_times``): waiting for the citizen to choose one
    BOOKED = "booked"            # the citizen took a time: ``appointment`` says when
    CHECKED_IN = "checked_in"    # the citizen has arrived for the reception
    HELD = "held"                # the reception took place
    NO_SHOW = "no_show"          # the citizen did not come
    REDIRECTED = "redirected"    # sent to the competent body (``redirect_body_id``), with the reasons in ``note``
    RESOLVED = "resolved"        # resolved without a reception (``note``)
    DECLINED = "declined"        # declined on a fixed ground (``decline_ground``, ``note``)
    WITHDRAWN = "withdrawn"      # the citizen withdrew the request before any time was booked
    CANCELLED = "cancelled"      # the booked reception was cancelled


class OnBehalfRequest(Strict):
    """A request for a reception, sent for a registered citizen (the same details as a citizen's request)."""

    iin: str = Field(min_length=1, max_length=20, description="The citizen's IIN (12 digits). The citizen must "
                     "be registered in the reception system: an unknown IIN is a 422 on ``iin``.")
    appeal_number: str = Field(min_length=1, max_length=255, description="The appeal's number in the sending "
                               "system (e.g. e-Otinish); kept on the request and searchable here.")
    official_id: int = Field(ge=1, le=MAX_ID, description="The official who takes requests. A body's client "
                             "may send to its own body's officials only.")
    topic_id: int = Field(ge=1, le=MAX_ID)
    summary: str = Field(min_length=1, max_length=4000, description="The citizen's issue, briefly.")
    format: AttendanceFormat = Field(AttendanceFormat.IN_PERSON, description="How the citizen will attend.")
    studio_id: int | None = Field(None, ge=1, le=MAX_ID, description="For video from an akimat's studio of the "
                                  "citizen's region.")
    needs_wheelchair: bool = False
    needs_sign_language: bool = False
    co_applicants: str | None = Field(None, max_length=2000, description="A collective appeal: one name a line.")


class OfferedTime(BaseModel):
    """A time the reception office offered (held for the citizen until ``expires_at``)."""

    starts_at: datetime
    ends_at: datetime
    timezone: str = Field(description="The IANA zone the times are in (the reception's region).")
    expires_at: datetime = Field(description="Until when the citizen may take it.")


class BookedTime(BaseModel):
    """The reception the citizen booked (after rescheduling, the latest time)."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    talon_number: str | None = Field(description="The talon's number (given with the booking).")


class IntegrationRequest(BaseModel):
    id: int
    status: RequestState
    appeal_number: str | None
    official_id: int
    body_id: int
    topic_id: int
    format: AttendanceFormat
    created_at: datetime = Field(description="When it was received (UTC).")
    decided_at: datetime | None = Field(description="When the reception office decided (UTC), if it has.")
    decision: RequestDecision | None = Field(description="The screening decision, if any.")
    note: str | None = Field(description="The decision's note: the reasons of a redirect, how it was resolved, "
                             "the grounds of a refusal, or a note with offered times.")
    decline_ground: DeclineGround | None
    redirect_body_id: int | None = Field(description="Redirected: the competent body.")
    offered_times: list[OfferedTime] = Field(description="Offered times the citizen may still take.")
    appointment: BookedTime | None = Field(description="The booked reception, if any.")


class IntegrationRequestPage(BaseModel):
    items: list[IntegrationRequest]
    next: str | None = Field(description="The cursor of the next page (also in the Link header), or none.")


class IntegrationRequestQuery(Strict):
    appeal_number: str | None = Field(None, max_length=255, description="Only the requests of this appeal.")
    after: str | None = Field(None, max_length=24, description="The cursor of a page (from Link rel=next).")
    limit: int = Field(50, ge=1, le=200)


# --- presenting --------------------------------------------------------------------------------

_BY_DECISION = {RequestDecision.REDIRECTED: RequestState.REDIRECTED, RequestDecision.RESOLVED: RequestState.RESOLVED,
                RequestDecision.DECLINED: RequestState.DECLINED}
_BY_STATUS = {AppointmentStatus.REQUESTED: RequestState.SUBMITTED, AppointmentStatus.SCREENING: RequestState.OFFERED,
              AppointmentStatus.SCHEDULED: RequestState.BOOKED, AppointmentStatus.CHECKED_IN: RequestState.CHECKED_IN,
              AppointmentStatus.HELD: RequestState.HELD, AppointmentStatus.NO_SHOW: RequestState.NO_SHOW}


def state_of(current: Appointment) -> RequestState:
    """The request's state as a client reads it (``current``: the request, or what it was rescheduled to)."""
    if current.status is AppointmentStatus.CLOSED:
        return _BY_DECISION.get(current.decision, RequestState.DECLINED)
    if current.status is AppointmentStatus.CANCELLED:
        return RequestState.WITHDRAWN if current.slot_id is None else RequestState.CANCELLED
    return _BY_STATUS.get(current.status, RequestState.BOOKED)


def present(a: Appointment, now: datetime) -> IntegrationRequest:
    current = clients.rebooked(a) if a.status is AppointmentStatus.RESCHEDULED else a
    booked = None
    if current.slot is not None and current.session is not None:
        tz = current.session.timezone
        booked = BookedTime(starts_at=local(current.slot.starts_at, tz), ends_at=local(current.slot.ends_at, tz),
                            timezone=tz, talon_number=current.talon_number)
    offered = [] if current.status is not AppointmentStatus.SCREENING else [
        OfferedTime(starts_at=local(o.slot.starts_at, o.slot.session.timezone),
                    ends_at=local(o.slot.ends_at, o.slot.session.timezone), timezone=o.slot.session.timezone,
                    expires_at=local(o.expires_at, o.slot.session.timezone)) for o in live_offers(current, now)]
    return IntegrationRequest(
        id=a.id, status=state_of(current), appeal_number=a.appeal_numbers, official_id=a.official_id,
        body_id=a.official.body_id, topic_id=a.topic_id, format=a.format, created_at=a.created_at,
        decided_at=a.decided_at, decision=a.decision, note=a.decision_note, decline_ground=a.decline_ground,
        redirect_body_id=a.redirect_body_id, offered_times=offered, appointment=booked)


# --- views -------------------------------------------------------------------------------------

@bp.post("/integration/requests")
@scoped(REQUESTS_ON_BEHALF)
@spec.validate(json=OnBehalfRequest, headers=IdempotencyHeaders,
               resp=_docs(201, IntegrationRequest, 401, 403, 409, 422), tags=["integration"], security=TOKEN)
def integration_send_request():
    """Send a request for a reception on a registered citizen's behalf (by IIN), keeping the appeal number.
    The citizen sees it among their requests and hears of each decision as with a request of their own. The
    same Idempotency-Key again gives the same answer and sends once."""
    token, client, wanted = g.api_token, g.api_client, request.context.json

    def send(key):
        now = utcnow()
        data = BookingData(format=wanted.format, topic_id=wanted.topic_id, summary=wanted.summary,
                           studio_id=wanted.studio_id, needs_wheelchair=wanted.needs_wheelchair,
                           needs_sign_language=wanted.needs_sign_language, co_applicants=wanted.co_applicants)
        sent = clients.send_request_on_behalf(
            client, clients.OnBehalf(iin=wanted.iin.strip(), appeal_number=wanted.appeal_number.strip(),
                                     official_id=wanted.official_id, data=data),
            conventions.booking_key(token.id, key), now, current_app.config)
        return (json.loads(present(clients.get_client_request(client.id, sent.id), now).model_dump_json()),
                url_for("api.integration_request", request_id=sent.id))

    return conventions.create_once(send, MSG_ALREADY_ACTIVE)


@bp.get("/integration/requests/<int:request_id>")
@scoped(REQUESTS_ON_BEHALF_READ)
@spec.validate(resp=_docs(200, IntegrationRequest, 401, 403, 404), tags=["integration"], security=TOKEN)
def integration_request(request_id: int):
    """One request this client sent: its state, the decision's note, the offered times, the booked time."""
    found = clients.get_client_request(g.api_client.id, request_id)
    if found is None:
        raise NotFound(_("The page or record you asked for does not exist."))
    return present(found, utcnow())


@bp.get("/integration/requests")
@scoped(REQUESTS_ON_BEHALF_READ)
@spec.validate(query=IntegrationRequestQuery, resp=_docs(200, IntegrationRequestPage, 401, 403, 422),
               tags=["integration"], security=TOKEN)
def integration_requests():
    """The requests this client sent, newest first, optionally of one appeal number; a page at a time."""
    query = request.context.query
    rows = clients.list_client_requests(g.api_client.id, appeal_number=query.appeal_number,
                                        before_id=conventions.id_cursor(query.after), limit=query.limit + 1)
    cursor = str(rows[query.limit - 1].id) if len(rows) > query.limit else None
    now = utcnow()
    page = IntegrationRequestPage(items=[present(a, now) for a in rows[:query.limit]], next=cursor)
    return page, 200, conventions.next_link("api.integration_requests", cursor)
