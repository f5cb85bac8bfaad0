"""What the address and the viewer of a map, attention or results page ask for: the period (a bad one is a
422 with a message), a measure, and the bodies the viewer may see."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import lazy_gettext as _l

from ..core.errors import Invalid
from ..core.permissions import Permission
from .definitions import Period, PeriodError, parse_period
from .headline import period_title

MSG_PERIOD = _l("This period cannot be shown. Give a month (period=2026-11), a quarter (period=2026-Q4), a year "
                "(period=2026), or the first and the last day (from=2026-11-03&to=2026-11-20), at most five "
                "years.")


def period_from_request(today, allowed=("month", "quarter", "year", "custom"), message=MSG_PERIOD) -> Period:
    """The period of ``?period=`` or ``?from=&to=`` (default: the last full month); Invalid (422) for a period
    that cannot be read or is not of an ``allowed`` kind."""
    try:
        period = parse_period(request.args.get("period"), request.args.get("from"), request.args.get("to"), today)
    except PeriodError:
        raise Invalid(message) from None
    if period.kind not in allowed:
        raise Invalid(message)
    return period



def choice(name: str, allowed, default: str) -> str:
    """A query argument that must be one of ``allowed`` (Invalid, 422, otherwise)."""
    value = request.args.get(name) or default
    if value not in allowed:
        raise Invalid(_l("Unknown value of %(name)s: %(value)s.", name=name, value=value[:40]))
    return value


def visible_body_ids(user) -> list[int] | None:
    """The bodies whose figures ``user`` may see: every body (None) for monitors and administrators, their
    own for a body's assistants and officials; 403 for anyone else."""
    if user.can(Permission.MONITORING_VIEW):
        return None
    if user.can(Permission.MONITORING_VIEW_OWN):
        return [user.body_id] if user.body_id else []
    abort(403)




def period_links(period: Period, **keep) -> dict:
    """What templates/monitoring/_map_period.html needs: the period's label, the links to the previous and next
    periods of this page (keeping its other arguments ``keep``), and the address arguments of this page."""
    here = dict(request.view_args or {}, **keep)
    return {"period_label": period_title(period), "keep": keep,
            "previous_url": url_for(request.endpoint, **here, **period.previous().args),
            "next_url": url_for(request.endpoint, **here, **period.next().args),
            "here_args": dict(here, **period.args)}
