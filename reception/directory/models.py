"""Directory models."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import CAPITAL_TZ, utcnow
from ..core.i18n import localized
from ..core.types import UTCDateTime, str_enum
from ..extensions import db
from .names import short_name


class Localized:
    """Models with ``name_kk``, ``name_ru``, ``name_en`` columns."""

    @property
    def name(self) -> str:
        return localized(self, "name")


class RegionKind(enum.StrEnum):
    REGION = "region"
    CITY = "city"


class Region(Localized, db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # ISO 3166-2, e.g. KZ-15
    kind: Mapped[RegionKind] = mapped_column(str_enum(RegionKind, "region_kind"))
    name_kk: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    centre_kk: Mapped[str] = mapped_column(String(120))
    centre_ru: Mapped[str] = mapped_column(String(120))
    centre_en: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))  # IANA zone name

    @property
    def centre(self) -> str:
        return localized(self, "centre")

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class Topic(Localized, db.Model):
    """A subject of appeals; topics form a tree (a parent and its subtopics)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"), index=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Topic | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Topic]] = relationship(back_populates="parent", order_by="Topic.position")


class BodyLevel(enum.StrEnum):
    PRESIDENTIAL = "presidential"
    CENTRAL = "central"
    REGIONAL = "regional"
    CITY = "city"
    DISTRICT = "district"
    OTHER = "other"  # e.g. a chamber of legal consultants


BODY_LEVEL_LABELS = {
    BodyLevel.PRESIDENTIAL: _l("Presidential Administration"),
    BodyLevel.CENTRAL: _l("Central government body"),
    BodyLevel.REGIONAL: _l("Regional akimat"),
    BodyLevel.CITY: _l("City akimat"),
    BodyLevel.DISTRICT: _l("District akimat"),
    BodyLevel.OTHER: _l("Other organisation"),
}

body_topics = Table(
    "body_topics",
    db.metadata,
    Column("body_id", ForeignKey("bodies.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


# One row whose token the directory's own tables change on every write (triggers of migration 0027): what
# reception.directory.kept compares to tell whether a kept list is still the directory's.
directory_version = Table(
    "directory_version",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("token", BigInteger, nullable=False),
)


class Body(Localized, db.Model):
    """A government body. Its competences are the topics it is competent for."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[BodyLevel] = mapped_column(str_enum(BodyLevel, "body_level"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    name_kk: Mapped[str] = mapped_column(String(255))
    name_ru: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    address_kk: Mapped[str | None] = mapped_column(String(255))
    address_ru: Mapped[str | None] = mapped_column(String(255))
    address_en: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The person responsible for the body's reception office: the talon names them (surname and initials)
    # as the person who accepted a self-booked appointment. Required before the body's sessions are published.
    responsible_surname: Mapped[str | None] = mapped_column(String(100))
    responsible_first_name: Mapped[str | None] = mapped_column(String(100))
    responsible_patronymic: Mapped[str | None] = mapped_column(String(100))
    responsible_position_kk: Mapped[str | None] = mapped_column(String(255))
    responsible_position_ru: Mapped[str | None] = mapped_column(String(255))
    responsible_position_en: Mapped[str | None] = mapped_column(String(255))

    region: Mapped[Region | None] = relationship()
    parent: Mapped[Body | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Body]] = relationship(back_populates="parent")
    topics: Mapped[list[Topic]] = relationship(secondary=body_topics, order_by=Topic.position)
    officials: Mapped[list[Official]] = relationship(back_populates="body", order_by="Official.is_head.desc()")
    venues: Mapped[list[Venue]] = relationship(back_populates="body")

    @property
    def address(self) -> str:
        return localized(self, "address")

    @property
    def level_label(self) -> str:
        return str(BODY_LEVEL_LABELS[self.level])

    @property
    def has_responsible_person(self) -> bool:
        """The reception office's responsible person is named (surname and first name at least)."""
        return bool(self.responsible_surname and self.responsible_first_name)

    @property
    def responsible_short_name(self) -> str | None:
        """"Surname I. O." of the responsible person, as the talon writes it; None when nobody is named."""
        if not self.has_responsible_person:
            return None
        return short_name(self.responsible_surname, self.responsible_first_name, self.responsible_patronymic)

    @property
    def responsible_full_name(self) -> str | None:
        if not self.has_responsible_person:
            return None
        return " ".join(n for n in (self.responsible_surname, self.responsible_first_name,
                                    self.responsible_patronymic) if n)

    @property
    def responsible_position(self) -> str:
        return localized(self, "responsible_position")

    @property
    def timezone(self) -> str:
        """The zone the body works in: its region's, else the capital's (central bodies)."""
        return self.region.timezone if self.region else CAPITAL_TZ


class Official(db.Model):
    """A person who holds receptions, e.g. the akim of a region or a minister."""

    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position_kk: Mapped[str] = mapped_column(String(255))
    position_ru: Mapped[str] = mapped_column(String(255))
    position_en: Mapped[str] = mapped_column(String(255))
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    body: Mapped[Body] = relationship(back_populates="officials")
    user: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def position(self) -> str:
        return localized(self, "position")


class VenueKind(enum.StrEnum):
    OFFICE = "office"      # front office / reception room
    HALL = "hall"          # a hall for visiting receptions
    STUDIO = "studio"      # a video studio in an akimat: a reservable resource


VENUE_KIND_LABELS = {
    VenueKind.OFFICE: _l("Reception office"),
    VenueKind.HALL: _l("Hall"),
    VenueKind.STUDIO: _l("Video studio"),
}


class Venue(Localized, db.Model):
    """Where receptions happen; a studio is the video room of an akimat."""

    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("body_id", "name_ru"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[VenueKind] = mapped_column(str_enum(VenueKind, "venue_kind"))
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    address_kk: Mapped[str] = mapped_column(String(255))
    address_ru: Mapped[str] = mapped_column(String(255))
    address_en: Mapped[str] = mapped_column(String(255))
    floor: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164; for a studio, its operator's phone
    capacity: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    body: Mapped[Body] = relationship(back_populates="venues")
    region: Mapped[Region] = relationship()

    @property
    def address(self) -> str:
        return localized(self, "address")

    @property
    def kind_label(self) -> str:
        return str(VENUE_KIND_LABELS[self.kind])

    @property
    def is_studio(self) -> bool:
        return self.kind is VenueKind.STUDIO
