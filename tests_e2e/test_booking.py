"""A citizen on a phone finds an official's free time, books it and gets a talon with a QR code."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from reception import create_app
from reception.accounts.models import User, UserRole
from reception.booking.models import Appointment
from reception.booking.services import BookingData, book_slot
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import BodyLevel, Region, Topic
from reception.extensions import db
from reception.schedule.models import AttendanceFormat

from .support import RUSSIAN_CITIZEN, log_in, receiving_official


@pytest.fixture(scope="module")
def official_id(live_server) -> int:
    """An akim of Astana receiving in three days, 10:00-11:00 local time, in two slots."""
    official, _ = receiving_official(
        live_server.database_url, "KZ-71",
        dict(code="e2e-akimat-astana", level=BodyLevel.CITY, name_kk="Астана әкімдігі", name_ru="Акимат Астаны",
             name_en="Akimat of Astana"),
        dict(full_name="Askar Beisenov", position_kk="Әкім", position_ru="Аким", position_en="Akim"),
        dict(name_kk="Қабылдау бөлмесі", name_ru="Приёмная", name_en="Reception office",
             address_kk="Бейбітшілік к-сі, 11", address_ru="ул. Бейбитшилик, 11", address_en="11 Beibitshilik St"),
        days_ahead=3, slots=2)
    return official


def test_citizen_books_on_a_phone_and_gets_a_talon(open_page, official_id):
    page: Page = open_page(viewport={"width": 360, "height": 740}, locale="ru-RU")
    log_in(page, RUSSIAN_CITIZEN.email)
    page.goto(f"/reception/officials/{official_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Askar Beisenov")
    expect(page.locator("main")).to_contain_text("10:00")  # Astana's wall clock, with the zone named
    expect(page.locator("main")).to_contain_text("(время Астаны)")  # the zone in words
    page.locator("main a[href$='/book']").first.click()
    page.get_by_label("Кратко опишите ваш вопрос").fill("Протекает крыша в доме на ул. Абая, 5")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my/appointments/\d+\?booked=1$"))
    main = page.locator("main")
    expect(main.locator(".flash-success")).to_contain_text("Вы записаны на приём.")
    expect(main).to_contain_text("Askar Beisenov")
    expect(main.locator("svg").first).to_be_visible()  # the QR code that verifies the talon
    number = main.locator("dd strong").first.inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{8,32}", number), number
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The same time is no longer offered to anyone: the page now lists only the other slot.
    page.goto(f"/reception/officials/{official_id}")
    expect(page.locator("main a[href$='/book']")).to_have_count(1)


def test_visitor_finds_an_official_by_typing_part_of_the_name_and_sees_the_free_time(open_page, official_id):
    page: Page = open_page(locale="en-US")
    page.goto("/reception/")
    page.get_by_label("Find an official or a body by name").fill("beisen")
    page.get_by_role("option", name=re.compile("Askar Beisenov")).click()
    expect(page.locator("select[name=official]")).to_have_value(str(official_id))
    page.get_by_role("button", name="Find free time").click()
    expect(page).to_have_url(re.compile(rf"official={official_id}"))
    expect(page.locator("main a[href$='/book']").first).to_be_visible()


@pytest.fixture(scope="module")
def popular_official_id(live_server) -> int:
    """An akim of Astana receiving in four days in three slots (10:00, 10:30, 11:00 local time)."""
    official, _ = receiving_official(
        live_server.database_url, "KZ-71",
        dict(code="e2e-akimat-district", level=BodyLevel.DISTRICT, name_kk="Алматы ауданы әкімдігі",
             name_ru="Акимат района Алматы", name_en="Almaty district akimat"),
        dict(full_name="Dana Omarova", position_kk="Әкім", position_ru="Аким", position_en="Akim"),
        dict(name_kk="Қабылдау бөлмесі", name_ru="Приёмная", name_en="Reception office",
             address_kk="Абай даңғылы, 2", address_ru="пр. Абая, 2", address_en="2 Abai Ave"),
        days_ahead=4, slots=3)
    return official


def _booked_by_someone_else(database_url: str, slot_id: int) -> None:
    """Another citizen books ``slot_id`` (straight through the booking service, as their request would)."""
    app = create_app({"ENV": "testing", "SECRET_KEY": "e2e-secret", "DATABASE_URL": database_url})
    with app.test_request_context():
        astana = db.session.scalars(select(Region).where(Region.code == "KZ-71")).one()
        rival = User(email="rival@e2e.example.kz", full_name="Aigerim Rival", language="kk", password_hash="-",
                     region_id=astana.id, role_rows=[UserRole(role=Role.CITIZEN)])
        db.session.add(rival)
        db.session.flush()
        topic_id = db.session.scalar(select(func.min(Topic.id)))
        book_slot(rival, slot_id, BookingData(format=AttendanceFormat.IN_PERSON, topic_id=topic_id,
                                              summary="Our street has no lights."), None, utcnow(), app.config)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_a_citizen_who_loses_the_time_books_the_next_one_with_one_tap(open_page, live_server, popular_official_id):
    page: Page = open_page(viewport={"width": 360, "height": 740}, locale="ru-RU")
    log_in(page, RUSSIAN_CITIZEN.email)
    page.goto(f"/reception/officials/{popular_official_id}")
    page.locator("main a[href$='/book']").first.click()
    page.get_by_label("Кратко опишите ваш вопрос").fill("Нет отопления в школе № 12")
    # While she types, another citizen takes this very time.
    _booked_by_someone_else(live_server.database_url, int(re.search(r"/slots/(\d+)/book", page.url)[1]))
    page.locator("main form button[type=submit]").click()

    main = page.locator("main")
    expect(main.locator("[role=alert]")).to_contain_text("Это время только что заняли.")
    times = main.locator("form.inline button")
    expect(times).to_have_count(2)  # the other two times of the reception, as buttons
    expect(times.first).to_contain_text("10:30")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    times.first.click()  # nothing to fill in again

    expect(page).to_have_url(re.compile(r"/my/appointments/\d+\?booked=1$"))
    expect(main.locator(".flash-success")).to_contain_text("Вы записаны на приём.")
    expect(main).to_contain_text("10:30")
    appointment_id = int(re.search(r"/my/appointments/(\d+)", page.url)[1])
    app = create_app({"ENV": "testing", "SECRET_KEY": "e2e-secret", "DATABASE_URL": live_server.database_url})
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).summary == "Нет отопления в школе № 12"
        db.session.remove()
        db.engine.dispose()
