"""Urgency: a request found urgent (by screening staff, or marked so by the citizen until staff confirm or clear
it) comes first in the screening queue and must be decided within one working day; the queue flags the late."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reception.audit.models import AuditEvent
from reception.booking.models import Appointment
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.core.workdays import WorkCalendar
from reception.extensions import db as _db
from reception.requests import rules
from reception.requests.models import RequestUrgency, UrgencyReason, UrgencyStatus
from tests.conftest import login, post_form
from tests.dates import today
from tests.requests.test_pages import KEY_RE, switch_to, text

CALENDAR = WorkCalendar()


def mark(client, request_id: int, reason: str, note: str = ""):
    """Screening staff save the urgency on the request's page ("" clears it)."""
    return post_form(client, f"/staff/requests/{request_id}", {"action": "urgency", "reason": reason, "note": note})


def urgency_of(db, request) -> RequestUrgency | None:
    db.session.expire_all()
    return db.session.get(RequestUrgency, request.id)


def positions(page: str, *requests) -> list[int]:
    return [page.index(f'href="/staff/requests/{r.id}"') for r in requests]


def travel_to(time_machine, day: date, hour: int = 10, tz: str = "Asia/Almaty") -> None:
    time_machine.move_to(datetime.combine(day, time(hour), tzinfo=ZoneInfo(tz)), tick=True)


# --- the pure rule, on fixed dates ---------------------------------------------------------------------

@pytest.mark.parametrize("since,due", [
    (datetime(2027, 3, 3, 4, 0, tzinfo=UTC), date(2027, 3, 4)),    # Wednesday -> Thursday
    (datetime(2027, 3, 5, 4, 0, tzinfo=UTC), date(2027, 3, 9)),    # Friday -> Tuesday (Monday 8 March: holiday)
    (datetime(2027, 3, 4, 20, 0, tzinfo=UTC), date(2027, 3, 9)),   # Thursday 20:00 UTC is Friday 01:00 in Astana
    (datetime(2027, 3, 6, 4, 0, tzinfo=UTC), date(2027, 3, 9)),    # sent on Saturday: the next working day
])
def test_an_urgent_request_is_due_the_next_working_day_in_the_officials_zone(since, due):
    assert rules.urgent_due_on(since, "Asia/Almaty", CALENDAR) == due


def test_a_decreed_day_off_moves_the_urgent_deadline():
    calendar = WorkCalendar(days_off=[date(2027, 3, 4)])
    assert rules.urgent_due_on(datetime(2027, 3, 3, 4, 0, tzinfo=UTC), "Asia/Almaty", calendar) == date(2027, 3, 5)


# --- the queue -----------------------------------------------------------------------------------------

def test_urgent_requests_come_first_then_the_oldest(client, db, ctx, office, make_request):
    oldest = make_request(office, now=utcnow() - timedelta(days=2))
    middle = make_request(office, now=utcnow() - timedelta(days=1))
    newest = make_request(office)
    db.session.commit()
    login(client, office.assistant)
    assert mark(client, newest.id, "health", "Needs an operation this month").status_code == 302
    page = text(client.get("/staff/requests/"))
    assert positions(page, newest, oldest, middle) == sorted(positions(page, newest, oldest, middle))
    row = page[page.index(f'href="/staff/requests/{newest.id}"'):page.index(f'href="/staff/requests/{oldest.id}"')]
    assert "Urgent" in row and "A threat to health or life" in row and "Decide by" in row
    # Cleared again, it takes its place by age.
    assert mark(client, newest.id, "").status_code == 302
    page = text(client.get("/staff/requests/"))
    assert positions(page, oldest, middle, newest) == sorted(positions(page, oldest, middle, newest))
    assert urgency_of(db, newest).status is UrgencyStatus.CLEARED


def test_a_citizen_marks_a_request_urgent_and_staff_confirm_or_clear_it(client, db, login_as, office, topic):
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    url = f"/reception/officials/{office.official.id}/request"
    form = text(client.get(url))
    assert "Is your issue urgent?" in form and "A child at risk" in form
    r = post_form(client, url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                                "summary": "We are being evicted on Monday", "urgency_reason": "home",
                                "urgency_note": "The court bailiff comes on Monday",
                                "idempotency_key": KEY_RE.search(form)[1]})
    assert r.status_code == 302, text(r)
    request = db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()
    urgency = urgency_of(db, request)
    assert urgency.status is UrgencyStatus.CLAIMED and urgency.claimed_by_citizen
    assert urgency.reason is UrgencyReason.HOME and urgency.note == "The court bailiff comes on Monday"
    tz = office.official.body.timezone
    assert urgency.due_on == CALENDAR.add_working_days(today(tz), 1)
    assert "You marked it urgent (Losing a home)" in text(client.get(f"/my/appointments/{request.id}"))

    switch_to(client, office.assistant)
    page = text(client.get("/staff/requests/"))
    assert "Urgent, by the citizen" in page
    detail = text(client.get(f"/staff/requests/{request.id}"))
    assert "Confirm it (choose the reason) or clear it" in detail and "The court bailiff comes on Monday" in detail
    assert mark(client, request.id, "home", "Eviction confirmed by the court's letter").status_code == 302
    confirmed = urgency_of(db, request)
    assert confirmed.status is UrgencyStatus.CONFIRMED and confirmed.set_by_id == office.assistant.id
    assert confirmed.due_on == urgency.due_on  # the day counts from when the citizen sent it
    assert mark(client, request.id, "").status_code == 302
    assert urgency_of(db, request).status is UrgencyStatus.CLEARED
    assert "Not urgent" in text(client.get(f"/staff/requests/{request.id}"))
    # The audit log keeps every change of the urgency.
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "request_urgency", AuditEvent.entity_id == request.id,
        AuditEvent.id > _db.audit_floor).order_by(AuditEvent.id)).all()
    assert [e.action.value for e in events] == ["create", "update", "update"]
    assert '"status": ["claimed", "confirmed"]' in events[1].changes
    assert '"status": ["confirmed", "cleared"]' in events[2].changes
    assert events[1].actor_id == office.assistant.id


def test_the_urgent_deadline_crosses_a_weekend(client, db, time_machine, make_office, make_request, app):
    friday = today() + timedelta(days=(4 - today().weekday()) % 7 or 7)
    while not (CALENDAR.is_working_day(friday) and CALENDAR.is_working_day(friday + timedelta(days=3))):
        friday += timedelta(days=7)
    travel_to(time_machine, friday)
    with app.test_request_context():
        office = make_office()
        request = make_request(office)
        db.session.commit()
    login(client, office.assistant)
    assert mark(client, request.id, "child", "A child left without care").status_code == 302
    monday = friday + timedelta(days=3)
    assert urgency_of(db, request).due_on == monday
    travel_to(time_machine, monday, 17)
    login(client, office.assistant)  # days later: a new login
    page = text(client.get("/staff/requests/"))
    assert "Urgent" in page and "Late: not decided by" not in page
    travel_to(time_machine, monday + timedelta(days=1), 9)
    login(client, office.assistant)
    page = text(client.get("/staff/requests/"))
    assert "Late: not decided by" in page and 'class="overdue"' in page
    assert "Late: not decided by" in text(client.get(f"/staff/requests/{request.id}"))


def test_the_urgent_deadline_skips_a_public_holiday(client, db, time_machine, make_office, make_request, app):
    day = today() + timedelta(days=1)
    # The first public holiday on a Tuesday to Friday whose eve is a working day.
    while not (day.weekday() in (1, 2, 3, 4) and CALENDAR.is_holiday(day)
               and CALENDAR.is_working_day(day - timedelta(days=1))):
        day += timedelta(days=1)
    eve = day - timedelta(days=1)
    travel_to(time_machine, eve)
    with app.test_request_context():
        office = make_office()
        request = make_request(office)
        db.session.commit()
    login(client, office.assistant)
    assert mark(client, request.id, "date", "The court hearing is on Friday").status_code == 302
    due = urgency_of(db, request).due_on
    assert due > day and CALENDAR.is_working_day(due) and due == CALENDAR.add_working_days(eve, 1)
    travel_to(time_machine, day, 12)  # the holiday itself: not late yet
    login(client, office.assistant)
    assert "Late: not decided by" not in text(client.get("/staff/requests/"))


def test_a_decided_request_is_no_longer_late_nor_in_the_queue(client, db, ctx, office, make_request, time_machine):
    request = make_request(office)
    db.session.commit()
    login(client, office.assistant)
    assert mark(client, request.id, "health", "").status_code == 302
    assert post_form(client, f"/staff/requests/{request.id}",
                     {"action": "resolve", "resolution": "Referred to the district hospital today"}).status_code == 302
    assert f'href="/staff/requests/{request.id}"' not in text(client.get("/staff/requests/"))
    r = mark(client, request.id, "")
    assert r.status_code == 409 and "its urgency can no longer change" in text(r)
    assert urgency_of(db, request).status is UrgencyStatus.CONFIRMED


# --- who may, and bad input ---------------------------------------------------------------------------

def test_only_screening_staff_of_the_requests_body_set_urgency(client, db, ctx, office, make_request, make_user,
                                                              make_office):
    request = make_request(office)
    other = make_office(full_name="Other Body Official")
    official_user = make_user(Role.OFFICIAL, body=office.body)
    citizen = request.citizen
    admin = make_user(Role.ADMIN)
    db.session.commit()
    for user in (other.assistant, official_user, citizen):
        switch_to(client, user)
        assert mark(client, request.id, "health").status_code == 403
    assert urgency_of(db, request) is None
    switch_to(client, admin)  # administrators screen every body's requests
    assert mark(client, request.id, "health").status_code == 302
    assert urgency_of(db, request).status is UrgencyStatus.CONFIRMED


@pytest.mark.parametrize("reason,note,status,message", [
    ("flood", "", 422, "Choose why the request is urgent from the list."),
    ("other", "", 422, "Say why the request is urgent."),
    ("other", "   ", 422, "Say why the request is urgent."),
    ("health", "x" * 2001, 422, "Too long"),
])
def test_bad_urgency_is_refused_with_a_message(client, db, ctx, office, make_request, reason, note, status, message):
    request = make_request(office)
    db.session.commit()
    login(client, office.assistant)
    r = mark(client, request.id, reason, note)
    assert r.status_code == status and message in text(r)
    assert urgency_of(db, request) is None


def test_a_citizens_urgency_reason_not_on_the_list_is_refused_and_nothing_is_sent(client, db, login_as, office,
                                                                                  topic):
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    url = f"/reception/officials/{office.official.id}/request"
    form = text(client.get(url))
    r = post_form(client, url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                                "summary": "Urgent", "urgency_reason": "because",
                                "idempotency_key": KEY_RE.search(form)[1]})
    assert r.status_code == 422 and "Choose why the request is urgent from the list." in text(r)
    assert db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).first() is None


def test_the_queue_runs_as_many_queries_for_many_urgent_requests_as_for_few(
        client, db, ctx, office, make_request, count_queries):
    def add(n: int) -> None:
        for i in range(n):
            request = make_request(office, now=utcnow() - timedelta(hours=i + 1))
            db.session.add(RequestUrgency(appointment_id=request.id, status=UrgencyStatus.CONFIRMED,
                                          reason=UrgencyReason.HEALTH, since=utcnow(), due_on=today(),
                                          set_at=utcnow()))
        db.session.commit()

    login(client, office.assistant)
    add(2)
    with count_queries() as small:
        assert client.get("/staff/requests/").status_code == 200
    add(6)
    with count_queries() as large:
        page = text(client.get("/staff/requests/"))
    assert page.count("A threat to health or life") == 8
    assert len(large) == len(small), "\n".join(large)
