"""``flask booking expire-offers``: give up waitlist offers that ran out and offer the slots to the next in line."""
from __future__ import annotations

import click
from flask import current_app

from ..core.cli import CommandGroup
from ..core.clock import utcnow
from ..extensions import db
from .ballot import draw, due_sessions
from .waitlist import expire_offers

booking_cli = CommandGroup("booking", help="Bookings: the waitlist's offers and the draws of high-demand receptions.")


@booking_cli.command("expire-offers")
def expire_offers_command():
    """Expire waitlist offers that ran out and offer each freed slot to the next in line (one commit).

    Run it every minute (cron or a systemd timer); several runs at once are safe.
    """
    result = expire_offers(utcnow())
    db.session.commit()
    click.echo(f"expired {result.expired} offer(s), returned {result.returned} to the line, "
               f"offered {result.offered} slot(s) to the next in line")


@booking_cli.command("draw-ballots")
def draw_ballots_command():
    """Hold the draw of every high-demand reception whose applications have closed (one commit each).

    Run it every minute (cron or a systemd timer); several runs at once are safe: each draw is held once.
    """
    now, held = utcnow(), 0
    for session_id in due_sessions(now):
        result = draw(session_id, now, current_app.config)
        db.session.commit()  # one transaction per draw
        if result is not None:  # None: another run held it first
            held += 1
            click.echo(f"session {session_id}: {len(result.order)} applicant(s), {len(result.won)} drawn, "
                       f"seed {result.seed}")
    click.echo(f"held {held} draw(s)")
