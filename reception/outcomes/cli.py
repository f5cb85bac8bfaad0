"""``flask followups warn``: tell the responsible bodies of deadlines near or passed (run daily)."""
from __future__ import annotations

import click
from flask import current_app

from ..core.cli import CommandGroup
from ..core.clock import utcnow
from .services import warn_followups

followups_cli = CommandGroup("followups", help="Follow-up of instructions given at receptions.")


@followups_cli.command("warn")
def warn():
    """Warn agency representatives of instructions due within RECEPTION_FOLLOWUP_WARN_DAYS working days,
    or overdue; each warning once per deadline (safe to run twice, or twice at once)."""
    result = warn_followups(utcnow(), current_app.config)
    click.echo(f"due soon {result.due_soon}, overdue {result.overdue}, messages {result.messages}")
