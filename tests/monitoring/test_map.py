"""The map of problematic issues: the regions' tile map, a region's bodies x topics and a body's topics,
checked against the hand-worked history of February 2024 (``conftest``)."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from reception.core.clock import local_today
from reception.core.permissions import Role
from reception.directory.models import Region
from reception.monitoring.definitions import last_full_month
from tests.monitoring.factories import held_reception

FEBRUARY = "period=2024-02"
TILE = re.compile(r'<a href="([^"]+)" aria-label="([^"]+)" data-region="(KZ-\d\d)">\s*<title>[^<]*</title>\s*'
                  r'<rect class="tile"[^>]* fill="(#[0-9a-f]{6})"')


def tiles(page: str) -> dict[str, tuple[str, str, str]]:
    """Region code -> (link, label, fill) of each tile of the map."""
    return {code: (html.unescape(href), html.unescape(label), fill) for href, label, code, fill in TILE.findall(page)}


def table_rows(page: str, caption: str) -> list[list[str]]:
    """The body rows of the table with ``caption``, each cell's text."""
    table = page[page.index(caption):]
    table = table[:table.index("</table>")]
    body = table[table.index("<tbody>"):]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.fixture
def monitor(login_as):
    return login_as(Role.MONITOR)


@pytest.mark.parametrize("measure,aktobe,astana", [("questions", "4", "0"), ("in_progress", "1", "0"),
                                                   ("overdue", "0", "1"), ("not_held", "1", "1"),
                                                   ("closed_share", "75.0%", "—")])
def test_each_regions_tile_carries_its_figure_of_the_hand_worked_history(client, monitor, history, measure,
                                                                          aktobe, astana):
    page = client.get(f"/monitor/map?{FEBRUARY}&measure={measure}").get_data(as_text=True)
    found = tiles(page)
    assert found["KZ-15"][1] == f"Aktobe Region: {aktobe}"
    assert found["KZ-71"][1] == f"Astana: {astana}"
    assert found["KZ-10"][1] == "Abai Region: " + ("—" if measure == "closed_share" else "0")
    # The table beside the map has the same numbers, with the central bodies (the ministry, no region).
    rows = {row[0]: row[1:] for row in table_rows(page, "Regions: February 2024")}
    columns = ["questions", "in_progress", "overdue", "not_held", "closed_share"]
    assert rows["Aktobe Region"][columns.index(measure)] == aktobe
    assert rows["Astana"][columns.index(measure)] == astana
    assert rows["Central bodies (no region)"] == ["2", "1", "0", "0", "50.0%"]


def test_the_darker_the_tile_the_more_attention_it_needs(client, monitor, history):
    found = tiles(client.get(f"/monitor/map?{FEBRUARY}&measure=questions").get_data(as_text=True))
    assert found["KZ-15"][2] == "#990000" and found["KZ-71"][2] == "#fef0d9"
    # Closed share: the fewer closed, the darker; a region without questions is "no data".
    found = tiles(client.get(f"/monitor/map?{FEBRUARY}&measure=closed_share").get_data(as_text=True))
    assert found["KZ-15"][2] == "#fdcc8a" and found["KZ-71"][2] == "#eef1f4"  # 75.0%: the 75-89.9 band


def test_which_topics_are_the_problem_in_aktobe_region_is_answered_with_clicks_from_the_map(client, monitor,
                                                                                            history):
    page = client.get(f"/monitor/map?{FEBRUARY}").get_data(as_text=True)
    region_page = client.get(tiles(page)["KZ-15"][0])
    assert region_page.status_code == 200
    text = region_page.get_data(as_text=True)
    assert "<h1>Aktobe Region: bodies and topics</h1>" in text
    matrix = table_rows(text, "Questions by body and topic, February 2024")
    assert matrix == [["Aktobe Region Akimat", "2", "1", "1", "4"]]  # housing, land, social protection, total
    body_link = re.search(r'<a href="([^"]+)">Aktobe Region Akimat</a>', text).group(1)
    body_page = client.get(html.unescape(body_link)).get_data(as_text=True)
    topics = table_rows(body_page, "Topics of the questions raised at Aktobe Region Akimat")
    # Questions, in progress, overdue, repeated appeals: housing first (two questions, one a repeat).
    assert topics == [["Housing and utilities", "2", "0", "0", "1"], ["Land relations", "1", "0", "0", "0"],
                      ["Social protection", "1", "1", "1", "0"]]
    # By overdue instructions, social protection comes first.
    by_overdue = client.get(html.unescape(body_link).replace("measure=questions", "measure=overdue"))
    assert table_rows(by_overdue.get_data(as_text=True), "Topics of the questions")[0][0] == "Social protection"


def test_a_regions_page_lists_its_bodies_receptions(client, monitor, history):
    text = client.get(f"/monitor/map/regions/KZ-71?{FEBRUARY}").get_data(as_text=True)
    assert "No questions were recorded at these bodies' receptions in the period." in text
    # Planned, held, not held, questions, in progress, overdue, closed share.
    assert table_rows(text, "Receptions and questions by body") == [
        ["Saryarka District Akimat", "1", "0", "1", "0", "0", "1", "—"]]
    central = client.get(f"/monitor/map/central?{FEBRUARY}").get_data(as_text=True)
    assert table_rows(central, "Questions by body and topic") == [["Ministry of Labour", "1", "1", "2"]]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_tile_map_has_the_20_regions_named_in_the_readers_language(client, login_as, db, lang):
    user = login_as(Role.MONITOR)
    user.language = lang
    db.session.commit()
    page = client.get("/monitor/map").get_data(as_text=True)
    found = tiles(page)
    regions = db.session.scalars(select(Region)).all()
    assert len(found) == 20 and set(found) == {r.code for r in regions}
    for region in regions:
        name = getattr(region, f"name_{lang}")
        assert found[region.code][1] == f"{name}: 0"
        assert name in page  # on the tile, in the table beside
    assert re.search(r'<svg class="tile-map"[^>]*role="group"[^>]*aria-labelledby="tile-map-title"', page)
    assert '<title id="tile-map-title">' in page and '<desc id="tile-map-desc">' in page


def test_the_map_shows_the_last_full_month_by_default(client, monitor):
    page = client.get("/monitor/map").get_data(as_text=True)
    month = last_full_month(local_today())
    assert f'value="{month.key}"' in page


@pytest.mark.parametrize("query", ["period=2026-13", "period=2026-02-30", "period=soon", "from=2026-01-01",
                                   "from=2026-03-10&to=2026-03-01", "from=1990-01-01&to=1990-02-01",
                                   "period=2024-02&measure=happiness"])
@pytest.mark.parametrize("path", ["/monitor/map", "/monitor/map/regions/KZ-15", "/monitor/map/central"])
def test_a_period_or_measure_that_cannot_be_shown_is_a_422_with_a_message(client, monitor, path, query):
    r = client.get(f"{path}?{query}")
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "This period cannot be shown" in text or "Unknown value of measure" in text


def test_a_custom_period_is_shown_and_kept_in_the_links(client, monitor, history):
    page = client.get("/monitor/map?from=2024-02-01&to=2024-02-10").get_data(as_text=True)
    assert tiles(page)["KZ-15"][1] == "Aktobe Region: 3"  # S1 (5 Feb): three questions; S2 (12 Feb) is out
    assert "from=2024-02-01&to=2024-02-10" in tiles(page)["KZ-15"][0]


def test_a_bodys_staff_see_their_own_bodys_figures_only(client, login_as, history):
    login_as(Role.ASSISTANT, body=history.a)
    page = client.get(f"/monitor/map?{FEBRUARY}").get_data(as_text=True)
    assert "You see the figures of your own body only." in page
    assert tiles(page)["KZ-15"][1] == "Aktobe Region: 4"
    rows = {row[0]: row[1:] for row in table_rows(page, "Regions: February 2024")}
    assert rows["Central bodies (no region)"][0] == "0" and rows["Astana"][3] == "0"  # not B's, not C's
    assert client.get(f"/monitor/map/bodies/{history.a.id}?{FEBRUARY}").status_code == 200
    assert client.get(f"/monitor/map/bodies/{history.b.id}?{FEBRUARY}").status_code == 403
    central = client.get(f"/monitor/map/central?{FEBRUARY}").get_data(as_text=True)
    assert "Ministry of Labour" not in central


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.AGENCY_REP, Role.STUDIO_OPERATOR, Role.LEGAL_CONSULTANT])
def test_citizens_and_staff_without_monitoring_are_refused_the_map(client, login_as, history, role):
    login_as(role)
    for path in ("/monitor/map", "/monitor/map/regions/KZ-15", "/monitor/map/central",
                 f"/monitor/map/bodies/{history.a.id}"):
        assert client.get(path).status_code == 403


def test_the_map_pages_run_as_many_statements_for_many_bodies_as_for_one(client, monitor, history, db,
                                                                         count_queries, make_body, make_official,
                                                                         make_venue, make_user):
    paths = [f"/monitor/map?{FEBRUARY}", f"/monitor/map/regions/KZ-15?{FEBRUARY}",
             f"/monitor/map?{FEBRUARY}&measure=closed_share"]

    def counts():
        db.session.commit()
        out = []
        for path in paths:
            with count_queries() as queries:
                assert client.get(path).status_code == 200
            out.append(len(queries))
        return out

    few = counts()
    aktobe = history.a.region
    for n, code in enumerate(("land", "housing", "ecology", "transport")):
        body = make_body(region=aktobe if n % 2 else db.session.scalars(select(Region).where(
            Region.code == f"KZ-{31 + n}")).one())
        official = make_official(body=body)
        held_reception(db, official, make_venue(body=body), make_user(Role.CITIZEN), date(2024, 2, 6 + n), code,
                       "other")
    assert counts() == few
