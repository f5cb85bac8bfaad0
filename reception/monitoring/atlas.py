"""The map of problematic issues: Kazakhstan's 20 regions shaded by a measure, drilling down to a region's
bodies x topics (a table shaded as a heat map) and to one body's topics."""
from __future__ import annotations

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.clock import local_today
from ..core.permissions import Permission, require_any
from ..directory.models import Body
from ..directory.queries import by_name, get, get_region_by_code
from ..systemic import policy as systemic_policy
from ..systemic import queries as systemic_queries
from . import mapping, queries
from .blueprint import bp
from .definitions import DEFINITIONS, Figures
from .scope import choice, period_from_request, period_links, visible_body_ids

VIEW = (Permission.MONITORING_VIEW, Permission.MONITORING_VIEW_OWN)


def _context(period, measure: str, **extra) -> dict:
    return dict(period=period, period_args=period.args, measure=measure, definitions=DEFINITIONS,
                map_measures=list(mapping.MAP_MEASURES), cell_measures=mapping.CELL_MEASURES,
                format_value=mapping.format_value, **period_links(period, measure=measure), **extra)


@bp.get("/monitor/map")
@require_any(*VIEW)
def map_regions():
    """The 20 regions shaded by a measure, each a link to its bodies x topics, and a table of the same numbers
    (with the central bodies, which have no region)."""
    today = local_today()
    period = period_from_request(today)
    measure = choice("measure", mapping.MAP_MEASURES, "questions")
    rows = queries.figures(period, today, "region", visible_body_ids(current_user))
    regions = list(queries.regions().values())
    cell_measure = measure if measure in mapping.CELL_MEASURES else "questions"
    tiles, scale = mapping.tiles(regions, {k: getattr(f, measure) for k, f in rows.items() if k is not None}, measure,
                                 lambda r: url_for("monitoring.map_region", code=r.code, measure=cell_measure,
                                                   **period.args))
    return render_template("monitoring/map.html", **_context(
        period, measure, cell_measure=cell_measure, tiles=tiles, scale=scale, regions=by_name(regions), rows=rows,
        central=rows.get(None, Figures()), counted_at=rows.counted_at, width=mapping.WIDTH, height=mapping.HEIGHT,
        tile_w=mapping.TILE_W,
        tile_h=mapping.TILE_H))


def _bodies_by_topics(region):
    """A region's bodies (None: the central ones) x top-level topics, and the bodies' figures."""
    today = local_today()
    period = period_from_request(today)
    measure = choice("measure", mapping.CELL_MEASURES, "questions")
    bodies = queries.bodies_of_region(region.id if region else None, visible_body_ids(current_user))
    rows = queries.figures(period, today, "body", list(bodies))
    cells = queries.topic_matrix(period, today, list(bodies))
    topics = [t for t in queries.top_topics() if any(t.id == topic_id for _, topic_id in cells)]
    totals = {b: sum(getattr(c, measure) for (body_id, _), c in cells.items() if body_id == b) for b in bodies}
    matrix_bodies = sorted((bodies[b] for b in {b for b, _ in cells}), key=lambda b: (-totals[b.id], b.name))
    return render_template("monitoring/map_region.html", **_context(
        period, measure, region=region, place=region.name if region else _("Central bodies (no region)"),
        bodies=bodies, rows=rows, cells=cells, topics=topics,
        matrix_bodies=matrix_bodies, totals=totals, counted_at=queries.oldest(rows.counted_at, cells.counted_at),
        scale=mapping.count_scale([getattr(c, measure) for c in cells.values()]),
        listed=sorted((bodies[b] for b in rows if b in bodies), key=lambda b: b.name),
        **_systemic_of_bodies(bodies)))


def _systemic_of_bodies(bodies: dict) -> dict:
    """The open systemic issues per body of a map page (one query whatever the number of bodies), the bodies that
    have some, by name, and whether the viewer may open the issues' list."""
    counts = systemic_queries.open_counts_by_body(list(bodies))
    return {"systemic_counts": counts,
            "systemic_bodies": by_name([bodies[b] for b in counts if b in bodies]),
            "systemic_link": systemic_policy.can_list(current_user)}


def _systemic_of_body(body) -> dict:
    """The open systemic issues whose working group has ``body``, for its map page."""
    return {"systemic_issues": systemic_queries.open_issues_of_body(body.id),
            "systemic_link": systemic_policy.can_list(current_user)}


@bp.get("/monitor/map/regions/<code>")
@require_any(*VIEW)
def map_region(code: str):
    """A region's bodies x topics: questions, in progress, overdue or repeated appeals in each cell."""
    region = get_region_by_code(code)
    if region is None:
        abort(404)
    return _bodies_by_topics(region)


@bp.get("/monitor/map/central")
@require_any(*VIEW)
def map_central():
    """The central bodies (no region) x topics."""
    return _bodies_by_topics(None)


@bp.get("/monitor/map/bodies/<int:body_id>")
@require_any(*VIEW)
def map_body(body_id: int):
    """One body's topics: which are the problem, by the chosen measure."""
    body = get(Body, body_id)
    if body is None:
        abort(404)
    if not current_user.can_in_body(Permission.MONITORING_VIEW, body.id):
        abort(403)
    today = local_today()
    period = period_from_request(today)
    measure = choice("measure", mapping.CELL_MEASURES, "questions")
    matrix = queries.topic_matrix(period, today, [body.id])
    cells = {t: c for (_, t), c in matrix.items()}
    topics = {t.id: t for t in queries.top_topics()}
    ranked = sorted(cells, key=lambda t: (-getattr(cells[t], measure), -cells[t].questions, topics[t].position))
    rows = queries.figures(period, today, "body", [body.id])
    return render_template("monitoring/map_body.html", **_context(
        period, measure, body=body, cells=cells, topics=topics, ranked=ranked, figures=rows.get(body.id, Figures()),
        counted_at=queries.oldest(matrix.counted_at, rows.counted_at),
        scale=mapping.count_scale([getattr(c, measure) for c in cells.values()]), **_systemic_of_body(body)))
