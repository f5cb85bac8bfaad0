"""Account reads."""
from __future__ import annotations

from sqlalchemy import select

from ..core.permissions import Role
from ..extensions import db
from .models import User, UserRole


def list_staff() -> list[User]:
    staff_ids = select(UserRole.user_id).where(UserRole.role != Role.CITIZEN)
    return db.session.scalars(select(User).where(User.id.in_(staff_ids)).order_by(User.full_name)).all()
