"""Flask commands: reference data, demo data, the notification dispatcher."""
from __future__ import annotations

import time

import click

from ..core.cli import CommandGroup
from ..core.clock import local_today, utcnow
from ..extensions import db


def register_commands(app):
    reference = CommandGroup("reference", help="Reference data: regions and topics.")
    demo = CommandGroup("demo", help="Demo data for trying the system.")
    notifications = CommandGroup("notifications", help="The notification outbox.")

    @reference.command("load")
    def reference_load():
        """Load or update the 20 regions and the topic tree (idempotent)."""
        from ..directory.reference import load_reference_data

        counts = load_reference_data()
        db.session.commit()
        click.echo(f"regions: {counts['regions']}, topics: {counts['topics']}")

    @demo.command("load")
    def demo_load():
        """Load demo bodies, officials, studios and one account per role, and store the figures of the history's
        settled periods (idempotent)."""
        from ..directory.reference import load_reference_data
        from ..monitoring.services import take_snapshots
        from .demo import DEMO_PASSWORD, load_demo_data

        load_reference_data()
        accounts = load_demo_data(local_today())
        db.session.commit()
        # The figures of the history's settled months, so that the demo's monitoring pages are fast too.
        take_snapshots(local_today(), utcnow())
        db.session.commit()
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for role, email in accounts:
            click.echo(f"  {role:<18} {email}")

    @notifications.command("dispatch")
    @click.option("--loop", is_flag=True, help="Keep running, polling the outbox (run several on PostgreSQL "
                                               "if one cannot keep up: they never take the same message).")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between polls with --loop.")
    def dispatch(loop: bool, interval: float):
        """Send due messages from the outbox (once, or continuously with --loop)."""
        from ..booking.waitlist import expire_offers
        from ..notifications.services import dispatch_due

        while True:
            if loop:  # the loop also passes expired waitlist holds on, so `make run` needs no cron
                expire_offers(utcnow())
                db.session.commit()
            result = dispatch_due()  # commits each message's result as it goes
            if result.sent or result.retried or result.failed or result.dropped or not loop:
                click.echo(f"sent {result.sent}, to retry {result.retried}, failed {result.failed}, "
                           f"dropped {result.dropped}")
            if not loop:
                break
            time.sleep(interval)

    from ..booking.cli import booking_cli
    from ..monitoring.cli import monitoring_cli
    from ..outcomes.cli import followups_cli
    from ..schedule.cli import schedule_cli
    from ..video.cli import video_cli

    for group in (reference, demo, notifications, schedule_cli, booking_cli, video_cli, followups_cli,
                  monitoring_cli):
        app.cli.add_command(group)
