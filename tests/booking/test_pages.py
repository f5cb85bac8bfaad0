"""Booking pages: search, booking form, talon, cancel, public talon check; bad input answered with 4xx."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from reception.booking.models import Appointment, AppointmentStatus
from reception.core.clock import utcnow
from reception.core.permissions import Role
from reception.schedule.models import SessionStatus
from tests.conftest import post_form, region

KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def appointments(db, **where) -> int:
    stmt = select(func.count()).select_from(Appointment)
    for name, value in where.items():
        stmt = stmt.where(getattr(Appointment, name) == value)
    return db.session.scalar(stmt)


@pytest.fixture
def book(client, topic):
    """Open the booking page of ``slot`` and submit it (with the page's idempotency key)."""
    def do(slot, **overrides):
        url = f"/reception/slots/{slot.id}/book"
        page = client.get(url)
        assert page.status_code == 200, text(page)
        data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                "summary": "The road to my village is broken.", "idempotency_key": KEY_RE.search(text(page))[1]}
        data.update(overrides)
        return post_form(client, url, data)
    return do


@pytest.fixture
def session(db, make_session):
    s = make_session(slots=4)
    db.session.commit()
    return s


def test_search_lists_free_slots_and_each_officials_next_free_time(client, db, session):
    r = client.get(f"/reception/?official={session.official_id}")
    assert r.status_code == 200
    body = text(r)
    assert session.official.full_name in body
    assert f"/reception/slots/{session.slots[0].id}/book" in body
    assert "(Astana time)" in body  # the venue region's zone is named


def test_search_hides_taken_and_cancelled_time(client, db, login_as, book, session, make_session):
    cancelled = make_session(status=SessionStatus.CANCELLED)
    db.session.commit()
    login_as(Role.CITIZEN)
    assert book(session.slots[0]).status_code == 302
    body = text(client.get("/reception/"))
    assert f"/reception/slots/{session.slots[0].id}/book" not in body
    assert f"/reception/slots/{session.slots[1].id}/book" in body
    assert f"/reception/slots/{cancelled.slots[0].id}/book" not in body


def test_search_with_garbage_filters_answers_422(client, db):
    assert client.get("/reception/?region=XX&date_from=nope").status_code == 422


def test_booking_redirects_to_a_printable_talon_with_qr_code(client, db, login_as, book, session, make_user):
    body = session.official.body
    body.responsible_surname, body.responsible_first_name, body.responsible_patronymic = \
        "Мұратова", "Гүлжан", "Ерланқызы"
    db.session.commit()
    citizen = login_as(Role.CITIZEN)
    r = book(session.slots[0])
    assert r.status_code == 302
    appointment = db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()
    # The talon says the reception is booked: told by the address, not by a message kept in the session, so the
    # booking's answer sets no cookie.
    assert r.headers["Location"].endswith(f"/my/appointments/{appointment.id}?booked=1")
    assert "Set-Cookie" not in r.headers
    body = text(client.get(r.headers["Location"]))
    assert "Your reception is booked. Keep the talon number." in body
    assert "Your reception is booked" not in text(client.get(f"/my/appointments/{appointment.id}"))
    assert appointment.talon_number in body
    assert "Мұратова Г. Е." in body  # the responsible person, as surname and initials (tests/booking/test_talon.py)
    assert "(Astana time)" in body
    assert session.venue.address_en in body
    # The QR code and the link carry the talon's unguessable token; the number is for people.
    assert "<svg" in body and f"http://reception.test/talons/t/{appointment.talon_token}" in body
    assert len(appointment.talon_token) >= 32 and appointment.talon_number not in appointment.talon_token
    svg = body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "href" not in svg and "<image" not in svg  # inline, no external requests


def test_talon_of_a_video_booking_shows_the_studio(client, db, login_as, book, session, make_studio):
    studio = make_studio()
    db.session.commit()
    login_as(Role.CITIZEN)
    r = book(session.slots[0], format="video_studio", studio_id=str(studio.id))
    assert r.status_code == 302
    body = text(client.get(r.headers["Location"]))
    assert studio.name_en in body and "2, room 204" in body


@pytest.mark.parametrize("case", ["past", "not_open", "closed", "cancelled_session", "visiting_other_region"])
def test_slot_that_cannot_be_booked_is_refused_with_422_and_nothing_written(client, db, login_as, make_session,
                                                                            topic, case):
    now = utcnow()
    kwargs = {
        "past": dict(start=(now - timedelta(hours=2)).replace(microsecond=0), closes_at=now + timedelta(days=1)),
        "not_open": dict(opens_at=now + timedelta(days=1)),
        "closed": dict(closes_at=now - timedelta(minutes=5)),
        "cancelled_session": dict(status=SessionStatus.CANCELLED),
        "visiting_other_region": dict(restricted_region=region("KZ-15")),
    }[case]
    slot = make_session(**kwargs).slots[0]
    db.session.commit()
    login_as(Role.CITIZEN)
    url = f"/reception/slots/{slot.id}/book"
    assert client.get(url).status_code == 422
    r = client.post(url, data={"csrf_token": _csrf(client), "format": "in_person", "topic_id": topic.id,
                               "summary": "x", "idempotency_key": "a" * 32})
    assert r.status_code == 422
    assert appointments(db) == 0


def _csrf(client):
    from tests.conftest import csrf_from
    return csrf_from(client, "/reception/")


def test_the_studio_list_shows_only_when_the_reception_can_be_attended_from_a_studio(
        client, db, login_as, make_session, make_studio, topic):
    login_as(Role.CITIZEN)
    make_studio()
    in_person_only = make_session(allow_video_studio=False).slots[0]
    either = make_session().slots[0]
    db.session.commit()
    assert 'name="studio_id"' not in client.get(f"/reception/slots/{in_person_only.id}/book").get_data(as_text=True)
    assert 'name="studio_id"' in client.get(f"/reception/slots/{either.id}/book").get_data(as_text=True)
    url = f"/reception/slots/{in_person_only.id}/book"  # a studio sent anyway is ignored, the booking made
    r = post_form(client, url, {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id),
                                "summary": "Roof", "idempotency_key": "k" * 24})
    assert r.status_code == 302, r.get_data(as_text=True)


def test_the_form_offers_the_bodys_competences_and_the_studios_of_the_citizens_region(
        client, db, login_as, make_session, make_official, make_body, make_studio):
    """Topics: the body's competences when it records any, else every topic; studios: the active ones of the
    citizen's region, with their address; all in the page's language."""
    from reception.directory.models import Topic

    topics = db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)).all()
    competent = make_body(topics=[topics[2], topics[0]])
    login_as(Role.CITIZEN, language="ru")  # in KZ-71, Astana
    studio = make_studio(address_ru="ул. Бейбітшілік, 11")
    make_studio(is_active=False, name_ru="Закрытая студия")
    make_studio(region_id=region("KZ-75").id, name_ru="Студия Алматы")
    narrow = make_session(official=make_official(body=competent)).slots[0]
    broad = make_session().slots[0]
    db.session.commit()

    def choices(slot, name):
        page = client.get(f"/reception/slots/{slot.id}/book").get_data(as_text=True)
        select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)[0]
        return re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', select_html)

    assert choices(narrow, "topic_id") == [(str(t.id), t.name_ru) for t in (topics[0], topics[2])]  # in topic order
    assert choices(broad, "topic_id") == [(str(t.id), t.name_ru) for t in topics]
    assert choices(broad, "studio_id") == [("0", "—"), (str(studio.id), f"{studio.name_ru}, ул. Бейбітшілік, 11")]


def test_forged_slot_id_is_404(client, db, login_as):
    login_as(Role.CITIZEN)
    assert client.get("/reception/slots/2147483647/book").status_code == 404
    assert client.get("/reception/slots/99999999999/book").status_code == 404


def test_studio_of_another_region_is_refused_and_nothing_written(client, db, login_as, book, session, make_studio,
                                                                 make_body):
    foreign = make_studio(body=make_body(region=region("KZ-15")))
    db.session.commit()
    login_as(Role.CITIZEN)
    r = book(session.slots[0], format="video_studio", studio_id=str(foreign.id))
    assert r.status_code == 422  # not among the choices of the citizen's region
    assert appointments(db) == 0


def _lose_slot_0(client, session, make_user, booking_data, **answers):
    """The citizen opens the form of the session's first time, another citizen books that time, then the
    citizen sends the form (``answers`` on top of an in-person booking): the 409 answer."""
    from reception.booking.services import book_slot
    url = f"/reception/slots/{session.slots[0].id}/book"
    key = KEY_RE.search(text(client.get(url)))[1]
    with client.application.test_request_context():
        book_slot(make_user(Role.CITIZEN), session.slots[0].id, booking_data(), None, utcnow(), {})
    _db_commit()
    data = {"format": "in_person", "studio_id": "0", "topic_id": str(booking_data().topic_id), "summary": "late",
            "idempotency_key": key, **answers}
    return post_form(client, url, data)


def _db_commit():
    from reception.extensions import db
    db.session.commit()


FORM_RE = re.compile(r'<form method="post" action="(/reception/slots/[^"]+)" class="inline">(.*?)</form>', re.S)
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def test_just_taken_slot_answers_409_with_the_nearest_times_to_book_at_once(client, db, login_as, session,
                                                                           make_user, booking_data):
    citizen = login_as(Role.CITIZEN)
    r = _lose_slot_0(client, session, make_user, booking_data, summary='Roof & "gutter" <leak>',
                     needs_wheelchair="y", appeal_numbers="ЖТ-Т-123")
    assert r.status_code == 409
    body = text(r)
    assert "This time has just been taken." in body
    assert "<textarea" not in body  # not the form of the lost time again: the nearest times instead
    offered = FORM_RE.findall(body)
    assert [action for action, _ in offered] == [f"/reception/slots/{s.id}/book" for s in session.slots[1:4]]
    assert appointments(db, citizen_id=citizen.id) == 0

    # One tap on the first time sends the same answers there (escaped on the page, intact when sent back).
    action, fields = offered[0]
    answers = [(name, html.unescape(value)) for name, value in HIDDEN_RE.findall(fields)]
    assert {name for name, _ in answers} >= {"csrf_token", "idempotency_key", "topic_id", "summary"}
    booked = client.post(action, data=MultiDict(answers))
    assert booked.status_code == 302, text(booked)
    appt = db.session.scalars(select(Appointment).where(Appointment.citizen_id == citizen.id)).one()
    assert (appt.slot_id, appt.summary, appt.needs_wheelchair, appt.appeal_numbers) == (
        session.slots[1].id, 'Roof & "gutter" <leak>', True, "ЖТ-Т-123")
    # The same answers sent for another of the times (a second tap) land on that one booking, not a second.
    again = client.post(offered[1][0], data=MultiDict(answers))
    assert again.headers.get("Location") == booked.headers["Location"]
    assert appointments(db, citizen_id=citizen.id) == 1


@pytest.mark.parametrize(("language", "message", "hint"), [
    ("kk", "Бұл уақытты жаңа ғана басқа біреу алды.", "Уақытты таңдаңыз: толтырған мәліметтеріңізбен"),
    ("ru", "Это время только что заняли.", "Выберите время, и вы сразу будете на него записаны"),
])
def test_the_answer_to_a_lost_time_is_in_the_citizens_language(client, db, login_as, session, make_user,
                                                               booking_data, language, message, hint):
    login_as(Role.CITIZEN).language = language  # the language chosen in the citizen's profile
    db.session.commit()
    r = _lose_slot_0(client, session, make_user, booking_data)
    assert r.status_code == 409
    assert message in text(r) and hint in text(r)


def test_the_form_of_a_time_already_taken_says_so_before_anything_is_filled_in(client, db, login_as, session,
                                                                              make_user, booking_data):
    from reception.booking.services import book_slot
    login_as(Role.CITIZEN)
    with client.application.test_request_context():
        book_slot(make_user(Role.CITIZEN), session.slots[0].id, booking_data(), None, utcnow(), {})
    db.session.commit()
    r = client.get(f"/reception/slots/{session.slots[0].id}/book")
    assert r.status_code == 409
    body = text(r)
    assert "This time has just been taken." in body
    assert "<textarea" not in body and FORM_RE.findall(body) == []  # nothing to fill in, nothing to send
    for other in session.slots[1:4]:  # the next times, each opening its own form
        assert f'<a href="/reception/slots/{other.id}/book">' in body
    assert client.get(f"/reception/slots/{session.slots[1].id}/book").status_code == 200


def test_the_form_of_a_time_the_citizen_booked_points_to_their_appointments(client, db, login_as, session, book):
    login_as(Role.CITIZEN)
    assert book(session.slots[0]).status_code == 302
    r = client.get(f"/reception/slots/{session.slots[0].id}/book")
    assert r.status_code == 409
    body = text(r)
    assert "You already have an active appointment with this official." in body
    assert "/my/appointments/" in body and 'href="/reception/slots/' not in body  # no other time to offer


def test_no_time_is_suggested_to_a_citizen_who_already_holds_one_of_this_official(client, db, login_as, session,
                                                                                  book):
    login_as(Role.CITIZEN)
    assert book(session.slots[1]).status_code == 302
    r = book(session.slots[0])
    assert r.status_code == 409
    body = text(r)
    assert "You already have an active appointment with this official." in body
    assert FORM_RE.findall(body) == []  # each of this official's times would be refused alike
    assert "/my/appointments/" in body


def test_double_submit_of_one_form_books_once(client, db, login_as, session, topic):
    citizen = login_as(Role.CITIZEN)
    url = f"/reception/slots/{session.slots[0].id}/book"
    key = KEY_RE.search(text(client.get(url)))[1]
    data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "twice",
            "idempotency_key": key}
    first, second = post_form(client, url, data), post_form(client, url, data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert appointments(db, citizen_id=citizen.id) == 1


def test_double_submit_at_the_cap_answers_the_twin_with_its_talon(client, db, app, login_as, make_session,
                                                                   booking_data, topic):
    """The submit that takes the citizen's last free place is sent twice: both land on the one talon booked,
    the second is not told that the citizen has too many appointments (issue 14, finding 5)."""
    from reception.booking.services import book_slot

    citizen = login_as(Role.CITIZEN)
    cap, now = app.config["MAX_ACTIVE_APPOINTMENTS"], utcnow()
    with app.test_request_context():
        for day in range(cap - 1):
            book_slot(citizen, make_session(start=(now + timedelta(days=3 + day)).replace(microsecond=0)).slots[0].id,
                      booking_data(), None, now, app.config)
    last = make_session(start=(now + timedelta(days=10)).replace(microsecond=0))
    db.session.commit()
    url = f"/reception/slots/{last.slots[0].id}/book"
    key = KEY_RE.search(text(client.get(url)))[1]
    data = {"format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "at the cap",
            "idempotency_key": key}
    first, second = post_form(client, url, data), post_form(client, url, data)
    assert first.status_code == 302, text(first)
    assert second.status_code == 302, text(second)
    assert second.headers["Location"] == first.headers["Location"]
    assert appointments(db, citizen_id=citizen.id) == cap
    assert "active appointments" not in text(client.get(second.headers["Location"]))


def test_cancel_frees_the_slot_for_another_citizen(client, db, login_as, book, session, make_user):
    login_as(Role.CITIZEN)
    talon_url = book(session.slots[0]).headers["Location"].removesuffix("?booked=1")
    r = post_form(client, talon_url + "/cancel", form_url=talon_url)
    assert r.status_code == 302
    assert appointments(db, status=AppointmentStatus.CANCELLED) == 1
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login_as(Role.CITIZEN)
    assert book(session.slots[0]).status_code == 302


def test_cancel_asks_once_more_naming_the_reception_and_only_the_answer_yes_cancels(
        client, db, login_as, book, session):
    login_as(Role.CITIZEN)
    talon_url = book(session.slots[0]).headers["Location"].removesuffix("?booked=1")
    talon = client.get(talon_url).get_data(as_text=True)
    assert f'method="post" action="{talon_url}/cancel"' not in talon  # one tap does not cancel
    assert f'href="{talon_url}/cancel"' in talon
    page = client.get(talon_url + "/cancel")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    official = session.official
    assert f"Cancel your reception with {official.full_name}?" in html
    number = re.search(r"<strong>([^<]+)</strong>", talon).group(1)
    assert f"talon {number}" in html and f'href="{talon_url}"' in html  # "No, keep it" goes back
    assert appointments(db, status=AppointmentStatus.SCHEDULED) == 1  # asking changed nothing
    assert post_form(client, talon_url + "/cancel", form_url=talon_url + "/cancel").status_code == 302
    assert appointments(db, status=AppointmentStatus.CANCELLED) == 1
    assert client.get(talon_url + "/cancel").headers["Location"].endswith(talon_url)  # nothing left to cancel


def test_another_citizens_appointment_is_not_found(client, db, login_as, book, session, make_user):
    login_as(Role.CITIZEN)
    talon_url = book(session.slots[0]).headers["Location"].removesuffix("?booked=1")
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login_as(Role.CITIZEN)
    assert client.get(talon_url).status_code == 404
    assert client.get(talon_url + "/cancel").status_code == 404
    assert client.post(talon_url + "/cancel", data={"csrf_token": _csrf(client)}).status_code == 404
    assert appointments(db, status=AppointmentStatus.SCHEDULED) == 1


def test_my_appointments_lists_only_my_own(client, db, login_as, book, session):
    login_as(Role.CITIZEN)
    book(session.slots[0])
    mine = db.session.scalars(select(Appointment)).one()
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login_as(Role.CITIZEN)
    assert mine.talon_number not in text(client.get("/my/appointments/"))


def test_public_talon_check_shows_validity_without_personal_data(client, db, login_as, book, session):
    citizen = login_as(Role.CITIZEN)
    book(session.slots[0], summary="Secret family matter")
    number, token = db.session.execute(select(Appointment.talon_number, Appointment.talon_token)).one()
    client.post("/logout", data={"csrf_token": _csrf(client)})
    body = text(client.get(f"/talons/t/{token}"))  # what the QR code opens
    assert "Valid talon" in body and number in body and session.official.full_name in body
    assert citizen.full_name not in body and "Secret family matter" not in body
    assert client.get("/talons/t/" + "x" * 32).status_code == 404


def test_the_page_by_talon_number_tells_only_whether_it_is_valid(client, db, login_as, book, session):
    """Talon numbers are sequential: whoever walks them learns that a talon exists, not whose reception it is
    with whom or when (issue 14, finding 8)."""
    login_as(Role.CITIZEN)
    book(session.slots[0])
    number = db.session.scalars(select(Appointment.talon_number)).one()
    client.post("/logout", data={"csrf_token": _csrf(client)})
    body = text(client.get(f"/talons/{number}"))
    assert "Valid talon" in body and number in body
    assert session.official.full_name not in body and session.venue.region.timezone not in body
    assert client.get("/talons/KZ71-00000000-000000").status_code == 404


def test_visitor_is_sent_to_login_and_staff_cannot_book(client, db, login_as, session):
    url = f"/reception/slots/{session.slots[0].id}/book"
    r = client.get(url)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login_as(Role.ASSISTANT)
    assert client.get(url).status_code == 403
    assert client.get("/my/appointments/").status_code == 403
