"""The public resources beyond the directory and the search: venues and studios, unified reception days, visiting
receptions and the public monitoring results. Each lists what its public page lists, nothing hidden or
unpublished, with filters, cursor pages (Link rel=next; a damaged cursor is a 422), 404 problems and ETags."""
from __future__ import annotations

import json
import re
from datetime import time

import pytest

from reception.directory.models import BodyLevel, VenueKind
from reception.schedule.models import SessionKind, SessionStatus, UnifiedDay, VisitingReception
from tests.conftest import region
from tests.monitoring.conftest import history  # noqa: F401  (the fixture: February 2024, figures by hand)
from tests.schedule.factories import session_on, working_day_after

PROBLEM = "application/problem+json"
OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:00")


def _next(response) -> str:
    return re.fullmatch(r'<([^>]+)>; rel="next"', response.headers["Link"]).group(1)


def _ids(response) -> list[int]:
    return [item["id"] for item in response.json["items"]]


# --- venues and studios ---------------------------------------------------------------------------

def test_venues_are_the_active_venues_of_active_bodies_with_names_addresses_and_zone(client, db, make_body,
                                                                                      make_venue):
    body = make_body()
    office = make_venue(body=body, name_kk="Қабылдау бөлмесі", name_ru="Приёмная", name_en="Reception office",
                        address_en="2 Beibitshilik St", floor="1st floor, room 101", phone="+77172000000")
    closed = make_venue(body=body, is_active=False)
    gone = make_venue(body=make_body(is_active=False))
    db.session.commit()
    r = client.get(f"/api/v1/venues?body={body.id}")
    assert r.status_code == 200 and _ids(r) == [office.id]
    venue = r.json["items"][0]
    assert venue["names"] == {"kk": "Қабылдау бөлмесі", "ru": "Приёмная", "en": "Reception office"}
    assert venue["addresses"]["en"] == "2 Beibitshilik St" and venue["floor"] == "1st floor, room 101"
    assert (venue["kind"], venue["region"], venue["timezone"]) == ("office", "KZ-71", "Asia/Almaty")
    assert client.get(f"/api/v1/venues/{office.id}").json == venue
    for hidden in (closed.id, gone.id, 2147483647, 99999999999):
        r = client.get(f"/api/v1/venues/{hidden}")
        assert r.status_code == 404 and r.mimetype == PROBLEM, hidden
    assert not {closed.id, gone.id} & set(_ids(client.get("/api/v1/venues?limit=200")))


def test_venues_filter_by_region_body_and_kind(client, db, make_body, make_venue):
    astana, aktobe = make_body(), make_body(region=region("KZ-15"))
    office, hall = make_venue(body=astana), make_venue(body=astana, kind=VenueKind.HALL)
    far = make_venue(body=aktobe)
    db.session.commit()
    assert _ids(client.get(f"/api/v1/venues?body={astana.id}")) == [office.id, hall.id]
    assert _ids(client.get(f"/api/v1/venues?body={astana.id}&kind=hall")) == [hall.id]
    in_aktobe = client.get("/api/v1/venues?region=KZ-15&limit=200")
    assert far.id in _ids(in_aktobe) and {v["region"] for v in in_aktobe.json["items"]} == {"KZ-15"}
    assert in_aktobe.json["items"][0]["timezone"] == "Asia/Aqtobe"
    r = client.get("/api/v1/venues?region=KZ-99")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "region"
    r = client.get("/api/v1/venues?kind=garden")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "kind"


def test_studios_are_the_akimats_video_studios_of_a_region(client, db, make_body, make_venue):
    astana, aktobe = make_body(), make_body(region=region("KZ-15"))
    make_venue(body=aktobe)  # an office: not a studio
    studio = make_venue(body=aktobe, kind=VenueKind.STUDIO, phone="+77132000000")
    elsewhere = make_venue(body=astana, kind=VenueKind.STUDIO)
    make_venue(body=aktobe, kind=VenueKind.STUDIO, is_active=False, name_ru="Закрытая студия")
    db.session.commit()
    r = client.get("/api/v1/studios?region=KZ-15")
    assert r.status_code == 200 and _ids(r) == [studio.id]
    assert r.json["items"][0]["kind"] == "studio" and r.json["items"][0]["phone"] == "+77132000000"
    everywhere = _ids(client.get("/api/v1/studios?limit=200"))
    assert {studio.id, elsewhere.id} <= set(everywhere)
    assert {v["kind"] for v in client.get("/api/v1/studios?limit=200").json["items"]} == {"studio"}


def test_venues_come_a_page_at_a_time(client, db, make_body, make_venue):
    body = make_body()
    made = [make_venue(body=body).id for _ in range(3)]
    db.session.commit()
    first = client.get(f"/api/v1/venues?body={body.id}&limit=2")
    assert _ids(first) == made[:2] and first.json["next"] == str(made[1])
    second = client.get(_next(first))
    assert _ids(second) == made[2:] and second.json["next"] is None and "Link" not in second.headers


@pytest.mark.parametrize("url", ["/api/v1/venues?after=x", "/api/v1/studios?after=-1",
                                 "/api/v1/unified-days?after=2026-13-40", "/api/v1/visiting-receptions?after=12",
                                 "/api/v1/results?after=abc"])
def test_a_damaged_cursor_is_a_422_on_after(client, url):
    r = client.get(url)
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert r.json["errors"][0]["field"] == "after"


def test_public_reads_carry_an_etag_and_answer_304(client, db, make_venue):
    make_venue()
    db.session.commit()
    for url in ("/api/v1/venues", "/api/v1/unified-days", "/api/v1/visiting-receptions", "/api/v1/results"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["ETag"], url
        again = client.get(url, headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304 and not again.data, url


# --- unified reception days ---------------------------------------------------------------------------

def _unified_day(db, day_date, note=None) -> UnifiedDay:
    day = UnifiedDay(local_date=day_date, levels="regional", start_time=time(10), end_time=time(11),
                     slot_minutes=30, note=note)
    db.session.add(day)
    return day


def test_unified_days_list_the_days_to_come_with_their_published_receptions(client, db, make_official,
                                                                              make_venue):
    official = make_official(full_name="Aliya Nurlanovna", is_head=True)
    venue = make_venue(body=official.body)
    coming = _unified_day(db, working_day_after(20), note="Bring your documents.")
    coming.regions = [region("KZ-71")]
    session_on(official, venue, coming.local_date, kind=SessionKind.UNIFIED_DAY, unified_day=coming)
    session_on(make_official(body=official.body), venue, coming.local_date, start=time(14), end=time(15),
               kind=SessionKind.UNIFIED_DAY, unified_day=coming, is_published=False)
    past = _unified_day(db, working_day_after(-40))
    db.session.commit()
    r = client.get("/api/v1/unified-days")
    assert r.status_code == 200
    assert past.id not in _ids(r)  # the page lists the days from today on
    item = next(i for i in r.json["items"] if i["id"] == coming.id)
    assert item == {"id": coming.id, "date": coming.local_date.isoformat(), "levels": ["regional"],
                    "regions": ["KZ-71"], "note": "Bring your documents.", "published": 1}
    page = client.get("/unified-days/").get_data(as_text=True)
    assert f"/unified-days/{coming.local_date.isoformat()}" in page
    assert f"/unified-days/{past.local_date.isoformat()}" not in page


def test_a_unified_day_shows_only_its_published_receptions_with_local_times(client, db, make_official,
                                                                             make_venue):
    official = make_official(full_name="Aliya Nurlanovna", is_head=True)
    venue = make_venue(body=official.body, name_en="Akimat hall")
    day = _unified_day(db, working_day_after(20))
    shown = session_on(official, venue, day.local_date, kind=SessionKind.UNIFIED_DAY, unified_day=day)
    draft = session_on(make_official(body=official.body, full_name="Draft Official"), venue, day.local_date,
                       start=time(14), end=time(15), kind=SessionKind.UNIFIED_DAY, unified_day=day,
                       is_published=False)
    db.session.commit()
    r = client.get(f"/api/v1/unified-days/{day.id}")
    assert r.status_code == 200
    assert [x["id"] for x in r.json["receptions"]] == [shown.id] and r.json["published"] == 1
    reception = r.json["receptions"][0]
    assert reception["official_name"] == "Aliya Nurlanovna" and reception["venue_names"]["en"] == "Akimat hall"
    assert reception["region"] == "KZ-71" and reception["timezone"] == "Asia/Almaty"
    assert OFFSET.fullmatch(reception["starts_at"]) and reception["starts_at"].endswith("T10:00:00+05:00")
    assert reception["status"] == "planned" and reception["booking"] == "open"
    assert "Draft Official" not in json.dumps(r.json)
    page = client.get(f"/unified-days/{day.local_date.isoformat()}").get_data(as_text=True)
    assert "Aliya Nurlanovna" in page and "Draft Official" not in page
    assert draft.id
    r = client.get("/api/v1/unified-days/2147483647")
    assert r.status_code == 404 and r.mimetype == PROBLEM


def test_unified_days_come_a_page_at_a_time(client, db):
    days = [_unified_day(db, working_day_after(n)) for n in (60, 70, 80)]
    db.session.commit()
    first = client.get("/api/v1/unified-days?limit=2")
    mine = [d.id for d in days]
    assert len(first.json["items"]) == 2 and first.json["next"]
    seen = _ids(first)
    while "Link" in first.headers:
        first = client.get(_next(first))
        seen += _ids(first)
    assert [i for i in seen if i in mine] == mine and len(seen) == len(set(seen))


# --- visiting receptions -------------------------------------------------------------------------------

def _visit(db, official, venue, *days, **session_overrides) -> VisitingReception:
    visit = VisitingReception(official=official, region=venue.region, venue=venue, note="Residents only.")
    db.session.add(visit)
    for n, day in enumerate(days):
        session_on(official, venue, day, start=time(10 + 2 * n), end=time(11 + 2 * n), kind=SessionKind.VISITING,
                   visiting=visit, restricted_region_id=venue.region_id, **session_overrides)
    db.session.flush()
    return visit


def test_visiting_receptions_list_the_visits_to_come_by_region_and_dates(client, db, make_body, make_official,
                                                                         make_venue):
    minister = make_official(body=make_body(level=BodyLevel.CENTRAL), full_name="Minister Of Labour")
    astana_hall = make_venue(body=make_body(), kind=VenueKind.HALL)
    aktobe_hall = make_venue(body=make_body(region=region("KZ-15")), kind=VenueKind.HALL)
    soon, later = working_day_after(10), working_day_after(40)
    in_astana = _visit(db, minister, astana_hall, soon)
    in_aktobe = _visit(db, minister, aktobe_hall, later)
    called_off = _visit(db, minister, astana_hall, soon, status=SessionStatus.CANCELLED)
    db.session.commit()
    r = client.get("/api/v1/visiting-receptions")
    assert r.status_code == 200
    listed = _ids(r)
    assert listed.index(in_astana.id) < listed.index(in_aktobe.id) and called_off.id not in listed
    item = r.json["items"][listed.index(in_aktobe.id)]
    assert item["region"] == "KZ-15" and item["official_name"] == "Minister Of Labour"
    assert item["note"] == "Residents only." and item["venue_id"] == aktobe_hall.id
    assert [s["timezone"] for s in item["sessions"]] == ["Asia/Aqtobe"]
    assert item["sessions"][0]["booking"] == "not_open_yet" and item["sessions"][0]["booking_opens_at"]
    assert _ids(client.get("/api/v1/visiting-receptions?region=KZ-15")) == [in_aktobe.id]
    assert in_aktobe.id not in _ids(client.get(f"/api/v1/visiting-receptions?date_to={soon.isoformat()}"))
    assert _ids(client.get(f"/api/v1/visiting-receptions?date_from={later.isoformat()}&"
                           f"date_to={later.isoformat()}")) == [in_aktobe.id]
    page = client.get("/visiting/?region=KZ-15").get_data(as_text=True)
    assert f"/visiting/{in_aktobe.id}" in page and f"/visiting/{in_astana.id}" not in page
    r = client.get(f"/api/v1/visiting-receptions?date_from={later.isoformat()}&date_to={soon.isoformat()}")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "date_to"


def test_a_visiting_reception_shows_its_published_dates(client, db, make_body, make_official, make_venue):
    minister = make_official(body=make_body(level=BodyLevel.CENTRAL))
    hall = make_venue(body=make_body(), kind=VenueKind.HALL, name_en="Akimat hall")
    visit = _visit(db, minister, hall, working_day_after(10), working_day_after(12))
    visit.sessions[1].status = SessionStatus.CANCELLED
    hidden = _visit(db, minister, hall, working_day_after(14), is_published=False)
    db.session.commit()
    r = client.get(f"/api/v1/visiting-receptions/{visit.id}")
    assert r.status_code == 200 and r.json["venue_names"]["en"] == "Akimat hall"
    assert [s["status"] for s in r.json["sessions"]] == ["planned", "cancelled"]
    assert [s["booking"] for s in r.json["sessions"]] == ["open", "over"]
    assert all(OFFSET.fullmatch(s["starts_at"]) for s in r.json["sessions"])
    for unknown in (hidden.id, 2147483647):
        r = client.get(f"/api/v1/visiting-receptions/{unknown}")
        assert r.status_code == 404 and r.mimetype == PROBLEM


def test_visiting_receptions_come_a_page_at_a_time(client, db, make_body, make_official, make_venue):
    minister = make_official(body=make_body(level=BodyLevel.CENTRAL))
    hall = make_venue(body=make_body(region=region("KZ-39")), kind=VenueKind.HALL)
    visits = [_visit(db, minister, hall, working_day_after(n)).id for n in (10, 20, 30)]
    db.session.commit()
    first = client.get("/api/v1/visiting-receptions?region=KZ-39&limit=2")
    assert _ids(first) == visits[:2]
    link = _next(first)
    assert "region=KZ-39" in link and "limit=2" in link
    second = client.get(link)
    assert _ids(second) == visits[2:] and second.json["next"] is None


# --- public monitoring results -------------------------------------------------------------------------

def _by_name(response) -> dict:
    return {item["body_names"]["en"]: item for item in response.json["items"]}


def test_results_publish_what_the_page_does_with_small_counts_hidden(client, history):  # noqa: F811
    r = client.get("/api/v1/results?period=2024-02")
    assert r.status_code == 200 and r.json["period"] == "2024-02" and r.json["min_count"] == 5
    found = _by_name(r)
    hidden, share_hidden = {"value": None, "hidden": True}, {"value": None, "hidden": True}
    aktobe = found["Aktobe Region Akimat"]
    # As the page: 3 planned, 2 held, citizens, questions and in progress "fewer than 5", the share not shown.
    assert (aktobe["planned"], aktobe["held"]) == (3, 2) and aktobe["region"] == "KZ-15"
    assert aktobe["citizens"] == aktobe["questions"] == aktobe["in_progress"] == hidden
    assert aktobe["closed_share"] == share_hidden and aktobe["timezone"] == "Asia/Aqtobe"
    saryarka = found["Saryarka District Akimat"]
    assert (saryarka["planned"], saryarka["held"]) == (1, 0)
    assert saryarka["citizens"] == saryarka["questions"] == saryarka["in_progress"] == {"value": 0, "hidden": False}
    assert saryarka["closed_share"] == {"value": None, "hidden": False}
    assert (found["Ministry of Labour"]["planned"], found["Ministry of Labour"]["region"]) == (1, None)
    text = r.get_data(as_text=True)
    for personal in ("Citizen X", "Citizen Y", "Aigerim", "Bolat", "example.kz", "Business trip", "housing"):
        assert personal not in text
    assert [i["body_id"] for i in r.json["items"]] == sorted(i["body_id"] for i in r.json["items"])


def test_results_filter_by_region_or_central_bodies(client, history):  # noqa: F811
    assert set(_by_name(client.get("/api/v1/results?period=2024-02&region=central"))) == {"Ministry of Labour"}
    assert set(_by_name(client.get("/api/v1/results?period=2024-02&region=KZ-15"))) == {"Aktobe Region Akimat"}
    for url, field in (("/api/v1/results?region=KZ-99", "region"), ("/api/v1/results?period=2024", "period"),
                       ("/api/v1/results?period=2024-13", "period")):
        r = client.get(url)
        assert r.status_code == 422 and r.mimetype == PROBLEM and r.json["errors"][0]["field"] == field, url


def test_results_come_a_page_at_a_time(client, history):  # noqa: F811
    first = client.get("/api/v1/results?period=2024-02&limit=2")
    assert len(first.json["items"]) == 2
    seen = [i["body_id"] for i in first.json["items"]]
    while "Link" in first.headers:
        link = _next(first)
        assert "period=2024-02" in link
        first = client.get(link)
        seen += [i["body_id"] for i in first.json["items"]]
    assert {history.a.id, history.b.id, history.c.id} <= set(seen) and seen == sorted(set(seen))


def test_lists_take_the_same_statements_for_one_row_or_three(client, db, count_queries, make_body, make_official,
                                                            make_venue):
    minister = make_official(body=make_body(level=BodyLevel.CENTRAL))
    hall = make_venue(body=make_body(region=region("KZ-47")), kind=VenueKind.HALL)

    def count(url) -> int:
        client.get(url)
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _visit(db, minister, hall, working_day_after(10))
    db.session.commit()
    visits, venues = (count("/api/v1/visiting-receptions?region=KZ-47"),
                      count(f"/api/v1/venues?body={hall.body_id}"))
    for n in (11, 12):
        _visit(db, minister, make_venue(body=hall.body, kind=VenueKind.HALL), working_day_after(n))
    db.session.commit()
    assert len(client.get("/api/v1/visiting-receptions?region=KZ-47").json["items"]) == 3
    assert count("/api/v1/visiting-receptions?region=KZ-47") == visits
    assert count(f"/api/v1/venues?body={hall.body_id}") == venues == 1
