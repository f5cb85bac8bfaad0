"""Administrators manage government bodies: codes unique, parents without cycles, competences from the topic list."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from reception.core.errors import Conflict, Invalid, NotAllowed
from reception.core.permissions import Role
from reception.directory import services
from reception.directory.models import Body, BodyLevel

from .conftest import count, region_id, text, topic_id


def _body_form(**overrides):
    data = {"code": "akimat-kz-15", "level": "regional", "region_id": str(region_id("KZ-15")), "parent_id": "0",
            "name_kk": "Ақтөбе облысының әкімдігі", "name_ru": "Акимат Актюбинской области",
            "name_en": "Akimat of Aktobe Region", "address_kk": "Әбілқайыр хан даңғылы, 40",
            "address_ru": "проспект Абилкайыр хана, 40", "address_en": "40 Abilkaiyr Khan Ave",
            "phone": "8 (7132) 55-55-55", "topic_ids": [str(topic_id("housing")), str(topic_id("land"))],
            "is_active": "y"}
    data.update(overrides)
    return data


def _by_code(db, code):
    return db.session.scalars(select(Body).where(Body.code == code)).one_or_none()


def test_admin_creates_a_body_with_competences(client, admin, submit, db):
    r = submit("/admin/directory/bodies/new", _body_form())
    assert r.status_code == 302
    body = _by_code(db, "akimat-kz-15")
    assert body.level is BodyLevel.REGIONAL
    assert body.region.code == "KZ-15"
    assert (body.name_kk, body.name_ru, body.name_en) == (
        "Ақтөбе облысының әкімдігі", "Акимат Актюбинской области", "Akimat of Aktobe Region")
    assert body.address_ru == "проспект Абилкайыр хана, 40"
    assert body.phone == "+77132555555"
    assert {t.code for t in body.topics} == {"housing", "land"}
    assert body.is_active is True


def test_admin_edits_a_body_and_deactivates_it(client, admin, submit, make_body, db, save):
    parent = make_body(code="akimat-kz-71")
    body = make_body(code="old-code", level=BodyLevel.CITY)
    save()
    data = _body_form(code="akimat-aktobe", level="city", parent_id=str(parent.id), phone="",
                      address_kk="", address_ru="", address_en="", topic_ids=[str(topic_id("health"))])
    del data["is_active"]
    assert submit(f"/admin/directory/bodies/{body.id}", data).status_code == 302
    db.session.expire_all()
    body = db.session.get(Body, body.id)
    assert (body.code, body.level, body.parent_id, body.phone, body.address_ru, body.is_active) == (
        "akimat-aktobe", BodyLevel.CITY, parent.id, None, None, False)
    assert [t.code for t in body.topics] == ["health"]
    assert client.get(f"/directory/bodies/{body.id}").status_code == 404


def test_edit_form_shows_the_current_values(client, admin, make_body, db, save):
    body = make_body(code="shown-code")
    from reception.directory.models import Topic
    body.topics = [db.session.get(Topic, topic_id("ecology"))]
    save()
    page = text(client.get(f"/admin/directory/bodies/{body.id}"))
    assert 'value="shown-code"' in page
    checked = re.findall(r'<input checked id="topic_ids-\d+" name="topic_ids" type="checkbox" value="(\d+)">', page)
    assert checked == [str(topic_id("ecology"))]


def test_duplicate_body_code_is_a_conflict_and_nothing_written(client, admin, submit, make_body, save):
    make_body(code="akimat-kz-15")
    save()
    before = count(Body)
    r = submit("/admin/directory/bodies/new", _body_form(code="Akimat-KZ-15"))
    assert r.status_code == 409
    assert "A body with this code already exists." in text(r)
    assert count(Body) == before


def test_a_duplicate_that_slips_past_the_check_is_still_a_conflict(client, admin, submit, make_body, save,
                                                                    monkeypatch):
    # Two administrators saving at once: the unique index is the last guard.
    make_body(code="akimat-kz-15")
    save()
    monkeypatch.setattr(services, "_code_taken", lambda *args: False)
    before = count(Body)
    r = submit("/admin/directory/bodies/new", _body_form())
    assert r.status_code == 409
    assert "A body with this code already exists." in text(r)
    assert count(Body) == before


def test_unknown_region_parent_or_topic_ids_are_422_and_nothing_written(client, admin, submit):
    before = count(Body)
    for field, value in [("region_id", "999999"), ("parent_id", "999999"), ("topic_ids", ["999999"]),
                         ("region_id", "abc"), ("parent_id", "99999999999999999999"), ("level", "galactic")]:
        r = submit("/admin/directory/bodies/new", _body_form(**{field: value}))
        assert r.status_code == 422, (field, value)
    assert count(Body) == before


def test_invalid_body_input_is_422(client, admin, submit):
    before = count(Body)
    for field, value in [("code", ""), ("code", "with space"), ("name_ru", ""), ("name_kk", "x" * 256),
                         ("address_en", "x" * 256), ("phone", "12345"), ("phone", "not a phone")]:
        r = submit("/admin/directory/bodies/new", _body_form(**{field: value}))
        assert r.status_code == 422, (field, value)
    assert count(Body) == before


def test_an_akimat_must_have_a_region_but_a_ministry_need_not(client, admin, submit, db):
    r = submit("/admin/directory/bodies/new", _body_form(region_id="0"))
    assert r.status_code == 422
    assert "An akimat must belong to a region." in text(r)
    r = submit("/admin/directory/bodies/new", _body_form(code="mintrud", level="central", region_id="0"))
    assert r.status_code == 302
    assert _by_code(db, "mintrud").region_id is None


def test_a_body_cannot_be_subordinate_to_its_own_subordinate(client, admin, submit, make_body, db, save):
    top = make_body(code="top")
    middle = make_body(code="middle", parent=top)
    bottom = make_body(code="bottom", parent=middle)
    save()
    for parent in (top, bottom):
        r = submit(f"/admin/directory/bodies/{top.id}", _body_form(code="top", parent_id=str(parent.id)))
        assert r.status_code == 422
        db.session.expire_all()
        assert db.session.get(Body, top.id).parent_id is None


def test_service_refuses_a_body_as_its_own_parent_or_ancestor(ctx, make_user, make_body, db):
    actor = make_user(Role.ADMIN)
    top = make_body(code="top")
    child = make_body(code="child", parent=top)
    for parent in (top, child):
        with pytest.raises(Invalid) as err:
            services.update_body(actor, top, services.BodyData(
                code="top", level="regional", region_id=top.region_id, parent_id=parent.id,
                name_kk="a", name_ru="b", name_en="c"))
        assert err.value.field == "parent_id"


def test_service_reports_a_duplicate_code_as_conflict(ctx, make_user, make_body):
    actor = make_user(Role.ADMIN)
    make_body(code="taken")
    with pytest.raises(Conflict):
        services.create_body(actor, services.BodyData(code="taken", level="central", name_kk="a", name_ru="b",
                                                      name_en="c"))


def test_only_administrators_may_change_bodies(ctx, make_user, make_body):
    body = make_body()
    assistant = make_user(Role.ASSISTANT, body=body)
    with pytest.raises(NotAllowed):
        services.create_body(assistant, services.BodyData(code="x", level="central", name_kk="a", name_ru="b",
                                                          name_en="c"))


def test_body_list_can_be_narrowed_to_a_region(client, admin, make_body, save):
    make_body(name_en="In Aktobe", region=db_region("KZ-15"))
    make_body(name_en="In Astana", region=db_region("KZ-71"))
    save()
    client.set_cookie("lang", "en")
    page = text(client.get("/admin/directory/bodies", query_string={"region": "KZ-15"}))
    assert "In Aktobe" in page and "In Astana" not in page
    page = text(client.get("/admin/directory/bodies", query_string={"region": "nonsense"}))
    assert "In Aktobe" in page and "In Astana" in page


def db_region(code):
    from tests.conftest import region
    return region(code)
