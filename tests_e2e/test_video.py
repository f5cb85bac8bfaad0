"""A citizen on a phone checks their camera and microphone and joins a video reception from home."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from reception import create_app
from reception.accounts.models import User
from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.directory.models import Body, BodyLevel, Official, Region, Topic, Venue, VenueKind
from reception.extensions import db
from reception.schedule.models import AttendanceFormat, ReceptionSession, Slot

from .conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from .support import RUSSIAN_CITIZEN, log_in

#: Nothing listens on port 1: the Jitsi script cannot load, so the page must offer its plain link.
UNREACHABLE_JITSI = "127.0.0.1:1"


@pytest.fixture(scope="module")
def appointment_id(live_server) -> int:
    """The citizen's video-from-home reception with a minister, starting in five minutes."""
    config = live_server.app.config
    config.update(JITSI_MODE="selfhosted", JITSI_DOMAIN=UNREACHABLE_JITSI, JITSI_APP_ID="reception",
                  JITSI_APP_SECRET="e2e-secret-e2e-secret-e2e-secret-e2e")
    app = create_app({"ENV": "testing", "SECRET_KEY": "e2e-secret", "DATABASE_URL": live_server.database_url})
    with app.app_context():
        astana = db.session.scalars(select(Region).where(Region.code == "KZ-71")).one()
        body = Body(code="e2e-ministry-video", level=BodyLevel.CENTRAL, name_kk="Министрлік",
                    name_ru="Министерство", name_en="Ministry")
        official = Official(body=body, full_name="Dana Seitkali", position_kk="Министр", position_ru="Министр",
                            position_en="Minister", is_head=True)
        venue = Venue(body=body, region=astana, kind=VenueKind.OFFICE, name_kk="Қабылдау", name_ru="Приёмная",
                      name_en="Reception office", address_kk="Мәңгілік Ел, 8", address_ru="Мангилик Ел, 8",
                      address_en="8 Mangilik El")
        start = utcnow().replace(microsecond=0) + timedelta(minutes=5)
        session = ReceptionSession(official=official, venue=venue, local_date=start.date(), starts_at=start,
                                   ends_at=start + timedelta(minutes=30), allow_in_person=True,
                                   allow_video_remote=True, opens_at=start - timedelta(days=5),
                                   closes_at=start - timedelta(hours=1))
        session.slots = [Slot(starts_at=start, ends_at=start + timedelta(minutes=30))]
        db.session.add_all([body, official, venue, session])
        db.session.flush()
        citizen = db.session.scalars(select(User).where(User.email == RUSSIAN_CITIZEN.email)).one()
        appointment = Appointment(citizen_id=citizen.id, official_id=official.id, session_id=session.id,
                                  slot_id=session.slots[0].id, format=AttendanceFormat.VIDEO_REMOTE,
                                  topic_id=db.session.scalars(select(Topic.id).order_by(Topic.id)).first(),
                                  summary="Нет воды в доме", status=AppointmentStatus.SCHEDULED,
                                  talon_number="E2E-VIDEO-1", accepted_at=utcnow())
        db.session.add(appointment)
        db.session.commit()
        result = appointment.id
        db.session.remove()
        db.engine.dispose()
    return result


@pytest.fixture
def browser_with_devices(browser):
    """Chromium with a fake camera and microphone, allowed without asking (as if the user clicked Allow)."""
    other = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    yield other
    other.close()


def _phone(browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740},
                                  locale="ru-RU")
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def test_device_check_finds_the_camera_and_microphone_then_the_citizen_joins(
        browser_with_devices, live_server, appointment_id):
    page = _phone(browser_with_devices, live_server)
    try:
        log_in(page, RUSSIAN_CITIZEN.email)
        page.goto(f"/video/appointments/{appointment_id}")
        page.locator("#device-check-start").click()
        results = page.locator("#device-results")
        expect(results.locator("li[data-device=camera][data-ok='1']")).to_have_count(1)
        expect(results.locator("li[data-device=microphone][data-ok='1']")).to_have_count(1)
        expect(page.locator("#device-preview")).to_be_visible()  # the citizen sees themself
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        page.locator("main form[action$='/join'] button").click()
        # Jitsi cannot be reached here: the page says so and offers the plain link with the token.
        expect(page.locator("#call-fallback")).to_be_visible()
        link = page.locator("#call-fallback a")
        expect(link).to_have_attribute("href", re.compile(
            rf"^https://{re.escape(UNREACHABLE_JITSI)}/reception-[0-9a-f]{{32}}\?jwt=eyJ"))
        # The token is not left lying in the page's configuration block.
        assert page.locator("#jitsi-config").text_content() == ""
    finally:
        page.context.close()


def test_device_check_says_what_is_missing_without_a_camera(browser, live_server, appointment_id):
    page = _phone(browser, live_server)
    try:
        log_in(page, RUSSIAN_CITIZEN.email)
        page.goto(f"/video/appointments/{appointment_id}")
        page.locator("#device-check-start").click()
        missing = page.locator("#device-results li[data-ok='0']")
        expect(missing.first).to_be_visible()
        devices = set(missing.evaluate_all("items => items.map(i => i.dataset.device)"))
        assert devices & {"camera", "permission", "browser"}, devices
        expect(page.locator("#device-results li[data-device=camera][data-ok='1']")).to_have_count(0)
    finally:
        page.context.close()
