"""The few reads the pages have no function for: the directory's active bodies and officials a page at a time
(keyset over the id, so a page never shifts under a client), and the topics. The rest of the API reads with
the pages' own queries (reception.booking.queries, reception.directory.queries). Venues: the active ones of
active bodies, as the bodies' public pages list them."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..booking.models import Appointment, SlotOffer
from ..directory.models import Body, Official, Topic, Venue, VenueKind
from ..extensions import db
from ..requests.models import RequestUrgency
from ..schedule.models import ReceptionSession, Slot


def list_active_bodies(*, region_id: int | None, after_id: int | None, limit: int) -> list[Body]:
    """Active bodies by id after ``after_id`` (at most ``limit``), with region and competences."""
    stmt = (select(Body).where(Body.is_active).options(joinedload(Body.region), selectinload(Body.topics))
            .order_by(Body.id).limit(limit))
    if region_id is not None:
        stmt = stmt.where(Body.region_id == region_id)
    if after_id is not None:
        stmt = stmt.where(Body.id > after_id)
    return list(db.session.scalars(stmt))


def list_active_officials(*, body_id: int | None, after_id: int | None, limit: int) -> list[Official]:
    """Active officials of active bodies by id after ``after_id`` (at most ``limit``)."""
    stmt = (select(Official).join(Official.body).where(Official.is_active, Body.is_active)
            .order_by(Official.id).limit(limit))
    if body_id is not None:
        stmt = stmt.where(Official.body_id == body_id)
    if after_id is not None:
        stmt = stmt.where(Official.id > after_id)
    return list(db.session.scalars(stmt))


def list_topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))


def _public_venues():
    return (select(Venue).join(Venue.body).join(Venue.region)
            .options(contains_eager(Venue.region)).where(Venue.is_active, Body.is_active))


def list_public_venues(*, region_id: int | None, body_id: int | None, kind: VenueKind | None,
                       after_id: int | None, limit: int) -> list[Venue]:
    """Active venues of active bodies (as the bodies' public pages list them) by id after ``after_id``."""
    stmt = _public_venues().order_by(Venue.id).limit(limit)
    if region_id is not None:
        stmt = stmt.where(Venue.region_id == region_id)
    if body_id is not None:
        stmt = stmt.where(Venue.body_id == body_id)
    if kind is not None:
        stmt = stmt.where(Venue.kind == kind)
    if after_id is not None:
        stmt = stmt.where(Venue.id > after_id)
    return list(db.session.scalars(stmt))


def get_public_venue(venue_id: int) -> Venue | None:
    """One active venue of an active body; None otherwise."""
    return db.session.scalar(_public_venues().where(Venue.id == venue_id))


def list_my_requests(citizen_id: int) -> list[Appointment]:
    """The citizen's requests (request mode), newest first, with their officials' bodies and the offered times
    (slot, session, venue and region): a fixed number of statements however many there are."""
    session = selectinload(Appointment.offers).joinedload(SlotOffer.slot).joinedload(Slot.session)
    stmt = (select(Appointment).where(Appointment.citizen_id == citizen_id, Appointment.redirect_due_on.is_not(None))
            .options(joinedload(Appointment.official).joinedload(Official.body).joinedload(Body.region),
                     session.joinedload(ReceptionSession.venue).joinedload(Venue.region),
                     session.joinedload(ReceptionSession.official))
            .order_by(Appointment.id.desc()))
    return list(db.session.scalars(stmt).unique())


def urgencies_by_request(request_ids) -> dict[int, RequestUrgency]:
    """The urgency records of these requests (those that have one), by request id, in one statement."""
    request_ids = list(request_ids)
    if not request_ids:
        return {}
    return {u.appointment_id: u for u in db.session.scalars(
        select(RequestUrgency).where(RequestUrgency.appointment_id.in_(request_ids)))}
