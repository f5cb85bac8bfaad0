"""User accounts and their roles."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import CAPITAL_TZ, utcnow
from ..core.permissions import Permission, Role, permissions_for
from ..core.types import UTCDateTime, str_enum
from ..directory.models import Body, Region
from ..extensions import db
from .validation import mask_iin


class NotifyBy(enum.StrEnum):
    """How a citizen wants to hear about their receptions."""

    EMAIL = "email"
    SMS = "sms"
    BOTH = "both"


NOTIFY_BY_LABELS = {
    NotifyBy.EMAIL: _l("E-mail"),
    NotifyBy.SMS: _l("SMS"),
    NotifyBy.BOTH: _l("E-mail and SMS"),
}


def session_token(user_id: int, version: int) -> str:
    """What a session stores to name its user: the id and the account's session version."""
    return f"{user_id}:{version}"


def parse_session_token(token: str) -> tuple[int, int] | None:
    """(user id, session version) from a session's token, or None for anything malformed."""
    user_id, sep, version = token.partition(":")
    if not sep or not user_id.isdigit() or not version.isdigit() or len(user_id) > 18 or len(version) > 9:
        return None
    return int(user_id), int(version)


class User(UserMixin, db.Model):
    """A person who logs in: a citizen (IIN, region) or a staff member (tied to a body)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    iin: Mapped[str | None] = mapped_column(String(12), unique=True)
    # Optional for citizens (many have a phone and no e-mail: "phone-only"); unique when present.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    # When the owner proved the phone is theirs (an SMS code); cleared when the phone changes.
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2), default="kk")
    # A citizen asked to be told when a visiting reception is announced in their region.
    notify_visiting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notify_by: Mapped[NotifyBy] = mapped_column(str_enum(NotifyBy, "notify_by"), default=NotifyBy.EMAIL,
                                                server_default=NotifyBy.EMAIL.value)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Copied into each session at login (see get_id); raising it ends every session of the account.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    region: Mapped[Region | None] = relationship()
    body: Mapped[Body | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    # Flask-Login: the session stores "id:version" (its alternative-token pattern); the user loader
    # refuses a session whose version is no longer the account's, and a deactivated account.
    def get_id(self) -> str:
        return session_token(self.id, self.session_version or 0)

    def end_sessions(self) -> None:
        """Every session of this account stops working at its next request (the version they carry is
        no longer the account's). A session that should go on logs in again with the new version."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_phone_only(self) -> bool:
        """The account has no e-mail: the phone is its only channel (SMS notices, reset by SMS code)."""
        return not self.email

    @property
    def must_confirm_phone(self) -> bool:
        """A phone-only account whose phone is not confirmed yet: it may log in and keep its profile, but
        books, applies for draws and accepts offered times only once the phone is confirmed."""
        return self.is_phone_only and self.phone_confirmed_at is None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def can(self, permission: Permission) -> bool:
        return permission in permissions_for(self.roles)

    def can_in_body(self, permission: Permission, body_id: int | None) -> bool:
        """The permission for every body, or its ``:own`` form for the user's own body."""
        if self.can(permission):
            return True
        own = Permission.__members__.get(permission.name + "_OWN")
        return own is not None and self.can(own) and body_id is not None and body_id == self.body_id

    @property
    def timezone(self) -> str:
        """The zone the user lives or works in: their body's, else their region's, else the capital's."""
        if self.body is not None:
            return self.body.timezone
        return self.region.timezone if self.region is not None else CAPITAL_TZ

    @property
    def is_staff(self) -> bool:
        return any(r is not Role.CITIZEN for r in self.roles)

    @property
    def masked_iin(self) -> str:
        return mask_iin(self.iin) if self.iin else ""

    @property
    def primary_role(self) -> Role | None:
        """The role whose home page the user lands on: the most specific one."""
        for role in (Role.ADMIN, Role.MONITOR, Role.OFFICIAL, Role.ASSISTANT, Role.LEGAL_CONSULTANT,
                     Role.AGENCY_REP, Role.STUDIO_OPERATOR, Role.CITIZEN):
            if role in self.roles:
                return role
        return None


class CodePurpose(enum.StrEnum):
    """What a one-time SMS code is for."""

    CONFIRM = "confirm"  # the account's phone is the owner's
    RESET = "reset"      # a new password for a forgotten one


class PhoneCode(db.Model):
    """A one-time code sent by SMS: stored hashed (HMAC with the secret key), expiring, single use, with a
    limited number of wrong tries. Its rows are also what throttles sending (per account and per phone)."""

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_phone_created_at", "phone", "created_at"),
                      Index("ix_phone_codes_user_id_created_at", "user_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose, "code_purpose"))
    phone: Mapped[str] = mapped_column(String(16))  # the number it was sent to (E.164)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set once, by the guarded update that accepts the code (or when a newer code replaces it).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")
