"""Administrators manage regions (names and time zone only) and the topic tree."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reception.core.errors import Invalid
from reception.directory import services
from reception.directory.models import Region, Topic

from .conftest import count, region_id, text, topic_id


def _region_form(**overrides):
    data = {"name_kk": "Ақтөбе облысы", "name_ru": "Актюбинская область", "name_en": "Aktobe Region",
            "centre_kk": "Ақтөбе", "centre_ru": "Актобе", "centre_en": "Aktobe", "timezone": "Asia/Aqtobe"}
    data.update(overrides)
    return data


def test_admin_edits_region_names_and_time_zone(client, admin, submit, db):
    rid = region_id("KZ-15")
    r = submit(f"/admin/directory/regions/{rid}", _region_form(name_en="Aktobe Oblast", timezone="Asia/Almaty"))
    assert r.status_code == 302
    region = db.session.get(Region, rid)
    assert (region.name_en, region.timezone, region.code) == ("Aktobe Oblast", "Asia/Almaty", "KZ-15")


def test_region_time_zone_must_be_an_iana_name(client, admin, submit, db):
    rid = region_id("KZ-15")
    for tz in ("Mars/Olympus", "UTC+5", "asia/almaty", ""):
        r = submit(f"/admin/directory/regions/{rid}", _region_form(timezone=tz))
        assert r.status_code == 422, tz
        db.session.expire_all()
        assert db.session.get(Region, rid).timezone == "Asia/Aqtobe"


def test_region_name_longer_than_the_column_is_refused(client, admin, submit, db):
    r = submit(f"/admin/directory/regions/{region_id('KZ-15')}", _region_form(name_ru="А" * 121))
    assert r.status_code == 422
    assert "at most 120 characters" in text(r)


def test_regions_cannot_be_created(client, admin):
    assert client.get("/admin/directory/regions/new").status_code == 404
    assert "New region" not in text(client.get("/admin/directory/regions"))


def test_unknown_region_edit_is_404(client, admin):
    assert client.get("/admin/directory/regions/999999").status_code == 404


# --- topics -------------------------------------------------------------------------------

def _topic_form(**overrides):
    data = {"code": "housing.repairs", "parent_id": str(topic_id("housing")), "name_kk": "Күрделі жөндеу",
            "name_ru": "Капитальный ремонт", "name_en": "Major repairs", "position": "5"}
    data.update(overrides)
    return data


def test_topic_list_shows_the_tree(client, admin):
    r = client.get("/admin/directory/topics")
    assert r.status_code == 200
    page = text(r)
    assert page.index("Housing and utilities") < page.index("Housing waiting list") < page.index("Land relations")


def test_admin_creates_a_subtopic(client, admin, submit, db):
    r = submit("/admin/directory/topics/new", _topic_form())
    assert r.status_code == 302
    topic = db.session.scalars(select(Topic).where(Topic.code == "housing.repairs")).one()
    assert (topic.parent_id, topic.name_ru, topic.name_kk, topic.name_en, topic.position) == (
        topic_id("housing"), "Капитальный ремонт", "Күрделі жөндеу", "Major repairs", 5)


def test_admin_edits_a_topic_and_moves_it_to_the_top(client, admin, submit, db):
    tid = topic_id("housing.queue")
    r = submit(f"/admin/directory/topics/{tid}", _topic_form(code="housing-queue", parent_id="0", name_en="Queue"))
    assert r.status_code == 302
    topic = db.session.get(Topic, tid)
    assert (topic.code, topic.parent_id, topic.name_en) == ("housing-queue", None, "Queue")


def test_duplicate_topic_code_is_refused_and_nothing_written(client, admin, submit):
    before = count(Topic)
    for code in ("housing", "HOUSING"):
        r = submit("/admin/directory/topics/new", _topic_form(code=code))
        assert r.status_code == 409
        assert "A topic with this code already exists." in text(r)
        assert count(Topic) == before


def test_unknown_parent_topic_is_422(client, admin, submit):
    before = count(Topic)
    r = submit("/admin/directory/topics/new", _topic_form(parent_id="999999"))
    assert r.status_code == 422
    assert count(Topic) == before


def test_topic_cannot_be_moved_under_its_own_subtopic(client, admin, submit, db):
    tid = topic_id("housing")
    r = submit(f"/admin/directory/topics/{tid}", _topic_form(code="housing", parent_id=str(topic_id("housing.queue"))))
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(Topic, tid).parent_id is None


def test_service_refuses_a_topic_as_its_own_ancestor(ctx, make_user, db):
    actor = make_user("admin")
    housing = db.session.get(Topic, topic_id("housing"))
    for parent in ("housing", "housing.queue"):
        with pytest.raises(Invalid) as err:
            services.update_topic(actor, housing, services.TopicData(
                code="housing", name_kk="a", name_ru="b", name_en="c", parent_id=topic_id(parent)))
        assert err.value.field == "parent_id"


def test_invalid_topic_input_is_422_and_nothing_written(client, admin, submit):
    before = count(Topic)
    for field, value in [("code", "has space"), ("code", "ж"), ("code", "x" * 65), ("name_ru", ""),
                         ("name_kk", "x" * 201), ("position", "-1"), ("position", "many"), ("parent_id", "x")]:
        r = submit("/admin/directory/topics/new", _topic_form(**{field: value}))
        assert r.status_code == 422, (field, value)
    assert count(Topic) == before


def test_english_topic_name_may_be_left_empty(client, admin, submit, db):
    assert submit("/admin/directory/topics/new", _topic_form(name_en="")).status_code == 302
    topic = db.session.scalars(select(Topic).where(Topic.code == "housing.repairs")).one()
    assert topic.name_en == ""
