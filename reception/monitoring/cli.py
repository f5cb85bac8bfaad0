"""``flask monitoring snapshot``: count and store the figures of the settled periods (nightly)."""
from __future__ import annotations

import time

import click

from ..core.cli import CommandGroup
from ..core.clock import local_today, utcnow
from ..extensions import db
from . import services, snapshots

monitoring_cli = CommandGroup("monitoring", help="Monitoring: the stored figures of settled periods.")


@monitoring_cli.command("snapshot")
@click.option("--again", is_flag=True, help="Count again the periods counted in the last hours too.")
def snapshot(again: bool):
    """Count and store the figures of the settled months, quarters and years of the last two years, so that
    their pages need not count them (run it nightly: the figures of past periods still change a little). A
    second run keeps what the first stored, unless --again; one commit per period."""
    started = time.perf_counter()
    today, now = local_today(), utcnow()
    periods = services.snapshot_periods(today)
    recent = set() if again else snapshots.recent(periods, now)
    taken = 0
    for period in periods:
        taken += services.take_snapshot(period, today, now, again, recent)
        db.session.commit()
    kept = len(periods) * len(snapshots.WHAT) - taken
    click.echo(f"stored {taken} snapshot(s) of {len(periods)} period(s) in {time.perf_counter() - started:.1f} s; "
               f"kept {kept} counted in the last {snapshots.RECOUNT_AFTER.total_seconds() / 3600:.0f} hours")
