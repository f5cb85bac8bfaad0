"""Integration clients (other systems: a body's own system, the national appeals system): made, listed and
disabled by administrators, with tokens of their own; and what a client does through the API, sending a
request for a reception on a citizen's behalf and reading the requests it sent.

Services take the acting administrator (or the calling client) and ``now``, add and flush, and never commit:
the caller commits. Every administrator's change is written to the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User, UserRole
from ..accounts.services import IIN_MESSAGES
from ..accounts.validation import iin_error
from ..audit.services import record_change, record_created
from ..booking.models import Appointment, SlotOffer
from ..booking.services import BookingData
from ..core.errors import Invalid, NotAllowed, NotFound
from ..core.permissions import Permission, Role
from ..core.web import absolute_url, valid_id
from ..directory.models import Body, Venue
from ..directory.queries import get
from ..extensions import db
from ..notifications.services import notify
from ..requests import queries as request_queries
from ..requests import services as request_services
from ..schedule.models import ReceptionSession, Slot
from .models import ApiClient, ApiToken
from .scopes import INTEGRATION_SCOPES
from .tokens import check_expiry, issue_token

MSG_NOT_FOUND = _l("The page or record you asked for does not exist.")
MSG_REGISTER_FIRST = _l("No registered citizen has this IIN. The citizen must register in the reception system "
                        "first (we do not open accounts for people who have not agreed to its terms).")
MSG_OTHER_BODY = _l("This client may send requests only to the officials of its own body.")


def _check_admin(actor) -> None:
    if not (actor is not None and actor.is_authenticated and actor.can(Permission.API_CLIENT_MANAGE)):
        raise NotAllowed(_l("Only administrators manage integration clients."))


def _clean_scopes(scopes, allowed, field: str = "scopes") -> list[str]:
    scopes = sorted(set(scopes or ()))
    if not scopes:
        raise Invalid(_l("Choose at least one scope."), field=field)
    beyond = set(scopes) - set(allowed)
    if beyond:
        raise Invalid(_l("These scopes cannot be given here: %(scopes)s.", scopes=", ".join(sorted(beyond))),
                      field=field)
    return scopes


def _clean_name(name: str | None, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("Give it a name."), field=field)
    if len(name) > 100:
        raise Invalid(_l("Too long: at most %(max)d characters.", max=100), field=field)
    return name


# --- administrators: clients and their tokens ----------------------------------------------------

def list_clients() -> list[ApiClient]:
    """Every client, active ones first, then by name, with its body."""
    return list(db.session.scalars(select(ApiClient).options(joinedload(ApiClient.body))
                                   .order_by(ApiClient.disabled_at.is_not(None), ApiClient.name)))


def get_client(client_id: int) -> ApiClient | None:
    return db.session.get(ApiClient, client_id) if valid_id(client_id) else None


def list_client_tokens(client_id: int) -> list[ApiToken]:
    """The client's tokens, newest first (revoked and expired ones too: the page says which)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.client_id == client_id)
                                   .order_by(ApiToken.id.desc())))


def create_client(actor, name: str, body_id: int | None, scopes, now: datetime) -> ApiClient:
    """Make an integration client named ``name`` for ``body_id``'s system (None: a national system such as
    the appeals system) holding ``scopes`` (integration scopes only). Audited. Raises NotAllowed (not an
    administrator) and Invalid (an empty or taken name, an unknown or inactive body, no scope or one that is
    not an integration scope)."""
    _check_admin(actor)
    name = _clean_name(name)
    if db.session.scalar(select(ApiClient.id).where(func.lower(ApiClient.name) == name.lower())) is not None:
        raise Invalid(_l("A client with this name exists already. Choose another name."), field="name")
    if body_id is not None:
        body = get(Body, body_id) if valid_id(body_id) else None
        if body is None or not body.is_active:
            raise Invalid(_l("Choose an active body, or the national system."), field="body_id")
    scopes = _clean_scopes(scopes, INTEGRATION_SCOPES)
    client = ApiClient(name=name, body_id=body_id, scopes=" ".join(scopes), created_by_id=actor.id, created_at=now)
    db.session.add(client)
    db.session.flush()
    record_created("api_client", client.id, {"name": name, "body_id": body_id, "scopes": client.scopes})
    return client


def disable_client(actor, client: ApiClient, now: datetime) -> None:
    """Disable the client: from now on every token of it answers 401 (they are kept, for the record).
    Audited; disabling a disabled client changes nothing. Raises NotAllowed."""
    _check_admin(actor)
    if client.disabled_at is None:
        client.disabled_at = now
        db.session.flush()
        record_change("api_client", client.id, {"disabled_at": (None, now)})


def issue_client_token(actor, client: ApiClient, name: str, expires_at: datetime, scopes,
                       now: datetime) -> tuple[ApiToken, str]:
    """Make a token of ``client`` with ``scopes`` (a subset of the client's) until ``expires_at`` (at most a
    year); return it and its secret, shown once (only its hash is kept). Audited (never the secret). Raises
    NotAllowed, Invalid (a disabled client, an empty name, a scope the client does not hold, a bad expiry)."""
    _check_admin(actor)
    if not client.is_active:
        raise Invalid(_l("This client is disabled: it cannot get new tokens."))
    name = _clean_name(name)
    scopes = _clean_scopes(scopes, client.scope_set)
    check_expiry(expires_at, now)
    token, secret = issue_token(name, scopes, expires_at, now, client_id=client.id)
    record_created("api_client_token", token.id, {"client_id": client.id, "name": name, "hint": token.hint,
                                                  "scopes": token.scopes, "expires_at": expires_at})
    return token, secret


def revoke_client_token(actor, client: ApiClient, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of ``client``'s tokens (from now on it answers 401). Audited. Raises NotAllowed and NotFound
    (another client's token, a user's, or none); revoking a revoked token changes nothing."""
    _check_admin(actor)
    token = db.session.get(ApiToken, token_id) if valid_id(token_id) else None
    if token is None or token.client_id != client.id:
        raise NotFound(MSG_NOT_FOUND)
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.flush()
        record_change("api_client_token", token.id, {"revoked_at": (None, now)})
    return token


# --- clients: requests on a citizen's behalf ------------------------------------------------------

def find_citizen_by_iin(iin: str) -> User | None:
    """The active registered citizen with this IIN, or None."""
    return db.session.scalar(select(User).join(UserRole, UserRole.user_id == User.id)
                             .where(User.iin == iin, User.is_active, UserRole.role == Role.CITIZEN))


@dataclass(frozen=True)
class OnBehalf:
    """What a client sends: who (by IIN), to whom, about what, and the appeal it comes from."""

    iin: str
    appeal_number: str
    official_id: int
    data: BookingData


def send_request_on_behalf(client: ApiClient, wanted: OnBehalf, idempotency_key: str | None, now: datetime,
                           config) -> Appointment:
    """Send a request for a reception for the registered citizen with ``wanted.iin``, as if they had sent it
    themselves (request mode's rules, caps and deadlines; see reception.requests.services.submit_request),
    keeping the appeal number and recording ``client`` as its source. The same ``idempotency_key`` gives the
    request already sent. Raises Invalid (an invalid IIN or one no citizen registered with: field ``iin``; an
    unknown official: ``official_id``; the rules of a request), NotAllowed (an official of another body than a
    body's client's) and Conflict (the citizen already has an active request or appointment with the
    official)."""
    problem = iin_error(wanted.iin)
    if problem:
        raise Invalid(IIN_MESSAGES[problem], field="iin")
    official = request_queries.get_official(wanted.official_id)
    if official is None:
        raise Invalid(_l("There is no such official, or they do not receive citizens now."), field="official_id")
    if client.body_id is not None and official.body_id != client.body_id:
        raise NotAllowed(MSG_OTHER_BODY)
    citizen = find_citizen_by_iin(wanted.iin)
    if citizen is None:
        raise Invalid(MSG_REGISTER_FIRST, field="iin")
    data = BookingData(**{**wanted.data.__dict__, "appeal_numbers": wanted.appeal_number})
    request = request_services.submit_request(citizen, official, data, idempotency_key, now, config)
    if request.source_client_id is None:  # new (a repeat under the same key was sent by this client)
        request.source_client_id = client.id  # through the ORM: the audit hook records it
        db.session.flush()
        # The citizen hears that a request went in their name (and can withdraw it if they did not ask for it).
        notify(citizen, "request_on_behalf",
               _l("A request for a reception with %(name)s was sent in your name", name=official.full_name),
               "request_on_behalf", dedupe_key=f"request_on_behalf:{request.id}", appointment_id=request.id,
               official=official, sender=client.name, appeal_number=wanted.appeal_number,
               link=absolute_url("booking.appointment", appointment_id=request.id))
    return request


def _client_requests():
    """Requests with what the API shows of them, in a fixed number of statements however many."""
    zone = (ReceptionSession.venue, Venue.region)
    offered_session = joinedload(SlotOffer.slot).joinedload(Slot.session)
    return select(Appointment).options(
        joinedload(Appointment.official), joinedload(Appointment.slot),
        joinedload(Appointment.session).joinedload(zone[0]).joinedload(zone[1]),
        selectinload(Appointment.offers).options(offered_session.joinedload(zone[0]).joinedload(zone[1])))


def get_client_request(client_id: int, request_id: int) -> Appointment | None:
    """A request the client sent, or None (another client's, a citizen's own, or none: all alike)."""
    if not valid_id(request_id):
        return None
    return db.session.scalar(_client_requests().where(Appointment.id == request_id,
                                                      Appointment.source_client_id == client_id))


def list_client_requests(client_id: int, *, appeal_number: str | None, before_id: int | None,
                         limit: int) -> list[Appointment]:
    """The client's requests, newest first (by id, below ``before_id``), optionally of one appeal number."""
    stmt = _client_requests().where(Appointment.source_client_id == client_id).order_by(
        Appointment.id.desc()).limit(limit)
    if appeal_number:
        stmt = stmt.where(Appointment.appeal_numbers == appeal_number)
    if before_id is not None:
        stmt = stmt.where(Appointment.id < before_id)
    return list(db.session.scalars(stmt))


def rebooked(appointment: Appointment) -> Appointment:
    """The appointment that now stands for ``appointment``: the end of its chain of reschedulings."""
    current = appointment
    for _ in range(20):
        newer = db.session.scalar(select(Appointment).where(Appointment.rescheduled_from_id == current.id)
                                  .order_by(Appointment.id.desc()).limit(1))
        if newer is None:
            break
        current = newer
    return current
