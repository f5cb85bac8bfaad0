"""What the browser tests share: the seeded accounts and the steps a person repeats."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from playwright.sync_api import Page
from sqlalchemy import select

from reception import create_app
from reception.core.clock import utcnow
from reception.directory.models import Body, Official, Region, Venue, VenueKind
from reception.extensions import db
from reception.schedule.models import ReceptionSession, Slot

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    email: str
    full_name: str
    language: str
    role: str
    password: str = PASSWORD


ADMIN = Account("admin@e2e.example.kz", "Erlan Administratorov", "en", "admin")
# A citizen whose own language (Russian) must win over the language cookie once logged in.
RUSSIAN_CITIZEN = Account("ru.citizen@e2e.example.kz", "Olga Petrova", "ru", "citizen")
ACCOUNTS = (ADMIN, RUSSIAN_CITIZEN)


def log_in(page: Page, login: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person does."""
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/home")


def log_out(page: Page) -> None:
    page.locator("header form[action$='/logout'] button").click()
    page.wait_for_url(re.compile(r"/$"))


def receiving_official(database_url: str, region: str, body: dict, official: dict, venue: dict, *, days_ahead: int,
                       slots: int) -> tuple[int, date]:
    """Commit a body of ``region`` (its code) with an official and an office (the models' fields given), the
    official receiving ``days_ahead`` days from now from 10:00 local time (the region keeps UTC+5) in ``slots``
    slots of 30 minutes, bookable now; return the official's id and the reception's date."""
    app = create_app({"ENV": "testing", "SECRET_KEY": "e2e-secret", "DATABASE_URL": database_url})
    with app.app_context():
        place = db.session.scalars(select(Region).where(Region.code == region)).one()
        receiving_body = Body(region=place, **body)
        person = Official(body=receiving_body, is_head=True, **official)
        office = Venue(body=receiving_body, region=place, kind=VenueKind.OFFICE, **venue)
        now = utcnow().replace(microsecond=0)
        start = (now + timedelta(days=days_ahead)).replace(hour=5, minute=0, second=0)  # 10:00 at UTC+5
        session = ReceptionSession(official=person, venue=office, local_date=start.date(), starts_at=start,
                                   ends_at=start + timedelta(minutes=30 * slots), allow_in_person=True,
                                   allow_video_studio=False, opens_at=now - timedelta(days=1),
                                   closes_at=start - timedelta(hours=24))
        session.slots = [Slot(starts_at=start + timedelta(minutes=30 * i),
                              ends_at=start + timedelta(minutes=30 * (i + 1))) for i in range(slots)]
        db.session.add_all([receiving_body, person, office, session])
        db.session.commit()
        result = person.id, start.date()
        db.session.remove()
        db.engine.dispose()
    return result
