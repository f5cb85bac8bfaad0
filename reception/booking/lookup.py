"""The search form's directory reads: officials and bodies matched by name as the visitor types, and the
few choices the form's selects offer (never every official and body)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, exists, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.sql.functions import GenericFunction

from ..core.i18n import localized
from ..directory.models import Body, Official, Region, Venue
from ..directory.queries import MAX_ID, collation_key
from ..extensions import db

MIN_QUERY, MAX_QUERY = 2, 100
DEFAULT_MATCHES, MAX_MATCHES = 10, 20


class folded(GenericFunction):
    """Lower case of a text column on both databases: SQLite's own lower() folds ASCII letters only, so
    there it calls ``unicode_lower`` (Python's, registered on every SQLite connection; see create_app)."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"unicode_lower({compiler.process(element.clauses, **kw)})"


@dataclass(frozen=True)
class Match:
    kind: str       # "official" or "body"
    id: int
    label: str      # in the current language
    detail: str

    def as_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "label": self.label, "detail": self.detail}


def _contains(column, needle: str):
    return folded(column).contains(needle, autoescape=True)


def _in_region(region_id: int):
    """Bodies that receive in the region: of the region, or with an active venue there."""
    venue_there = exists().where(Venue.body_id == Body.id, Venue.region_id == region_id, Venue.is_active)
    return or_(Body.region_id == region_id, venue_there)


def match_officials_and_bodies(q: str, region: Region | None = None, limit: int = DEFAULT_MATCHES) -> list[Match]:
    """Active officials (by name or position) and active bodies (by name), in any of kk/ru/en, whose text
    contains ``q`` (case folded), optionally receiving in ``region``: officials first, at most ``limit``
    of each, in two queries whatever the size of the directory."""
    needle = q.strip().lower()
    officials_stmt = (
        select(Official).join(Official.body).options(contains_eager(Official.body))
        .where(Official.is_active, Body.is_active,
               or_(_contains(Official.full_name, needle), _contains(Official.position_kk, needle),
                   _contains(Official.position_ru, needle), _contains(Official.position_en, needle)))
        .order_by(Official.full_name, Official.id).limit(limit))
    bodies_stmt = (
        select(Body).where(Body.is_active, or_(_contains(Body.name_kk, needle), _contains(Body.name_ru, needle),
                                               _contains(Body.name_en, needle)))
        .options(joinedload(Body.region)).order_by(Body.name_ru, Body.id).limit(limit))
    if region is not None:
        officials_stmt = officials_stmt.where(_in_region(region.id))
        bodies_stmt = bodies_stmt.where(_in_region(region.id))
    officials = sorted(db.session.scalars(officials_stmt), key=lambda o: (collation_key(o.full_name), o.id))
    bodies = sorted(db.session.scalars(bodies_stmt), key=lambda b: (collation_key(b.name), b.id))
    return ([Match("official", o.id, o.full_name, f"{o.position}, {o.body.name}") for o in officials]
            + [Match("body", b.id, b.name, b.region.name if b.region else "") for b in bodies])


def _valid_id(ident: int | None) -> int | None:
    return ident if isinstance(ident, int) and 0 < ident <= MAX_ID else None


def search_body_choices(region_id: int | None, selected_id: int | None) -> list[tuple[int, str]]:
    """The bodies the search form lists: those receiving in the chosen region, or without a region the
    national ones (no region of their own); and the chosen body, if active. One query."""
    scope = _in_region(region_id) if region_id else Body.region_id.is_(None)
    selected_id = _valid_id(selected_id)
    if selected_id:
        scope = or_(scope, Body.id == selected_id)
    bodies = [(row.id, localized(row, "name")) for row in db.session.execute(
        select(Body.id, Body.name_kk, Body.name_ru, Body.name_en).where(Body.is_active, scope))]
    return sorted(bodies, key=lambda body: (collation_key(body[1]), body[0]))


def search_official_choices(body_id: int | None, selected_id: int | None) -> list[tuple[int, str]]:
    """The officials the search form lists: the chosen body's, and the chosen official (if active, of an
    active body). Without a body, only the chosen official: the others are found by typing. One query
    at most."""
    body_id, selected_id = _valid_id(body_id), _valid_id(selected_id)
    wanted = [Official.body_id == body_id] if body_id else []
    if selected_id:
        wanted.append(Official.id == selected_id)
    if not wanted:
        return []
    officials = db.session.execute(
        select(Official.id, Official.full_name, Body.name_kk, Body.name_ru, Body.name_en).join(Official.body)
        .where(Official.is_active, Body.is_active, or_(*wanted))).all()
    officials = sorted(officials, key=lambda row: (collation_key(row.full_name), row.id))
    return [(row.id, f"{row.full_name} ({localized(row, 'name')})") for row in officials]
