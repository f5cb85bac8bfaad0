"""Account reads."""
from __future__ import annotations

from sqlalchemy import select

from ..directory.models import Body, Region
from ..extensions import db
from .models import User, UserRole
from ..core.permissions import Role


def region_choices() -> list[tuple[int, str]]:
    regions = db.session.scalars(select(Region)).all()
    return sorted(((r.id, r.name) for r in regions), key=lambda c: c[1])


def body_choices(blank_label) -> list[tuple[int, str]]:
    bodies = db.session.scalars(select(Body).where(Body.is_active)).all()
    return [(0, str(blank_label))] + sorted(((b.id, b.name) for b in bodies), key=lambda c: c[1])


def list_staff() -> list[User]:
    staff_ids = select(UserRole.user_id).where(UserRole.role != Role.CITIZEN)
    return db.session.scalars(select(User).where(User.id.in_(staff_ids)).order_by(User.full_name)).all()
