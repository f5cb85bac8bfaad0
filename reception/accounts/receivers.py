"""Accounts answer the directory: which staff accounts may be linked to an official, and whether one may."""
from __future__ import annotations

from ..directory import signals as directory
from . import queries, services


def connect_receivers() -> None:
    """Connect at application setup (idempotent)."""
    directory.official_accounts.connect(queries.official_account_choices)
    directory.account_to_link.connect(services.check_account_to_link)
