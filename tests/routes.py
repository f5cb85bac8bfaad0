"""What the route sweeps need: every route of the app, and a value for every URL argument."""
from __future__ import annotations

import re

import pytest

from reception import create_app
from reception.booking.models import Appointment, AppointmentStatus, Participant, ParticipantKind
from reception.core.permissions import Role
from reception.core.types import utcnow
from reception.directory.models import VenueKind
from reception.schedule.models import AttendanceFormat
from tests.booking.conftest import new_session
from tests.schedule.factories import event_world

PUBLIC_PREFIXES = ("directory.",)
PUBLIC = {"static", "main.index", "main.health", "main.choose_language", "accounts.register", "accounts.login",
          "accounts.logout", "accounts.forgot_password", "accounts.reset_password", "booking.search",
          "booking.verify_talon", "booking.official"}
# Any signed-in user, each seeing only their own data.
LOGIN_ONLY = {"main.home", "accounts.profile"}
# Citizens' own bookings: other citizens get 404 for someone else's record, staff get 403.
CITIZEN_ONLY = {"booking.book", "booking.my_appointments", "booking.appointment", "booking.cancel"}
# Lists and forms scoped to the staff member's own body: staff of another body may open them
# (with the ':own' permission) but must not see body A's records there.
OWN_BODY_PAGES = {"schedule.schedules", "schedule.schedule_new", "schedule.sessions", "schedule.session_new",
                  "directory_admin.officials", "directory_admin.official_new", "directory_admin.venues",
                  "directory_admin.venue_new"}
# Request mode: a citizen's request form and choosing an offered time; the screening queue.
CITIZEN_ONLY |= {"requests.new", "requests.accept"}
OWN_BODY_PAGES |= {"requests.queue"}
# Unified reception days and visiting receptions: public pages, the body's own lists and forms.
PUBLIC |= {"events.unified_days", "events.unified_day", "events.visiting_list", "events.visiting"}
OWN_BODY_PAGES |= {"events.unified_sessions", "events.visiting_staff", "events.visiting_new"}
# Waitlist and rescheduling: the signed-in user's own places in line with the join form (staff have none);
# leaving a place in line and moving an appointment act on the citizen's own records.
LOGIN_ONLY |= {"booking.my_waitlist"}
CITIZEN_ONLY |= {"booking.reschedule", "booking.reschedule_confirm", "booking.waitlist_leave"}
# Citizen pages any citizen may open (their own list, or a form for a new booking or request):
# another citizen gets 200 there, not 404.
CITIZEN_OPEN = {"booking.my_appointments", "booking.book", "requests.new"}
# Video receptions and the staff's appointment pages. The join page and the call are for the
# appointment's participants only: everyone else (administrators too) gets 403.
PARTICIPANTS_ONLY = {"video.join_page", "video.join"}
OWN_BODY_PAGES |= {"staff.day", "video.studio"}
# Which staff roles may open an own-body page of another body (seeing none of body A's records).
OWN_BODY_ROLES = {"staff.day": {Role.ASSISTANT, Role.OFFICIAL}, "video.studio": {Role.STUDIO_OPERATOR}}
# A staff member's own list (any staff member gets 200 and sees only their own records; citizens 403).
STAFF_OWN = {"staff.my_receptions"}
# Calendar feeds: the .ics address is its own key (an unknown or replaced token is a 404, see
# tests/calendars); the owners' page lists only the user's own feeds (officials, assistants, studio
# operators); replacing an address is for the feed's owners (calendars.rotate: everyone else 403).
PUBLIC |= {"calendars.feed"}
OWN_BODY_PAGES |= {"calendars.index"}
OWN_BODY_ROLES["calendars.index"] = {Role.ASSISTANT, Role.OFFICIAL, Role.STUDIO_OPERATOR}


def app_rules():
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    return list(app.url_map.iter_rules())


def build_world(db, make_body, make_official, make_venue, make_user) -> dict:
    """Records of body A (and a citizen's appointment) to fill every URL argument."""
    body_a, body_b = make_body(), make_body()
    official = make_official(body=body_a, full_name="Official Of Body A")
    venue = make_venue(body=body_a)
    session = new_session(official, venue, start=(utcnow() + __import__("datetime").timedelta(days=3))
                          .replace(minute=0, second=0, microsecond=0))
    db.session.add(session)
    db.session.flush()
    citizen = make_user(Role.CITIZEN)
    # By video from body A's studio, with an agency representative of body B taking part.
    studio = make_venue(body=body_a, kind=VenueKind.STUDIO)
    appointment = Appointment(citizen_id=citizen.id, official_id=official.id, session_id=session.id,
                              slot_id=session.slots[0].id, format=AttendanceFormat.VIDEO_STUDIO,
                              studio_id=studio.id, topic_id=1, summary="A leaking roof",
                              status=AppointmentStatus.SCHEDULED, talon_number="KZ71-TEST-000001",
                              accepted_at=utcnow())
    db.session.add(appointment)
    db.session.flush()
    participant = Participant(appointment_id=appointment.id, user_id=make_user(Role.AGENCY_REP, body=body_b).id,
                              body_id=body_b.id, kind=ParticipantKind.AGENCY_REP)
    db.session.add(participant)
    db.session.flush()
    values = {
        "official_id": official.id, "venue_id": venue.id, "body_id": body_a.id,
        "user_id": make_user(Role.ASSISTANT, body=body_a).id, "region_id": 1, "topic_id": 1,
        "code": "KZ-15", "token": "not-a-token", "session_id": session.id, "slot_id": session.slots[1].id,
        "appointment_id": appointment.id, "talon_number": appointment.talon_number,
        "participant_id": participant.id,
    }
    values.update(build_request_world(db, body_a, official, venue, citizen, make_official, make_user))
    values.update(event_world(official, venue))  # unified_day_id, unified_session_id, visiting_id
    values["entry_id"] = build_waitlist_entry(db, official, citizen)
    values["feed_id"] = build_feed(official)
    db.session.commit()
    return {"values": values, "body_b": body_b, "citizen": citizen, "marker": official.full_name}


def build_request_world(db, body_a, official, venue, citizen, make_official, make_user) -> dict:
    """Request mode in body A: the official also takes requests and has one waiting for screening
    (``request_id``); the citizen's request to a second official has an open offer (``my_request_id``)."""
    from datetime import timedelta

    from reception.booking.models import RequestDecision, SlotOffer
    from reception.schedule.models import BookingMode

    now = utcnow().replace(microsecond=0)
    start = (now + timedelta(days=4)).replace(minute=0, second=0)
    second = make_official(body=body_a, full_name="Second Official Of Body A")
    sessions = [new_session(o, venue, start=start + timedelta(days=i), booking_mode=BookingMode.REQUEST)
                for i, o in enumerate((official, second))]
    db.session.add_all(sessions)
    db.session.flush()
    details = dict(format=AttendanceFormat.IN_PERSON, topic_id=1, summary="The bridge to our village fell down",
                   redirect_due_on=now.date() + timedelta(days=5), created_at=now)
    waiting = Appointment(citizen_id=make_user(Role.CITIZEN).id, official_id=official.id,
                          status=AppointmentStatus.REQUESTED, **details)
    offered = Appointment(citizen_id=citizen.id, official_id=second.id, status=AppointmentStatus.SCREENING,
                          decision=RequestDecision.OFFERED, decided_at=now, **details)
    db.session.add_all([waiting, offered])
    slot = sessions[1].slots[0]
    slot.held_for_id, slot.held_until = citizen.id, now + timedelta(days=2)
    db.session.flush()
    db.session.add(SlotOffer(appointment_id=offered.id, slot_id=slot.id, expires_at=slot.held_until))
    db.session.flush()
    return {"request_id": waiting.id, "my_request_id": offered.id}


def build_waitlist_entry(db, official, citizen) -> int:
    """The citizen's place in the official's waitlist (``entry_id``)."""
    from reception.booking.models import WaitlistEntry

    entry = WaitlistEntry(citizen_id=citizen.id, official_id=official.id)
    db.session.add(entry)
    db.session.flush()
    return entry.id


def build_feed(official) -> int:
    """The calendar feed of the official's agenda (``feed_id``): body A's, private."""
    from reception.calendars.feeds import get_or_create_feed
    from reception.calendars.models import FeedKind

    return get_or_create_feed(FeedKind.OFFICIAL, official.id).id


def fill(rule: str, arguments, values) -> str:
    for arg in arguments:
        assert arg in values, f"add a value for URL argument {arg!r} to tests/routes.py build_world"
        rule = re.sub(rf"<(?:\w+:)?{arg}>", str(values[arg]), rule)
    return rule


@pytest.fixture
def world(db, make_body, make_official, make_venue, make_user):
    return build_world(db, make_body, make_official, make_venue, make_user)
