"""Waitlist pages: joining from the search, my waitlist, leaving, the home page panel, rebooking after a cancel."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reception.booking import waitlist
from reception.booking.models import AppointmentStatus, WaitlistEntry, WaitlistStatus
from reception.booking.services import book_slot, cancel_appointment
from reception.core.clock import utcnow
from reception.core.permissions import Role
from tests.conftest import csrf_from, login, post_form

CONFIG = {"MAX_ACTIVE_APPOINTMENTS": 3}


def text(response) -> str:
    return response.get_data(as_text=True)


def entries(db, **where) -> int:
    stmt = select(func.count()).select_from(WaitlistEntry)
    for name, value in where.items():
        stmt = stmt.where(getattr(WaitlistEntry, name) == value)
    return db.session.scalar(stmt)


def logout(client):
    client.post("/logout", data={"csrf_token": csrf_from(client, "/reception/")})


@pytest.fixture
def full(app, db, make_session, make_user, booking_data):
    """A committed session whose only slot is booked by another citizen; returns (session, appointment)."""
    session = make_session(slots=1)
    holder = make_user(Role.CITIZEN)
    with app.test_request_context():
        appointment = book_slot(holder, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
    db.session.commit()
    return session, appointment


def join_url(official_id) -> str:
    return f"/my/waitlist/?official={official_id}"


def join(client, official_id, **extra):
    return post_form(client, "/my/waitlist/", {"official": str(official_id), "visiting": "0", "topic": "0", **extra},
                     form_url=join_url(official_id))


def test_search_for_a_fully_booked_official_offers_the_waitlist(client, db, full, make_session):
    session, _ = full
    body = text(client.get(f"/reception/?official={session.official_id}"))
    assert "Join the waitlist" in body and join_url(session.official_id) in body
    free = make_session(slots=2)
    db.session.commit()
    assert "Join the waitlist" not in text(client.get(f"/reception/?official={free.official_id}"))


def test_citizen_joins_from_the_form_and_sees_their_place_in_line(client, db, full, login_as, topic):
    session, _ = full
    citizen = login_as(Role.CITIZEN)
    page = client.get(join_url(session.official_id))
    assert page.status_code == 200
    assert re.search(rf'<option selected value="{session.official_id}">', text(page))
    r = join(client, session.official_id, topic=str(topic.id))
    assert r.status_code == 302 and r.headers["Location"].endswith("/my/waitlist/")
    entry = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.citizen_id == citizen.id)).one()
    assert (entry.official_id, entry.topic_id, entry.status) == (session.official_id, topic.id,
                                                                 WaitlistStatus.WAITING)
    body = text(client.get("/my/waitlist/"))
    assert session.official.full_name in body and "Your place in line: 1" in body
    home = text(client.get("/home"))
    assert "My place in line" in home and "Your place in line: 1" in home


def test_joining_twice_is_refused_with_409_and_nothing_written(client, db, full, login_as):
    session, _ = full
    login_as(Role.CITIZEN)
    assert join(client, session.official_id).status_code == 302
    r = join(client, session.official_id)
    assert r.status_code == 409
    assert "You are already on this official&#39;s waitlist." in text(r)
    assert entries(db) == 1


def test_joining_when_time_is_free_says_to_book_it(client, db, login_as, make_session):
    session = make_session(slots=2)
    db.session.commit()
    login_as(Role.CITIZEN)
    r = join(client, session.official_id)
    assert r.status_code == 409 and "book it instead of waiting" in text(r)
    assert entries(db) == 0


@pytest.mark.parametrize("official", ["2147483647", "-1", "abc", ""])
def test_forged_official_is_refused_with_422_and_nothing_written(client, db, full, login_as, official):
    login_as(Role.CITIZEN)
    r = post_form(client, "/my/waitlist/", {"official": official, "visiting": "0", "topic": "0"})
    assert r.status_code == 422
    assert entries(db) == 0


def test_forged_visiting_reception_is_refused_with_422(client, db, full, login_as):
    session, _ = full
    login_as(Role.CITIZEN)
    assert join(client, session.official_id, visiting="999").status_code == 422
    assert entries(db) == 0


def test_staff_cannot_join_a_waitlist(client, db, full, login_as):
    session, _ = full
    login_as(Role.ASSISTANT)
    assert client.get("/my/waitlist/").status_code == 200  # their own (empty) list
    r = join(client, session.official_id)
    assert r.status_code == 403 and "Only citizens can join a waitlist." in text(r)
    assert entries(db) == 0


def test_leaving_from_my_waitlist(client, db, full, login_as):
    session, _ = full
    citizen = login_as(Role.CITIZEN)
    join(client, session.official_id)
    entry = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.citizen_id == citizen.id)).one()
    url = f"/my/waitlist/{entry.id}/leave"
    assert "you lose your place in line" in text(client.get(url))
    r = post_form(client, url, {"expected_status": "waiting"}, form_url="/my/waitlist/")
    assert r.status_code == 302
    db.session.refresh(entry)
    assert entry.status is WaitlistStatus.LEFT
    assert client.get(url).status_code == 422  # no longer in line
    body = text(client.get("/my/waitlist/"))
    assert "You are not waiting for any official." in body and "Left the waitlist" in body


def test_another_citizens_entry_is_not_found(client, db, full, login_as):
    session, _ = full
    login_as(Role.CITIZEN)
    join(client, session.official_id)
    entry = db.session.scalars(select(WaitlistEntry)).one()
    logout(client)
    login_as(Role.CITIZEN)
    url = f"/my/waitlist/{entry.id}/leave"
    assert client.get(url).status_code == 404
    r = client.post(url, data={"expected_status": "waiting", "csrf_token": csrf_from(client, "/my/waitlist/")})
    assert r.status_code == 404
    assert client.get("/my/waitlist/2147483647/leave").status_code == 404
    db.session.refresh(entry)
    assert entry.status is WaitlistStatus.WAITING


def test_leaving_after_an_offer_came_asks_to_confirm_again(app, client, db, full, login_as):
    session, appointment = full
    login_as(Role.CITIZEN)
    join(client, session.official_id)
    entry = db.session.scalars(select(WaitlistEntry)).one()
    url = f"/my/waitlist/{entry.id}/leave"
    token = csrf_from(client, url)  # the page was opened while waiting
    with app.test_request_context():
        cancel_appointment(appointment.citizen, appointment, utcnow())
    db.session.commit()
    r = client.post(url, data={"expected_status": "waiting", "csrf_token": token})
    assert r.status_code == 409 and "Your place in line has just changed" in text(r)
    db.session.refresh(entry)
    assert entry.status is WaitlistStatus.OFFERED


def test_offered_slot_shows_on_the_home_page_and_only_the_holder_can_book_it(app, client, db, full, login_as,
                                                                             topic):
    session, appointment = full
    holder = login_as(Role.CITIZEN)
    join(client, session.official_id, topic=str(topic.id))
    with app.test_request_context():
        cancel_appointment(appointment.citizen, appointment, utcnow())
    db.session.commit()
    slot = session.slots[0]
    home = text(client.get("/home"))
    assert "A time is kept for you" in home and f"/reception/slots/{slot.id}/book" in home
    assert "(Astana time)" in home

    logout(client)
    login_as(Role.CITIZEN)
    r = client.get(f"/reception/slots/{slot.id}/book")
    assert r.status_code == 409 and "kept for another citizen" in text(r)
    assert f"/reception/slots/{slot.id}/book" not in text(client.get(f"/reception/?official={session.official_id}"))

    logout(client)
    login(client, holder)
    page = client.get(f"/reception/slots/{slot.id}/book")
    assert page.status_code == 200
    assert re.search(rf'<option selected value="{topic.id}">', text(page))  # the topic given when joining
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', text(page))[1]
    r = post_form(client, f"/reception/slots/{slot.id}/book",
                  {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "Finally",
                   "idempotency_key": key})
    assert r.status_code == 302
    assert entries(db, citizen_id=holder.id, status=WaitlistStatus.BOOKED) == 1


def test_cancelled_appointment_page_offers_free_time_or_the_waitlist(app, client, db, login_as, make_session,
                                                                     make_user, booking_data):
    from reception.schedule.services import cancel_session

    session = make_session(slots=1)
    citizen = login_as(Role.CITIZEN)
    with app.test_request_context():
        appointment = book_slot(citizen, session.slots[0].id, booking_data(), None, utcnow(), CONFIG)
        cancel_session(make_user(Role.ADMIN), session, "The akim is ill", now=utcnow())
    db.session.commit()
    assert appointment.status is AppointmentStatus.CANCELLED
    body = text(client.get(f"/my/appointments/{appointment.id}"))
    assert "The akim is ill" in body
    assert "Join the waitlist" in body and join_url(session.official_id) in body

    spare = make_session(official=session.official, venue=session.venue, start=session.starts_at + timedelta(days=1))
    db.session.commit()
    body = text(client.get(f"/my/appointments/{appointment.id}"))
    assert f"/reception/slots/{spare.slots[0].id}/book" in body
    assert f"/reception/?official={session.official_id}" in body
    assert "Join the waitlist" not in body


def test_expiry_is_visible_on_my_waitlist(app, client, db, full, login_as):
    session, appointment = full
    login_as(Role.CITIZEN)
    join(client, session.official_id)
    with app.test_request_context():
        cancel_appointment(appointment.citizen, appointment, utcnow())
        waitlist.expire_offers(utcnow() + timedelta(days=3))
    db.session.commit()
    assert "The kept time was not booked in time" in text(client.get("/my/waitlist/"))


def test_the_official_page_partial_offers_the_waitlist_only_when_nothing_is_free(app, db, full, make_session):
    from flask import render_template

    session, _ = full
    free = make_session(slots=1).slots[0]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        empty = render_template("booking/_official_waitlist.html", official=session.official, next_free=None)
        busy = render_template("booking/_official_waitlist.html", official=session.official, next_free=free)
    assert "Join the waitlist" in empty and join_url(session.official_id) in empty
    assert busy.strip() == ""
