"""Directory reads: public browsing, official search, admin lists and form choices."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..core.i18n import localized
from ..core.web import MAX_ID, valid_id  # noqa: F401  (MAX_ID: re-exported for the areas' own guards)
from ..extensions import db
from . import signals
from .kept import kept
from .models import Body, BodyLevel, Official, Region, Topic, Venue, body_topics

# The Kazakh Cyrillic alphabet holds the Russian one in the same order, so one key sorts both.
_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}


@lru_cache(maxsize=1024)  # the same names are sorted on every page with a form of choices
def collation_key(text: str) -> tuple:
    """Sort key for names in kk, ru or en: Latin first, then Cyrillic in Kazakh alphabet order."""
    key = []
    for ch in (text or "").casefold():
        rank = _RANK.get(ch)
        key.append((1, rank) if rank is not None else (0 if ch.isascii() else 2, ord(ch)))
    return tuple(key)


def by_name(items, attr: str = "name") -> list:
    return sorted(items, key=lambda item: collation_key(getattr(item, attr)))


def get(model, ident) -> object | None:
    """``db.session.get`` that answers None for ids no row can have (instead of a database error): the one
    lookup by id for every route (see :func:`reception.core.web.valid_id`)."""
    if valid_id(ident) is None:
        return None
    return db.session.get(model, ident)


# --- regions -------------------------------------------------------------------------

def list_regions() -> list[Region]:
    return by_name(db.session.scalars(select(Region)).all())


def region_rows() -> list:
    """Every region as a row of id, code and names (``localized(row, "name")``), by name in the page's
    language: what a form's region choices need, without loading the regions themselves. Kept (:mod:`.kept`)."""
    return kept(_region_rows)


def _region_rows() -> list:
    rows = db.session.execute(select(Region.id, Region.code, Region.name_kk, Region.name_ru, Region.name_en)).all()
    return sorted(rows, key=lambda row: collation_key(localized(row, "name")))


def get_region_by_code(code: str) -> Region | None:
    if not code or len(code) > 8:
        return None
    return db.session.scalar(select(Region).where(Region.code == code.upper()))


# --- topics --------------------------------------------------------------------------

def _topic_order(topic) -> tuple:
    return (topic.position or 0, collation_key(localized(topic, "name")))


def topic_tree(topics: list | None = None) -> list[tuple]:
    """Every topic with its depth, parents before their subtopics, siblings by position. ``topics``: topics, or
    rows with their id, parent_id, position and names."""
    topics = db.session.scalars(select(Topic)).all() if topics is None else topics
    children: dict[int | None, list[Topic]] = defaultdict(list)
    ids = {t.id for t in topics}
    for t in topics:
        children[t.parent_id if t.parent_id in ids else None].append(t)
    result: list[tuple[Topic, int]] = []
    seen: set[int] = set()

    def walk(parent_id, depth):
        for t in sorted(children.get(parent_id, []), key=_topic_order):
            if t.id in seen:
                continue
            seen.add(t.id)
            result.append((t, depth))
            walk(t.id, depth + 1)

    walk(None, 0)
    # Topics caught in a cycle (only possible through direct database edits) still get listed.
    result.extend((t, 0) for t in sorted(topics, key=_topic_order) if t.id not in seen)
    return result


def topic_descendant_ids(topic_id: int) -> set[int]:
    """Ids of the topic's subtopics at any depth (not the topic itself)."""
    children: dict[int, list[int]] = defaultdict(list)
    for tid, parent_id in db.session.execute(select(Topic.id, Topic.parent_id)):
        if parent_id is not None:
            children[parent_id].append(tid)
    found: set[int] = set()
    stack = list(children.get(topic_id, []))
    while stack:
        tid = stack.pop()
        if tid not in found and tid != topic_id:
            found.add(tid)
            stack.extend(children.get(tid, []))
    return found


def topic_ancestor_ids(topic_id: int) -> set[int]:
    parents = dict(db.session.execute(select(Topic.id, Topic.parent_id)).tuples().all())
    found: set[int] = set()
    current = parents.get(topic_id)
    while current is not None and current not in found and current != topic_id:
        found.add(current)
        current = parents.get(current)
    return found


def topic_choices(blank_label=None, exclude_ids: set[int] = frozenset()) -> list[tuple[int, str]]:
    """Topics as (id, label) in tree order, subtopics indented; ``blank_label`` adds a 0 choice first. Kept
    (:mod:`.kept`)."""
    return kept(_topic_choices, None if blank_label is None else str(blank_label), frozenset(exclude_ids))


def _topic_choices(blank_label: str | None, exclude_ids: frozenset[int]) -> list[tuple[int, str]]:
    choices = [(0, str(blank_label))] if blank_label is not None else []
    rows = db.session.execute(select(Topic.id, Topic.parent_id, Topic.position, Topic.name_kk, Topic.name_ru,
                                     Topic.name_en)).all()
    for topic, depth in topic_tree(rows):
        if topic.id not in exclude_ids:
            # Subtopics indented and dashed: visible in a select and in a list of checkboxes alike.
            choices.append((topic.id, "\u2003" * depth + ("– " if depth else "") + localized(topic, "name")))
    return choices


# --- bodies --------------------------------------------------------------------------

PUBLIC_REGION_LEVELS = (BodyLevel.REGIONAL, BodyLevel.CITY, BodyLevel.DISTRICT, BodyLevel.CENTRAL,
                        BodyLevel.OTHER)
CENTRAL_LEVELS = (BodyLevel.PRESIDENTIAL, BodyLevel.CENTRAL)


def _group_by_level(bodies, levels) -> list[tuple[BodyLevel, list[Body]]]:
    groups: dict[BodyLevel, list[Body]] = defaultdict(list)
    for body in bodies:
        groups[body.level].append(body)
    return [(level, by_name(groups[level])) for level in levels if groups.get(level)]


def region_bodies_by_level(region: Region) -> list[tuple[BodyLevel, list[Body]]]:
    """The region's active bodies: regional akimat, then cities, then districts, then the rest."""
    bodies = db.session.scalars(select(Body).where(Body.region_id == region.id, Body.is_active)).all()
    return _group_by_level(bodies, PUBLIC_REGION_LEVELS)


def central_bodies_by_level() -> list[tuple[BodyLevel, list[Body]]]:
    """The Presidential Administration and the central government bodies (ministries, agencies)."""
    bodies = db.session.scalars(select(Body).where(Body.level.in_(CENTRAL_LEVELS), Body.is_active)).all()
    return _group_by_level(bodies, CENTRAL_LEVELS)


@dataclass
class BodyPage:
    body: Body
    officials: list[Official]
    venues: list[Venue]
    children: list[Body]
    parent: Body | None = None
    topics: list[Topic] = field(default_factory=list)


def get_public_body(body_id: int) -> BodyPage | None:
    """What the public page of a body shows; None for an unknown or inactive body."""
    body = get(Body, body_id)
    if body is None or not body.is_active:
        return None
    officials = db.session.scalars(
        select(Official).where(Official.body_id == body.id, Official.is_active)).all()
    venues = db.session.scalars(select(Venue).where(Venue.body_id == body.id, Venue.is_active)).all()
    children = db.session.scalars(select(Body).where(Body.parent_id == body.id, Body.is_active)).all()
    return BodyPage(
        body=body,
        officials=sorted(officials, key=lambda o: (not o.is_head, collation_key(o.full_name))),
        venues=sorted(venues, key=lambda v: (v.kind.value, collation_key(v.name))),
        children=by_name(children),
        parent=body.parent if body.parent is not None and body.parent.is_active else None,
        topics=[t for t, _ in topic_tree(list(body.topics))],
    )


def body_descendant_ids(body_id: int) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for bid, parent_id in db.session.execute(select(Body.id, Body.parent_id)):
        if parent_id is not None:
            children[parent_id].append(bid)
    found: set[int] = set()
    stack = list(children.get(body_id, []))
    while stack:
        bid = stack.pop()
        if bid not in found and bid != body_id:
            found.add(bid)
            stack.extend(children.get(bid, []))
    return found


def body_choices(scope: frozenset[int] | None = None, *, blank_label=None, include_id: int | None = None,
                 exclude_ids: set[int] = frozenset(), active_only: bool = True) -> list[tuple[int, str]]:
    """Bodies as (id, label), by name; ``scope`` None means every body.

    ``include_id`` keeps a record's current (perhaps inactive) body selectable.
    """
    stmt = select(Body).options(joinedload(Body.region))
    if scope is not None:
        stmt = stmt.where(Body.id.in_(list(scope)))
    bodies = [b for b in db.session.scalars(stmt).unique()
              if b.id not in exclude_ids and (b.is_active or not active_only or b.id == include_id)]
    choices = [(0, str(blank_label))] if blank_label is not None else []
    return choices + [(b.id, b.name) for b in by_name(bodies)]


def list_bodies(region_id: int | None = None) -> list[Body]:
    """All bodies (active or not) for the administrators' list, optionally of one region."""
    stmt = select(Body).options(joinedload(Body.region), joinedload(Body.parent))
    if region_id is not None:
        stmt = stmt.where(Body.region_id == region_id)
    bodies = db.session.scalars(stmt).unique().all()
    order = list(BodyLevel)
    return sorted(bodies, key=lambda b: (order.index(b.level), collation_key(b.name)))


def region_choices(blank_label=None) -> list[tuple[int, str]]:
    choices = [(0, str(blank_label))] if blank_label is not None else []
    return choices + [(r.id, r.name) for r in list_regions()]


# --- officials -----------------------------------------------------------------------

@dataclass
class OfficialSearch:
    officials: list[Official]
    total: int


@cache
def competent_bodies(in_region: bool, central: bool) -> Select:
    """Ids of the active bodies competent for a topic (bind parameter ``topic``) or its parent topic: with
    ``in_region``, those of a region (``region``); with ``central``, the central ones; never the official's own
    body (``body``). Built once per shape (every booking runs it, inside its checks)."""
    topic_id = bindparam("topic")
    where_ok = [Body.region_id == bindparam("region")] if in_region else []
    if central:
        where_ok.append(Body.level == BodyLevel.CENTRAL)
    topic_ids = select(Topic.id).where(Topic.id == topic_id).union(
        select(Topic.parent_id).where(Topic.id == topic_id, Topic.parent_id.is_not(None)))
    return (select(Body.id).join(body_topics, body_topics.c.body_id == Body.id)
            .where(body_topics.c.topic_id.in_(topic_ids), Body.is_active, Body.id != bindparam("body"),
                   or_(*where_ok))
            .distinct())


def competence_shape(official_body_level: BodyLevel, region_id: int | None) -> tuple[bool, bool] | None:
    """The shape of :func:`competent_bodies` for a reception with an official of a body at
    ``official_body_level`` and a citizen of ``region_id``: (in the region, central too), or None when no body
    can be competent (a citizen of no region at a local body's reception)."""
    central = official_body_level in (BodyLevel.CENTRAL, BodyLevel.PRESIDENTIAL)
    return (bool(region_id), central) if region_id or central else None


def related_topic_ids(topic_id: int) -> set[int]:
    """The topic, its subtopics and its parents: a body competent for "housing" handles the waiting list too."""
    return {topic_id} | topic_descendant_ids(topic_id) | topic_ancestor_ids(topic_id)


def search_officials(q: str = "", region: Region | None = None, topic: Topic | None = None,
                     limit: int = 200) -> OfficialSearch:
    """Active officials of active bodies whose name contains ``q``, in ``region``, competent for ``topic``."""
    stmt = (select(Official).join(Official.body)
            .where(Official.is_active, Body.is_active)
            .options(contains_eager(Official.body).joinedload(Body.region)))
    if region is not None:
        stmt = stmt.where(Body.region_id == region.id)
    if topic is not None:
        competent = select(body_topics.c.body_id).where(body_topics.c.topic_id.in_(related_topic_ids(topic.id)))
        stmt = stmt.where(Body.id.in_(competent))
    officials = db.session.scalars(stmt).unique().all()
    needle = (q or "").strip().casefold()
    if needle:
        # Matched here, not with SQL LIKE: SQLite folds the case of ASCII letters only (not Cyrillic).
        officials = [o for o in officials if needle in o.full_name.casefold()]
    officials = sorted(officials, key=lambda o: (collation_key(o.full_name), o.id))
    return OfficialSearch(officials=officials[:limit], total=len(officials))


def list_officials(scope: frozenset[int] | None, body_id: int | None = None) -> list[Official]:
    """Officials for the management list: every body (scope None) or only the bodies in ``scope``."""
    stmt = select(Official).options(joinedload(Official.body), joinedload(Official.user))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    if body_id is not None:
        stmt = stmt.where(Official.body_id == body_id)
    officials = db.session.scalars(stmt).unique().all()
    return sorted(officials, key=lambda o: (collation_key(o.body.name), not o.is_head, collation_key(o.full_name)))


def official_account_choices(scope: frozenset[int] | None, blank_label, current_user_id: int | None = None,
                             ) -> list[tuple[int, str]]:
    """Staff accounts with the official role that can be linked (:data:`.signals.official_accounts`)."""
    choices = [(0, str(blank_label))]
    for _receiver, answer in signals.official_accounts.send(scope, current_user_id=current_user_id):
        choices.extend(answer or [])
    return choices


# --- venues --------------------------------------------------------------------------

def list_venues(scope: frozenset[int] | None, body_id: int | None = None) -> list[Venue]:
    stmt = select(Venue).options(joinedload(Venue.body), joinedload(Venue.region))
    if scope is not None:
        stmt = stmt.where(Venue.body_id.in_(list(scope)))
    if body_id is not None:
        stmt = stmt.where(Venue.body_id == body_id)
    venues = db.session.scalars(stmt).unique().all()
    return sorted(venues, key=lambda v: (collation_key(v.body.name), v.kind.value, collation_key(v.name)))


def list_topics_with_counts() -> list[tuple[Topic, int, int]]:
    """Each topic with its depth and how many bodies are competent for it."""
    counts: dict[int, int] = defaultdict(int)
    for topic_id, in db.session.execute(select(body_topics.c.topic_id)):
        counts[topic_id] += 1
    return [(t, depth, counts.get(t.id, 0)) for t, depth in topic_tree()]

