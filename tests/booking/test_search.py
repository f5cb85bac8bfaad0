"""The public search that stays flat: the name lookup (JSON), the few choices the form lists, the order of
free slots and each official's next free slot, and query counts that do not grow with the directory."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from reception.booking import queries
from reception.booking.services import BookingData, book_slot
from reception.core.clock import utcnow
from reception.directory.models import BodyLevel, Topic
from reception.schedule.models import AttendanceFormat
from tests.conftest import region
from tests.test_query_counts import LARGE, SMALL, assert_same_count, load

LOOKUP = "/reception/lookup"


def _lookup(client, **params):
    response = client.get(LOOKUP, query_string=params)
    assert response.is_json, response.get_data(as_text=True)
    return response


def _found(client, q, **params) -> set[tuple[str, int]]:
    response = _lookup(client, q=q, **params)
    assert response.status_code == 200
    return {(m["kind"], m["id"]) for m in response.get_json()["results"]}


# --- the lookup ------------------------------------------------------------------------------------

def test_lookup_finds_officials_by_name_and_position_whatever_the_case_of_cyrillic_letters(
        client, db, make_official):
    akhmetov = make_official(full_name="Ахметов Ерлан Серікұлы", position_ru="Заместитель акима")
    other = make_official(full_name="Петрова Анна")
    db.session.commit()
    assert ("official", akhmetov.id) in _found(client, "ахмет")
    assert ("official", akhmetov.id) in _found(client, "ЕРЛАН СЕРІК")
    assert ("official", akhmetov.id) in _found(client, "заместитель")
    assert ("official", other.id) not in _found(client, "ахмет")


@pytest.mark.parametrize("language,column", [("kk", "name_kk"), ("ru", "name_ru"), ("en", "name_en")])
def test_lookup_finds_bodies_by_their_name_in_any_language_and_answers_in_the_visitors(
        client, db, make_body, language, column):
    body = make_body(name_kk="Жер қатынастары басқармасы", name_ru="Управление земельных отношений",
                     name_en="Land Relations Department")
    db.session.commit()
    for q in ("жер қатынас", "земельных", "land rel"):
        assert ("body", body.id) in _found(client, q)
    client.set_cookie("lang", language)
    answer = _lookup(client, q="земельных").get_json()["results"]
    assert [m["label"] for m in answer if m["id"] == body.id and m["kind"] == "body"] == [getattr(body, column)]


def test_lookup_keeps_to_the_region_and_leaves_out_inactive_officials_and_bodies(
        client, db, make_body, make_official, make_venue):
    here = make_body(name_en="Akimat Lookup Karaganda", region=region("KZ-35"))
    central = make_body(name_en="Ministry Lookup", level=BodyLevel.CENTRAL, region=None)
    make_venue(body=central, region_id=region("KZ-35").id)  # receives in Karaganda too
    elsewhere = make_body(name_en="Akimat Lookup Astana", region=region("KZ-71"))
    closed = make_body(name_en="Akimat Lookup Closed", region=region("KZ-35"), is_active=False)
    gone = make_official(body=here, full_name="Lookupov Gone", is_active=False)
    db.session.commit()
    found = _found(client, "lookup", region="KZ-35")
    assert {("body", here.id), ("body", central.id)} <= found
    assert ("body", elsewhere.id) not in found and ("body", closed.id) not in found
    assert ("official", gone.id) not in _found(client, "lookupov")


def test_lookup_answers_at_most_the_limit_of_each_kind(client, db, make_body, make_official):
    body = make_body(name_en="Limit Test Body")
    for n in range(5):
        make_official(body=body, full_name=f"Limitov {n}")
    db.session.commit()
    assert len(_found(client, "limitov")) == 5
    assert len(_found(client, "limitov", limit=3)) == 3


def test_lookup_takes_percent_and_underscore_literally(client, db, make_official):
    make_official(full_name="Wildcardov")
    db.session.commit()
    assert _found(client, "%%") == set() and _found(client, "__") == set()


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": " a "}, {"q": "x" * 101}, {"q": "ab", "limit": "0"}, {"q": "ab", "limit": "21"},
    {"q": "ab", "limit": "many"}, {"q": "ab", "region": "XX-00"}, {"q": "ab", "region": "KZ-71" * 3},
    {"q": "ab", "limit": "9" * 40},
])
def test_lookup_with_bad_input_answers_422_with_a_message(client, db, params):
    response = _lookup(client, **params)
    assert response.status_code == 422
    assert response.get_json()["error"]


def test_lookup_with_a_nul_character_answers_400_with_a_message(client, db):
    response = client.get(LOOKUP, query_string={"q": "ab\x00c"}, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]


# --- the form's choices ----------------------------------------------------------------------------

def _options(page: str, name: str) -> str:
    start = page.index(f'name="{name}"')
    return page[start:page.index("</select>", start)]


def test_search_form_lists_the_regions_bodies_and_the_chosen_bodys_officials_only(
        client, db, make_body, make_official):
    karaganda = make_body(name_en="Akimat Choice Karaganda", region=region("KZ-35"))
    astana = make_body(name_en="Akimat Choice Astana", region=region("KZ-71"))
    mine, theirs = make_official(body=karaganda), make_official(body=astana)
    db.session.commit()
    client.set_cookie("lang", "en")
    page = client.get("/reception/?region=KZ-35").get_data(as_text=True)
    assert karaganda.name_en in _options(page, "body") and astana.name_en not in _options(page, "body")
    assert mine.full_name not in _options(page, "official")  # no body chosen: found by typing
    page = client.get(f"/reception/?region=KZ-35&body={karaganda.id}").get_data(as_text=True)
    assert mine.full_name in _options(page, "official") and theirs.full_name not in _options(page, "official")
    page = client.get("/reception/").get_data(as_text=True)
    assert karaganda.name_en not in _options(page, "body")  # without a region: national bodies only


def test_a_link_to_one_officials_free_time_still_works_and_an_unknown_official_answers_422(
        client, db, make_session):
    session = make_session()
    db.session.commit()
    response = client.get(f"/reception/?official={session.official_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"/reception/slots/{session.slots[0].id}/book" in page
    assert session.official.full_name in _options(page, "official")
    assert client.get("/reception/?official=987654").status_code == 422
    assert client.get(f"/reception/?body={session.official.body_id}0000").status_code == 422


def test_search_page_loads_the_name_lookup_script_and_no_inline_script(client, db):
    page = client.get("/reception/").get_data(as_text=True)
    assert 'src="/static/js/search.js"' in page
    assert "<script>" not in page and "onclick" not in page
    script = client.get("/static/js/search.js")
    assert script.status_code == 200
    script.close()


# --- order and the next free slot ------------------------------------------------------------------

def test_a_regions_free_slots_come_soonest_first_across_days_officials_and_venues(
        client, db, make_body, make_official, make_venue, make_session):
    body = make_body(region=region("KZ-35"))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for n, hours in enumerate((74, 50, 51, 98, 49)):
        make_session(make_official(body=body), make_venue(body=body), start=now + timedelta(hours=hours),
                     slots=3, minutes=20 + n)
    db.session.commit()
    by_region = queries.search_free_slots(region_code="KZ-35", now=utcnow())
    assert len(by_region) == 15
    assert [s.id for s in by_region] == [s.id for s in sorted(by_region, key=lambda s: (s.starts_at, s.id))]
    assert [s.id for s in by_region] == [s.id for s in queries.search_free_slots(body_id=body.id, now=utcnow())]


def _listed_slot_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/reception/slots/(\d+)/book"', page.split('id="results"')[1])]


def test_search_pages_walk_every_free_slot_once_soonest_first_and_a_damaged_link_answers_422(
        client, db, make_body, make_official, make_venue, make_session):
    body = make_body(region=region("KZ-35"))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for n, hours in enumerate((74, 50, 51, 98)):  # 4 sessions of 12 slots, some at the same times
        make_session(make_official(body=body), make_venue(body=body), start=now + timedelta(hours=hours),
                     slots=12, minutes=10 if n % 2 else 20)
    db.session.commit()
    expected = [s.id for s in queries.search_free_slots(region_code="KZ-35", now=utcnow(), limit=100)]
    assert len(expected) == 48
    seen, url, pages = [], "/reception/?region=KZ-35", 0
    while url:
        page = client.get(url.split("#")[0])
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        listed = _listed_slot_ids(html)
        assert len(listed) <= queries.SEARCH_PAGE
        seen += listed
        pages += 1
        later = re.search(r'href="([^"]+)#results">', html)
        url = later.group(1).replace("&amp;", "&") if later else None
        if pages > 1:
            assert "Soonest times" in html and "Next free time of each official" not in html
    assert seen == expected and pages == 3
    for damaged in ("12x-3", "99999999999999999999-1", "1-0"):
        page = client.get("/reception/", query_string={"region": "KZ-35", "after": damaged})
        assert page.status_code == 422
        assert "This link to later times is damaged. Search again." in page.get_data(as_text=True)


def test_the_next_free_slot_of_each_official_is_the_same_with_or_without_a_known_later_slot(
        db, make_official, make_session):
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    first, second = make_official(), make_official()
    early = make_session(first, start=now + timedelta(days=2), slots=2)
    make_session(first, start=now + timedelta(days=3), slots=2)
    later = make_session(second, start=now + timedelta(days=4), slots=2)
    db.session.commit()
    ids = [first.id, second.id, make_official().id]  # the third has no free time
    plain = queries.next_free_slot_per_official(ids, utcnow())
    bounded = queries.next_free_slot_per_official(ids, utcnow(), by=later.slots[-1].starts_at)
    assert {o: s.id for o, s in plain.items()} == {o: s.id for o, s in bounded.items()} == {
        first.id: early.slots[0].id, second.id: later.slots[0].id}


def test_a_search_by_body_lists_each_officials_soonest_free_slot_as_the_database_would_find_it(
        db, make_body, make_official, make_session):
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    body = make_body()
    officials = [make_official(body=body) for _ in range(3)]
    for n, hours in enumerate((80, 50, 60, 49, 120)):
        make_session(officials[n % 3], start=now + timedelta(hours=hours), slots=2)
    db.session.commit()
    slots = queries.search_free_slots(body_id=body.id, now=utcnow(), limit=5)
    listed = queries.next_free_of_listed(slots, utcnow(), narrowed=False)
    asked = queries.next_free_slot_per_official([o.id for o in officials], utcnow())
    assert {o: s.id for o, s in listed.items()} == {o: s.id for o, s in asked.items() if o in listed}
    assert queries.next_free_of_listed([], utcnow(), narrowed=True) == {}


# --- query counts ----------------------------------------------------------------------------------

def test_region_search_runs_as_many_queries_for_many_officials_bodies_and_sessions_as_for_few(
        db, client, count_queries, make_body, make_official, make_venue, make_session):
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    officials: list[str] = []

    def add_rows(count: int) -> None:
        """Each time another body of the region, with its own venue and an official receiving there."""
        for _ in range(count):
            body = make_body(region=region("KZ-35"))
            session = make_session(make_official(body=body), make_venue(body=body),
                                   start=now + timedelta(days=2, hours=len(officials)), slots=2)
            officials.append(session.official.full_name)

    url = "/reception/?region=KZ-35"
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert all(name in page for name in officials)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert all(name in page for name in officials)
    assert_same_count(small, large)


def test_lookup_runs_as_many_queries_for_many_matches_as_for_few(
        db, client, count_queries, make_body, make_official, make_venue):
    def add_rows(count: int) -> None:
        for _ in range(count):
            body = make_body(name_en=f"Countable body {next(_n)}", region=region("KZ-35"))
            make_venue(body=body)
            make_official(body=body, full_name=f"Countable official {next(_n)}")

    url = f"{LOOKUP}?q=countable&region=KZ-35&limit=20"
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert page.count('"kind"') == 2 * SMALL
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert page.count('"kind"') == 2 * LARGE
    assert_same_count(small, large)


_n = iter(range(1, 10**6))


def test_one_officials_search_runs_as_many_queries_for_many_sessions_and_officials_as_for_few(
        db, client, count_queries, make_body, make_official, make_venue, make_session):
    body = make_body()
    official = make_official(body=body)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    venues: list[str] = []

    def add_rows(count: int) -> None:
        """Each time another session at another venue, and another official of the body (not listed)."""
        for _ in range(count):
            venue = make_venue(body=body)
            make_session(official, venue, start=now + timedelta(days=2 + len(venues)), slots=1)
            make_session(make_official(body=body), venue, start=now + timedelta(days=2 + len(venues), hours=3))
            venues.append(venue.name_en)

    url = f"/reception/?official={official.id}"
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert all(name in page for name in venues)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert all(name in page for name in venues) and page.count(">Book</a>") == LARGE
    assert_same_count(small, large)


# --- video from a studio: only times the citizen's studio is free ----------------------------------------

def _studio_world(db, make_user, make_session, make_studio, make_body):
    """A studio of Aktobe region, taken at the first of three times of an official (another official's video
    reception booked from it); the second studio of the region is free all along."""
    aktobe = region("KZ-15")
    akimat = make_body(region=aktobe)
    studio, other_studio = make_studio(body=akimat), make_studio(body=akimat)
    session = make_session(slots=3)
    elsewhere = make_session(start=session.slots[0].starts_at, slots=1)
    topic_id = db.session.scalars(select(Topic.id)).first()
    book_slot(make_user(region_id=aktobe.id), elsewhere.slots[0].id,
              BookingData(format=AttendanceFormat.VIDEO_STUDIO, topic_id=topic_id, summary="Roof", studio_id=studio.id),
              None, utcnow(), {"MAX_ACTIVE_APPOINTMENTS": 3})
    db.session.commit()
    return session, studio, other_studio, aktobe


def _listed_slots(page: str) -> set[int]:
    """The times listed as results (not each official's soonest time above them)."""
    results = page.partition('id="results"')[2]
    return {int(n) for n in re.findall(r"/reception/slots/(\d+)/book", results)}


def test_search_by_video_from_a_studio_offers_only_times_the_chosen_studio_is_free(
        client, db, make_user, make_session, make_studio, make_body):
    session, studio, other_studio, _ = _studio_world(db, make_user, make_session, make_studio, make_body)
    first, second, third = (s.id for s in session.slots)
    url = f"/reception/?official={session.official_id}&format=video_studio"
    page = client.get(f"{url}&studio={studio.id}").get_data(as_text=True)
    assert _listed_slots(page) == {second, third}
    assert _listed_slots(client.get(f"{url}&studio={other_studio.id}").get_data(as_text=True)) == {
        first, second, third}
    # In person, or with no studio chosen, the studio does not narrow the times.
    assert _listed_slots(client.get(
        f"/reception/?official={session.official_id}&format=in_person&studio={studio.id}").get_data(as_text=True)) == {
        first, second, third}
    assert _listed_slots(client.get(f"{url}&studio=0").get_data(as_text=True)) == {first, second, third}


def test_a_citizens_search_checks_their_regions_studio_without_being_asked(
        client, db, login_as, make_user, make_session, make_studio, make_body):
    session, studio, _, aktobe = _studio_world(db, make_user, make_session, make_studio, make_body)
    login_as(region_id=aktobe.id)
    response = client.get(f"/reception/?official={session.official_id}&format=video_studio")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'<option selected value="{studio.id}">|<option value="{studio.id}" selected', page)
    assert _listed_slots(page) == {session.slots[1].id, session.slots[2].id}


@pytest.mark.parametrize("studio", ["-1", "abc", "99999999999999999999", "0 OR 1=1"])
def test_a_bad_studio_in_the_search_is_a_clear_422(client, studio):
    response = client.get(f"/reception/?format=video_studio&studio={studio}")
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True) or "valid" in response.get_data(as_text=True)


def test_search_with_a_studio_runs_as_many_queries_for_many_free_times_as_for_few(
        db, client, count_queries, make_body, make_official, make_session, make_studio):
    body = make_body()
    studio = make_studio(body=body)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    officials: list[str] = []

    def add_rows(count: int) -> None:
        for _ in range(count):
            session = make_session(make_official(body=body), start=now + timedelta(days=2, hours=len(officials)),
                                   slots=1)
            officials.append(session.official.full_name)

    url = f"/reception/?body={body.id}&format=video_studio&studio={studio.id}"
    add_rows(SMALL)
    page, small = load(db, client, count_queries, url)
    assert all(name in page for name in officials)
    add_rows(LARGE - SMALL)
    page, large = load(db, client, count_queries, url)
    assert page.count(">Book</a>") == LARGE
    assert_same_count(small, large)
