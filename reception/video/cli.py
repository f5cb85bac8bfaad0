"""``flask video check``: validate the Jitsi configuration and print a short-lived token for a test room."""
from __future__ import annotations

import click
from flask import current_app

from ..core.cli import CommandGroup
from ..core.clock import utcnow
from .rooms import new_room_name
from .tokens import VideoConfigError, check_token_window, load_settings, mint_token

video_cli = CommandGroup("video", help="Video receptions on Jitsi.")


@video_cli.command("check")
@click.option("--minutes", default=10, show_default=True, type=click.IntRange(1, 120),
              help="How long the test token stays valid.")
def check(minutes: int):
    """Check the Jitsi settings and print a moderator token for a throwaway room.

    Open the printed link in a browser: if Jitsi lets you in as a moderator, tokens from
    this system work there. Exit status 1 when the configuration is off or wrong.
    """
    try:
        settings = load_settings(current_app.config)
    except VideoConfigError as exc:
        raise click.ClickException(f"Jitsi configuration: {exc}") from None
    if settings is None:
        raise click.ClickException("Video calls are off: set RECEPTION_JITSI_MODE (selfhosted or jaas) "
                                   "and the variables it needs (see the README).")
    now = utcnow()
    opens, closes = check_token_window(now, minutes)
    room = new_room_name()
    token = mint_token(settings, room=room, user_id="video-check", name="Video check", moderator=True,
                       not_before=opens, expires=closes, now=now)
    click.echo(f"mode:   {settings.mode}")
    click.echo(f"domain: {settings.domain}")
    click.echo(f"script: {settings.script_url}")
    click.echo(f"room:   {settings.iframe_room(room)} (throwaway)")
    click.echo(f"valid:  {minutes} minutes, until {closes:%Y-%m-%d %H:%M} UTC")
    click.echo(f"token:  {token}")
    click.echo(f"open:   {settings.meeting_url(room, token)}")
