"""Directory changes: regions, topics, bodies, officials and venues.

Every service takes the acting user, checks the policy itself, adds and
flushes; the caller commits. Nothing is ever deleted: records are
deactivated through ``is_active`` where the model has it.
"""
from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..core.errors import Conflict, Invalid, NotAllowed
from ..core.phones import PhoneError, normalize_phone
from ..extensions import db
from . import policy, signals
from .models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from .names import is_valid_name
from .queries import body_descendant_ids, get, topic_descendant_ids

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_POSITION = 10_000
MAX_CAPACITY = 100_000
# Levels that always belong to one region (a central body may have none).
REGIONAL_LEVELS = frozenset({BodyLevel.REGIONAL, BodyLevel.CITY, BodyLevel.DISTRICT})

TOPIC_CODE_TAKEN = _l("A topic with this code already exists.")
BODY_CODE_TAKEN = _l("A body with this code already exists.")
VENUE_NAME_TAKEN = _l("This body already has a venue with this name in Russian.")
ACCOUNT_TAKEN = _l("This account is already linked to another official.")
PHONE_MESSAGE = _l("Enter a valid phone number, e.g. +7 7172 74 56 78.")
CODE_MESSAGE = _l("Use Latin letters, digits, dots, hyphens and underscores only.")
NAME_MESSAGE = _l("Write the name in letters: spaces, hyphens and apostrophes may join its parts.")


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    return bool(name) and name in _time_zones()


# --- shared checks -------------------------------------------------------------------

def _text(value: str | None, field_name: str, max_len: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(_l("This field is required."), field=field_name)
    if len(value) > max_len:
        raise Invalid(_l("Too long: at most %(max)d characters.", max=max_len), field=field_name)
    return value


def _code(value: str | None, max_len: int = 64) -> str:
    code = _text(value, "code", max_len)
    if not CODE_RE.match(code):
        raise Invalid(CODE_MESSAGE, field="code")
    return code


def _code_taken(model, code: str, exclude_id: int | None) -> bool:
    stmt = select(model.id).where(func.lower(model.code) == code.lower())
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return db.session.scalar(stmt) is not None


def _phone(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return normalize_phone(raw)
    except PhoneError:
        raise Invalid(PHONE_MESSAGE, field="phone") from None


def _names(data, prefix: str, max_len: int, *, required: bool = True) -> dict[str, str | None]:
    """``<prefix>_kk/ru/en``: Kazakh and Russian required (when ``required``), English optional.

    An empty English value is stored as "" and displays the Russian one instead.
    """
    values: dict[str, str | None] = {}
    for lang in ("kk", "ru", "en"):
        name = f"{prefix}_{lang}"
        values[name] = _text(getattr(data, name), name, max_len, required=required and lang != "en")
    if not required and not any(values.values()):
        return dict.fromkeys(values)
    return values


def _flush(message, field_name: str | None = None) -> None:
    """Flush; a unique constraint hit by a concurrent change becomes a Conflict (the caller rolls back)."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(message, field=field_name) from None


def _assign(obj, values: dict) -> None:
    for key, value in values.items():
        setattr(obj, key, value)


# --- regions -------------------------------------------------------------------------

@dataclass
class RegionData:
    name_kk: str
    name_ru: str
    name_en: str
    centre_kk: str
    centre_ru: str
    centre_en: str
    timezone: str


def update_region(actor, region: Region, data: RegionData) -> Region:
    """Rename a region or its centre, or change its IANA time zone. Regions are never created or removed.

    Raises NotAllowed without REGION_MANAGE, Invalid for a missing name or an unknown zone.
    """
    if not policy.can_manage_regions(actor):
        raise NotAllowed(_l("You may not manage regions."))
    values = {**_names(data, "name", 120), **_names(data, "centre", 120)}
    tz = (data.timezone or "").strip()
    if not is_valid_timezone(tz):
        raise Invalid(_l("Enter a time zone from the IANA database, e.g. Asia/Almaty."), field="timezone")
    _assign(region, values)
    region.timezone = tz
    _flush(_l("The region could not be saved."))
    return region


# --- topics --------------------------------------------------------------------------

@dataclass
class TopicData:
    code: str
    name_kk: str
    name_ru: str
    name_en: str
    parent_id: int | None = None
    position: int = 0


def _topic_values(data: TopicData, topic: Topic | None) -> dict:
    code = _code(data.code)
    if _code_taken(Topic, code, topic.id if topic else None):
        raise Conflict(TOPIC_CODE_TAKEN, field="code")
    if data.parent_id is not None:
        if get(Topic, data.parent_id) is None:
            raise Invalid(_l("Choose a parent topic from the list."), field="parent_id")
        if topic is not None and (data.parent_id == topic.id or data.parent_id in topic_descendant_ids(topic.id)):
            raise Invalid(_l("A topic cannot be placed under itself or one of its own subtopics."),
                          field="parent_id")
    position = data.position if data.position is not None else 0
    if not 0 <= position <= MAX_POSITION:
        raise Invalid(_l("Enter a number from %(min)d to %(max)d.", min=0, max=MAX_POSITION), field="position")
    return {"code": code, "parent_id": data.parent_id, "position": position, **_names(data, "name", 200)}


def create_topic(actor, data: TopicData) -> Topic:
    """Add a topic (at the top or under a parent). Raises NotAllowed, Invalid, Conflict (code taken)."""
    if not policy.can_manage_topics(actor):
        raise NotAllowed(_l("You may not manage topics."))
    topic = Topic(**_topic_values(data, None))
    db.session.add(topic)
    _flush(TOPIC_CODE_TAKEN, "code")
    return topic


def update_topic(actor, topic: Topic, data: TopicData) -> Topic:
    """Change a topic's code, names, place in the tree. Raises NotAllowed, Invalid (a cycle), Conflict."""
    if not policy.can_manage_topics(actor):
        raise NotAllowed(_l("You may not manage topics."))
    _assign(topic, _topic_values(data, topic))
    _flush(TOPIC_CODE_TAKEN, "code")
    return topic


# --- bodies --------------------------------------------------------------------------

@dataclass
class BodyData:
    code: str
    level: str
    name_kk: str
    name_ru: str
    name_en: str
    region_id: int | None = None
    parent_id: int | None = None
    address_kk: str | None = None
    address_ru: str | None = None
    address_en: str | None = None
    phone: str | None = None
    topic_ids: list[int] = field(default_factory=list)
    is_active: bool = True


def _body_values(data: BodyData, body: Body | None) -> tuple[dict, list[Topic]]:
    code = _code(data.code)
    if _code_taken(Body, code, body.id if body else None):
        raise Conflict(BODY_CODE_TAKEN, field="code")
    try:
        level = BodyLevel(data.level)
    except ValueError:
        raise Invalid(_l("Choose a level from the list."), field="level") from None
    if data.region_id is not None and get(Region, data.region_id) is None:
        raise Invalid(_l("Choose a region from the list."), field="region_id")
    if data.region_id is None and level in REGIONAL_LEVELS:
        raise Invalid(_l("An akimat must belong to a region."), field="region_id")
    if data.parent_id is not None:
        if get(Body, data.parent_id) is None:
            raise Invalid(_l("Choose a parent body from the list."), field="parent_id")
        if body is not None and (data.parent_id == body.id or data.parent_id in body_descendant_ids(body.id)):
            raise Invalid(_l("A body cannot be subordinate to itself or to one of its own subordinate bodies."),
                          field="parent_id")
    topic_ids = list(dict.fromkeys(data.topic_ids or []))
    topics = db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids))).all() if topic_ids else []
    if len(topics) != len(topic_ids):
        raise Invalid(_l("Choose competences from the list."), field="topic_ids")
    values = {
        "code": code, "level": level, "region_id": data.region_id, "parent_id": data.parent_id,
        **_names(data, "name", 255), **_names(data, "address", 255, required=False),
        "phone": _phone(data.phone), "is_active": bool(data.is_active),
    }
    return values, list(topics)


def create_body(actor, data: BodyData) -> Body:
    """Add a government body with its competences. Raises NotAllowed, Invalid, Conflict (code taken)."""
    if not policy.can_manage_bodies(actor):
        raise NotAllowed(_l("You may not manage government bodies."))
    values, topics = _body_values(data, None)
    body = Body(**values)
    body.topics = topics
    db.session.add(body)
    _flush(BODY_CODE_TAKEN, "code")
    return body


def update_body(actor, body: Body, data: BodyData) -> Body:
    """Change a body, its parent (never itself or a subordinate), competences, or (de)activate it.

    Raises NotAllowed, Invalid, Conflict (code taken).
    """
    if not policy.can_manage_bodies(actor):
        raise NotAllowed(_l("You may not manage government bodies."))
    values, topics = _body_values(data, body)
    _assign(body, values)
    body.topics = topics
    _flush(BODY_CODE_TAKEN, "code")
    return body


# --- the responsible person of a body's reception office --------------------------------

@dataclass
class ResponsiblePersonData:
    surname: str
    first_name: str
    position_kk: str
    position_ru: str
    position_en: str = ""
    patronymic: str | None = None


def check_responsible_person(body: Body) -> None:
    """Raise Conflict (409) naming what is missing when ``body`` has no responsible person: its sessions
    cannot be published until it has one."""
    if not body.has_responsible_person:
        raise Conflict(_l("The reception office of %(body)s has no responsible person yet: a talon must name "
                          "the person who accepted the booking. Name the responsible person (surname, first "
                          "name, position) in the directory, then publish.", body=body.name))


def set_responsible_person(actor, body: Body, data: ResponsiblePersonData) -> Body:
    """Name the responsible person of ``body``'s reception office (the talon names them; publishing needs one).

    A person cannot be removed, only replaced: published sessions rely on one. Talons already issued keep
    the name they were issued with. Raises NotAllowed (another body's, for an assistant), Invalid.
    """
    if not policy.can_set_responsible_person(actor, body):
        raise NotAllowed(_l("You may name the responsible person of your own body only."))
    names = {"surname": _text(data.surname, "surname", 100), "first_name": _text(data.first_name, "first_name", 100),
             "patronymic": _text(data.patronymic, "patronymic", 100, required=False)}
    for field_name, value in names.items():
        if value and not is_valid_name(value):
            raise Invalid(NAME_MESSAGE, field=field_name)
    values = {
        "responsible_surname": names["surname"],
        "responsible_first_name": names["first_name"],
        "responsible_patronymic": names["patronymic"] or None,
        **{f"responsible_{k}": v for k, v in _names(data, "position", 255).items()},
    }
    _assign(body, values)
    _flush(_l("The responsible person could not be saved."))
    return body


# --- officials -----------------------------------------------------------------------

@dataclass
class OfficialData:
    body_id: int
    full_name: str
    position_kk: str
    position_ru: str
    position_en: str
    is_head: bool = False
    user_id: int | None = None
    is_active: bool = True


def _target_body(body_id: int | None) -> Body:
    body = get(Body, body_id) if body_id is not None else None
    if body is None:
        raise Invalid(_l("Choose a body from the list."), field="body_id")
    return body


def _official_values(actor, data: OfficialData, official: Official | None) -> dict:
    body = _target_body(data.body_id)
    if not policy.can_manage_officials_of(actor, body.id):
        raise NotAllowed(_l("You may manage the officials of your own body only."))
    if data.user_id is not None:
        signals.account_to_link.send(data.user_id, body_id=body.id)  # reception.accounts refuses a wrong one
        stmt = select(Official.id).where(Official.user_id == data.user_id)
        if official is not None:
            stmt = stmt.where(Official.id != official.id)
        if db.session.scalar(stmt) is not None:
            raise Conflict(ACCOUNT_TAKEN, field="user_id")
    if data.is_head and not data.is_active:
        raise Invalid(_l("An inactive official cannot be the head of the body."), field="is_head")
    return {
        "body_id": body.id, "full_name": _text(data.full_name, "full_name", 200),
        **_names(data, "position", 255), "is_head": bool(data.is_head), "user_id": data.user_id,
        "is_active": bool(data.is_active),
    }


def _clear_other_heads(official: Official) -> None:
    """One head per body: the official just marked head replaces the previous one."""
    with db.session.no_autoflush:
        others = db.session.scalars(select(Official).where(
            Official.body_id == official.body_id, Official.is_head,
            Official.id != (official.id or -1))).all()
    for other in others:
        other.is_head = False


def create_official(actor, data: OfficialData) -> Official:
    """Add an official to a body; marking them head unmarks the body's previous head.

    Raises NotAllowed (another body's official for an assistant), Invalid, Conflict (account linked elsewhere).
    """
    values = _official_values(actor, data, None)
    official = Official(**values)
    if official.is_head:
        _clear_other_heads(official)
    db.session.add(official)
    _flush(ACCOUNT_TAKEN, "user_id")
    return official


def update_official(actor, official: Official, data: OfficialData) -> Official:
    """Change an official (assistants: of their own body, and only to their own body).

    Marking them head unmarks the body's previous head. Raises NotAllowed, Invalid, Conflict.
    """
    if not policy.can_edit_official(actor, official):
        raise NotAllowed(_l("You may manage the officials of your own body only."))
    values = _official_values(actor, data, official)
    _assign(official, values)
    if official.is_head:
        _clear_other_heads(official)
    _flush(ACCOUNT_TAKEN, "user_id")
    return official


# --- venues --------------------------------------------------------------------------

@dataclass
class VenueData:
    body_id: int
    region_id: int
    kind: str
    name_kk: str
    name_ru: str
    name_en: str
    address_kk: str
    address_ru: str
    address_en: str
    floor: str | None = None
    phone: str | None = None
    capacity: int | None = None
    is_active: bool = True


def _venue_values(actor, data: VenueData, venue: Venue | None) -> dict:
    body = _target_body(data.body_id)
    if not policy.can_manage_venues_of(actor, body.id):
        raise NotAllowed(_l("You may manage the venues of your own body only."))
    if data.region_id is None or get(Region, data.region_id) is None:
        raise Invalid(_l("Choose a region from the list."), field="region_id")
    try:
        kind = VenueKind(data.kind)
    except ValueError:
        raise Invalid(_l("Choose a kind from the list."), field="kind") from None
    if data.capacity is not None and not 1 <= data.capacity <= MAX_CAPACITY:
        raise Invalid(_l("Enter a number from %(min)d to %(max)d.", min=1, max=MAX_CAPACITY), field="capacity")
    names = _names(data, "name", 200)
    stmt = select(Venue.id).where(Venue.body_id == body.id, Venue.name_ru == names["name_ru"])
    if venue is not None:
        stmt = stmt.where(Venue.id != venue.id)
    if db.session.scalar(stmt) is not None:
        raise Conflict(VENUE_NAME_TAKEN, field="name_ru")
    return {
        "body_id": body.id, "region_id": data.region_id, "kind": kind, **names,
        **_names(data, "address", 255), "floor": _text(data.floor, "floor", 40, required=False) or None,
        "phone": _phone(data.phone), "capacity": data.capacity, "is_active": bool(data.is_active),
    }


def create_venue(actor, data: VenueData) -> Venue:
    """Add a reception office, hall or video studio to a body.

    Raises NotAllowed (another body for an assistant), Invalid, Conflict (name taken in the body).
    """
    venue = Venue(**_venue_values(actor, data, None))
    db.session.add(venue)
    _flush(VENUE_NAME_TAKEN, "name_ru")
    return venue


def update_venue(actor, venue: Venue, data: VenueData) -> Venue:
    """Change or (de)activate a venue (assistants: of their own body). Raises NotAllowed, Invalid, Conflict."""
    if not policy.can_edit_venue(actor, venue):
        raise NotAllowed(_l("You may manage the venues of your own body only."))
    _assign(venue, _venue_values(actor, data, venue))
    _flush(VENUE_NAME_TAKEN, "name_ru")
    return venue
