"""The talon names the person who accepted the booking by surname and initials (the law asks for it), never a
body; "Add to my calendar" downloads the appointment's .ics (the route itself: tests/calendars)."""
from __future__ import annotations

import pytest

from reception.booking.models import AppointmentStatus
from reception.core.permissions import Role
from reception.directory.names import short_full_name, short_name
from tests.calendars import appointment


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("surname,first_name,patronymic,expected", [
    ("Мұратова", "Гүлжан", "Ерланқызы", "Мұратова Г. Е."),
    ("Әбдіғаппаров", "Мұрат", "Серік ұлы", "Әбдіғаппаров М. С."),   # a two-word Kazakh patronymic: one initial
    ("Иванова", "Анна-Мария", None, "Иванова А.-М."),              # no patronymic; a hyphenated first name
    ("Ілиясов", "ілияс", "", "Ілиясов І."),                        # Kazakh letters, written in capitals
    ("Ёлкин", "Ёсиф", "Ёсифович", "Ёлкин Ё. Ё."),
    ("  Смағұлов ", " Нұржан", " Асқарұлы ", "Смағұлов Н. А."),
])
def test_short_name_is_surname_and_initials(surname, first_name, patronymic, expected):
    assert short_name(surname, first_name, patronymic) == expected


@pytest.mark.parametrize("full_name,expected", [
    ("Мұратова Гүлжан Ерланқызы", "Мұратова Г. Е."),
    ("Мұратова Г. Е.", "Мұратова Г. Е."),  # already short: unchanged
    ("Омаров Ерлан", "Омаров Е."),
    ("Омаров", "Омаров"),
    ("", ""),
])
def test_a_full_name_written_surname_first_is_shortened(full_name, expected):
    assert short_full_name(full_name) == expected


@pytest.fixture
def own(db, client, login_as, make_official, make_session):
    """A citizen logged in, with an appointment in body A's session; body A names a responsible person."""
    official = make_official()
    body = official.body
    body.responsible_surname, body.responsible_first_name, body.responsible_patronymic = (
        "Жақсылықова", "Айгүл", "Бақытқызы")
    session = make_session(official=official)
    citizen = login_as(Role.CITIZEN)

    def make(**overrides):
        row = appointment(session, citizen, **overrides)
        db.session.commit()
        return row
    return make


def test_a_self_booked_talon_names_the_responsible_person(client, db, login_as, make_official, make_session,
                                                          make_user, topic):
    official = make_official()
    body = official.body
    body.responsible_surname, body.responsible_first_name, body.responsible_patronymic = (
        "Жақсылықова", "Айгүл", "Бақытқызы")
    make_user(Role.ASSISTANT, body=body, full_name="Мұратова Гүлжан Ерланқызы")
    session = make_session(official=official)
    db.session.commit()
    login_as(Role.CITIZEN)
    page = text(client.get(f"/reception/slots/{session.slots[0].id}/book"))
    key = page.split('name="idempotency_key"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    from tests.conftest import post_form
    r = post_form(client, f"/reception/slots/{session.slots[0].id}/book", {
        "format": "in_person", "studio_id": "0", "topic_id": str(topic.id), "summary": "No heating since October.",
        "idempotency_key": key})
    assert r.status_code == 302
    body_html = text(client.get(r.headers["Location"]))
    assert "Жақсылықова А. Б." in body_html
    assert "Мұратова" not in body_html and "Бақытқызы" not in body_html


def test_a_talon_accepted_by_an_assistant_names_that_assistant(client, own):
    row = own(accepted_by_name="Мұратова Гүлжан Ерланқызы")
    page = text(client.get(f"/my/appointments/{row.id}"))
    assert "Мұратова Г. Е." in page and "Жақсылықова" not in page


def test_a_talon_issued_without_a_person_names_the_responsible_person_set_since(client, own):
    row = own(accepted_by_name=None)
    page = text(client.get(f"/my/appointments/{row.id}"))
    assert "Жақсылықова А. Б." in page


def test_a_talon_never_shows_the_body_in_place_of_a_person(client, db, own):
    row = own(accepted_by_name=None)
    body = row.official.body
    body.responsible_surname = body.responsible_first_name = body.responsible_patronymic = None
    db.session.commit()
    page = text(client.get(f"/my/appointments/{row.id}"))
    accepted = page.split("Accepted by", 1)[1].split("</dd>", 1)[0]
    assert body.name_en not in accepted
    assert "the reception office will name the person" in accepted


def test_the_talon_offers_its_calendar_file_while_the_appointment_holds_its_time(client, own):
    row = own()
    assert f"/my/appointments/{row.id}/calendar.ics" in text(client.get(f"/my/appointments/{row.id}"))
    cancelled = own(status=AppointmentStatus.CANCELLED, slot=row.session.slots[1])
    assert "calendar.ics" not in text(client.get(f"/my/appointments/{cancelled.id}"))
