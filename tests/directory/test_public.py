"""Public directory pages: regions, central bodies, body pages and the official search, in kk/ru/en."""
from __future__ import annotations

import pytest

from reception.directory.models import BodyLevel, VenueKind
from tests.conftest import region

from .conftest import text, topic_id


def test_directory_lists_the_20_regions_with_links_and_central_bodies(client):
    r = client.get("/directory/")
    assert r.status_code == 200
    page = text(r)
    assert page.count('href="/directory/regions/KZ-') == 20
    assert 'href="/directory/central"' in page


@pytest.mark.parametrize("lang, name, centre", [
    ("en", "Aktobe Region", "Aktobe"),
    ("ru", "Актюбинская область", "Актобе"),
    ("kk", "Ақтөбе облысы", "Ақтөбе"),
])
def test_region_names_are_shown_in_the_visitors_language(client, lang, name, centre):
    client.set_cookie("lang", lang)
    index = text(client.get("/directory/"))
    assert name in index
    page = client.get("/directory/regions/KZ-15")
    assert page.status_code == 200
    assert f"<h1>{name}</h1>" in text(page)
    assert centre in text(page)
    assert f'<html lang="{lang}">' in text(page)


def test_unknown_region_code_is_404(client):
    assert client.get("/directory/regions/KZ-99").status_code == 404
    assert client.get("/directory/regions/not-a-code-at-all").status_code == 404


def test_region_page_groups_active_bodies_by_level(client, make_body, save):
    aktobe = region("KZ-15")
    akimat = make_body(level=BodyLevel.REGIONAL, region=aktobe, name_en="Akimat of Aktobe Region")
    make_body(level=BodyLevel.CITY, region=aktobe, name_en="Akimat of Aktobe city", parent=akimat)
    make_body(level=BodyLevel.DISTRICT, region=aktobe, name_en="Akimat of Khromtau district", parent=akimat)
    make_body(level=BodyLevel.DISTRICT, region=aktobe, name_en="Closed district akimat", is_active=False)
    make_body(level=BodyLevel.REGIONAL, region=region("KZ-71"), name_en="Akimat of another region")
    save()
    client.set_cookie("lang", "en")
    page = text(client.get("/directory/regions/KZ-15"))
    regional, city, district = page.index("Regional akimat"), page.index("City akimat"), page.index("District akimat")
    assert regional < page.index("Akimat of Aktobe Region") < city < page.index("Akimat of Aktobe city") < district
    assert district < page.index("Akimat of Khromtau district")
    assert f'href="/directory/bodies/{akimat.id}"' in page
    assert "Closed district akimat" not in page
    assert "Akimat of another region" not in page


def test_central_page_lists_presidential_administration_and_ministries_only(client, make_body, save):
    make_body(level=BodyLevel.PRESIDENTIAL, name_en="Presidential Administration")
    make_body(level=BodyLevel.CENTRAL, name_en="Ministry of Labour")
    make_body(level=BodyLevel.REGIONAL, name_en="Some regional akimat")
    save()
    client.set_cookie("lang", "en")
    r = client.get("/directory/central")
    assert r.status_code == 200
    page = text(r)
    assert page.index("Presidential Administration</a>") < page.index("Ministry of Labour")
    assert "Some regional akimat" not in page


def test_body_page_shows_details_competences_active_officials_and_venues(
        client, make_body, make_official, make_venue, db, save):
    aktobe = region("KZ-15")
    parent = make_body(level=BodyLevel.REGIONAL, region=aktobe, name_en="Akimat of Aktobe Region")
    body = make_body(level=BodyLevel.CITY, region=aktobe, parent=parent, name_en="Akimat of Aktobe city",
                     address_en="1 Abilkaiyr Khan Ave", phone="+77132555555")
    from reception.directory.models import Topic
    body.topics = [db.session.get(Topic, topic_id("housing")), db.session.get(Topic, topic_id("land"))]
    make_official(body=body, full_name="Aigerim Sadykova", position_en="Akim of the city", is_head=True)
    make_official(body=body, full_name="Berik Ospanov", position_en="Deputy akim")
    make_official(body=body, full_name="Retired Person", is_active=False)
    make_venue(body=body, kind=VenueKind.STUDIO, name_en="Video studio", address_en="1 Abilkaiyr Khan Ave",
               floor="2, room 204")
    make_venue(body=body, name_en="Closed room", is_active=False)
    save()
    client.set_cookie("lang", "en")
    r = client.get(f"/directory/bodies/{body.id}")
    assert r.status_code == 200
    page = text(r)
    for expected in ("Akimat of Aktobe city", "City akimat", "Aktobe Region", "1 Abilkaiyr Khan Ave",
                     "+7 7132 55 55 55", "Housing and utilities", "Land relations", "Akim of the city",
                     "Deputy akim", "Video studio", "2, room 204", f'href="/directory/bodies/{parent.id}"'):
        assert expected in page, expected
    assert page.index("Aigerim Sadykova") < page.index("head of the body") < page.index("Berik Ospanov")
    assert "Retired Person" not in page
    assert "Closed room" not in page


def test_body_page_uses_the_visitors_language(client, make_body, make_official, save):
    body = make_body(name_kk="Ақтөбе қаласының әкімдігі", name_ru="Акимат города Актобе", name_en="Akimat of Aktobe")
    make_official(body=body, position_kk="Қала әкімі", position_ru="Аким города", position_en="Akim of the city")
    save()
    client.set_cookie("lang", "ru")
    page = text(client.get(f"/directory/bodies/{body.id}"))
    assert "Акимат города Актобе" in page and "Аким города" in page
    client.set_cookie("lang", "kk")
    page = text(client.get(f"/directory/bodies/{body.id}"))
    assert "Ақтөбе қаласының әкімдігі" in page and "Қала әкімі" in page


def test_inactive_or_unknown_body_is_404(client, make_body, save):
    closed = make_body(is_active=False)
    save()
    assert client.get(f"/directory/bodies/{closed.id}").status_code == 404
    assert client.get("/directory/bodies/999999").status_code == 404
    assert client.get("/directory/bodies/99999999999999999999").status_code == 404


# --- the official search -------------------------------------------------------------------

@pytest.fixture
def people(make_body, make_official, db, save):
    from reception.directory.models import Topic
    housing = db.session.get(Topic, topic_id("housing"))
    land = db.session.get(Topic, topic_id("land.allocation"))
    aktobe_body = make_body(region=region("KZ-15"), name_en="Aktobe akimat")
    aktobe_body.topics = [housing]
    astana_body = make_body(region=region("KZ-71"), name_en="Astana akimat")
    astana_body.topics = [land]
    closed_body = make_body(region=region("KZ-15"), is_active=False)
    found = {
        "ivanov": make_official(body=aktobe_body, full_name="Иванов Пётр"),
        "akhmetova": make_official(body=astana_body, full_name="Ахметова Әсем"),
        "inactive": make_official(body=aktobe_body, full_name="Иванова Уволена", is_active=False),
        "closed": make_official(body=closed_body, full_name="Иваненко Закрытый"),
    }
    save()
    return found


def test_official_search_matches_a_name_substring_ignoring_case(client, people):
    page = text(client.get("/directory/officials", query_string={"q": "иванов"}))
    assert "Иванов Пётр" in page
    assert "Ахметова" not in page
    page = text(client.get("/directory/officials", query_string={"q": "ӘСЕМ"}))
    assert "Ахметова Әсем" in page


def test_official_search_hides_inactive_officials_and_officials_of_inactive_bodies(client, people):
    page = text(client.get("/directory/officials", query_string={"q": "Иван"}))
    assert "Иванов Пётр" in page
    assert "Уволена" not in page and "Закрытый" not in page


def test_official_search_filters_by_region_code(client, people):
    page = text(client.get("/directory/officials", query_string={"region": "KZ-71"}))
    assert "Ахметова Әсем" in page and "Иванов Пётр" not in page


def test_official_search_by_topic_finds_bodies_competent_for_it_or_its_parent(client, people):
    # Aktobe is competent for "housing": it is found for the subtopic "housing.queue" too.
    page = text(client.get("/directory/officials", query_string={"topic": topic_id("housing.queue")}))
    assert "Иванов Пётр" in page and "Ахметова" not in page
    # Astana is competent for "land.allocation": a search for all of "land" finds it.
    page = text(client.get("/directory/officials", query_string={"topic": topic_id("land")}))
    assert "Ахметова Әсем" in page and "Иванов" not in page


@pytest.mark.parametrize("args, note", [
    ({"region": "KZ-99"}, "Unknown region: this filter was ignored."),
    ({"region": "<script>"}, "Unknown region: this filter was ignored."),
    ({"topic": "999999"}, "Unknown topic: this filter was ignored."),
    ({"topic": "housing"}, "Unknown topic: this filter was ignored."),
    ({"topic": "99999999999999999999999"}, "Unknown topic: this filter was ignored."),
    ({"q": "x" * 500}, "This text is too long and was ignored."),
])
def test_official_search_ignores_a_bad_filter_with_a_visible_note(client, people, args, note):
    client.set_cookie("lang", "en")
    r = client.get("/directory/officials", query_string=args)
    assert r.status_code == 200
    page = text(r)
    assert note in page
    assert "<script>" not in page
    # The filter was dropped: everyone active is listed.
    assert "Иванов Пётр" in page and "Ахметова Әсем" in page


def test_official_search_renders_in_every_language(client, people):
    for lang in ("kk", "ru", "en"):
        client.set_cookie("lang", lang)
        r = client.get("/directory/officials", query_string={"region": "KZ-15"})
        assert r.status_code == 200
        assert f'<html lang="{lang}">' in text(r)


def test_region_page_links_to_the_search_in_that_region(client):
    assert 'href="/directory/officials?region=KZ-15"' in text(client.get("/directory/regions/KZ-15"))


def test_public_pages_need_no_login(client):
    for url in ("/directory/", "/directory/central", "/directory/officials", "/directory/regions/KZ-71"):
        assert client.get(url).status_code == 200, url

