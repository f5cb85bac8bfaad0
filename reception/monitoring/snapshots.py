"""Stored figures of settled periods: which periods are settled, the figures and the map's cells as JSON, and
reading and storing them (``Snapshot`` rows).

A period is settled when it ended at least ``SETTLE_DAYS`` days ago: its sessions are all past and its
overdue instructions are counted as of its end, so only later changes to its records move its figures
(instructions done late close questions). Those are recounted nightly (``flask monitoring snapshot``); the
pages read stored figures younger than ``MAX_AGE`` and count live otherwise (``queries``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..directory.models import BodyLevel
from ..extensions import db
from ..outcomes.models import OutcomeResult
from .definitions import Cell, Figures, Period
from .models import Snapshot

#: A period is settled this many days after its last day.
SETTLE_DAYS = 31
#: Stored figures older than this are not shown (the nightly recount failed): the page counts live.
MAX_AGE = timedelta(hours=26)
#: A run without ``--again`` keeps the figures counted less than this long ago (a second run the same night).
RECOUNT_AFTER = timedelta(hours=12)
#: The kinds of period that are stored (custom ranges are always counted live).
KINDS = ("month", "quarter", "year")
#: What is stored for each period: the figures per grouping (``queries.figures``'s ``by``; the officials' are
#: stored per body and official, ``body_official``) and the body x topic cells.
WHAT = ("figures:country", "figures:level", "figures:region", "figures:body", "figures:body_official",
        "topic_matrix")

_COUNTS = tuple(f.name for f in dataclasses.fields(Figures) if f.name not in ("results", "median_days"))


def is_settled(period: Period, today: date) -> bool:
    """Whether the period is a month, quarter or year that ended at least SETTLE_DAYS days before ``today``."""
    return period.kind in KINDS and period.end <= today - timedelta(days=SETTLE_DAYS)


# --- encoding -----------------------------------------------------------------------------------------------

def encode_figures(f: Figures) -> dict:
    """One row's figures as JSON: the counts that are not zero, the results by value, the median if any."""
    out: dict = {name: getattr(f, name) for name in _COUNTS if getattr(f, name)}
    if f.results:
        out["results"] = {result.value: n for result, n in f.results.items()}
    if f.median_days is not None:
        out["median_days"] = f.median_days
    return out


def decode_figures(data: dict) -> Figures:
    results = {OutcomeResult(value): n for value, n in data.get("results", {}).items()}
    return Figures(**{name: data[name] for name in _COUNTS if name in data}, results=results,
                   median_days=data.get("median_days"))


def _encode_key(key):
    return list(key) if isinstance(key, tuple) else key


def _decode_key(by: str, key):
    if by == "level":
        return BodyLevel(key)
    if by == "body_official":
        return tuple(key)
    return key


def encode_rows(rows: dict) -> dict:
    """``queries.figures`` rows (key -> Figures) as a payload (a list: JSON objects' keys are only strings)."""
    return {"rows": [[_encode_key(key), encode_figures(f)] for key, f in rows.items()]}


def decode_rows(by: str, payload: dict) -> dict:
    return {_decode_key(by, key): decode_figures(data) for key, data in payload["rows"]}


def encode_cells(cells: dict[tuple, Cell]) -> dict:
    return {"cells": [[body_id, topic_id, c.questions, c.in_progress, c.overdue, c.repeated]
                      for (body_id, topic_id), c in cells.items()]}


def decode_cells(payload: dict) -> dict[tuple, Cell]:
    return {(body_id, topic_id): Cell(*numbers) for body_id, topic_id, *numbers in payload["cells"]}


# --- reading and storing -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    payload: dict
    taken_at: datetime


def read(what: str, periods: list[Period], now: datetime) -> dict[Period, Stored]:
    """The stored ``what`` of each of ``periods`` taken less than MAX_AGE before ``now`` (periods without one are
    absent): one statement, however many periods (the 12 months of a trend)."""
    wanted = {(p.start, p.end): p for p in periods}
    if not wanted:
        return {}
    stmt = (select(Snapshot.period_start, Snapshot.period_end, Snapshot.payload, Snapshot.taken_at)
            .where(Snapshot.what == what, Snapshot.period_start.in_({p.start for p in periods}),
                   Snapshot.taken_at > now - MAX_AGE))
    return {wanted[(row.period_start, row.period_end)]: Stored(row.payload, row.taken_at)
            for row in db.session.execute(stmt) if (row.period_start, row.period_end) in wanted}


def recent(periods: list[Period], now: datetime) -> set[tuple[str, date, date]]:
    """(what, start, end) of the snapshots of ``periods`` taken less than RECOUNT_AFTER before ``now``."""
    if not periods:
        return set()
    stmt = (select(Snapshot.what, Snapshot.period_start, Snapshot.period_end)
            .where(Snapshot.period_start.in_({p.start for p in periods}), Snapshot.taken_at > now - RECOUNT_AFTER))
    return {tuple(row) for row in db.session.execute(stmt)}


def store(what: str, period: Period, payload: dict, now: datetime) -> None:
    """Store ``payload`` as the ``what`` of ``period`` counted at ``now``, replacing the one stored before: one
    upsert on the unique (what, start, end), so that concurrent runs never make two rows."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Snapshot).values(what=what, period_kind=period.kind, period_start=period.start,
                                   period_end=period.end, payload=payload, taken_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["what", "period_start", "period_end"],
                                      set_={"period_kind": stmt.excluded.period_kind, "payload": stmt.excluded.payload,
                                            "taken_at": stmt.excluded.taken_at})
    db.session.execute(stmt)
