"""Talons: the human-readable number and the QR code that points to the public verification page."""
from __future__ import annotations

from datetime import datetime

import segno

from ..core.timeutil import to_local
from ..core.web import absolute_url
from ..directory.names import short_full_name


def talon_number(region_code: str, accepted_at: datetime, tz_name: str, appointment_id: int) -> str:
    """E.g. ``KZ15-20261124-000123``: region, local date of acceptance, appointment id (unique by the id)."""
    local_date = to_local(accepted_at, tz_name).strftime("%Y%m%d")
    return f"{region_code.replace('-', '')}-{local_date}-{appointment_id:06d}"


def talon_verify_url(appointment) -> str:
    """The talon's public verification address, by its unguessable token (what the QR code carries)."""
    if appointment.talon_token:
        return absolute_url("booking.verify_talon_token", token=appointment.talon_token)
    return absolute_url("booking.verify_talon", talon_number=appointment.talon_number or "-")


def qr_svg(url: str) -> str:
    """An inline SVG QR code (no external requests); the caller marks it safe."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, title=url)


def accepting_person(body, assistant_name: str | None) -> str | None:
    """Who a self-booked talon names as the person who accepted it, as "Surname I. O.".

    The body's reception office's responsible person; while none is named (sessions published before the
    directory required one), the body's first active reception assistant, as before; else nobody (None):
    never the body's name, the law asks for a person.
    """
    return body.responsible_short_name or short_full_name(assistant_name) or None

