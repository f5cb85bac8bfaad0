"""The few reads the pages have no function for: the directory's active bodies and officials a page at a time
(keyset over the id, so a page never shifts under a client), and the topics. The rest of the API reads with
the pages' own queries (reception.booking.queries, reception.directory.queries)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..directory.models import Body, Official, Topic
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
