"""An appointment's invitation: what it says, that it survives a round trip through a parser, and the
RFC 5545 details (line folding, CRLF, escaping, one UID across reschedules)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from flask_babel import force_locale
from icalendar import Calendar

from reception.booking.models import AppointmentStatus
from reception.calendars.ics import appointment_ics
from reception.core.permissions import Role
from reception.directory.models import VenueKind
from reception.schedule.models import AttendanceFormat
from tests.calendars import appointment, events
from tests.conftest import region
from tests.schedule.factories import session_on

RECEPTION_DAY = date(2027, 3, 10)  # after 2024-03-01, when Kazakhstan moved to one zone offset


@pytest.fixture
def aktobe(ctx, make_body, make_official, make_venue, make_user):
    """An akimat in Aktobe (Asia/Aqtobe, UTC+5) with an official, a reception office, a studio and a
    session from 10:00 to 11:00 local time, and a citizen."""
    body = make_body(region=region("KZ-15"), name_en="Aktobe Region Akimat")
    official = make_official(body=body, full_name="Serik Akhmetov", position_en="Akim of Aktobe Region")
    venue = make_venue(body=body, name_en="Reception office", address_en="Abai avenue, 40; entrance 2",
                       floor="1, room 101")
    studio = make_venue(body=body, kind=VenueKind.STUDIO, name_en="Video studio", address_en="Abai avenue, 40",
                        floor="2, room 204")
    session = session_on(official, venue, RECEPTION_DAY, start=time(10), end=time(11),
                         allow_video_studio=True, allow_video_remote=True)
    citizen = make_user(Role.CITIZEN, full_name="Aigul Nurlanovna")
    return dict(body=body, official=official, venue=venue, studio=studio, session=session, citizen=citizen)


def _parsed(text: str) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(text)
    (event,) = events(calendar)
    return calendar, event


def test_an_invitation_round_trips_with_local_time_and_its_zone(aktobe):
    a = appointment(aktobe["session"], aktobe["citizen"])
    assert a.slot.starts_at == datetime(2027, 3, 10, 5, 0, tzinfo=UTC)  # 10:00 in Aktobe

    text = appointment_ics(a, attendee_email="aigul@example.kz")
    calendar, event = _parsed(text)

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert "Reception system" in str(calendar["PRODID"])
    assert str(event["UID"]) == f"appointment-{a.id}@reception.test"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Asia/Aqtobe"
    assert (start.hour, start.minute) == (10, 0) and start.date() == RECEPTION_DAY
    assert start.astimezone(UTC) == datetime(2027, 3, 10, 5, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 3, 10, 5, 30, tzinfo=UTC)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Aqtobe"]
    assert "TZID:Asia/Aqtobe" in text
    assert str(event["SUMMARY"]) == "Reception: Serik Akhmetov"
    assert str(event["LOCATION"]) == "Reception office, Abai avenue, 40; entrance 2, 1, room 101"
    description = str(event["DESCRIPTION"])
    for part in ("Serik Akhmetov, Akim of Aktobe Region", "Aktobe Region Akimat", a.talon_number, "Topic: "):
        assert part in description
    assert str(event["URL"]) == f"http://reception.test/talons/t/{a.talon_token}"  # the token, not the number
    assert str(event["ORGANIZER"]) == "mailto:noreply@reception.local"
    assert event["ORGANIZER"].params["CN"] == "Aktobe Region Akimat"
    assert str(event["ATTENDEE"]) == "mailto:aigul@example.kz"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER").total_seconds() == -3600
    assert alarm["DESCRIPTION"]
    assert event.decoded("DTSTAMP").tzinfo is not None


def test_no_attendee_without_an_address(aktobe):
    _, event = _parsed(appointment_ics(appointment(aktobe["session"], aktobe["citizen"])))
    assert "ATTENDEE" not in event


def test_a_video_invitation_links_the_join_page_and_carries_no_token(aktobe):
    a = appointment(aktobe["session"], aktobe["citizen"], format=AttendanceFormat.VIDEO_REMOTE)
    text = appointment_ics(a)
    _, event = _parsed(text)
    join_url = f"http://reception.test/video/appointments/{a.id}"
    assert str(event["URL"]) == join_url
    assert join_url in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "By video from home"
    assert "jwt" not in text.lower() and "token" not in text.lower()


def test_a_studio_invitation_names_the_studio(aktobe):
    a = appointment(aktobe["session"], aktobe["citizen"], format=AttendanceFormat.VIDEO_STUDIO,
                    studio_id=aktobe["studio"].id)
    _, event = _parsed(appointment_ics(a))
    assert str(event["LOCATION"]) == "Video studio, Abai avenue, 40, 2, room 204"
    assert str(event["URL"]) == f"http://reception.test/video/appointments/{a.id}"


def test_the_invitation_is_in_the_callers_language(aktobe):
    a = appointment(aktobe["session"], aktobe["citizen"])
    with force_locale("ru"):
        _, event = _parsed(appointment_ics(a))
    assert str(event["LOCATION"]).startswith(aktobe["venue"].name_ru)
    assert "Serik Akhmetov" in str(event["SUMMARY"])


def test_a_moved_appointment_keeps_the_uid_and_counts_the_changes(aktobe):
    session, citizen = aktobe["session"], aktobe["citizen"]
    first = appointment(session, citizen, status=AppointmentStatus.RESCHEDULED)
    second = appointment(session, citizen, slot=session.slots[1], rescheduled_from_id=first.id)
    uid = f"appointment-{first.id}@reception.test"

    _, original = _parsed(appointment_ics(first))
    calendar, moved = _parsed(appointment_ics(second))
    assert str(original["UID"]) == str(moved["UID"]) == uid
    assert int(original["SEQUENCE"]) == 0 and int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART").time() == time(10, 30)
    assert str(calendar["METHOD"]) == "REQUEST"

    calendar, cancelled = _parsed(appointment_ics(second, "CANCEL"))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(cancelled["UID"]) == uid
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 2
    assert not cancelled.walk("VALARM")


def test_a_longer_chain_counts_every_move(aktobe):
    session, citizen = aktobe["session"], aktobe["citizen"]
    a1 = appointment(session, citizen, status=AppointmentStatus.RESCHEDULED)
    a2 = appointment(session, citizen, slot=session.slots[1], status=AppointmentStatus.RESCHEDULED,
                     rescheduled_from_id=a1.id)
    a3 = appointment(session, citizen, slot=session.slots[0], rescheduled_from_id=a2.id,
                     status=AppointmentStatus.SCHEDULED)
    _, event = _parsed(appointment_ics(a3))
    assert str(event["UID"]) == f"appointment-{a1.id}@reception.test"
    assert int(event["SEQUENCE"]) == 2


def test_unknown_methods_are_refused(aktobe):
    with pytest.raises(ValueError):
        appointment_ics(appointment(aktobe["session"], aktobe["citizen"]), "PUBLISH")


def test_raw_text_is_folded_with_crlf_and_escaped(aktobe, make_official, make_venue, make_user):
    body = aktobe["body"]
    long_name = "Жанна Бекқызы Әлімжанова-Сапарова " * 3
    official = make_official(body=body, full_name=long_name.strip(), position_en="Deputy akim, social sphere")
    venue = make_venue(body=body, name_en="Hall", address_en="Abai avenue, 40; entrance 2")
    session = session_on(official, venue, RECEPTION_DAY, start=time(15), end=time(16))
    a = appointment(session, make_user(Role.CITIZEN))

    text = appointment_ics(a)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "every line ends with CRLF"
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines), "lines are folded at 75 octets"
    assert any(line.startswith(" ") for line in lines), "a long line was folded"
    unfolded = text.replace("\r\n ", "")
    assert "LOCATION:Hall\\, Abai avenue\\, 40\\; entrance 2" in unfolded
    assert "\\n" in unfolded  # the description's lines
    _, event = _parsed(text)
    assert str(event["LOCATION"]) == "Hall, Abai avenue, 40; entrance 2"
    assert str(event["SUMMARY"]) == f"Reception: {long_name.strip()}"
