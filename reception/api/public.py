"""Public resources beyond the directory and the search: venues and studios, unified reception days, visiting
receptions and the public monitoring results.

Each shows what its public page shows and nothing more (no drafts, no personal data): the venues of the bodies'
pages, the unified days and visiting receptions of /unified-days/ and /visiting/, the results of /results/ with
the same disclosure rules (reception.monitoring.disclosure, applied by the page's own read).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask import request
from flask_babel import gettext as _

from ..core.clock import local_today, utcnow
from ..core.errors import NotFound
from ..core.web import valid_id
from ..directory.models import VenueKind
from ..directory.queries import get_region_by_code
from ..monitoring import queries as monitoring_queries
from ..monitoring.definitions import PUBLIC_MIN_COUNT, PeriodError, last_full_month, parse_period
from ..schedule import queries as schedule_queries
from ..schedule.models import SessionStatus
from . import conventions, present, problems, queries
from . import public_schemas as ps
from .spec import spec
from .views import _docs, bp

_VISIT_CURSOR = re.compile(r"^(\d{1,12})-(\d{1,10})$")
CENTRAL = "central"


def _not_found() -> NotFound:
    return NotFound(_("The page or record you asked for does not exist."))


def _invalid(field: str, message: str) -> problems.ApiProblem:
    return problems.ApiProblem(422, message, errors=[{"field": field, "message": message}])


def _damaged_cursor() -> problems.ApiProblem:
    return problems.ApiProblem(422, _("This cursor is damaged. Start again from the first page."),
                               errors=[{"field": "after", "message": _("Not a cursor of this list.")}])


def _region_id(code: str | None) -> int | None:
    """The id of the region ``code`` names (None for none); an unknown region is a 422 on ``region``."""
    if not code:
        return None
    region = get_region_by_code(code)
    if region is None:
        raise _invalid("region", _("Unknown region."))
    return region.id


# --- venues and studios ---------------------------------------------------------------------------

def _venue_page(endpoint: str, *, region: str | None, body: int | None, kind: VenueKind | None, after, limit):
    rows = queries.list_public_venues(region_id=_region_id(region), body_id=body, kind=kind,
                                      after_id=conventions.id_cursor(after), limit=limit + 1)
    cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    page = ps.VenuePage(items=[present.venue(v) for v in rows[:limit]], next=cursor)
    return page, 200, conventions.next_link(endpoint, cursor)


@bp.get("/venues")
@spec.validate(query=ps.VenueQuery, resp=_docs(200, ps.VenuePage, 422), tags=["directory"])
def venues():
    """Reception offices, halls and video studios of active bodies (as the bodies' pages list them), by id."""
    query = request.context.query
    return _venue_page("api.venues", region=query.region, body=query.body, kind=query.kind, after=query.after,
                       limit=query.limit)


@bp.get("/venues/<int:venue_id>")
@spec.validate(resp=_docs(200, ps.Venue, 404), tags=["directory"])
def venue(venue_id: int):
    """One active venue of an active body."""
    found = queries.get_public_venue(venue_id) if valid_id(venue_id) else None
    if found is None:
        raise _not_found()
    return present.venue(found)


@bp.get("/studios")
@spec.validate(query=ps.StudioQuery, resp=_docs(200, ps.VenuePage, 422), tags=["directory"])
def studios():
    """The akimats' video studios, where a citizen attends a reception in the capital by video; by id."""
    query = request.context.query
    return _venue_page("api.studios", region=query.region, body=None, kind=VenueKind.STUDIO, after=query.after,
                       limit=query.limit)


# --- unified reception days ------------------------------------------------------------------------

@bp.get("/unified-days")
@spec.validate(query=ps.UnifiedDayQuery, resp=_docs(200, ps.UnifiedDayPage, 422), tags=["events"])
def unified_days():
    """The unified reception days from today on, soonest first (as /unified-days/), with the receptions
    published so far; a page at a time (the cursor is the last day's date)."""
    query = request.context.query
    start = local_today()
    if query.after:
        try:
            start = max(start, date.fromisoformat(query.after) + timedelta(days=1))
        except (ValueError, OverflowError):
            raise _damaged_cursor() from None
    rows = schedule_queries.list_unified_days(start)
    cursor = rows[query.limit - 1].day.local_date.isoformat() if len(rows) > query.limit else None
    page = ps.UnifiedDayPage(items=[present.unified_day_summary(r) for r in rows[:query.limit]], next=cursor)
    return page, 200, conventions.next_link("api.unified_days", cursor)


@bp.get("/unified-days/<int:unified_day_id>")
@spec.validate(resp=_docs(200, ps.UnifiedDay, 404), tags=["events"])
def unified_day(unified_day_id: int):
    """One unified reception day (as /unified-days/<date>): who receives, the regions, and its published
    receptions by region, body and official, each with local times and the zone named."""
    day = schedule_queries.get_unified_day(unified_day_id)
    if day is None:
        raise _not_found()
    groups = schedule_queries.public_unified_day(day)
    published = sum(1 for g in groups for b in g.bodies for o in b.officials for s in o.sessions
                    if s.status is not SessionStatus.CANCELLED)
    return present.unified_day(day, published, groups, utcnow())


# --- visiting receptions -----------------------------------------------------------------------------

def _upcoming(visit, now: datetime, date_from: date | None, date_to: date | None) -> list:
    """The visit's published planned sessions still to come (as the list page shows), within the dates."""
    return [s for s in visit.sessions if s.status is SessionStatus.PLANNED and s.is_published and s.ends_at > now
            and (date_from is None or s.local_date >= date_from) and (date_to is None or s.local_date <= date_to)]


@bp.get("/visiting-receptions")
@spec.validate(query=ps.VisitingQuery, resp=_docs(200, ps.VisitingPage, 422), tags=["events"])
def visiting_receptions():
    """Visiting receptions with a reception still to come (as /visiting/), soonest first, with those
    receptions; by region and local dates; a page at a time."""
    query = request.context.query
    after = None
    if query.after:
        match = _VISIT_CURSOR.match(query.after)
        if match is None:
            raise _damaged_cursor()
        after = (int(match.group(1)), int(match.group(2)))
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise _invalid("date_to", _("The end date is before the start date."))
    now = utcnow()
    rows = []
    for visit in schedule_queries.list_upcoming_visiting(now, _region_id(query.region)):
        sessions = _upcoming(visit, now, query.date_from, query.date_to)
        if sessions:
            rows.append(((int(sessions[0].starts_at.timestamp()), visit.id), visit, sessions))
    rows.sort(key=lambda row: row[0])
    if after is not None:
        rows = [row for row in rows if row[0] > after]
    cursor = "{}-{}".format(*rows[query.limit - 1][0]) if len(rows) > query.limit else None
    page = ps.VisitingPage(items=[present.visiting(v, sessions, now) for _key, v, sessions in rows[:query.limit]],
                           next=cursor)
    return page, 200, conventions.next_link("api.visiting_receptions", cursor)


@bp.get("/visiting-receptions/<int:visiting_id>")
@spec.validate(resp=_docs(200, ps.VisitingReception, 404), tags=["events"])
def visiting_reception(visiting_id: int):
    """One visiting reception (as /visiting/<id>) with every published date, held, cancelled or to come."""
    visit = schedule_queries.get_visiting(visiting_id)
    sessions = [s for s in visit.sessions if s.is_published] if visit is not None else []
    if not sessions:
        raise _not_found()
    return present.visiting(visit, sessions, utcnow())


# --- public monitoring results -----------------------------------------------------------------------

@bp.get("/results")
@spec.validate(query=ps.ResultQuery, resp=_docs(200, ps.ResultPage, 422), tags=["results"])
def results():
    """Each body's month as /results/ publishes it: receptions planned and held, citizens received,
    questions, the closed share and the questions in progress, with counts from 1 to min_count - 1 (and
    what would give them away) hidden; and when the body next receives. By body id, a page at a time."""
    query = request.context.query
    today = local_today()
    if query.period:
        try:
            period = parse_period(query.period, None, None, today)
        except PeriodError:
            period = None
        if period is None or period.kind != "month":
            raise _invalid("period", _("Give a month, for example 2026-11."))
    else:
        period = last_full_month(today)
    scope = None
    if query.region:
        region_id = None if query.region.lower() == CENTRAL else _region_id(query.region)
        scope = list(monitoring_queries.bodies_of_region(region_id))
    after = conventions.id_cursor(query.after)
    found = monitoring_queries.public_results(period, today, scope, utcnow())
    bodies = sorted((b for _region, group in found.groups for b in group if after is None or b.id > after),
                    key=lambda b: b.id)
    cursor = str(bodies[query.limit - 1].id) if len(bodies) > query.limit else None
    items = [present.body_result(b, found.figures[b.id], found.upcoming.get(b.id)) for b in bodies[:query.limit]]
    page = ps.ResultPage(period=period.key, min_count=PUBLIC_MIN_COUNT,
                         counted_at=found.counted_at.astimezone(UTC) if found.counted_at else None,
                         items=items, next=cursor)
    return page, 200, conventions.next_link("api.results", cursor)
