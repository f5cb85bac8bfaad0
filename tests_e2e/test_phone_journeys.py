"""A phone-only citizen's journeys on a 360 px phone, in Kazakh and in Russian: register without an e-mail,
confirm the phone with the code that arrives by SMS, find free time, book, get the talon (the person who
accepted it, the time in words with its zone, a calendar file), and cancel after being asked once more.

The SMS leave through the generic HTTP gateway to a receiver on loopback that this module runs: the outbox
dispatcher (``dispatch_due``) runs in this process against the live server's database, as ``flask
notifications dispatch`` would, and the code is read from the SMS the receiver got (it is stored hashed).
No page of the journeys may scroll sideways.
"""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from reception import create_app
from reception.accounts.validation import iin_check_digit
from reception.directory.models import BodyLevel
from reception.extensions import db
from reception.notifications.services import dispatch_due

from .support import receiving_official

PHONE = {"width": 360, "height": 740}
REGION = "KZ-55"  # Pavlodar Region: no other browser test receives there; its clocks keep Astana time
OFFICIAL = "Сейітов Ерлан Қайратұлы"
SUMMARY = {"kk": "Ауладағы жол жөндеуді қажет етеді", "ru": "Во дворе нужно отремонтировать дорогу"}
PASSWORD = "telefon-tolko-2026"


def valid_iin(first11: str) -> str:
    """``first11`` with its check digit (the rule is tested in tests/accounts; here it only makes data)."""
    check = iin_check_digit(first11)
    assert check is not None, f"{first11}: no IIN is issued with these digits"
    return first11 + str(check)


# Who registers in each language: a woman born on 8 March 1992, a man born on 30 November 1978; no e-mail.
CITIZENS = {
    "kk": {"iin": valid_iin("92030840123"), "full_name": "Жұмабаева Айгүл Серікқызы", "phone": "+7 705 111 22 33"},
    "ru": {"iin": valid_iin("78113030456"), "full_name": "Ковалёв Андрей Петрович", "phone": "+7 747 444 55 66"},
}

# What the citizen reads, from the catalogs (reception/translations): a missing translation shows in English.
WORDS = {
    "kk": {"iin": "ЖСН (12 сан)", "full_name": "Аты-жөні", "phone": "Ұялы телефон", "region": "Өңір",
           "no_region": "Өңіріңізді таңдаңыз", "region_name": "Павлодар облысы", "password": "Құпиясөз",
           "password_again": "Құпиясөзді қайталаңыз", "create": "Тіркелгімді жасау",
           "confirm_heading": "Телефоныңызды растаңыз", "code": "SMS-тегі код", "confirm": "Растау",
           "confirmed": "Телефон нөміріңіз расталды.", "book_reception": "Қабылдауға жазылу",
           "find": "Бос уақытты табу", "book": "Жазылу", "summary": "Мәселеңіз қысқаша",
           "book_this": "Осы уақытқа жазылу", "talon": "Қабылдау талоны", "talon_number": "Талон нөмірі",
           "accepted_by": "Қабылдаған", "status": "Мәртебесі", "when": "Қабылдау күні мен уақыты",
           "zone": "(Астана уақыты)", "scheduled": "Белгіленген", "cancelled": "Болдырылмады",
           "calendar": "Күнтізбеме қосу", "cancel": "Жазылудан бас тарту", "keep": "Жоқ, қалдыру",
           "yes_cancel": "Иә, болдырмау"},
    "ru": {"iin": "ИИН (12 цифр)", "full_name": "ФИО", "phone": "Мобильный телефон", "region": "Регион",
           "no_region": "Выберите ваш регион", "region_name": "Павлодарская область", "password": "Пароль",
           "password_again": "Повторите пароль", "create": "Создать учётную запись",
           "confirm_heading": "Подтвердите телефон", "code": "Код из SMS", "confirm": "Подтвердить",
           "confirmed": "Ваш номер телефона подтверждён.", "book_reception": "Записаться на приём",
           "find": "Найти свободное время", "book": "Записаться", "summary": "Кратко опишите ваш вопрос",
           "book_this": "Записаться на это время", "talon": "Талон на приём", "talon_number": "Номер талона",
           "accepted_by": "Кем принято", "status": "Статус", "when": "Дата и время приёма",
           "zone": "(время Астаны)", "scheduled": "Назначен", "cancelled": "Отменено",
           "calendar": "Добавить в мой календарь", "cancel": "Отменить запись", "keep": "Нет, оставить",
           "yes_cancel": "Да, отменить"},
}


@pytest.fixture(scope="module")
def reception_day(live_server):
    """A district akimat of Pavlodar Region whose reception office names its responsible person, and its
    akim receiving in four days, 10:00-12:00 local time (UTC+5), in four slots. Returns the local date."""
    _, day = receiving_official(
        live_server.database_url, REGION,
        dict(code="e2e-phone-akimat-pavlodar", level=BodyLevel.DISTRICT, name_kk="Павлодар ауданының әкімдігі",
             name_ru="Акимат Павлодарского района", name_en="Akimat of Pavlodar District",
             responsible_surname="Мұратова", responsible_first_name="Гүлжан", responsible_patronymic="Ерланқызы"),
        dict(full_name=OFFICIAL, position_kk="Аудан әкімі", position_ru="Аким района", position_en="District akim"),
        dict(name_kk="Қабылдау бөлмесі", name_ru="Приёмная", name_en="Reception office",
             address_kk="Кенжекөл а., Абай к-сі, 2", address_ru="с. Кенжеколь, ул. Абая, 2",
             address_en="2 Abai St, Kenzhekol"),
        days_ahead=4, slots=4)
    return day


class _Receiver(BaseHTTPRequestHandler):
    """The SMS gateway: keeps each POSTed SMS (JSON ``to`` and ``text``) and answers 200."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(json.loads(body.decode("utf-8")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def sms(live_server):
    """``sms(phone)``: run the outbox dispatcher once, through the HTTP gateway on loopback, and return the
    texts of the SMS the gateway got for ``phone`` (E.164) so far, oldest first."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    server.received = []
    thread = threading.Thread(target=server.serve_forever, name="e2e-sms-gateway", daemon=True)
    thread.start()
    app = create_app({"ENV": "testing", "SECRET_KEY": "e2e-secret", "DATABASE_URL": live_server.database_url,
                      "BASE_URL": live_server.url, "MAIL_TRANSPORT": "console", "SMS_TRANSPORT": "http",
                      "SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_port}/send",
                      "SMS_GATEWAY_BODY": '{"to": "$to", "text": "$text"}',
                      "SMS_GATEWAY_CONTENT_TYPE": "application/json"})

    def deliver(phone: str) -> list[str]:
        with app.app_context():
            dispatch_due()
            db.session.remove()
        return [m["text"] for m in server.received if m["to"] == phone]

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")  # never through a proxy from the environment
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        yield deliver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def fits(page: Page) -> None:
    """The page is laid out for the phone: nothing makes it scroll sideways. Measured once the page has
    loaded: a click's navigation is followed only until the new page starts, and before its stylesheet
    arrives the unstyled page may be wider (the search page once measured 362 px so)."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def detail(page: Page, term: str):
    """The value of a talon's detail named ``term``."""
    return page.locator("main dl.details dt", has_text=re.compile(f"^{re.escape(term)}$")).locator("+ dd")


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_phone_only_citizen_registers_confirms_by_sms_books_and_cancels(open_page, reception_day, sms, language):
    words, citizen = WORDS[language], CITIZENS[language]
    e164 = "+7" + re.sub(r"\D", "", citizen["phone"])[1:]
    page: Page = open_page(viewport=PHONE, locale=f"{language}-KZ")

    # 1. Registration without an e-mail; the region is the citizen's own choice, none is offered first.
    page.goto("/register")
    assert page.locator("html").get_attribute("lang") == language
    fits(page)
    region = page.get_by_label(words["region"], exact=True)
    expect(region).to_have_value("0")
    expect(region.locator("option:checked")).to_have_text(words["no_region"])
    page.get_by_label(words["iin"]).fill(citizen["iin"])
    page.get_by_label(words["full_name"]).fill(citizen["full_name"])
    page.get_by_label(words["phone"]).fill(citizen["phone"])
    region.select_option(label=words["region_name"])
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_label(words["password_again"]).fill(PASSWORD)
    page.get_by_role("button", name=words["create"]).click()

    expect(page).to_have_url(re.compile(r"/profile/phone$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words["confirm_heading"])
    fits(page)
    texts = sms(e164)
    assert len(texts) == 1, texts
    code = re.search(r"\b(\d{6})\b", texts[0]).group(1)
    page.get_by_label(words["code"]).fill(code)
    page.get_by_role("button", name=words["confirm"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("main")).to_contain_text(words["confirmed"])
    fits(page)

    # 2. Free time in the citizen's region, as cards whose "Book" button the phone shows whole.
    page.locator("main").get_by_role("link", name=words["book_reception"]).click()
    fits(page)
    page.get_by_label(words["region"], exact=True).select_option(label=words["region_name"])
    page.get_by_role("button", name=words["find"]).click()
    expect(page).to_have_url(re.compile(rf"region={REGION}"))
    fits(page)
    card = page.locator("table.slot-results tbody tr", has_text=OFFICIAL).first
    book = card.get_by_role("link", name=words["book"], exact=True)
    box = book.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    book.click()
    expect(page).to_have_url(re.compile(r"/book$"))
    fits(page)
    page.get_by_label(words["summary"]).fill(SUMMARY[language])
    page.get_by_role("button", name=words["book_this"]).click()

    # The talon: its number, the official, the time in words with the zone in words, who accepted it.
    expect(page).to_have_url(re.compile(r"/my/appointments/\d+\?booked=1$"))
    talon_url = page.url.removesuffix("?booked=1")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["talon"])
    fits(page)
    number = detail(page, words["talon_number"]).inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{8,32}", number), number
    expect(page.locator("main")).to_contain_text(OFFICIAL)
    day_in_words = format_date(reception_day, "full", locale=language)  # weekday and month as words
    when = detail(page, words["when"])
    expect(when).to_have_text(re.compile(rf"^{re.escape(day_in_words)}, 1[01]:[03]0 {re.escape(words['zone'])}$"))
    when_text = when.inner_text().strip()
    expect(detail(page, words["accepted_by"])).to_have_text("Мұратова Г. Е.")
    expect(detail(page, words["status"])).to_have_text(words["scheduled"])
    # The phone-only citizen is told by SMS too, with the talon number.
    assert any(number in text for text in sms(e164)[1:]), sms(e164)

    with page.expect_download() as download:
        page.get_by_role("link", name=words["calendar"]).click()
    assert download.value.suggested_filename.endswith(".ics"), download.value.suggested_filename
    with open(download.value.path(), encoding="utf-8") as ics:
        calendar = ics.read()
    assert calendar.startswith("BEGIN:VCALENDAR"), calendar[:200]
    assert OFFICIAL in calendar.replace("\r\n ", "")  # folded lines unfolded

    # 3. Cancelling asks once more, naming the reception; "no" keeps it.
    page.get_by_role("link", name=words["cancel"]).click()
    expect(page).to_have_url(re.compile(r"/cancel$"))
    fits(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(OFFICIAL)
    expect(page.locator("main")).to_contain_text(when_text)
    expect(page.locator("main")).to_contain_text(number)
    page.get_by_role("link", name=words["keep"]).click()
    expect(page).to_have_url(talon_url)
    expect(detail(page, words["status"])).to_have_text(words["scheduled"])
    fits(page)

    page.get_by_role("link", name=words["cancel"]).click()
    page.get_by_role("button", name=words["yes_cancel"]).click()
    expect(page).to_have_url(re.compile(r"/my/appointments/$"))
    fits(page)
    page.goto(talon_url)
    expect(detail(page, words["status"])).to_have_text(words["cancelled"])
    expect(page.get_by_role("link", name=words["cancel"])).to_have_count(0)
    expect(page.get_by_role("link", name=words["calendar"])).to_have_count(0)
    fits(page)
