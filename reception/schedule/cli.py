"""``flask schedule generate``: plan the sessions of every active schedule for the coming days."""
from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core.cli import CommandGroup
from ..core.clock import local_today
from ..core.workdays import WorkCalendar
from ..extensions import db
from .models import Schedule
from .services import DEFAULT_HORIZON_DAYS, generate_sessions

schedule_cli = CommandGroup("schedule", help="Reception schedules and sessions.")


@schedule_cli.command("generate")
@click.option("--days", default=DEFAULT_HORIZON_DAYS, show_default=True, type=click.IntRange(1, 366),
              help="How many days ahead to plan.")
def generate(days: int):
    """Create the missing sessions of every active schedule (idempotent; one commit per schedule)."""
    calendar = WorkCalendar.from_config(current_app.config)
    ids = db.session.scalars(select(Schedule.id).where(Schedule.is_active.is_(True)).order_by(Schedule.id)).all()
    total = 0
    for schedule_id in ids:
        schedule = db.session.get(Schedule, schedule_id)
        # "Today" where the reception happens, not on the server.
        today = local_today(schedule.venue.region.timezone)
        try:
            total += len(generate_sessions(schedule, today, days, calendar))
            db.session.commit()
        except IntegrityError:
            # Another generator planned the same day meanwhile; the next run fills any gap.
            db.session.rollback()
            click.echo(f"schedule {schedule_id}: skipped, generated concurrently", err=True)
    click.echo(f"planned {total} session(s) for {len(ids)} schedule(s)")
