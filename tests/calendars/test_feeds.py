"""Feeds: what each kind lists (and what the public one never shows), who owns which, making a feed
once even when two requests race, and rotation."""
from __future__ import annotations

import threading
import time as _time
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from reception.booking.models import AppointmentStatus
from reception.calendars.feeds import can_manage, feeds_for, get_by_token, get_or_create_feed, rotate
from reception.calendars.ics import feed_ics
from reception.calendars.models import CalendarFeed, FeedKind
from reception.core.clock import utcnow
from reception.core.errors import Conflict
from reception.core.permissions import Role
from reception.directory.models import VenueKind
from reception.extensions import db as _db
from reception.schedule.models import AttendanceFormat, SessionStatus
from tests.booking.fixtures import new_session
from tests.calendars import appointment, by_uid, events, parse
from tests.races import Race, statement

HOST = "reception.test"


def _at(days: float):
    return (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def world(ctx, db, make_body, make_official, make_venue, make_user):
    """Body A with two officials, an office, two studios and sessions around now; body B with one of its own.

    Sessions of official 1: planned tomorrow (two appointments, one cancelled), held 10 days ago
    (one held appointment), cancelled in 3 days, unpublished in 5 days, 40 days ago and 100 days ahead
    (both outside every feed). Official 2: planned in 2 days, with a studio appointment.
    """
    body, other_body = make_body(name_en="Akimat A"), make_body(name_en="Akimat B")
    o1 = make_official(body=body, full_name="Official One", position_en="Akim")
    o2 = make_official(body=body, full_name="Official Two", position_en="Deputy akim")
    ob = make_official(body=other_body, full_name="Official Of B")
    office = make_venue(body=body, name_en="Front office", address_en="Main street, 1")
    studio = make_venue(body=body, kind=VenueKind.STUDIO, name_en="Studio A", address_en="Main street, 1",
                        floor="2")
    studio2 = make_venue(body=body, kind=VenueKind.STUDIO, name_en="Studio A2", address_en="Side street, 3")
    other_office = make_venue(body=other_body, name_en="Office B")

    def session(official, venue, days, **kw):
        s = new_session(official, venue, start=_at(days), **kw)
        _db.session.add(s)
        _db.session.flush()
        return s

    s = dict(
        tomorrow=session(o1, office, 1),
        held=session(o1, office, -10, status=SessionStatus.HELD),
        cancelled=session(o1, office, 3, status=SessionStatus.CANCELLED),
        unpublished=session(o1, office, 5, is_published=False),
        too_old=session(o1, office, -40),
        too_far=session(o1, office, 100),
        two=session(o2, office, 2),
        other=session(ob, other_office, 1),
    )
    c1, c2, c3, c4 = (make_user(Role.CITIZEN, full_name=f"Citizen Secret{i}") for i in range(1, 5))
    a = dict(
        booked=appointment(s["tomorrow"], c1),
        cancelled=appointment(s["tomorrow"], c2, slot=s["tomorrow"].slots[1], status=AppointmentStatus.CANCELLED),
        held=appointment(s["held"], c3, status=AppointmentStatus.HELD),
        studio=appointment(s["two"], c4, format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id),
        studio2=appointment(s["two"], c1, slot=s["two"].slots[1], format=AttendanceFormat.VIDEO_STUDIO,
                            studio_id=studio2.id),
        remote=appointment(s["two"], c2, slot=s["two"].slots[2], format=AttendanceFormat.VIDEO_REMOTE),
        other=appointment(s["other"], c3),
    )
    return dict(body=body, other_body=other_body, o1=o1, o2=o2, ob=ob, office=office, studio=studio,
                studio2=studio2, sessions=s, appointments=a, citizens=(c1, c2, c3, c4))


def _feed(kind, target_id):
    feed = get_or_create_feed(kind, target_id)
    return feed, feed_ics(feed, utcnow())


def test_the_officials_feed_lists_their_sessions_and_appointments(world):
    o1, s, a = world["o1"], world["sessions"], world["appointments"]
    _, text = _feed(FeedKind.OFFICIAL, o1.id)
    calendar = parse(text)
    assert "METHOD" not in calendar
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in text
    assert str(calendar["X-WR-CALNAME"]) == "Reception agenda: Official One"
    uids = by_uid(calendar)
    prefix = f"official-{o1.id}"
    assert set(uids) == {f"{prefix}-session-{s['tomorrow'].id}@{HOST}", f"{prefix}-session-{s['held'].id}@{HOST}",
                         f"{prefix}-session-{s['unpublished'].id}@{HOST}",
                         f"{prefix}-appointment-{a['booked'].id}@{HOST}",
                         f"{prefix}-appointment-{a['held'].id}@{HOST}"}
    session_event = uids[f"{prefix}-session-{s['tomorrow'].id}@{HOST}"]
    assert str(session_event["SUMMARY"]) == "Reception hours"
    assert str(session_event["LOCATION"]) == "Front office, Main street, 1"
    assert session_event.decoded("DTSTART") == s["tomorrow"].starts_at
    assert str(uids[f"{prefix}-session-{s['unpublished'].id}@{HOST}"]["STATUS"]) == "TENTATIVE"
    booked = uids[f"{prefix}-appointment-{a['booked'].id}@{HOST}"]
    assert str(booked["SUMMARY"]) == "Appointment: Citizen Secret1"
    assert a["booked"].talon_number in str(booked["DESCRIPTION"])
    assert "Topic: " in str(booked["DESCRIPTION"])
    assert "Citizen Secret2" not in text  # the cancelled appointment is left out
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Almaty"]


def test_the_same_session_keeps_its_uid_between_fetches(world):
    _, first = _feed(FeedKind.OFFICIAL, world["o1"].id)
    _, second = _feed(FeedKind.OFFICIAL, world["o1"].id)
    assert set(by_uid(parse(first))) == set(by_uid(parse(second)))


def test_video_appointments_in_the_officials_feed_link_the_join_page(world):
    o2, a = world["o2"], world["appointments"]
    _, text = _feed(FeedKind.OFFICIAL, o2.id)
    uids = by_uid(parse(text))
    remote = uids[f"official-{o2.id}-appointment-{a['remote'].id}@{HOST}"]
    assert str(remote["URL"]) == f"http://{HOST}/video/appointments/{a['remote'].id}"
    assert str(remote["LOCATION"]) == "By video from home"
    studio = uids[f"official-{o2.id}-appointment-{a['studio'].id}@{HOST}"]
    assert "Studio A" in str(studio["LOCATION"])
    assert "jwt" not in text.lower()


def test_the_studio_feed_lists_its_video_receptions(world):
    studio, a = world["studio"], world["appointments"]
    _, text = _feed(FeedKind.STUDIO, studio.id)
    calendar = parse(text)
    assert str(calendar["X-WR-CALNAME"]) == "Studio receptions: Studio A"
    (event,) = events(calendar)
    assert str(event["UID"]) == f"studio-{studio.id}-appointment-{a['studio'].id}@{HOST}"
    assert str(event["SUMMARY"]) == "Video reception: Citizen Secret4 with Official Two"
    assert str(event["LOCATION"]) == "Studio A, Main street, 1, 2"
    assert "Official: Official Two, Deputy akim\nAkimat A" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART") == a["studio"].slot.starts_at


def test_the_studio_feed_shows_held_receptions_and_leaves_out_cancelled_ones(world, make_user):
    studio, s = world["studio"], world["sessions"]
    held = appointment(s["held"], make_user(Role.CITIZEN, full_name="Held Citizen"),
                       slot=s["held"].slots[1], format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id,
                       status=AppointmentStatus.HELD)
    appointment(s["tomorrow"], make_user(Role.CITIZEN, full_name="Gone Citizen"), slot=s["tomorrow"].slots[2],
                format=AttendanceFormat.VIDEO_STUDIO, studio_id=studio.id, status=AppointmentStatus.CANCELLED)
    _, text = _feed(FeedKind.STUDIO, studio.id)
    assert f"studio-{studio.id}-appointment-{held.id}@{HOST}" in by_uid(parse(text))
    assert "Held Citizen" in text and "Gone Citizen" not in text


def test_the_body_feed_lists_published_planned_sessions_only_and_no_personal_data(world):
    body, s, a = world["body"], world["sessions"], world["appointments"]
    _, text = _feed(FeedKind.BODY, body.id)
    calendar = parse(text)
    assert str(calendar["X-WR-CALNAME"]) == "Reception hours: Akimat A"
    uids = by_uid(calendar)
    assert set(uids) == {f"body-{body.id}-session-{s['tomorrow'].id}@{HOST}",
                         f"body-{body.id}-session-{s['two'].id}@{HOST}"}
    event = uids[f"body-{body.id}-session-{s['two'].id}@{HOST}"]
    assert str(event["SUMMARY"]) == "Reception hours: Official Two"
    assert str(event["LOCATION"]) == "Front office, Main street, 1"
    assert "Official Two, Deputy akim" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://{HOST}/reception/officials/{world['o2'].id}"
    for citizen in world["citizens"]:
        assert citizen.full_name not in text
        assert citizen.email not in text
    for appt in a.values():
        assert appt.talon_number not in text
    assert "appointment" not in text.lower()
    assert "Official Of B" not in text


def test_the_body_feed_leaves_out_inactive_officials(world):
    world["o2"].is_active = False
    _db.session.flush()
    _, text = _feed(FeedKind.BODY, world["body"].id)
    assert "Official Two" not in text and "Official One" in text


def test_a_feed_of_an_inactive_target_has_nothing(world):
    feed = get_or_create_feed(FeedKind.STUDIO, world["studio"].id)
    world["studio"].is_active = False
    _db.session.flush()
    with pytest.raises(LookupError):
        feed_ics(feed, utcnow())


# --- making and rotating ---------------------------------------------------------------------

def test_get_or_create_makes_one_feed_per_target(world):
    first = get_or_create_feed(FeedKind.BODY, world["body"].id)
    again = get_or_create_feed(FeedKind.BODY, world["body"].id)
    other = get_or_create_feed(FeedKind.OFFICIAL, world["body"].id)  # same id, another kind: another feed
    assert first.id == again.id and first.token == again.token
    assert other.id != first.id and other.token != first.token
    assert len(first.token) >= 32


def test_rotation_replaces_the_token_and_the_old_one_finds_nothing(world):
    feed = get_or_create_feed(FeedKind.OFFICIAL, world["o1"].id)
    old = feed.token
    now = utcnow()
    rotate(feed, now)
    assert feed.token != old and feed.rotated_at == now
    assert get_by_token(old) is None
    assert get_by_token(feed.token).id == feed.id
    assert get_by_token("") is None and get_by_token("x" * 65) is None


def test_a_rotation_that_lost_a_race_replaces_nothing(world):
    feed = get_or_create_feed(FeedKind.BODY, world["body"].id)
    # Another owner's rotation, committed after this request read the feed.
    _db.session.execute(update(CalendarFeed).where(CalendarFeed.id == feed.id).values(token="replaced-meanwhile")
                        .execution_options(synchronize_session=False))
    with pytest.raises(Conflict):
        rotate(feed, utcnow())
    assert feed.token == "replaced-meanwhile"
    assert get_by_token("replaced-meanwhile").id == feed.id


# The race is at the feed's insert on PostgreSQL (the request got there: it had found nothing). On SQLite
# the request's transaction waits for the other's write lock, and then its first look finds the row.
FEED_RACE = {"postgresql": statement(r"^INSERT INTO calendar_feeds"),
             "sqlite": statement(r"^INSERT INTO calendar_feeds|\sFROM calendar_feeds\s+WHERE calendar_feeds\.kind = ")}


def test_two_first_requests_at_once_make_one_feed(app):
    """Another request's insert of the same feed is not committed yet when a request looks for it.
    PostgreSQL: the request finds nothing, its insert waits for the other one, fails on the unique
    (kind, target_id) inside its savepoint, and it reads the other's row. SQLite: its transaction
    waits for the other's write lock and then finds the row. Either way: one feed, no error.
    A Race (tests.races) keeps the other transaction open until the request has got that far."""
    with app.app_context():
        engine = _db.engine
        target = 2_000_000_000 - (int(_time.time() * 1000) % 1_000_000)
    result: dict = {}
    try:
        with Race(engine, FEED_RACE) as race, engine.connect() as other:

            def first_view():
                with app.app_context(), race.racer("request"):
                    try:
                        feed = get_or_create_feed(FeedKind.BODY, target)
                        _db.session.commit()
                        result["feed"] = (feed.id, feed.token)
                    except Exception as exc:  # pragma: no cover - reported below
                        result["error"] = exc
                    finally:
                        _db.session.remove()

            with race.racer("other request"):
                transaction = other.begin()
                other.execute(insert(CalendarFeed).values(kind=FeedKind.BODY, target_id=target,
                                                          token=f"race-{target}", created_at=utcnow()))
                thread = threading.Thread(target=first_view)
                thread.start()
                transaction.commit()  # held by the race until the request is at its insert (or lock)
            thread.join(30)
            assert not thread.is_alive()
        race.assert_overlapped()
        assert "error" not in result, result.get("error")
        assert result["feed"][1] == f"race-{target}"
        inserted = any(sql.startswith("INSERT INTO calendar_feeds") for sql in race.statements("request"))
        assert inserted == (engine.dialect.name == "postgresql")  # the way the docstring says it goes
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(CalendarFeed)
                               .where(CalendarFeed.target_id == target)) == 1
    finally:
        with engine.begin() as conn:
            conn.execute(delete(CalendarFeed).where(CalendarFeed.target_id == target))


# --- ownership -----------------------------------------------------------------------------------

def _labels(user) -> list[str]:
    return [owned.label for owned in feeds_for(user)]


def test_an_official_owns_their_agenda(world, make_user):
    user = make_user(Role.OFFICIAL, body=world["body"])
    world["o1"].user_id = user.id
    _db.session.flush()
    owned = feeds_for(user)
    assert [(o.feed.kind, o.feed.target_id) for o in owned] == [(FeedKind.OFFICIAL, world["o1"].id)]
    assert _labels(user) == ["Reception agenda: Official One"]
    assert can_manage(user, owned[0].feed)
    assert not can_manage(user, get_or_create_feed(FeedKind.OFFICIAL, world["o2"].id))
    assert not can_manage(user, get_or_create_feed(FeedKind.BODY, world["body"].id))


def test_an_assistant_owns_the_bodys_feed_its_officials_and_studios(world, make_user):
    user = make_user(Role.ASSISTANT, body=world["body"])
    assert _labels(user) == ["Reception hours: Akimat A", "Reception agenda: Official One",
                             "Reception agenda: Official Two", "Studio receptions: Studio A",
                             "Studio receptions: Studio A2"]
    assert all(can_manage(user, o.feed) for o in feeds_for(user))
    for kind, target in ((FeedKind.BODY, world["other_body"].id), (FeedKind.OFFICIAL, world["ob"].id)):
        assert not can_manage(user, get_or_create_feed(kind, target))


def test_a_studio_operator_owns_the_studios_of_their_body(world, make_user):
    user = make_user(Role.STUDIO_OPERATOR, body=world["body"])
    assert _labels(user) == ["Studio receptions: Studio A", "Studio receptions: Studio A2"]
    assert not can_manage(user, get_or_create_feed(FeedKind.BODY, world["body"].id))
    assert not can_manage(user, get_or_create_feed(FeedKind.OFFICIAL, world["o1"].id))
    stranger = make_user(Role.STUDIO_OPERATOR, body=world["other_body"])
    assert not can_manage(stranger, get_or_create_feed(FeedKind.STUDIO, world["studio"].id))


def test_others_own_nothing_and_an_administrator_manages_everything(world, make_user):
    for role in (Role.CITIZEN, Role.AGENCY_REP, Role.LEGAL_CONSULTANT, Role.MONITOR):
        user = make_user(role, body=world["body"] if role not in (Role.CITIZEN, Role.MONITOR) else None)
        assert feeds_for(user) == []
        assert not can_manage(user, get_or_create_feed(FeedKind.BODY, world["body"].id))
    admin = make_user(Role.ADMIN)
    assert feeds_for(admin) == []
    assert can_manage(admin, get_or_create_feed(FeedKind.STUDIO, world["studio"].id))


def test_inactive_officials_are_nobodys_feed(world, make_user):
    user = make_user(Role.ASSISTANT, body=world["body"])
    feed = get_or_create_feed(FeedKind.OFFICIAL, world["o2"].id)
    world["o2"].is_active = False
    _db.session.flush()
    assert "Reception agenda: Official Two" not in _labels(user)
    assert not can_manage(user, feed)
