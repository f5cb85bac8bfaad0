"""The feed addresses, the owners' page with its rotation, and the public body page's calendar link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from reception.calendars.feeds import fingerprint, get_or_create_feed
from reception.calendars.models import CalendarFeed, FeedKind
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.directory.models import VenueKind
from reception.extensions import db as _db
from tests.booking.fixtures import new_session
from tests.calendars import appointment, events
from tests.conftest import csrf_from

BASE = "http://reception.test"


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def place(db, make_body, make_official, make_venue, make_user):
    """Body A with an official (a session tomorrow, one booked appointment) and a studio."""
    body = make_body(name_en="Akimat A")
    official = make_official(body=body, full_name="Official One")
    venue = make_venue(body=body, name_en="Front office")
    studio = make_venue(body=body, kind=VenueKind.STUDIO, name_en="Studio A")
    session = new_session(official, venue, start=(utcnow() + timedelta(days=1)).replace(minute=0, second=0,
                                                                                        microsecond=0))
    db.session.add(session)
    db.session.flush()
    booked = appointment(session, make_user(Role.CITIZEN, full_name="Citizen Secret"))
    db.session.commit()
    return dict(body=body, official=official, venue=venue, studio=studio, session=session, booked=booked)


def _feed(kind, target_id) -> CalendarFeed:
    feed = get_or_create_feed(kind, target_id)
    _db.session.commit()
    return feed


# --- the .ics addresses ---------------------------------------------------------------------------

def test_a_private_feed_is_served_as_private_calendar_text(client, place):
    feed = _feed(FeedKind.OFFICIAL, place["official"].id)
    r = client.get(f"/calendars/{feed.token}.ics")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert r.headers["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(r.data)
    assert "Citizen Secret" in {str(e["SUMMARY"]).split(": ", 1)[-1] for e in events(calendar)}
    assert r.data.endswith(b"\r\n")


def test_the_body_feed_may_be_cached_publicly_and_names_no_citizen(client, place):
    feed = _feed(FeedKind.BODY, place["body"].id)
    r = client.get(f"/calendars/{feed.token}.ics")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert "Citizen Secret" not in text(r) and place["booked"].talon_number not in text(r)
    assert len(events(Calendar.from_ical(r.data))) == 1


def test_the_feed_speaks_the_language_asked_for(client, place):
    feed = _feed(FeedKind.BODY, place["body"].id)
    page = text(client.get(f"/calendars/{feed.token}.ics?lang=ru"))
    assert place["venue"].name_ru in page
    assert place["venue"].name_en in text(client.get(f"/calendars/{feed.token}.ics?lang=en"))
    r = client.get(f"/calendars/{feed.token}.ics?lang=xx")
    assert r.status_code == 200 and "Accept-Language" in r.headers["Vary"]
    assert "Accept-Language" not in client.get(f"/calendars/{feed.token}.ics?lang=ru").headers.get("Vary", "")


@pytest.mark.parametrize("token", ["not-a-token", "x" * 200, "%00", "..", "a.b"])
def test_an_unknown_token_is_404(client, place, token):
    _feed(FeedKind.OFFICIAL, place["official"].id)
    assert client.get(f"/calendars/{token}.ics").status_code == 404


def test_after_rotation_the_old_address_is_404_and_the_new_one_works(client, login_as, place):
    feed = _feed(FeedKind.OFFICIAL, place["official"].id)
    old = feed.token
    assert client.get(f"/calendars/{old}.ics").status_code == 200
    login_as(Role.ASSISTANT, body=place["body"])
    r = client.post(f"/staff/calendars/{feed.id}/rotate",
                    data={"csrf_token": csrf_from(client, "/staff/calendars/"), "seen": fingerprint(feed)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/calendars/")
    _db.session.refresh(feed)
    assert feed.token != old and feed.rotated_at is not None
    unknown = client.get("/calendars/never-existed-token.ics")
    rotated = client.get(f"/calendars/{old}.ics")
    assert rotated.status_code == unknown.status_code == 404
    assert text(rotated) == text(unknown)  # nothing tells a replaced address from one that never existed
    assert client.get(f"/calendars/{feed.token}.ics").status_code == 200
    page = text(client.get("/staff/calendars/"))
    assert "the old address no longer works" in page
    assert feed.token in page and old not in page


def test_the_feed_of_a_deactivated_studio_is_404(client, place):
    feed = _feed(FeedKind.STUDIO, place["studio"].id)
    assert client.get(f"/calendars/{feed.token}.ics").status_code == 200
    place["studio"].is_active = False
    _db.session.commit()
    assert client.get(f"/calendars/{feed.token}.ics").status_code == 404


# --- the owners' page -------------------------------------------------------------------------------

def _cards(page: str) -> list[str]:
    return re.findall(r'<h2 id="feed-\d+">([^<]+)</h2>', page)


def test_the_assistant_sees_every_feed_of_their_body_with_full_addresses(client, login_as, place):
    login_as(Role.ASSISTANT, body=place["body"])
    r = client.get("/staff/calendars/")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, no-store"
    page = text(r)
    assert _cards(page) == ["Reception hours: Akimat A", "Reception agenda: Official One",
                            "Studio receptions: Studio A"]
    for kind, target in ((FeedKind.BODY, place["body"].id), (FeedKind.OFFICIAL, place["official"].id),
                         (FeedKind.STUDIO, place["studio"].id)):
        feed = get_or_create_feed(kind, target)
        assert f"{BASE}/calendars/{feed.token}.ics?lang=en" in page
        assert f"webcal://reception.test/calendars/{feed.token}.ics?lang=en" in page
    assert page.count("Replace the address") == 3


def test_the_official_sees_their_own_agenda_only(client, login_as, place, make_official):
    other = make_official(body=place["body"], full_name="Someone Else")
    user = login_as(Role.OFFICIAL, body=place["body"])
    place["official"].user_id = user.id
    _db.session.commit()
    page = text(client.get("/staff/calendars/"))
    assert _cards(page) == ["Reception agenda: Official One"]
    assert "Someone Else" not in page and other.full_name not in page


def test_the_studio_operator_sees_their_studios(client, login_as, place):
    login_as(Role.STUDIO_OPERATOR, body=place["body"])
    assert _cards(text(client.get("/staff/calendars/"))) == ["Studio receptions: Studio A"]


def test_the_administrator_opens_the_page_and_citizens_and_others_are_refused(client, login_as, place):
    login_as(Role.ADMIN)
    r = client.get("/staff/calendars/")
    assert r.status_code == 200 and "You have no calendar feeds" in text(r)
    client.post("/logout", data={"csrf_token": csrf_from(client)})
    login_as(Role.CITIZEN)
    assert client.get("/staff/calendars/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client)})
    login_as(Role.AGENCY_REP, body=place["body"])
    assert client.get("/staff/calendars/").status_code == 403


def test_a_visitor_is_sent_to_log_in(client, place):
    r = client.get("/staff/calendars/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_rotation_by_someone_who_does_not_own_the_feed_is_403(client, login_as, place, make_body):
    feed = _feed(FeedKind.OFFICIAL, place["official"].id)
    token = feed.token
    login_as(Role.ASSISTANT, body=make_body())
    url = f"/staff/calendars/{feed.id}/rotate"
    r = client.post(url, data={"csrf_token": csrf_from(client, "/staff/calendars/"), "seen": fingerprint(feed)})
    assert r.status_code == 403
    assert client.get(url).status_code == 403
    _db.session.refresh(feed)
    assert feed.token == token


def test_rotation_needs_the_csrf_token(client, login_as, place):
    feed = _feed(FeedKind.BODY, place["body"].id)
    token = feed.token
    login_as(Role.ASSISTANT, body=place["body"])
    r = client.post(f"/staff/calendars/{feed.id}/rotate", data={"seen": fingerprint(feed)})
    assert r.status_code == 400
    assert "did not come from this site" in text(r)
    _db.session.refresh(feed)
    assert feed.token == token


def test_rotation_of_a_missing_feed_is_404(client, login_as, place):
    login_as(Role.ADMIN)
    r = client.post("/staff/calendars/999999999/rotate",
                    data={"csrf_token": csrf_from(client, "/staff/calendars/"), "seen": "x"})
    assert r.status_code == 404
    assert client.get("/staff/calendars/999999999/rotate").status_code == 404


def test_a_form_from_before_another_rotation_does_not_rotate_again(client, login_as, place):
    feed = _feed(FeedKind.BODY, place["body"].id)
    login_as(Role.ASSISTANT, body=place["body"])
    stale = fingerprint(feed)
    csrf = csrf_from(client, "/staff/calendars/")
    url = f"/staff/calendars/{feed.id}/rotate"
    assert client.post(url, data={"csrf_token": csrf, "seen": stale}).status_code == 302
    _db.session.refresh(feed)
    current = feed.token
    assert client.post(url, data={"csrf_token": csrf, "seen": stale}).status_code == 409
    assert client.post(url, data={"csrf_token": csrf}).status_code == 400
    _db.session.refresh(feed)
    assert feed.token == current


def test_the_confirmation_page_explains_and_rotates(client, login_as, place):
    feed = _feed(FeedKind.STUDIO, place["studio"].id)
    old = feed.token
    login_as(Role.STUDIO_OPERATOR, body=place["body"])
    url = f"/staff/calendars/{feed.id}/rotate"
    page = client.get(url)
    assert page.status_code == 200 and "stops working at once" in text(page)
    seen = re.search(r'name="seen"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="seen"', text(page))
    assert seen and (seen.group(1) or seen.group(2)) == fingerprint(feed)
    r = client.post(url, data={"csrf_token": csrf_from(client, url), "seen": fingerprint(feed)})
    assert r.status_code == 302
    _db.session.refresh(feed)
    assert feed.token != old


def test_an_administrator_may_rotate_any_feed(client, login_as, place):
    feed = _feed(FeedKind.OFFICIAL, place["official"].id)
    old = feed.token
    login_as(Role.ADMIN)
    url = f"/staff/calendars/{feed.id}/rotate"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"csrf_token": csrf_from(client, url), "seen": fingerprint(feed)}).status_code == 302
    _db.session.refresh(feed)
    assert feed.token != old


def test_the_home_pages_link_the_feeds_page(client, login_as, place):
    login_as(Role.ASSISTANT, body=place["body"])
    assert 'href="/staff/calendars/"' in text(client.get("/home"))


# --- the public body page --------------------------------------------------------------------------

def test_the_body_page_links_its_public_feed(client, place):
    body = place["body"]
    page = text(client.get(f"/directory/bodies/{body.id}"))
    feed = _db.session.scalars(select(CalendarFeed).where(CalendarFeed.kind == FeedKind.BODY,
                                                          CalendarFeed.target_id == body.id)).one()
    address = f"{BASE}/calendars/{feed.token}.ics?lang=en"
    link = re.search(r'<link rel="alternate" type="text/calendar" title="([^"]+)" href="([^"]+)">', page)
    assert link, "no calendar link in the page's head"
    assert link.group(2) == address and link.group(1) == "Reception hours: Akimat A"
    assert page.index(link.group(0)) < page.index("</head>")
    assert "Subscribe to this body&#39;s reception hours" in page or "Subscribe to this body's reception hours" in page
    assert f"webcal://reception.test/calendars/{feed.token}.ics?lang=en" in page
    # A second view uses the same feed, and the address works without logging in.
    text(client.get(f"/directory/bodies/{body.id}"))
    assert _db.session.scalar(select(func.count()).select_from(CalendarFeed)
                              .where(CalendarFeed.kind == FeedKind.BODY, CalendarFeed.target_id == body.id)) == 1
    r = client.get(address.removeprefix(BASE))
    assert r.status_code == 200 and "Citizen Secret" not in text(r)
