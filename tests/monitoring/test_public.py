"""Public results: per body and month, open to everyone, with no personal data and no count below 5."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reception.core.clock import local_today, utcnow
from reception.core.permissions import Role
from reception.monitoring import queries
from reception.monitoring.definitions import Period, last_full_month, month_of
from reception.outcomes.models import OutcomeResult
from tests.monitoring.factories import held_reception, session_on

FEBRUARY = month_of(date(2024, 2, 1))


def rows(page: str) -> dict[str, list[str]]:
    """Each row of the page's tables: its heading -> the other cells' text."""
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells:
            out[cells[0]] = cells[1:]
    return out


def test_the_monthly_counts_agree_with_the_monitors_figures(ctx, history):
    months = queries.monthly(Period(date(2024, 1, 1), date(2024, 3, 31)), date(2024, 3, 20))
    february = queries.figures(FEBRUARY, date(2024, 3, 20), "body")
    for body in (history.a, history.b, history.c):
        row, expected = months[(body.id, 202402)], february[body.id]
        assert (row.planned, row.held, row.citizens, row.questions, row.closed) == (
            expected.planned, expected.held, expected.citizens, expected.questions, expected.closed)
    assert months[(history.c.id, 202401)].held == 1  # S6, 31 January
    assert (history.a.id, 202403) not in months


def test_visitors_see_each_bodys_month_with_counts_below_five_hidden_and_no_names(client, history):
    r = client.get("/results/?period=2024-02")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    found = rows(page)
    # Planned and held receptions, citizens, questions, closed share, in progress, next reception.
    assert found["Aktobe Region Akimat"] == ["3", "2", "fewer than 5", "fewer than 5", "not shown", "fewer than 5",
                                             "—"]
    assert found["Saryarka District Akimat"] == ["1", "0", "0", "0", "—", "0", "—"]
    assert found["Ministry of Labour"][:2] == ["1", "1"]
    for personal in ("Citizen X", "Citizen Y", "Aigerim", "Bolat", "example.kz", "Business trip", "housing"):
        assert personal not in page
    assert "no personal data" in page.lower()


def test_counts_of_five_and_more_are_shown(client, db, make_body, make_official, make_venue, make_user):
    body = make_body(name_en="Kostanay Region Akimat")
    official, venue = make_official(body=body), make_venue(body=body)
    month = last_full_month(local_today())
    for n in range(10):  # ten citizens, a question each: five explained, five under consideration
        held_reception(db, official, venue, make_user(Role.CITIZEN), month.start + timedelta(days=n), "land",
                       result=OutcomeResult.EXPLAINED if n % 2 else OutcomeResult.UNDER_CONSIDERATION)
    db.session.commit()
    assert rows(client.get("/results/").get_data(as_text=True))["Kostanay Region Akimat"] == [
        "10", "10", "10", "10", "50.0%", "5", "—"]
    # The body's page: the last twelve months, the latest first.
    page = client.get(f"/results/bodies/{body.id}").get_data(as_text=True)
    found = rows(page)
    label = next(k for k in found if k.endswith(str(month.start.year)))
    assert found[label] == ["10", "10", "10", "10", "50.0%", "5"]
    assert len([k for k in found if re.search(r"\d{4}$", k)]) == 12


def test_a_bodys_page_lists_its_coming_receptions(client, db, make_body, make_official, make_venue):
    body = make_body()
    official = make_official(body=body, full_name="Aliya Nurlanovna")
    venue = make_venue(body=body)
    soon = local_today() + timedelta(days=3)
    session_on(db, official, venue, soon)
    session_on(db, make_official(body=body, full_name="Hidden Official"), venue, soon, published=False)
    db.session.commit()
    page = client.get(f"/results/bodies/{body.id}").get_data(as_text=True)
    assert "Aliya Nurlanovna" in page and "Hidden Official" not in page
    assert f'href="/reception/officials/{official.id}"' in page
    # The list shows the body with its next reception, though it received nobody last month.
    start = datetime.combine(soon, time(10), tzinfo=ZoneInfo(venue.region.timezone))
    assert rows(client.get("/results/").get_data(as_text=True))[body.name_en][-1].startswith(
        start.strftime("%A, %B %-d, %Y"))
    assert start > utcnow()


@pytest.mark.parametrize("url", ["/results/?period=2024-Q1", "/results/?period=2024", "/results/?period=2024-13",
                                 "/results/?from=2024-02-01&to=2024-02-10", "/results/?period=2024-02&region=KZ-99"])
def test_public_results_are_by_month_and_anything_else_is_a_422(client, url):
    r = client.get(url)
    assert r.status_code == 422
    assert "by month" in r.get_data(as_text=True) or "Unknown region" in r.get_data(as_text=True)


def test_a_bodys_page_shows_a_year_or_says_why_not(client, history):
    page = client.get(f"/results/bodies/{history.a.id}?period=2024").get_data(as_text=True)
    assert rows(page)["February 2024"][:2] == ["3", "2"]
    assert client.get(f"/results/bodies/{history.a.id}?period=2024-02").status_code == 422
    assert client.get("/results/bodies/999999").status_code == 404


def test_the_results_can_be_narrowed_to_a_region_or_the_central_bodies(client, history):
    aktobe = rows(client.get("/results/?period=2024-02&region=KZ-15").get_data(as_text=True))
    assert "Aktobe Region Akimat" in aktobe and "Ministry of Labour" not in aktobe
    central = rows(client.get("/results/?period=2024-02&region=central").get_data(as_text=True))
    assert "Ministry of Labour" in central and "Aktobe Region Akimat" not in central


def test_the_home_page_and_each_bodys_directory_page_link_to_the_results(client, history):
    assert 'href="/results/"' in client.get("/").get_data(as_text=True)
    page = client.get(f"/directory/bodies/{history.a.id}").get_data(as_text=True)
    assert f'href="/results/bodies/{history.a.id}"' in page


@pytest.mark.parametrize("lang,fewer", [("kk", "5-тен аз"), ("ru", "меньше 5")])
def test_the_results_speak_the_visitors_language(client, history, lang, fewer):
    client.set_cookie("lang", lang)
    page = client.get("/results/?period=2024-02").get_data(as_text=True)
    assert fewer in page and "fewer than" not in page


def test_the_results_pages_run_as_many_statements_for_many_bodies_as_for_a_few(
        client, db, history, count_queries, make_body, make_official, make_venue, make_user):
    def count():
        db.session.commit()
        out = []
        for url in ("/results/?period=2024-02", f"/results/bodies/{history.a.id}?period=2024"):
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            out.append(len(statements))
        return out

    few = count()
    for n in range(4):
        body = make_body()
        official, venue = make_official(body=body), make_venue(body=body)
        held_reception(db, official, venue, make_user(Role.CITIZEN), date(2024, 2, 3 + n), "land")
        session_on(db, official, venue, local_today() + timedelta(days=2 + n))
    assert count() == few
