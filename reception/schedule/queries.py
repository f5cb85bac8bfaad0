"""Reads of reception time: schedules, upcoming sessions with booking counts, choices, unified reception
days (coverage, public listing) and visiting receptions."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User, UserRole
from ..core.permissions import Role
from ..directory.models import Body, BodyLevel, Official, Region, Venue, VenueKind
from ..directory.queries import collation_key, get
from ..extensions import db
from . import signals
from .models import ReceptionSession, Schedule, SessionStatus, Slot, UnifiedDay, VisitingReception


def get_session(session_id: int) -> ReceptionSession | None:
    return get(ReceptionSession, session_id)


def list_schedules(scope: frozenset[int] | None) -> list[Schedule]:
    """Schedules of the officials of the bodies in ``scope`` (None: every body)."""
    stmt = (select(Schedule).join(Schedule.official)
            .options(joinedload(Schedule.official).joinedload(Official.body),
                     joinedload(Schedule.venue).joinedload(Venue.region), selectinload(Schedule.topics)))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    schedules = db.session.scalars(stmt).unique().all()
    return sorted(schedules, key=lambda s: (collation_key(s.official.body.name), collation_key(s.official.full_name),
                                            s.start_time, s.id))


@dataclass
class SessionRow:
    session: ReceptionSession
    slots: int
    booked: int


def list_sessions(scope: frozenset[int] | None, start: datetime, days: int = 60) -> list[SessionRow]:
    """Sessions starting within ``days`` days from ``start``, with slot and active-booking counts
    (the bookings counted by :data:`.signals.bookings_counted`)."""
    stmt = (select(ReceptionSession).join(ReceptionSession.official)
            .options(joinedload(ReceptionSession.official).joinedload(Official.body),
                     joinedload(ReceptionSession.venue).joinedload(Venue.region))
            .where(ReceptionSession.starts_at >= start, ReceptionSession.starts_at < start + timedelta(days=days))
            .order_by(ReceptionSession.starts_at, ReceptionSession.id))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    sessions = db.session.scalars(stmt).unique().all()
    ids = [s.id for s in sessions]
    booked, slots = {}, {}
    if ids:
        booked = signals.count_bookings(ids)
        slots = dict(db.session.execute(
            select(Slot.session_id, func.count(Slot.id)).where(Slot.session_id.in_(ids))
            .group_by(Slot.session_id)).all())
    return [SessionRow(s, slots.get(s.id, 0), booked.get(s.id, 0)) for s in sessions]


def official_choices(scope: frozenset[int] | None) -> list[tuple[int, str]]:
    stmt = select(Official).options(joinedload(Official.body)).where(Official.is_active.is_(True))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    officials = sorted(db.session.scalars(stmt).unique(),
                       key=lambda o: (collation_key(o.body.name), not o.is_head, collation_key(o.full_name)))
    return [(o.id, f"{o.full_name}, {o.position} ({o.body.name})") for o in officials]


def venue_choices(scope: frozenset[int] | None) -> list[tuple[int, str]]:
    stmt = (select(Venue).options(joinedload(Venue.body), joinedload(Venue.region))
            .where(Venue.is_active.is_(True)))
    if scope is not None:
        stmt = stmt.where(Venue.body_id.in_(list(scope)))
    venues = sorted(db.session.scalars(stmt).unique(),
                    key=lambda v: (collation_key(v.body.name), collation_key(v.name)))
    return [(v.id, f"{v.name} ({v.body.name}; {v.region.timezone})") for v in venues]


# --- unified reception days ---------------------------------------------------------------------

#: Venues where a unified-day reception is held: a reception office or a hall, never a video studio.
RECEPTION_VENUE_KINDS = (VenueKind.OFFICE, VenueKind.HALL)
_LEVEL_ORDER = {level: i for i, level in enumerate(BodyLevel)}


def get_unified_day(unified_day_id: int) -> UnifiedDay | None:
    return get(UnifiedDay, unified_day_id)


def get_unified_day_on(local_date: date) -> UnifiedDay | None:
    return db.session.scalar(select(UnifiedDay).where(UnifiedDay.local_date == local_date))


@dataclass
class UnifiedDayRow:
    day: UnifiedDay
    sessions: int
    published: int


def list_unified_days(from_date: date | None = None) -> list[UnifiedDayRow]:
    """Unified days (from ``from_date`` on, soonest first; else every one, latest first) with session counts."""
    stmt = select(UnifiedDay).options(selectinload(UnifiedDay.regions))
    if from_date is not None:
        stmt = stmt.where(UnifiedDay.local_date >= from_date).order_by(UnifiedDay.local_date)
    else:
        stmt = stmt.order_by(UnifiedDay.local_date.desc())
    days = db.session.scalars(stmt).all()
    counts: dict[int, tuple[int, int]] = {}
    if days:
        published = func.sum(case((ReceptionSession.is_published, 1), else_=0))
        rows = db.session.execute(
            select(ReceptionSession.unified_day_id, func.count(ReceptionSession.id), published)
            .where(ReceptionSession.unified_day_id.in_([d.id for d in days]),
                   ReceptionSession.status != SessionStatus.CANCELLED)
            .group_by(ReceptionSession.unified_day_id)).all()
        counts = {day_id: (total, int(pub or 0)) for day_id, total, pub in rows}
    return [UnifiedDayRow(d, *counts.get(d.id, (0, 0))) for d in days]


@dataclass
class BodyCoverage:
    """One body a unified day covers: its active heads, where they receive, and the day's sessions."""

    body: Body
    heads: list[Official]
    venue: Venue | None
    sessions: list[ReceptionSession] = field(default_factory=list)
    covered: bool = True  # False: the body has sessions but is no longer covered (inactive, level changed)

    @property
    def missing_heads(self) -> list[Official]:
        """Active heads without a session on the day (announcing again creates theirs)."""
        have = {s.official_id for s in self.sessions}
        return [h for h in self.heads if h.id not in have]

    @property
    def problem(self) -> str | None:
        """Why sessions cannot be created: ``no_head`` or ``no_venue``; None when nothing is in the way."""
        if not self.covered:
            return None
        if not self.heads and not self.sessions:
            return "no_head"
        if self.missing_heads and self.venue is None:
            return "no_venue"
        return None

    @property
    def planned(self) -> list[ReceptionSession]:
        return [s for s in self.sessions if s.status is SessionStatus.PLANNED]

    @property
    def unpublished(self) -> list[ReceptionSession]:
        return [s for s in self.planned if not s.is_published]

    @property
    def is_published(self) -> bool:
        """Every planned session of the body on the day is published (and there is at least one)."""
        return bool(self.planned) and not self.unpublished


def _covered_bodies(day: UnifiedDay) -> list[Body]:
    stmt = (select(Body).options(joinedload(Body.region))
            .where(Body.is_active, Body.level.in_([level.value for level in day.level_list])))
    region_ids = [r.id for r in day.regions]
    if region_ids:
        # Bodies without a region (central bodies, the Presidential Administration) are covered by level alone.
        stmt = stmt.where(or_(Body.region_id.is_(None), Body.region_id.in_(region_ids)))
    return list(db.session.scalars(stmt).unique())


def unified_day_coverage(day: UnifiedDay) -> list[BodyCoverage]:
    """Every body the day covers (and any other body holding one of its sessions), in four queries.

    Sorted by level, region and name.
    """
    bodies = {b.id: b for b in _covered_bodies(day)}
    covered_ids = set(bodies)
    sessions = db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.unified_day_id == day.id)
        .options(joinedload(ReceptionSession.official).joinedload(Official.body).joinedload(Body.region),
                 joinedload(ReceptionSession.venue).joinedload(Venue.region))
        .order_by(ReceptionSession.starts_at, ReceptionSession.id)).unique().all()
    for s in sessions:
        bodies.setdefault(s.official.body_id, s.official.body)
    ids = list(covered_ids)
    heads: dict[int, list[Official]] = defaultdict(list)
    venues: dict[int, Venue] = {}
    if ids:
        for official in db.session.scalars(select(Official).where(
                Official.body_id.in_(ids), Official.is_head, Official.is_active).order_by(Official.id)):
            heads[official.body_id].append(official)
        for venue in db.session.scalars(select(Venue).options(joinedload(Venue.region)).where(
                Venue.body_id.in_(ids), Venue.is_active, Venue.kind.in_(RECEPTION_VENUE_KINDS))
                .order_by(Venue.id)):
            venues.setdefault(venue.body_id, venue)
    by_body: dict[int, list[ReceptionSession]] = defaultdict(list)
    for s in sessions:
        by_body[s.official.body_id].append(s)
    rows = [BodyCoverage(body=b, heads=heads.get(b.id, []), venue=venues.get(b.id), sessions=by_body.get(b.id, []),
                         covered=b.id in covered_ids) for b in bodies.values()]
    return sorted(rows, key=lambda c: (_LEVEL_ORDER[c.body.level], collation_key(c.body.region.name if c.body.region
                                                                                  else ""),
                                       collation_key(c.body.name), c.body.id))


@dataclass
class CoverageCounts:
    bodies: int
    sessions: int
    published: int
    unpublished: int
    cancelled: int
    missing: int
    problems: int


def coverage_counts(coverage: list[BodyCoverage]) -> CoverageCounts:
    sessions = [s for c in coverage for s in c.sessions]
    return CoverageCounts(
        bodies=sum(1 for c in coverage if c.covered),
        sessions=len(sessions),
        published=sum(1 for s in sessions if s.is_published and s.status is not SessionStatus.CANCELLED),
        unpublished=sum(len(c.unpublished) for c in coverage),
        cancelled=sum(1 for s in sessions if s.status is SessionStatus.CANCELLED),
        missing=sum(len(c.missing_heads) for c in coverage if c.covered and c.venue is not None),
        problems=sum(1 for c in coverage if c.problem))


@dataclass
class OfficialReceptions:
    official: Official
    sessions: list[ReceptionSession]


@dataclass
class BodyReceptions:
    body: Body
    officials: list[OfficialReceptions]


@dataclass
class RegionReceptions:
    region: Region | None  # None: central bodies and the Presidential Administration
    bodies: list[BodyReceptions]


def group_receptions(sessions) -> list[RegionReceptions]:
    """Sessions grouped by the region of the official's body (bodies without a region first), then body, then
    official; each level in name order."""
    tree: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    regions: dict[int | None, Region | None] = {}
    bodies: dict[int, Body] = {}
    officials: dict[int, Official] = {}
    for s in sessions:
        body = s.official.body
        regions[body.region_id] = body.region
        bodies[body.id] = body
        officials[s.official_id] = s.official
        tree[body.region_id][body.id][s.official_id].append(s)
    result = []
    for region_id in sorted(tree, key=lambda r: (r is not None, collation_key(regions[r].name) if r else ())):
        body_rows = []
        for body_id in sorted(tree[region_id], key=lambda b: (_LEVEL_ORDER[bodies[b].level],
                                                              collation_key(bodies[b].name), b)):
            official_rows = [OfficialReceptions(officials[o], sorted(tree[region_id][body_id][o],
                                                                     key=lambda s: s.starts_at))
                             for o in sorted(tree[region_id][body_id],
                                             key=lambda o: (not officials[o].is_head,
                                                            collation_key(officials[o].full_name), o))]
            body_rows.append(BodyReceptions(bodies[body_id], official_rows))
        result.append(RegionReceptions(regions[region_id], body_rows))
    return result


def public_unified_day(day: UnifiedDay) -> list[RegionReceptions]:
    """The day's published receptions for the public page, grouped by region, body and official."""
    sessions = db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.unified_day_id == day.id, ReceptionSession.is_published)
        .options(joinedload(ReceptionSession.official).joinedload(Official.body).joinedload(Body.region),
                 joinedload(ReceptionSession.venue).joinedload(Venue.region))).unique().all()
    return group_receptions(sessions)


def list_unified_sessions(scope: frozenset[int] | None, from_date: date) -> list[ReceptionSession]:
    """Unified-day sessions of the officials of the bodies in ``scope`` (None: every body) from ``from_date``."""
    stmt = (select(ReceptionSession).join(ReceptionSession.official)
            .options(joinedload(ReceptionSession.official).joinedload(Official.body),
                     joinedload(ReceptionSession.venue).joinedload(Venue.region),
                     joinedload(ReceptionSession.unified_day))
            .where(ReceptionSession.unified_day_id.is_not(None), ReceptionSession.local_date >= from_date)
            .order_by(ReceptionSession.local_date, ReceptionSession.is_published, ReceptionSession.starts_at,
                      ReceptionSession.id))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    return list(db.session.scalars(stmt).unique())


def get_unified_session(session_id: int) -> ReceptionSession | None:
    """A unified-day session, or None (also for any other session)."""
    session = get(ReceptionSession, session_id)
    return session if session is not None and session.unified_day_id is not None else None


def region_choices_by_code() -> list[tuple[str, str]]:
    regions = db.session.scalars(select(Region)).all()
    return [(r.code, r.name) for r in sorted(regions, key=lambda r: collation_key(r.name))]


# --- visiting receptions ------------------------------------------------------------------------

def get_visiting(visiting_id: int) -> VisitingReception | None:
    return get(VisitingReception, visiting_id)


def _visiting_stmt():
    return select(VisitingReception).options(
        joinedload(VisitingReception.official).joinedload(Official.body),
        joinedload(VisitingReception.region),
        joinedload(VisitingReception.venue).joinedload(Venue.body),
        selectinload(VisitingReception.sessions))


def list_upcoming_visiting(now: datetime, region_id: int | None = None) -> list[VisitingReception]:
    """Visiting receptions with a planned session still to come, soonest first (optionally in one region)."""
    upcoming = (select(ReceptionSession.visiting_id)
                .where(ReceptionSession.visiting_id.is_not(None), ReceptionSession.status == SessionStatus.PLANNED,
                       ReceptionSession.is_published, ReceptionSession.ends_at > now))
    stmt = _visiting_stmt().where(VisitingReception.id.in_(upcoming))
    if region_id is not None:
        stmt = stmt.where(VisitingReception.region_id == region_id)
    visits = db.session.scalars(stmt).unique().all()
    return sorted(visits, key=lambda v: (min((s.starts_at for s in v.sessions if s.ends_at > now), default=now),
                                         v.id))


def list_visiting_for_staff(scope: frozenset[int] | None, since: datetime) -> list[VisitingReception]:
    """Visiting receptions of the officials in ``scope`` (None: every body) announced or held since ``since``."""
    recent = select(ReceptionSession.visiting_id).where(ReceptionSession.visiting_id.is_not(None),
                                                        ReceptionSession.ends_at > since)
    stmt = _visiting_stmt().join(VisitingReception.official).where(VisitingReception.id.in_(recent))
    if scope is not None:
        stmt = stmt.where(Official.body_id.in_(list(scope)))
    visits = db.session.scalars(stmt).unique().all()
    return sorted(visits, key=lambda v: (min((s.starts_at for s in v.sessions), default=since), v.id))


def visiting_venue_choices() -> list[tuple[int, str]]:
    """Every active reception office or hall, of any body, labelled with its region: a visiting official
    receives in the hall of the region's akimat."""
    venues = db.session.scalars(
        select(Venue).options(joinedload(Venue.body), joinedload(Venue.region))
        .where(Venue.is_active, Venue.kind.in_(RECEPTION_VENUE_KINDS))).unique().all()
    venues = sorted(venues, key=lambda v: (collation_key(v.region.name), collation_key(v.body.name),
                                           collation_key(v.name), v.id))
    return [(v.id, f"{v.region.name}: {v.name}, {v.body.name}") for v in venues]


def citizens_to_tell_about_visiting(region_id: int):
    """Active citizens of the region who asked to be told about visiting receptions there."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.region_id == region_id, User.notify_visiting, User.is_active, UserRole.role == Role.CITIZEN)
        .order_by(User.id)))

