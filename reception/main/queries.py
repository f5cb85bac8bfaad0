"""Reads for the home pages and the health check."""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.models import User, UserRole
from ..core.permissions import Role
from ..directory.models import Body, BodyLevel, Official, Region, Venue, VenueKind
from ..extensions import db
from ..notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


def database_answers() -> bool:
    """Whether the database runs a query now (the health check)."""
    try:
        db.session.execute(select(1))
    except SQLAlchemyError as exc:
        log.warning("health check: the database does not answer: %s", exc)
        db.session.rollback()
        return False
    return True


def public_stats() -> dict:
    return {
        "regions": db.session.scalar(select(func.count(Region.id))),
        "bodies": db.session.scalar(select(func.count(Body.id)).where(Body.is_active)),
        "officials": db.session.scalar(select(func.count(Official.id)).where(Official.is_active)),
        "studios": db.session.scalar(select(func.count(Venue.id)).where(Venue.kind == VenueKind.STUDIO,
                                                                        Venue.is_active)),
    }


def _body_counts_by_level() -> list[tuple[BodyLevel, int]]:
    rows = db.session.execute(select(Body.level, func.count(Body.id)).group_by(Body.level)).all()
    order = list(BodyLevel)
    return sorted(((r[0], r[1]) for r in rows), key=lambda r: order.index(r[0]))


def home_context(user: User, role: Role) -> dict:
    body = user.body
    ctx: dict = {"body": body}
    if role is Role.ADMIN:
        ctx["stats"] = public_stats()
        ctx["levels"] = _body_counts_by_level()
        ctx["staff_count"] = db.session.scalar(
            select(func.count(func.distinct(UserRole.user_id))).where(UserRole.role != Role.CITIZEN))
        ctx["failed_messages"] = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.FAILED))
    elif role is Role.MONITOR:
        ctx["stats"] = public_stats()
        ctx["levels"] = _body_counts_by_level()
    elif role is Role.OFFICIAL:
        ctx["officials"] = db.session.scalars(select(Official).where(Official.user_id == user.id)).all()
    elif role in (Role.ASSISTANT, Role.AGENCY_REP, Role.STUDIO_OPERATOR, Role.LEGAL_CONSULTANT):
        if body is not None:
            ctx["officials"] = db.session.scalars(
                select(Official).where(Official.body_id == body.id).order_by(Official.is_head.desc(),
                                                                             Official.full_name)).all()
            ctx["venues"] = db.session.scalars(
                select(Venue).where(Venue.body_id == body.id).order_by(Venue.kind, Venue.name_ru)).all()
        else:
            ctx["officials"], ctx["venues"] = [], []
    return ctx
