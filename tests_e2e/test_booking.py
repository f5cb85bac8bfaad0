"""A citizen on a phone finds an official's free time, books it and gets a talon with a QR code."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from reception.directory.models import BodyLevel

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
