"""The few reads the pages have no function for: the directory's active bodies and officials a page at a time
(keyset over the id, so a page never shifts under a client), and the topics. The rest of the API reads with
the pages' own queries (reception.booking.queries, reception.directory.queries). Venues: the active ones of
active bodies, as the bodies' public pages list them."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..directory.models import Body, Official, Topic, Venue, VenueKind
from ..extensions import db


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
