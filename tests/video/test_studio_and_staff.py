"""Video receptions around the call: the studio operator's week and check-in, the staff day list,
participants and the receptions they take part in, the talon's video block, booking by video from
home, and schedules with video from home and one room per session."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from reception.booking.models import Appointment, AppointmentStatus, Participant
from reception.booking.services import BookingData, book_slot, cancel_appointment
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.directory.models import Topic, VenueKind
from reception.schedule import services as schedule_services
from reception.schedule.models import AttendanceFormat
from tests.booking.fixtures import new_session
from tests.conftest import csrf_from, login, post_form
from tests.video import carries_a_token

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
CALL = 'href="/video/appointments/{}"'
CHECK_IN = "/studio/appointments/{}/check-in"
PARTICIPANTS = "/staff/appointments/{}/participants"


def text(response) -> str:
    return response.get_data(as_text=True)


# --- helpers ------------------------------------------------------------------------------------

def local_date_of(venue, moment) -> date:
    return moment.astimezone(ZoneInfo(venue.region.timezone)).date()


def add_session(db, official, venue, start, **overrides):
    """A planned session starting at ``start`` whose local date is the venue's (bookable until it starts)."""
    values = {"local_date": local_date_of(venue, start), "closes_at": start, "slots": 2}
    values.update(overrides)
    session = new_session(official, venue, start=start, **values)
    db.session.add(session)
    db.session.flush()
    return session


def in_two_days():
    return utcnow().replace(microsecond=0, second=0) + timedelta(days=2)


def soon_today(venue):
    """A start 30 minutes from now, later today at the venue (the test asks for ``midday``)."""
    now = utcnow().replace(microsecond=0)
    start = now + timedelta(minutes=30)
    assert local_date_of(venue, start) == local_date_of(venue, now), "use the midday fixture"
    return start


def book(app, db, citizen, slot, fmt=AttendanceFormat.IN_PERSON, studio=None):
    """Book through the booking service, as the booking page does, and commit."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        topic_id = db.session.scalars(select(Topic.id).order_by(Topic.id)).first()
        appointment = book_slot(citizen, slot.id, BookingData(format=fmt, topic_id=topic_id,
                                                              summary="The bridge in our village is broken.",
                                                              studio_id=studio.id if studio else None),
                                None, utcnow(), app.config)
    db.session.commit()
    return appointment


@pytest.fixture
def topic(db):
    return db.session.scalars(select(Topic).order_by(Topic.id)).first()


@pytest.fixture
def make_studio(make_venue):
    """A video studio of an akimat (in Astana, like the citizens)."""
    def make(**overrides):
        return make_venue(kind=VenueKind.STUDIO, floor="2, room 204", phone="+77172000000", **overrides)
    return make


@pytest.fixture
def browser(app, db):
    """Another browser (its own cookies), logged in as ``user``."""
    def open_as(user):
        db.session.commit()
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(client, user)
        return client
    return open_as


def reload(db, obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def participant_rows(db, appointment) -> list[Participant]:
    db.session.expire_all()
    return list(db.session.scalars(select(Participant).where(Participant.appointment_id == appointment.id)))


# --- the studio operator --------------------------------------------------------------------------

@pytest.fixture
def studio_world(app, db, make_body, make_official, make_venue, make_studio, make_user):
    """An akimat with a studio and its operator, an official of another body, and another akimat's studio."""
    akimat = make_body(name_en="Akimat of Astana")
    other_akimat = make_body(name_en="Akimat of Kosshy")
    official = make_official()
    world = {
        "akimat": akimat, "studio": make_studio(body=akimat, name_en="Studio North"),
        "other_studio": make_studio(body=other_akimat, name_en="Studio South"),
        "official": official, "venue": make_venue(body=official.body),
        "operator": make_user(Role.STUDIO_OPERATOR, body=akimat, full_name="Operator Yerlan"),
    }
    db.session.commit()
    return world


def studio_booking(app, db, make_user, world, start, *, name, studio=None):
    citizen = make_user(Role.CITIZEN, full_name=name)
    session = add_session(db, world["official"], world["venue"], start, allow_video_studio=True)
    return book(app, db, citizen, session.slots[0], AttendanceFormat.VIDEO_STUDIO, studio or world["studio"])


@pytest.mark.usefixtures("midday")
def test_studio_page_lists_todays_studio_receptions_with_check_in(app, db, client, make_user, studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Aidana Today")
    login(client, studio_world["operator"])
    page = client.get("/studio/")
    assert page.status_code == 200
    body = text(page)
    assert "Studio North" in body
    assert "Citizen Aidana Today" in body
    assert CHECK_IN.format(appointment.id) in body and "Check in" in body
    assert CALL.format(appointment.id) in body


def test_studio_page_lists_later_receptions_of_the_week_without_check_in(app, db, client, make_user,
                                                                          studio_world):
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    appointment = studio_booking(app, db, make_user, studio_world, start, name="Citizen Bolat Later")
    login(client, studio_world["operator"])
    body = text(client.get("/studio/"))
    assert "Citizen Bolat Later" in body
    assert f'id="day-{appointment.session.local_date.isoformat()}"' in body
    assert CHECK_IN.format(appointment.id) not in body  # check-in on the day only


@pytest.mark.usefixtures("midday")
def test_studio_page_leaves_out_another_akimats_studio(app, db, client, make_user, studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Dana Elsewhere", studio=studio_world["other_studio"])
    login(client, studio_world["operator"])
    body = text(client.get("/studio/"))
    assert "Citizen Dana Elsewhere" not in body
    assert CHECK_IN.format(appointment.id) not in body
    assert "Studio South" not in body


@pytest.fixture
def operator_client(client, studio_world):
    login(client, studio_world["operator"])
    return client


def check_in(client, appointment_id):
    return client.post(CHECK_IN.format(appointment_id), data={"csrf_token": csrf_from(client, "/studio/")})


@pytest.mark.usefixtures("midday")
def test_operator_checks_in_a_citizen_who_arrived_today(app, db, operator_client, make_user, studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Ermek Arrived")
    r = check_in(operator_client, appointment.id)
    assert r.status_code == 302 and r.headers["Location"].endswith("/studio/")
    appointment = reload(db, appointment)
    assert appointment.status is AppointmentStatus.CHECKED_IN
    assert appointment.checked_in_at is not None
    assert abs(appointment.checked_in_at - utcnow()) < timedelta(minutes=5)
    assert "Citizen Ermek Arrived is checked in." in text(operator_client.get("/studio/"))


@pytest.mark.usefixtures("midday")
def test_second_check_in_says_already_checked_in_and_changes_nothing(app, db, operator_client, make_user,
                                                                      studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Farida Twice")
    assert check_in(operator_client, appointment.id).status_code == 302
    first_time = reload(db, appointment).checked_in_at
    r = check_in(operator_client, appointment.id)
    assert r.status_code == 302
    assert "Already checked in." in text(operator_client.get(r.headers["Location"]))
    appointment = reload(db, appointment)
    assert appointment.status is AppointmentStatus.CHECKED_IN
    assert appointment.checked_in_at == first_time


@pytest.mark.usefixtures("midday")
def test_operator_cannot_check_in_at_another_akimats_studio(app, db, operator_client, make_user, studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Gani Foreign", studio=studio_world["other_studio"])
    assert check_in(operator_client, appointment.id).status_code == 403
    appointment = reload(db, appointment)
    assert appointment.status is AppointmentStatus.SCHEDULED and appointment.checked_in_at is None


@pytest.mark.usefixtures("midday")
def test_cancelled_reception_cannot_be_checked_in(app, db, operator_client, make_user, studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Khan Cancelled")
    with app.test_request_context():
        cancel_appointment(appointment.citizen, appointment, utcnow())
    db.session.commit()
    r = check_in(operator_client, appointment.id)
    assert r.status_code == 409
    assert "This reception was cancelled or moved to another time" in text(r)
    appointment = reload(db, appointment)
    assert appointment.status is AppointmentStatus.CANCELLED and appointment.checked_in_at is None


def test_reception_of_another_day_cannot_be_checked_in(app, db, operator_client, make_user, studio_world):
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    appointment = studio_booking(app, db, make_user, studio_world, start, name="Citizen Laura Tomorrow")
    r = check_in(operator_client, appointment.id)
    assert r.status_code == 409
    assert "Check-in is possible on the day of the reception only." in text(r)
    appointment = reload(db, appointment)
    assert appointment.status is AppointmentStatus.SCHEDULED and appointment.checked_in_at is None


def test_check_in_of_a_missing_appointment_is_404(operator_client):
    assert check_in(operator_client, 2**31 - 1).status_code == 404


@pytest.mark.usefixtures("midday")
def test_check_in_without_csrf_token_is_refused(app, db, operator_client, make_user, studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Marat Forged")
    assert operator_client.post(CHECK_IN.format(appointment.id)).status_code == 400
    appointment = reload(db, appointment)
    assert appointment.status is AppointmentStatus.SCHEDULED and appointment.checked_in_at is None


@pytest.mark.usefixtures("midday")
def test_citizen_can_neither_see_the_studio_page_nor_check_in(app, db, browser, make_user, studio_world):
    appointment = studio_booking(app, db, make_user, studio_world, soon_today(studio_world["venue"]),
                                 name="Citizen Nurlan Self")
    citizen = browser(appointment.citizen)
    assert citizen.get("/studio/").status_code == 403
    r = citizen.post(CHECK_IN.format(appointment.id), data={"csrf_token": csrf_from(citizen, "/")})
    assert r.status_code == 403
    assert reload(db, appointment).status is AppointmentStatus.SCHEDULED


# --- the staff day list ------------------------------------------------------------------------------

@pytest.fixture
def body_world(app, db, make_body, make_official, make_venue, make_studio, make_user):
    """Body A with an official (who has an account), another official, an assistant, and a studio."""
    body = make_body(name_en="Ministry A")
    official_user = make_user(Role.OFFICIAL, body=body, full_name="Official Person Aset")
    world = {
        "body": body, "official": make_official(body=body, user_id=official_user.id, full_name="Aset Official"),
        "other_official": make_official(body=body, full_name="Berik Colleague"), "official_user": official_user,
        "venue": make_venue(body=body), "assistant": make_user(Role.ASSISTANT, body=body, full_name="Assistant Gulnar"),
        "studio": make_studio(),
    }
    db.session.commit()
    return world


@pytest.fixture
def three_formats(app, db, make_user, body_world):
    """On one day: a studio, a from-home and an in-person appointment with body A's official."""
    start = in_two_days()
    session = add_session(db, body_world["official"], body_world["venue"], start, slots=3,
                          allow_video_studio=True, allow_video_remote=True)
    formats = [(AttendanceFormat.VIDEO_STUDIO, "Citizen Studio Saule"), (AttendanceFormat.VIDEO_REMOTE,
               "Citizen Remote Timur"), (AttendanceFormat.IN_PERSON, "Citizen Inperson Zhanna")]
    booked = {}
    for slot, (fmt, name) in zip(session.slots, formats, strict=True):
        studio = body_world["studio"] if fmt is AttendanceFormat.VIDEO_STUDIO else None
        booked[fmt] = book(app, db, make_user(Role.CITIZEN, full_name=name), slot, fmt, studio)
    return session, booked


def test_assistant_day_list_shows_the_days_appointments_with_call_links_for_video(db, browser, body_world,
                                                                                  three_formats):
    session, booked = three_formats
    r = browser(body_world["assistant"]).get(f"/staff/day/?date={session.local_date.isoformat()}")
    assert r.status_code == 200
    body = text(r)
    for name in ("Citizen Studio Saule", "Citizen Remote Timur", "Citizen Inperson Zhanna"):
        assert name in body
    assert CALL.format(booked[AttendanceFormat.VIDEO_STUDIO].id) in body
    assert CALL.format(booked[AttendanceFormat.VIDEO_REMOTE].id) in body
    assert CALL.format(booked[AttendanceFormat.IN_PERSON].id) not in body


def test_day_list_of_another_date_does_not_show_them(db, browser, body_world, three_formats):
    session, _ = three_formats
    other_day = session.local_date + timedelta(days=1)
    body = text(browser(body_world["assistant"]).get(f"/staff/day/?date={other_day.isoformat()}"))
    assert "Citizen Studio Saule" not in body and "Citizen Inperson Zhanna" not in body


def test_assistant_day_list_leaves_out_other_bodies(app, db, browser, make_user, make_official, make_venue,
                                                   body_world):
    stranger = make_official(full_name="Stranger Official")
    start = in_two_days()
    session = add_session(db, stranger, make_venue(body=stranger.body), start)
    book(app, db, make_user(Role.CITIZEN, full_name="Citizen Of Another Body"), session.slots[0])
    body = text(browser(body_world["assistant"]).get(f"/staff/day/?date={session.local_date.isoformat()}"))
    assert "Citizen Of Another Body" not in body


def test_official_day_list_shows_only_their_own_appointments(app, db, browser, make_user, body_world):
    start = in_two_days()
    own = add_session(db, body_world["official"], body_world["venue"], start)
    colleague = add_session(db, body_world["other_official"], body_world["venue"], start)
    book(app, db, make_user(Role.CITIZEN, full_name="Citizen For Aset"), own.slots[0])
    book(app, db, make_user(Role.CITIZEN, full_name="Citizen For Berik"), colleague.slots[0])
    r = browser(body_world["official_user"]).get(f"/staff/day/?date={own.local_date.isoformat()}")
    assert r.status_code == 200
    body = text(r)
    assert "Citizen For Aset" in body
    assert "Citizen For Berik" not in body


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01", "yesterday"])
def test_impossible_date_on_the_day_list_is_404(db, browser, body_world, raw):
    assert browser(body_world["assistant"]).get(f"/staff/day/?date={raw}").status_code == 404


# --- participants ---------------------------------------------------------------------------------

@pytest.fixture
def video_appointment(app, db, make_user, body_world):
    """A from-home video appointment with body A's official, in two days."""
    start = in_two_days()
    session = add_session(db, body_world["official"], body_world["venue"], start, allow_video_remote=True)
    return book(app, db, make_user(Role.CITIZEN, full_name="Citizen Video Roza"), session.slots[0],
                AttendanceFormat.VIDEO_REMOTE)


@pytest.fixture
def rep(db, make_user):
    user = make_user(Role.AGENCY_REP, full_name="Representative Kanat")
    db.session.commit()
    return user


def invite(client, appointment, user_id, *, moderator=True, kind="agency_rep"):
    data = {"user_id": str(user_id), "kind": kind}
    if moderator:
        data["is_moderator"] = "y"
    return post_form(client, PARTICIPANTS.format(appointment.id), data)


def change(client, appointment, participant, **data):
    url = PARTICIPANTS.format(appointment.id)
    return post_form(client, f"{url}/{participant.id}", data, form_url=url)


def test_assistant_invites_an_agency_rep_who_may_moderate(db, browser, body_world, video_appointment, rep):
    assistant = browser(body_world["assistant"])
    page = assistant.get(PARTICIPANTS.format(video_appointment.id))
    assert page.status_code == 200 and "Representative Kanat" in text(page)
    r = invite(assistant, video_appointment, rep.id)
    assert r.status_code == 302
    [row] = participant_rows(db, video_appointment)
    assert row.user_id == rep.id and row.is_moderator is True and row.invited_by_id == body_world["assistant"].id


def test_invited_rep_sees_the_reception_with_its_call(db, browser, body_world, video_appointment, rep):
    invite(browser(body_world["assistant"]), video_appointment, rep.id)
    r = browser(rep).get("/my/receptions/")
    assert r.status_code == 200
    body = text(r)
    assert "Aset Official" in body
    assert CALL.format(video_appointment.id) in body and "Open the call" in body


def test_rep_who_is_not_invited_does_not_see_the_reception(db, browser, video_appointment, rep):
    body = text(browser(rep).get("/my/receptions/"))
    assert CALL.format(video_appointment.id) not in body


def test_moderation_can_be_taken_back(db, browser, body_world, video_appointment, rep):
    assistant = browser(body_world["assistant"])
    invite(assistant, video_appointment, rep.id)
    [row] = participant_rows(db, video_appointment)
    r = change(assistant, video_appointment, row, moderator="0")
    assert r.status_code == 302
    [row] = participant_rows(db, video_appointment)
    assert row.is_moderator is False


def test_removed_participant_is_gone_and_no_longer_sees_the_reception(db, browser, body_world, video_appointment,
                                                                     rep):
    assistant = browser(body_world["assistant"])
    invite(assistant, video_appointment, rep.id)
    [row] = participant_rows(db, video_appointment)
    r = change(assistant, video_appointment, row, moderator="0", remove="1")
    assert r.status_code == 302
    assert participant_rows(db, video_appointment) == []
    assert CALL.format(video_appointment.id) not in text(browser(rep).get("/my/receptions/"))


def test_participant_of_another_appointment_cannot_be_changed_through_this_one(app, db, browser, make_user,
                                                                             body_world, video_appointment, rep):
    assistant = browser(body_world["assistant"])
    invite(assistant, video_appointment, rep.id)
    [row] = participant_rows(db, video_appointment)
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=3)
    other = book(app, db, make_user(Role.CITIZEN),
                 add_session(db, body_world["official"], body_world["venue"], start).slots[0])
    assert change(assistant, other, row, moderator="0", remove="1").status_code == 404
    [row] = participant_rows(db, video_appointment)
    assert row.is_moderator is True


def test_inviting_the_same_person_twice_is_refused(db, browser, body_world, video_appointment, rep):
    assistant = browser(body_world["assistant"])
    assert invite(assistant, video_appointment, rep.id).status_code == 302
    assert invite(assistant, video_appointment, rep.id).status_code == 422
    assert len(participant_rows(db, video_appointment)) == 1


def test_the_citizen_cannot_be_invited(db, browser, body_world, video_appointment):
    assistant = browser(body_world["assistant"])
    page = text(assistant.get(PARTICIPANTS.format(video_appointment.id)))
    assert f'value="{video_appointment.citizen_id}"' not in page
    assert invite(assistant, video_appointment, video_appointment.citizen_id).status_code == 422
    assert participant_rows(db, video_appointment) == []


def test_assistant_of_another_body_may_not_manage_participants(db, browser, make_user, video_appointment, rep):
    outsider = browser(make_user(Role.ASSISTANT))
    url = PARTICIPANTS.format(video_appointment.id)
    assert outsider.get(url).status_code == 403
    r = outsider.post(url, data={"csrf_token": csrf_from(outsider, "/"), "user_id": str(rep.id),
                                 "kind": "agency_rep", "is_moderator": "y"})
    assert r.status_code == 403
    assert participant_rows(db, video_appointment) == []


def test_official_of_the_appointment_may_invite(db, browser, body_world, video_appointment, rep):
    r = invite(browser(body_world["official_user"]), video_appointment, rep.id, moderator=False)
    assert r.status_code == 302
    [row] = participant_rows(db, video_appointment)
    assert row.user_id == rep.id and row.is_moderator is False


def test_citizen_has_no_receptions_to_take_part_in(db, browser, video_appointment):
    assert browser(video_appointment.citizen).get("/my/receptions/").status_code == 403


# --- the talon --------------------------------------------------------------------------------------

def test_talon_of_a_studio_booking_says_when_to_arrive_and_where_the_call_is(app, db, browser, make_user,
                                                                              body_world):
    start = in_two_days()
    session = add_session(db, body_world["official"], body_world["venue"], start, allow_video_studio=True)
    appointment = book(app, db, make_user(Role.CITIZEN), session.slots[0], AttendanceFormat.VIDEO_STUDIO,
                       body_world["studio"])
    r = browser(appointment.citizen).get(f"/my/appointments/{appointment.id}")
    assert r.status_code == 200
    body = text(r)
    assert "+7 7172 00 00 00" in body  # the studio's phone
    assert "Arrive at the studio by" in body
    assert f"http://reception.test/video/appointments/{appointment.id}" in body
    assert not carries_a_token(body)


def test_talon_of_a_from_home_booking_has_the_open_the_call_button(app, db, browser, body_world,
                                                                   video_appointment):
    body = text(browser(video_appointment.citizen).get(f"/my/appointments/{video_appointment.id}"))
    assert "Open the video call" in body
    assert f'href="http://reception.test/video/appointments/{video_appointment.id}"' in body
    assert "Arrive at the studio by" not in body
    assert not carries_a_token(body)


def test_talon_of_an_in_person_booking_has_no_video_call(app, db, browser, make_user, body_world):
    start = in_two_days()
    session = add_session(db, body_world["official"], body_world["venue"], start)
    appointment = book(app, db, make_user(Role.CITIZEN), session.slots[0])
    body = text(browser(appointment.citizen).get(f"/my/appointments/{appointment.id}"))
    assert appointment.talon_number in body
    assert "Open the video call" not in body and "Video call page" not in body
    assert "/video/appointments/" not in body


# --- booking by video from home -------------------------------------------------------------------------

def booking_page_post(client, slot, topic_id, fmt):
    url = f"/reception/slots/{slot.id}/book"
    page = client.get(url)
    assert page.status_code == 200, text(page)
    key = KEY_RE.search(text(page))[1]
    return page, post_form(client, url, {"format": fmt, "studio_id": "0", "topic_id": str(topic_id),
                                         "summary": "Our school bus stopped running.", "idempotency_key": key})


def test_citizen_books_a_reception_by_video_from_home(db, client, login_as, body_world, topic):
    session = add_session(db, body_world["official"], body_world["venue"], in_two_days(), allow_video_remote=True)
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    page, r = booking_page_post(client, session.slots[0], topic.id, "video_remote")
    assert "By video from home" in text(page) and 'value="video_remote"' in text(page)
    assert r.status_code == 302
    appointment = db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()
    assert appointment.format is AttendanceFormat.VIDEO_REMOTE and appointment.studio_id is None
    assert appointment.status is AppointmentStatus.SCHEDULED
    assert r.headers["Location"].endswith(f"/my/appointments/{appointment.id}?booked=1")


def test_video_from_home_is_refused_where_the_session_does_not_allow_it(db, client, login_as, body_world, topic):
    session = add_session(db, body_world["official"], body_world["venue"], in_two_days(), allow_video_remote=False)
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    page, r = booking_page_post(client, session.slots[0], topic.id, "video_remote")
    assert 'value="video_remote"' not in text(page)
    assert 400 <= r.status_code < 500
    assert db.session.scalar(select(func.count()).select_from(Appointment)
                             .where(Appointment.citizen_id == citizen.id)) == 0


# --- schedules ------------------------------------------------------------------------------------------

def test_schedule_with_video_from_home_and_one_room_generates_such_sessions(ctx, db, make_body, make_official,
                                                                          make_venue, make_user):
    body = make_body()
    official, venue = make_official(body=body), make_venue(body=body)
    assistant = make_user(Role.ASSISTANT, body=body)
    hours = schedule_services.SessionHours(
        start_time=time(15), end_time=time(17), slot_minutes=20,
        formats=frozenset({AttendanceFormat.IN_PERSON, AttendanceFormat.VIDEO_REMOTE}), single_video_room=True)
    schedule = schedule_services.create_schedule(assistant, schedule_services.ScheduleData(
        official_id=official.id, venue_id=venue.id, rrule="FREQ=WEEKLY;BYDAY=WE", starts_on=date(2026, 12, 1),
        hours=hours))
    assert schedule.allow_video_remote and schedule.single_video_room and not schedule.allow_video_studio
    sessions = schedule_services.generate_sessions(schedule, date(2026, 12, 1), 14, WorkCalendar(),
                                                   now=datetime(2026, 11, 23, 6, tzinfo=UTC))
    assert [s.local_date for s in sessions] == [date(2026, 12, 2), date(2026, 12, 9)]
    for session in sessions:
        assert session.allow_video_remote and session.single_video_room
        assert session.allow_in_person and not session.allow_video_studio
