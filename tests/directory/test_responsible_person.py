"""The responsible person of a body's reception office: administrators name it for every body, a body's assistants
for their own; the body's sessions cannot be published without one (the talon must name a person)."""
from __future__ import annotations

from datetime import time

import pytest

from reception.core.permissions import Role
from reception.directory.models import Body
from reception.schedule.models import ReceptionSession, SessionKind, UnifiedDay
from tests.conftest import post_form
from tests.schedule.factories import session_on, working_day_after

from .conftest import text

FORM = {"surname": "Жақсылықова", "first_name": "Айгүл", "patronymic": "Бақытқызы",
        "position_kk": "Қабылдау бөлмесінің меңгерушісі", "position_ru": "Заведующая приёмной",
        "position_en": "Head of the reception office"}


#: A body whose reception office names nobody yet (the factory names a person by default).
NO_PERSON = dict(responsible_surname=None, responsible_first_name=None)

def url(body) -> str:
    return f"/admin/directory/bodies/{body.id}/responsible"


def test_admin_names_the_responsible_person_and_the_bodies_list_shows_them(client, admin, make_body, db, save):
    body = make_body(**NO_PERSON)
    save()
    page = client.get(url(body))
    assert page.status_code == 200 and 'name="csrf_token"' in text(page) and "Nobody is named yet." in text(page)
    r = post_form(client, url(body), FORM)
    assert r.status_code == 302
    db.session.expire_all()
    body = db.session.get(Body, body.id)
    assert (body.responsible_surname, body.responsible_first_name, body.responsible_patronymic,
            body.responsible_position_ru) == ("Жақсылықова", "Айгүл", "Бақытқызы", "Заведующая приёмной")
    assert body.responsible_short_name == "Жақсылықова А. Б."
    assert "Жақсылықова А. Б." in text(client.get("/admin/directory/bodies"))


def test_the_patronymic_is_optional_and_english_falls_back(client, admin, make_body, db, save):
    body = make_body(**NO_PERSON)
    save()
    assert post_form(client, url(body), {**FORM, "patronymic": "", "position_en": ""}).status_code == 302
    db.session.expire_all()
    body = db.session.get(Body, body.id)
    assert body.responsible_patronymic is None and body.responsible_short_name == "Жақсылықова А."


@pytest.mark.parametrize("missing", ["surname", "first_name", "position_kk", "position_ru"])
def test_a_missing_field_is_a_form_error_and_nothing_is_saved(client, admin, make_body, db, save, missing):
    body = make_body(**NO_PERSON)
    save()
    r = post_form(client, url(body), {**FORM, missing: "  "})
    assert r.status_code == 422 and f'id="{missing}-error"' in text(r)
    db.session.expire_all()
    assert db.session.get(Body, body.id).responsible_surname is None


def test_too_long_a_name_is_refused(client, admin, make_body, save):
    body = make_body(**NO_PERSON)
    save()
    r = post_form(client, url(body), {**FORM, "surname": "Ж" * 101})
    assert r.status_code == 422 and "at most 100 characters" in text(r)


@pytest.mark.parametrize("field,value", [("surname", "1 OR 1=1; <script>"), ("first_name", "Айгүл2"),
                                         ("patronymic", "<b>")])
def test_a_name_must_be_written_in_letters(client, admin, make_body, save, field, value):
    body = make_body(**NO_PERSON)
    save()
    r = post_form(client, url(body), {**FORM, field: value})
    assert r.status_code == 422 and "Write the name in letters" in text(r)


def test_labels_are_translated(client, login_as, make_body, save):
    body = make_body(**NO_PERSON)
    save()
    login_as(Role.ADMIN, language="ru")
    page = text(client.get(url(body)))
    assert "Фамилия" in page and "Отчество" in page


def test_an_assistant_names_their_own_bodys_person_only(client, login_as, make_body, db, save):
    own, other = make_body(**NO_PERSON), make_body(**NO_PERSON)
    save()
    login_as(Role.ASSISTANT, body=own)
    assert "/responsible" in text(client.get("/admin/directory/officials"))
    assert post_form(client, url(own), FORM).status_code == 302
    assert client.get(url(other)).status_code == 403
    r = post_form(client, url(other), FORM, form_url=url(own))
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Body, other.id).responsible_surname is None


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICIAL, Role.MONITOR, Role.STUDIO_OPERATOR])
def test_other_roles_are_refused(client, login_as, make_body, save, role):
    body = make_body(**NO_PERSON)
    save()
    login_as(role, body=body if role in (Role.OFFICIAL, Role.STUDIO_OPERATOR) else None)
    assert client.get(url(body)).status_code == 403


def test_an_unknown_body_is_404(client, admin):
    assert client.get("/admin/directory/bodies/999999/responsible").status_code == 404


# --- publishing needs the person -------------------------------------------------------------------

@pytest.fixture
def unpublished(db, make_body, make_official, make_venue):
    body = make_body(name_en="Akimat of Testing", **NO_PERSON)
    official = make_official(body=body, is_head=True)
    venue = make_venue(body=body)
    day = working_day_after(20)
    unified_day = UnifiedDay(local_date=day, levels="regional", start_time=time(10), end_time=time(11),
                             slot_minutes=30)
    db.session.add(unified_day)
    session = session_on(official, venue, day, kind=SessionKind.UNIFIED_DAY, is_published=False,
                         unified_day=unified_day)
    db.session.commit()
    return session


def _publish(client, session):
    return post_form(client, f"/staff/unified-days/sessions/{session.id}", {
        "start_time": "10:00", "end_time": "11:00", "slot_minutes": "30", "formats": ["in_person"], "publish": "1"})


def test_publishing_without_a_responsible_person_is_refused_naming_what_is_missing(client, login_as, unpublished,
                                                                                    db):
    login_as(Role.ASSISTANT, body=unpublished.official.body)
    r = _publish(client, unpublished)
    assert r.status_code == 409
    assert "The reception office of Akimat of Testing has no responsible person yet" in text(r)
    db.session.expire_all()
    assert db.session.get(ReceptionSession, unpublished.id).is_published is False


def test_the_refusal_is_translated(client, login_as, unpublished):
    login_as(Role.ASSISTANT, body=unpublished.official.body, language="ru")
    r = _publish(client, unpublished)
    assert r.status_code == 409 and "ответственн" in text(r)


def test_with_a_responsible_person_the_session_is_published(client, login_as, unpublished, db):
    login_as(Role.ASSISTANT, body=unpublished.official.body)
    assert post_form(client, url(unpublished.official.body), FORM).status_code == 302
    assert _publish(client, unpublished).status_code == 302
    db.session.expire_all()
    assert db.session.get(ReceptionSession, unpublished.id).is_published is True
