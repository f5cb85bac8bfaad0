"""Passwords are hashed with Argon2id at RFC 9106's strength; only the test suite may hash cheaply."""
from __future__ import annotations

import secrets

import pytest
from argon2 import extract_parameters, profiles

from reception import create_app
from reception.accounts.passwords import hash_password, needs_rehash, verify_password

KEY = secrets.token_urlsafe(32)  # production refuses the keys written in the repository


def _hash_in(config: dict) -> str:
    app = create_app({"SECRET_KEY": KEY, "DATABASE_URL": "sqlite://", **config})
    with app.app_context():
        return hash_password("correct horse battery")


@pytest.mark.parametrize("config", [
    {"ENV": "production"},
    {"ENV": "development"},
    # The fast switch is for the test suite only: elsewhere it is ignored.
    {"ENV": "production", "FAST_PASSWORD_HASHES": True},
    {"ENV": "development", "FAST_PASSWORD_HASHES": True},
])
def test_outside_the_test_suite_passwords_are_hashed_at_full_strength(config):
    params = extract_parameters(_hash_in(config))
    strong = profiles.RFC_9106_LOW_MEMORY
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        strong.type, strong.memory_cost, strong.time_cost, strong.parallelism)
    assert params.memory_cost == 64 * 1024  # KiB: 64 MiB per hash


def test_the_test_suite_hashes_with_the_cheapest_parameters(app):
    with app.app_context():
        params = extract_parameters(hash_password("x"))
    assert params.memory_cost == profiles.CHEAPEST.memory_cost and params.time_cost == 1


def test_a_strong_hash_still_verifies_in_the_test_suite_and_a_wrong_password_does_not(app):
    strong = _hash_in({"ENV": "production"})
    with app.app_context():
        assert verify_password(strong, "correct horse battery")
        assert not verify_password(strong, "wrong horse battery")
        assert not verify_password(None, "correct horse battery")  # no account: still a full verification


def test_a_weak_hash_is_upgraded_in_production():
    app = create_app({"ENV": "production", "SECRET_KEY": KEY, "DATABASE_URL": "sqlite://"})
    cheap = _hash_in({"ENV": "testing", "FAST_PASSWORD_HASHES": True})
    with app.app_context():
        assert needs_rehash(cheap) and not needs_rehash(hash_password("x"))
