"""``flask booking expire-offers``: give up waitlist offers that ran out and offer the slots to the next in line."""
from __future__ import annotations

import click

from ..core.cli import CommandGroup
from ..core.clock import utcnow
from ..extensions import db
from .waitlist import expire_offers

booking_cli = CommandGroup("booking", help="Bookings: the waitlist's offers.")


@booking_cli.command("expire-offers")
def expire_offers_command():
    """Expire waitlist offers that ran out and offer each freed slot to the next in line (one commit).

    Run it every minute (cron or a systemd timer); several runs at once are safe.
    """
    result = expire_offers(utcnow())
    db.session.commit()
    click.echo(f"expired {result.expired} offer(s), returned {result.returned} to the line, "
               f"offered {result.offered} slot(s) to the next in line")
