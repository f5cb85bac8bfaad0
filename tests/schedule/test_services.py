"""Schedule services: creating schedules, generating sessions, one-off sessions, cancelling and moving."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from reception.booking.models import Appointment, AppointmentStatus, Reservation
from reception.core.errors import Conflict, Invalid, NotAllowed
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.notifications.models import OutboxMessage
from reception.schedule import services
from reception.schedule.cli import schedule_cli
from reception.schedule.models import ReceptionSession, Schedule, SessionKind, SessionStatus, Slot
from tests.conftest import as_sent

from .conftest import count, hours

# The services take "now" as an argument: these tests run a fixed December (with Independence Day on
# Wednesday the 16th) whatever the real date.
NOW = datetime(2026, 11, 23, 6, tzinfo=UTC)
START = date(2026, 12, 1)
CALENDAR = WorkCalendar()


@pytest.fixture
def assistant(place, make_user):
    return make_user(Role.ASSISTANT, body=place[0])


@pytest.fixture
def schedule(ctx, assistant, schedule_data):
    return services.create_schedule(assistant, schedule_data(rrule="FREQ=WEEKLY;BYDAY=WE", starts_on=START))


def _dates(sessions):
    return [s.local_date for s in sessions]


# --- creating schedules ----------------------------------------------------------------------

def test_assistant_creates_a_schedule_for_an_official_of_own_body(ctx, assistant, schedule_data):
    schedule = services.create_schedule(assistant, schedule_data(rrule="rrule:freq=weekly;byday=tu"))
    assert schedule.id and schedule.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert (schedule.start_time, schedule.end_time, schedule.slot_minutes) == (time(15), time(18), 20)
    assert schedule.allow_in_person and not schedule.allow_video_studio


def test_assistant_cannot_create_a_schedule_for_another_bodys_official(ctx, assistant, schedule_data,
                                                                        make_official):
    with pytest.raises(NotAllowed):
        services.create_schedule(assistant, schedule_data(official_id=make_official().id))
    assert count(Schedule) == 0


def test_assistant_cannot_use_another_bodys_venue(ctx, assistant, schedule_data, make_venue):
    with pytest.raises(NotAllowed):
        services.create_schedule(assistant, schedule_data(venue_id=make_venue().id))


def test_administrator_creates_schedules_for_any_body(ctx, make_user, schedule_data):
    assert services.create_schedule(make_user(Role.ADMIN), schedule_data()).id


def test_inactive_venue_is_refused(ctx, assistant, schedule_data, place):
    place[2].is_active = False
    with pytest.raises(Invalid) as info:
        services.create_schedule(assistant, schedule_data())
    assert info.value.field == "venue_id"



def _without_responsible_person(body):
    body.responsible_surname = body.responsible_first_name = None


def test_a_body_naming_no_responsible_person_publishes_no_schedule(ctx, assistant, schedule_data, place):
    """Its talons would name nobody as the person who accepted: the directory needs the person first."""
    _without_responsible_person(place[0])
    with pytest.raises(Conflict) as info:
        services.create_schedule(assistant, schedule_data())
    assert "no responsible person" in str(info.value.message)
    assert count(Schedule) == 0


def test_a_body_naming_no_responsible_person_adds_no_one_off_session(ctx, assistant, place):
    body, official, venue = place
    _without_responsible_person(body)
    with pytest.raises(Conflict):
        services.add_one_off_session(assistant, official, venue, date(2026, 12, 5), hours(), now=NOW)
    assert count(ReceptionSession) == 0

@pytest.mark.parametrize("overrides,field", [
    (dict(slot_minutes=4), "slot_minutes"),
    (dict(slot_minutes=241), "slot_minutes"),
    (dict(end_time=time(15)), "end_time"),
    (dict(end_time=time(14)), "end_time"),
    (dict(end_time=time(15, 10)), "slot_minutes"),
    (dict(formats=frozenset()), "formats"),
    (dict(opens_days_ahead=0), "opens_days_ahead"),
    (dict(closes_hours_before=721), "closes_hours_before"),
    (dict(opens_days_ahead=1, closes_hours_before=24), "closes_hours_before"),
])
def test_bad_hours_are_refused_with_the_field_named(ctx, assistant, schedule_data, overrides, field):
    with pytest.raises(Invalid) as info:
        services.create_schedule(assistant, schedule_data(hours=hours(**overrides)))
    assert info.value.field == field
    assert count(Schedule) == 0


@pytest.mark.parametrize("rrule", ["FREQ=HOURLY", "nonsense", "", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31"])
def test_bad_rule_is_refused_with_a_translated_message(ctx, assistant, schedule_data, rrule):
    with pytest.raises(Invalid) as info:
        services.create_schedule(assistant, schedule_data(rrule=rrule))
    assert info.value.field == "rrule" and str(info.value.message)


def test_last_day_before_the_first_is_refused(ctx, assistant, schedule_data):
    with pytest.raises(Invalid) as info:
        services.create_schedule(assistant, schedule_data(starts_on=START, until_on=date(2026, 11, 30)))
    assert info.value.field == "until_on"


# --- generating sessions -----------------------------------------------------------------------

def test_generation_skips_independence_day(schedule):
    created = services.generate_sessions(schedule, date(2026, 12, 1), 30, CALENDAR, now=NOW)
    assert _dates(created) == [date(2026, 12, 2), date(2026, 12, 9), date(2026, 12, 23), date(2026, 12, 30)]
    assert date(2026, 12, 16) not in _dates(created)


def test_generation_skips_a_configured_transfer_day(app, schedule, monkeypatch):
    monkeypatch.setitem(app.config, "HOLIDAY_TRANSFERS", "2026-12-09, 2026-12-30")
    created = services.generate_sessions(schedule, date(2026, 12, 1), 30, now=NOW)
    assert _dates(created) == [date(2026, 12, 2), date(2026, 12, 23)]


def test_generated_session_has_slots_and_booking_window_in_utc(schedule):
    session = services.generate_sessions(schedule, date(2026, 12, 1), 3, CALENDAR, now=NOW)[0]
    # 15:00 in Astana (UTC+5 since 2024-03-01) is 10:00 UTC.
    assert session.starts_at == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert session.ends_at == datetime(2026, 12, 2, 13, tzinfo=UTC)
    assert len(session.slots) == 9
    assert session.opens_at == datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert session.closes_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert (session.kind, session.status, session.schedule_id) == (SessionKind.REGULAR, SessionStatus.PLANNED,
                                                                   schedule.id)


def test_generation_is_idempotent(schedule):
    first = services.generate_sessions(schedule, date(2026, 12, 1), 60, CALENDAR, now=NOW)
    assert first
    sessions, slots = count(ReceptionSession), count(Slot)
    assert services.generate_sessions(schedule, date(2026, 12, 1), 60, CALENDAR, now=NOW) == []
    assert (count(ReceptionSession), count(Slot)) == (sessions, slots)


def test_generation_never_touches_or_replaces_existing_sessions(schedule, assistant):
    first = services.generate_sessions(schedule, date(2026, 12, 1), 10, CALENDAR, now=NOW)[0]
    services.cancel_session(assistant, first, "The akim is on a business trip", now=NOW)
    again = services.generate_sessions(schedule, date(2026, 12, 1), 10, CALENDAR, now=NOW)
    assert first.local_date not in _dates(again)
    assert first.status is SessionStatus.CANCELLED


def test_generation_skips_hours_that_have_begun(schedule):
    created = services.generate_sessions(schedule, date(2026, 12, 2), 7, CALENDAR,
                                         now=datetime(2026, 12, 2, 10, 5, tzinfo=UTC))
    assert _dates(created) == [date(2026, 12, 9)]


def test_inactive_schedule_generates_nothing(schedule):
    schedule.is_active = False
    assert services.generate_sessions(schedule, date(2026, 12, 1), 60, CALENDAR, now=NOW) == []


def test_cli_generates_for_every_active_schedule_once(app, schedule, db):
    db.session.commit()
    runner = app.test_cli_runner()
    # Eight weeks of Wednesdays: at least two of them are working days whatever the date.
    result = runner.invoke(schedule_cli, ["generate", "--days", "56"])
    assert result.exit_code == 0, result.output
    planned = count(ReceptionSession, ReceptionSession.schedule_id == schedule.id)
    assert planned >= 2 and "planned" in result.output
    assert runner.invoke(schedule_cli, ["generate", "--days", "56"]).exit_code == 0
    assert count(ReceptionSession, ReceptionSession.schedule_id == schedule.id) == planned


# --- one-off sessions ----------------------------------------------------------------------------

def test_one_off_session_gets_its_slots(ctx, assistant, place):
    _, official, venue = place
    session = services.add_one_off_session(assistant, official, venue, date(2026, 12, 5),
                                           hours(start_time=time(10), end_time=time(12), slot_minutes=30), now=NOW)
    assert session.kind is SessionKind.ONE_OFF and session.schedule_id is None
    assert [s.starts_at.hour for s in session.slots] == [5, 5, 6, 6]


def test_one_off_session_overlapping_another_is_refused(ctx, assistant, place):
    _, official, venue = place
    services.add_one_off_session(assistant, official, venue, date(2026, 12, 5), hours(), now=NOW)
    with pytest.raises(Invalid):
        services.add_one_off_session(assistant, official, venue, date(2026, 12, 5),
                                     hours(start_time=time(17), end_time=time(19)), now=NOW)


def test_one_off_session_in_the_past_is_refused(ctx, assistant, place):
    _, official, venue = place
    with pytest.raises(Invalid):
        services.add_one_off_session(assistant, official, venue, date(2026, 11, 1), hours(), now=NOW)


# --- cancelling -----------------------------------------------------------------------------------

@pytest.fixture
def session(schedule):
    return services.generate_sessions(schedule, date(2026, 12, 1), 3, CALENDAR, now=NOW)[0]


def test_cancel_keeps_the_session_and_cancels_its_appointments(session, assistant, make_appointment, make_user):
    first = make_appointment(session, session.slots[0])
    second = make_appointment(session, session.slots[1], citizen=make_user(language="ru"))
    earlier = make_appointment(session, session.slots[2], status=AppointmentStatus.CANCELLED)
    notified = services.cancel_session(assistant, session, "  The akim is called to Astana  ", now=NOW)

    assert notified == 2
    assert count(ReceptionSession, ReceptionSession.id == session.id) == 1
    assert (session.status, session.status_reason, session.status_changed_at) == (
        SessionStatus.CANCELLED, "The akim is called to Astana", NOW)
    for a in (first, second):
        assert (a.status, a.cancel_reason, a.cancelled_at) == (AppointmentStatus.CANCELLED,
                                                               "The akim is called to Astana", NOW)
    assert earlier.cancel_reason is None
    assert count(Reservation, Reservation.appointment_id.in_([first.id, second.id]),
                 Reservation.released_at.is_(None)) == 0
    assert count(Reservation, Reservation.appointment_id == earlier.id, Reservation.released_at.is_(None)) == 1


def test_cancel_writes_one_email_per_citizen_in_their_language(db, session, assistant, make_appointment,
                                                                make_user):
    make_appointment(session, session.slots[0], citizen=make_user(language="en"))
    make_appointment(session, session.slots[1], citizen=make_user(language="ru"))
    services.cancel_session(assistant, session, "Business trip", now=NOW)
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "session_cancelled")
                                  .order_by(OutboxMessage.id)).all()
    assert len(messages) == 2
    assert [m.locale for m in messages] == ["en", "ru"]
    english = as_sent(messages[0])
    assert session.official.full_name in english.subject
    for body in (english.body_text, english.body_html):
        assert session.official.full_name in body
        assert "Business trip" in body
        assert "(Astana time)" in body
        assert f"http://reception.test/directory/bodies/{session.official.body_id}" in body


def test_cancel_without_a_reason_is_refused_and_changes_nothing(session, assistant, make_appointment):
    appointment = make_appointment(session)
    with pytest.raises(Invalid) as info:
        services.cancel_session(assistant, session, "   ", now=NOW)
    assert info.value.field == "reason"
    assert session.status is SessionStatus.PLANNED and appointment.status is AppointmentStatus.SCHEDULED


def test_cancelled_session_cannot_be_cancelled_again(session, assistant):
    services.cancel_session(assistant, session, "Trip", now=NOW)
    with pytest.raises(Invalid):
        services.cancel_session(assistant, session, "Trip", now=NOW)


def test_assistant_of_another_body_cannot_cancel(session, make_user):
    with pytest.raises(NotAllowed):
        services.cancel_session(make_user(Role.ASSISTANT), session, "Trip", now=NOW)


# --- moving -------------------------------------------------------------------------------------

def test_session_with_bookings_cannot_be_moved(session, assistant, make_appointment):
    make_appointment(session)
    with pytest.raises(Invalid) as info:
        services.move_session(assistant, session, date(2026, 12, 3), time(15), time(18), "Trip", now=NOW)
    assert "Cancel it instead" in str(info.value.message)
    assert session.status is SessionStatus.PLANNED


def test_moved_session_is_kept_cancelled_and_replaced(session, assistant):
    moved = services.move_session(assistant, session, date(2026, 12, 3), time(10), time(12), "Trip", now=NOW)
    assert (session.status, session.status_reason) == (SessionStatus.CANCELLED, "Trip")
    assert moved.status is SessionStatus.PLANNED and moved.local_date == date(2026, 12, 3)
    assert moved.starts_at == datetime(2026, 12, 3, 5, tzinfo=UTC)
    assert len(moved.slots) == 6  # 20-minute slots kept
    assert moved.closes_at == moved.starts_at - timedelta(hours=24)


def test_moved_session_is_not_brought_back_by_generation(session, assistant):
    services.move_session(assistant, session, date(2026, 12, 3), time(10), time(12), "Trip", now=NOW)
    again = services.generate_sessions(session.schedule, date(2026, 12, 1), 3, CALENDAR, now=NOW)
    assert again == []


def test_move_without_reason_is_refused(session, assistant):
    with pytest.raises(Invalid):
        services.move_session(assistant, session, date(2026, 12, 3), time(10), time(12), "", now=NOW)


def test_move_with_unused_appointments_still_works(session, assistant, make_appointment):
    make_appointment(session, status=AppointmentStatus.CANCELLED)
    moved = services.move_session(assistant, session, date(2026, 12, 4), time(15), time(18), "Trip", now=NOW)
    assert moved.id != session.id
    assert count(Appointment, Appointment.session_id == session.id) == 1
