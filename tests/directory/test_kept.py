"""Reference lists kept between requests (reception.directory.kept): the search and booking forms show the
directory as it is now, however it was changed, and read it again only after a change."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from reception.core.permissions import Role
from reception.directory.models import Topic
from tests.conftest import region

SEARCH = "/reception/"


def options(page: str, name: str) -> list[str]:
    """The labels of the select ``name`` on ``page``."""
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)[0]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html)


def search_page(client, **headers) -> str:
    response = client.get(SEARCH, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def list_statements(statements: list[str]) -> list[str]:
    """The statements that read the search form's lists of regions, topics and studios."""
    return [s for s in statements if re.search(r"FROM (regions|topics|venues JOIN regions)\b", " ".join(s.split()))]


def test_a_page_reads_the_lists_again_only_after_the_directory_changed(client, db, count_queries):
    search_page(client)
    with count_queries() as first:
        page = search_page(client)
    assert list_statements(first) == [] and any("directory_version" in s for s in first)
    assert len(options(page, "region")) == 21  # "Any" and the 20 regions, as kept

    db.session.execute(text("UPDATE topics SET position = position WHERE id = (SELECT min(id) FROM topics)"))
    with count_queries() as after_a_write:
        search_page(client)
    assert len(list_statements(after_a_write)) == 3  # regions, topics, studios: read again once


def test_changes_made_outside_the_app_show_on_the_next_page(client, db, login_as, make_session):
    """A plain SQL write (another process, a migration, psql) changes the directory's token through the
    tables' triggers: the forms follow, on either database."""
    login_as(Role.CITIZEN, language="ru")  # in Astana (KZ-71)
    slot = make_session().slots[0]
    db.session.commit()
    book_url = f"/reception/slots/{slot.id}/book"
    topic = db.session.scalars(select(Topic).order_by(Topic.id)).first()
    before = client.get(book_url).get_data(as_text=True)
    assert topic.name_ru in options(before, "topic_id") and options(before, "studio_id") == ["—"]

    db.session.execute(text("UPDATE topics SET name_ru = 'Переименованная тема' WHERE id = :id"), {"id": topic.id})
    db.session.execute(text(
        "INSERT INTO venues (body_id, region_id, kind, name_kk, name_ru, name_en, address_kk, address_ru, address_en,"
        " is_active, created_at) SELECT body_id, region_id, 'studio', 'Студия', 'Новая студия', 'Studio', 'Мекенжай',"
        " 'пр. Республики, 1', 'Address', :yes, created_at FROM venues WHERE id = :venue"),
        {"venue": slot.session.venue_id, "yes": True})
    after = client.get(book_url).get_data(as_text=True)
    assert "Переименованная тема" in options(after, "topic_id") and topic.name_ru not in options(after, "topic_id")
    assert options(after, "studio_id") == ["—", "Новая студия, пр. Республики, 1"]
    assert "Новая студия (Астана)" in options(search_page(client), "studio")


def test_a_change_rolled_back_is_not_kept(client, db):
    """The token a rolled-back write gave is never given again: what was read under it is never used again."""
    search_page(client)
    savepoint = db.session.begin_nested()
    db.session.execute(text("UPDATE regions SET name_en = 'Nowhere' WHERE code = 'KZ-71'"))
    assert "Nowhere" in options(search_page(client), "region")
    savepoint.rollback()
    db.session.execute(text("UPDATE regions SET name_en = name_en WHERE code = 'KZ-15'"))  # another write
    regions = options(search_page(client), "region")
    assert "Nowhere" not in regions and region("KZ-71").name_en in regions


def test_without_a_token_nothing_is_kept(client, db):
    search_page(client)
    db.session.execute(text("DELETE FROM directory_version"))
    db.session.execute(text("UPDATE regions SET name_en = 'Renamed' WHERE code = 'KZ-71'"))  # changes no token
    assert "Renamed" in options(search_page(client), "region")


@pytest.mark.parametrize("language, name", [("ru", "Актюбинская область"), ("kk", "Ақтөбе облысы"),
                                            ("en", "Aktobe Region")])
def test_each_language_has_its_own_lists(client, db, language, name):
    for other in ("kk", "ru", "en"):
        search_page(client, **{"Accept-Language": other})
    assert name in options(search_page(client, **{"Accept-Language": language}), "region")
