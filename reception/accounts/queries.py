"""Account reads."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.permissions import Role
from ..directory.models import Official
from ..directory.queries import collation_key
from ..extensions import db
from .models import User, UserRole


def list_staff() -> list[User]:
    staff_ids = select(UserRole.user_id).where(UserRole.role != Role.CITIZEN)
    return db.session.scalars(select(User).where(User.id.in_(staff_ids)).order_by(User.full_name)).all()


def official_account_choices(scope: frozenset[int] | None, current_user_id: int | None = None, **_,
                             ) -> list[tuple[int, str]]:
    """Receiver of reception.directory.signals.official_accounts: staff accounts with the official role
    not linked to another official yet (``current_user_id``, linked now, stays), by name."""
    official_ids = select(UserRole.user_id).where(UserRole.role == Role.OFFICIAL)
    linked = select(Official.user_id).where(Official.user_id.is_not(None))
    stmt = (select(User).options(joinedload(User.body))
            .where(User.id.in_(official_ids))
            .where(User.id.not_in(linked) | (User.id == (current_user_id or -1))))
    if scope is not None:
        stmt = stmt.where(User.body_id.in_(list(scope)))
    users = [u for u in db.session.scalars(stmt).unique() if u.is_active or u.id == current_user_id]
    users.sort(key=lambda u: collation_key(u.full_name))
    return [(u.id, f"{u.full_name} ({u.email})" + (f", {u.body.name}" if u.body else "")) for u in users]
