"""Phone first: no page any demo account (or a visitor) can reach scrolls sideways on a 320 px screen, in Kazakh
and in Russian, and the search results are cards whose "Book" button a 360 px phone shows without scrolling.

The pages come from the application's URL map (every GET route; the same rules the permission sweep in
tests/routes.py classifies), their arguments filled with ids of the demo data (``flask demo load``), so a new
page is swept as soon as it exists. A page counts as reachable for a role when it answers 200 with HTML;
POST-only routes and downloads (calendars, XLSX, CSV, attachments, JSON) are left out by what they are.
"""
from __future__ import annotations

import re
from datetime import timedelta
from itertools import islice, product

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import or_, select

from reception.accounts.models import User
from reception.booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Participant, WaitlistEntry
from reception.cli.demo import DEMO_PASSWORD
from reception.cli.demo_data import ACCOUNTS, AKTOBE_AKIMAT, CITIZEN
from reception.core.clock import utcnow
from reception.core.i18n import LANGUAGE_NAMES
from reception.directory.models import Body, Official, Topic, Venue
from reception.extensions import db
from reception.schedule.models import ReceptionSession, SessionStatus, Slot, UnifiedDay, VisitingReception

from .support import log_in

NARROW = {"width": 320, "height": 640}
PHONE = {"width": 360, "height": 740}
#: Endpoints that are not pages a person reads in the browser even when they answer a GET.
NOT_PAGES = {"static", "main.health", "booking.lookup_names", "calendars.feed", "legal.attachment"}
#: How many argument combinations are tried per route before it counts as unreachable for a role.
TRIES = 8
#: Routes whose arguments the demo has no record for (reported in the summary, not swept).
UNFILLED: list[str] = []

# The elements wider than the screen (outermost first), to say which one makes a page scroll sideways.
OFFENDERS = """(width) => {
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return true; }
    return false; };
  const wide = Array.from(document.body.querySelectorAll("*"))
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !scrolls(el));
  const outermost = wide.filter((el) => !wide.includes(el.parentElement));
  const innermost = wide.filter((el) => !Array.from(el.children).some((c) => wide.includes(c)));
  return [...outermost.slice(0, 2), ...innermost.slice(0, 2)]
    .map((el) => describe(el) + " (right edge " + Math.round(el.getBoundingClientRect().right) + " px): "
                 + (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60));
}"""


def _ids(stmt, limit: int = 3) -> list:
    return list(dict.fromkeys(db.session.scalars(stmt.limit(limit))))


def _candidates(app) -> dict[str, list]:
    """Values for every URL argument, the demo's own records first (the demo accounts' body, citizen, ...)."""
    now = utcnow()
    with app.app_context():
        akimat = db.session.scalar(select(Body).where(Body.code == AKTOBE_AKIMAT))
        citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.kz"))
        agency = db.session.scalar(select(User).where(User.email == "agency@demo.kz"))
        akim = db.session.scalar(select(Official).where(Official.body_id == akimat.id, Official.is_head))
        own = or_(Appointment.citizen_id == citizen.id, Appointment.official_id == akim.id)
        appointments = (
            _ids(select(Appointment.id).where(Appointment.citizen_id == citizen.id).order_by(Appointment.id.desc()))
            + _ids(select(Appointment.id).where(Appointment.official_id == akim.id,
                                                Appointment.status.in_(ACTIVE_STATUSES)).order_by(Appointment.id))
            + _ids(select(Appointment.id).where(Appointment.studio_id.is_not(None)).order_by(Appointment.id.desc()))
            + _ids(select(Appointment.id).join(Participant).where(Participant.user_id == agency.id)))
        requests = (_ids(select(Appointment.id).where(Appointment.citizen_id == citizen.id,
                                                      Appointment.decision.is_not(None)))
                    + _ids(select(Appointment.id).where(Appointment.slot_id.is_(None)).order_by(Appointment.id.desc())))
        free_slots = _ids(select(Slot.id).join(Slot.session).where(
            ReceptionSession.official_id == akim.id, ReceptionSession.status == SessionStatus.PLANNED,
            Slot.starts_at > now + timedelta(days=2)).order_by(Slot.starts_at), 2)
        from reception.api.models import ApiClient
        from reception.calendars.feeds import get_or_create_feed
        from reception.calendars.models import FeedKind
        from reception.hearings.models import BodyInvitation
        from reception.legal.models import LegalReview
        from reception.notifications.models import OutboxMessage
        from reception.outcomes.models import AccessReport, Instruction
        from reception.systemic.models import SystemicIssue

        unified_days = db.session.scalars(select(UnifiedDay).order_by(UnifiedDay.id).limit(1)).all()
        values = {
            "official_id": [akim.id],
            "body_id": [akimat.id, agency.body_id],
            "venue_id": _ids(select(Venue.id).where(Venue.body_id == akimat.id).order_by(Venue.id), 2),
            "region_id": [akimat.region_id],
            "code": [CITIZEN["region"]],
            "topic_id": _ids(select(Topic.id).order_by(Topic.id), 1),
            "user_id": _ids(select(User.id).where(User.email == "assistant@demo.kz")),
            "session_id": _ids(select(ReceptionSession.id).where(
                ReceptionSession.official_id == akim.id, ReceptionSession.status == SessionStatus.PLANNED,
                ReceptionSession.starts_at > now).order_by(ReceptionSession.starts_at), 2)
            + _ids(select(ReceptionSession.id).where(ReceptionSession.ballot_closes_at.is_not(None)), 1),
            "slot_id": free_slots,
            "appointment_id": appointments,
            "reception_id": _ids(select(Appointment.id).where(own, Appointment.status == AppointmentStatus.HELD)
                                 .order_by(Appointment.id.desc()), 2),
            "my_request_id": requests,
            "request_id": requests,
            "entry_id": _ids(select(WaitlistEntry.id).where(WaitlistEntry.citizen_id == citizen.id))
            + _ids(select(WaitlistEntry.id).order_by(WaitlistEntry.id.desc())),
            "talon_number": _ids(select(Appointment.talon_number).where(
                Appointment.citizen_id == citizen.id, Appointment.talon_number.is_not(None)), 1),
            "token": ["not-a-token"],
            # The official's agenda feed is made when its owners first open their calendars page.
            "feed_id": [get_or_create_feed(FeedKind.OFFICIAL, akim.id).id],
            "message_id": _ids(select(OutboxMessage.id).order_by(OutboxMessage.id), 1),
            "entity": ["appointment"],
            "entity_id": appointments[:1],
            "review_id": _ids(select(LegalReview.id).order_by(LegalReview.id.desc()), 2),
            "invitation_id": _ids(select(BodyInvitation.id).where(BodyInvitation.body_id == agency.body_id)
                                  .order_by(BodyInvitation.id.desc()), 2),
            "instruction_id": _ids(select(Instruction.id).where(Instruction.body_id == agency.body_id)
                                   .order_by(Instruction.id.desc()), 2),
            "report_id": _ids(select(AccessReport.id).order_by(AccessReport.id.desc()), 2),
            "unified_day_id": [d.id for d in unified_days],
            "local_date": [d.local_date.isoformat() for d in unified_days],
            "unified_session_id": _ids(select(ReceptionSession.id).where(
                ReceptionSession.unified_day_id.is_not(None)).order_by(ReceptionSession.id), 2),
            "visiting_id": _ids(select(VisitingReception.id).order_by(VisitingReception.id), 1),
            "issue_id": _ids(select(SystemicIssue.id).order_by(SystemicIssue.id), 1),
            "client_id": _ids(select(ApiClient.id).order_by(ApiClient.id), 1),
        }
        db.session.commit()
        db.session.remove()
    return values


def _pages(app) -> list[tuple[str, list[str]]]:
    """(endpoint, URLs to try) for every GET route that may be a page, arguments filled from the demo."""
    values = _candidates(app)
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.endswith((".csv", ".xlsx", ".ics")):
            continue
        arguments = sorted(rule.arguments)
        assert all(a in values for a in arguments), f"add demo values for the URL arguments of {rule.rule}"
        if any(not values[a] for a in arguments):
            UNFILLED.append(rule.rule)  # the demo has no such record (no waitlist entry, say): nobody reaches it
            continue
        urls = []
        for combination in islice(product(*(values[a] for a in arguments)), TRIES):
            url = rule.rule
            for arg, value in zip(arguments, combination, strict=True):
                url = re.sub(rf"<(?:\w+:)?{arg}>", str(value), url)
            urls.append(url)
        pages.append((rule.endpoint, urls))
    return pages


@pytest.fixture(scope="module")
def demo_pages(demo_server):
    return _pages(demo_server.app)


def _reachable(page: Page, urls: list[str]) -> str | None:
    """The first of ``urls`` this browser's user gets as a page (200, HTML), or None."""
    for url in urls:
        response = page.request.get(url, max_redirects=0)
        if response.status == 200 and response.headers.get("content-type", "").startswith("text/html"):
            return url
    return None


def _sweep(page: Page, pages) -> tuple[list[str], list[str]]:
    visited, offenders = [], []
    for _endpoint, urls in pages:
        url = _reachable(page, urls)
        if url is None:
            continue
        page.goto(url)
        visited.append(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            offenders.append(f"{url}: {width} px wide; " + "; ".join(page.evaluate(OFFENDERS, NARROW["width"])))
    return visited, offenders


PEOPLE = [None, *ACCOUNTS]  # a visitor, and every demo account (two assistants: the akimat's and the PA's)


def _switch_language(page: Page, language: str) -> None:
    """The header's language buttons: for a signed-in user they change the account's language too."""
    page.get_by_role("banner").get_by_role("button", name=LANGUAGE_NAMES[language]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("account", PEOPLE, ids=[a.email.split("@")[0] if a else "visitor" for a in PEOPLE])
def test_no_page_anyone_reaches_scrolls_sideways_at_320_px(browser: Browser, demo_server, demo_pages, account,
                                                            language):
    context = browser.new_context(base_url=demo_server.url, viewport=NARROW, locale=f"{language}-KZ")
    switched = account is not None and account.language != language
    try:
        page = context.new_page()
        if account is not None:
            log_in(page, account.email, DEMO_PASSWORD)
            if switched:
                _switch_language(page, language)
        visited, offenders = _sweep(page, demo_pages)
        assert page.locator("html").get_attribute("lang") == language
        if account is None:
            assert "/reception/" in visited and "/directory/" in visited
        else:
            assert "/home" in visited and "/profile" in visited
        print(f"{account.email if account else 'visitor'} ({language}): {len(visited)} pages at 320 px; "
              f"no demo record for {UNFILLED}")
        assert not offenders, "pages wider than 320 px:\n" + "\n".join(offenders)
    finally:
        if switched:  # the demo account keeps its own language for the tests after this one
            page.goto("/home")
            _switch_language(page, account.language)
        context.close()


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_search_results_are_cards_with_the_book_button_in_view_on_a_360_px_phone(browser: Browser, demo_server,
                                                                                   language):
    context = browser.new_context(base_url=demo_server.url, viewport=PHONE, locale=f"{language}-KZ")
    try:
        page = context.new_page()
        page.goto(f"/reception/?region={CITIZEN['region']}&format=in_person")
        assert page.locator("html").get_attribute("lang") == language
        book = page.locator("table.slot-results a.button").first
        book.wait_for()
        box = book.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        card = page.locator("table.slot-results tbody tr").first.bounding_box()
        assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"], card
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # The studio to check for free time is asked only for video from a studio.
        expect(page.locator("#studio")).to_be_hidden()
        page.locator("#format").select_option("video_studio")
        expect(page.locator("#studio")).to_be_visible()
    finally:
        context.close()
