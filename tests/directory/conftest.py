"""Helpers for the directory tests: ids of reference data and valid form payloads."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reception.core.permissions import Role
from reception.directory.models import Region, Topic
from reception.extensions import db as _db

# What an assistant sees who sends another body's id: that body is not among the form's choices.
BODY_NOT_OFFERED = '<p class="field-error" id="body_id-error">Not a valid choice.</p>'


def region_id(code: str) -> int:
    return _db.session.scalar(select(Region.id).where(Region.code == code))


def topic_id(code: str) -> int:
    return _db.session.scalar(select(Topic.id).where(Topic.code == code))


def count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def save(db):
    """Commit the test's setup, so that a request that rolls back (an error page) keeps it."""
    def do():
        db.session.commit()
    return do
