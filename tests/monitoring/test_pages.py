"""The monitoring pages show the figures of the hand-worked history (``conftest``, February 2024), in the user's
language, to the people allowed to see them."""
from __future__ import annotations

import re
from datetime import date

import pytest

from reception.core.clock import local_today
from reception.core.permissions import Role
from reception.monitoring import headline
from reception.monitoring.definitions import Figures, last_full_month, month_of
from tests.monitoring.html import summary, table_cells
from tests.test_query_counts import assert_same_count, load

FEB = "period=2024-02"


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _headline(page: str) -> str:
    match = re.search(r'id="headline">([^<]*)<', page)
    assert match, "no headline sentence on the page"
    return match.group(1).replace("\xa0", " ")


def test_the_overview_shows_the_countrys_figures_against_the_previous_month(client, login_as, history):
    login_as(Role.MONITOR)
    page = _text(client.get(f"/monitor/?{FEB}"))
    assert summary(page) == {
        "planned": "5", "held": "3", "not_held": "2", "citizens": "4", "questions": "6", "closed": "4",
        "closed_share": "66.7%", "in_progress": "2", "satisfied": "2", "overdue": "1", "demand": "3",
        "fill_rate": "50.0%", "median_days": "3.5"}
    # January 2024: S6 of c1, held, nobody received through the system.
    before = summary(page, "data-previous")
    assert (before["planned"], before["held"], before["questions"], before["closed_share"]) == ("1", "1", "0", "—")
    levels, order = table_cells(page, "levels")
    assert order == ["central", "regional", "district", "total"]
    assert (levels["regional"]["planned"], levels["district"]["not_held"], levels["central"]["questions"]) == \
        ("3", "1", "2")
    assert levels["district"]["demand"] == "3" and levels["total"]["citizens"] == "4"
    results, _ = table_cells(page, "results")
    assert not results  # the results table has no row keys: read its cells by result instead
    assert re.search(r'data-result="refused">1<', page) and re.search(r'data-result="satisfied">0<', page)
    trend, months = table_cells(page, "trend")
    assert months[0] == "2023-03" and months[-1] == "2024-02" and len(months) == 12
    assert (trend["2024-02"]["planned"], trend["2024-02"]["held"], trend["2024-02"]["closed_share"]) == \
        ("5", "3", "66.7%")
    assert (trend["2024-01"]["planned"], trend["2023-12"]["planned"]) == ("1", "0")


@pytest.mark.parametrize("lang,sentence", [
    ("en", "In February 2024, 3 receptions were held of 5 planned; 4 citizens raised 6 questions; 4 (66.7%) are "
           "closed, 2 in progress; 1 instruction is overdue."),
    ("ru", "За февраль 2024 года проведено 3 приёма из 5 запланированных; 4 гражданина подняли 6 вопросов; "
           "4 (66,7%) закрыты, 2 в работе; просрочено 1 поручение."),
    ("kk", "2024 жылғы ақпан айында жоспарланған 5 қабылдаудан 3 қабылдау өткізілді; 4 азамат 6 мәселе көтерді; "
           "4 (66,7%) жабылды, 2 қаралуда; 1 тапсырманың мерзімі өтті."),
])
def test_the_headline_is_a_sentence_in_the_users_language(client, login_as, history, lang, sentence):
    login_as(Role.MONITOR, language=lang)
    assert _headline(_text(client.get(f"/monitor/?{FEB}"))) == sentence


@pytest.mark.parametrize("lang,sentence", [
    ("en", "In November 2026, 216 receptions were held of 231 planned; 1,498 citizens raised 1,679 questions; "
           "1,241 (73.9%) are closed, 438 in progress; 12 instructions are overdue."),
    ("ru", "За ноябрь 2026 года проведено 216 приёмов из 231 запланированного; 1 498 граждан подняли "
           "1 679 вопросов; 1 241 (73,9%) закрыт, 438 в работе; просрочено 12 поручений."),
    ("kk", "2026 жылғы қараша айында жоспарланған 231 қабылдаудан 216 қабылдау өткізілді; 1 498 азамат "
           "1 679 мәселе көтерді; 1 241 (73,9%) жабылды, 438 қаралуда; 12 тапсырманың мерзімі өтті."),
])
def test_every_number_of_the_sentence_takes_its_own_plural_form(app, lang, sentence):
    figures = Figures(planned=231, held=216, citizens=1498, questions=1679, closed=1241, overdue=12)
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert headline.sentence(month_of(date(2026, 11, 1)), figures).replace("\xa0", " ") == sentence


def test_one_of_each_is_singular_and_a_period_without_questions_says_so(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        text = headline.sentence(month_of(date(2026, 11, 1)), Figures(planned=21, held=1, overdue=21))
    assert text == ("За ноябрь 2026 года проведён 1 приём из 21 запланированного; вопросов не зарегистрировано; "
                    "просрочено 21 поручение.")


def test_the_default_period_is_the_last_full_month_and_a_range_can_be_asked_for(client, login_as, history):
    login_as(Role.MONITOR)
    expected = headline_title(client, last_full_month(local_today()))
    assert f"<h1>Receptions across the country: {expected}</h1>" in _text(client.get("/monitor/"))
    page = _text(client.get("/monitor/?from=2024-02-01&to=2024-02-15"))
    assert _headline(page).startswith("From February 1, 2024 to February 15, 2024, 2 receptions were held of 3 ")
    # The previous period of a range is as long, just before it.
    assert 'href="/monitor/?from=2024-01-17&amp;to=2024-01-31"' in page


def headline_title(client, period) -> str:
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        return headline.period_title(period)


@pytest.mark.parametrize("query", ["period=2024-13", "period=2024-02-30", "period=Q5", "period=1999",
                                   "from=2024-03-01&to=2024-02-01", "from=2024-02-01", "from=x&to=y",
                                   "from=2000-01-01&to=2026-01-01", "period=" + "9" * 400])
@pytest.mark.parametrize("path", ["/monitor/", "/monitor/bodies", "/monitor/report.csv", "/monitor/report.xlsx"])
def test_an_impossible_period_is_refused_with_a_clear_message(client, login_as, path, query):
    login_as(Role.MONITOR)
    r = client.get(f"{path}?{query}")
    assert r.status_code == 422
    assert "This period cannot be shown. Give a month (period=2026-11)" in r.get_data(as_text=True)


def test_the_refusal_speaks_the_users_language(client, login_as, history):
    login_as(Role.ASSISTANT, body=history.a, language="kk")
    r = client.get(f"/monitor/bodies/{history.a.id}?period=2024-13")
    assert r.status_code == 422 and "Бұл кезеңді көрсету мүмкін емес." in r.get_data(as_text=True)


# --- the bodies table ---------------------------------------------------------------------------------------

def _bodies(client, query="") -> tuple[dict, list[str]]:
    return table_cells(_text(client.get(f"/monitor/bodies?{FEB}{query}")), "bodies")


def test_the_bodies_table_has_every_bodys_figures_and_the_countrys_total(client, login_as, history):
    login_as(Role.MONITOR)
    cells, _ = _bodies(client)
    a, b, c = (cells[str(x.id)] for x in (history.a, history.b, history.c))
    assert a == {"planned": "3", "held": "2", "not_held": "1", "citizens": "4", "questions": "4",
                 "closed_share": "75.0%", "in_progress": "1", "overdue": "0", "demand": "0", "fill_rate": "57.1%"}
    assert (b["overdue"], b["demand"], b["closed_share"], b["fill_rate"]) == ("1", "3", "—", "0.0%")
    assert (c["questions"], c["in_progress"]) == ("2", "1")
    assert cells["total"]["citizens"] == "4"  # X counts once in the country, though received by A and C


def test_the_bodies_table_sorts_on_the_server_by_any_column(client, login_as, history):
    login_as(Role.MONITOR)
    a, b, c = (str(x.id) for x in (history.a, history.b, history.c))
    assert _bodies(client, "&sort=held&dir=desc")[1] == [a, c, b, "total"]
    assert _bodies(client, "&sort=held&dir=asc")[1] == [b, c, a, "total"]
    # A share of nothing (B has no questions) comes last either way.
    assert _bodies(client, "&sort=closed_share&dir=desc")[1] == [a, c, b, "total"]
    assert _bodies(client, "&sort=closed_share&dir=asc")[1] == [c, a, b, "total"]
    assert _bodies(client, "&sort=level")[1] == [c, a, b, "total"]  # central, regional, district
    # By name (the default, and for anything unknown).
    assert _bodies(client, "&sort=nonsense&dir=sideways")[1] == [a, c, b, "total"]


def test_the_headings_link_to_the_other_order_and_the_rows_to_the_body_pages(client, login_as, history):
    login_as(Role.MONITOR)
    page = _text(client.get(f"/monitor/bodies?{FEB}&sort=held&dir=desc"))
    assert 'href="/monitor/bodies?sort=held&amp;dir=asc&amp;period=2024-02"' in page
    assert 'aria-sort="descending"' in page
    assert 'href="/monitor/bodies?sort=demand&amp;dir=desc&amp;period=2024-02"' in page  # numbers: largest first
    assert f'href="/monitor/bodies/{history.b.id}?period=2024-02"' in page
    # Choosing another period keeps the order.
    assert '<input type="hidden" name="sort" value="held">' in page


def test_the_bodies_table_runs_as_many_queries_for_many_bodies_as_for_few(client, login_as, db, count_queries,
                                                                          history, make_body, make_official):
    login_as(Role.MONITOR)
    _page, few = load(db, client, count_queries, f"/monitor/bodies?{FEB}")
    for _ in range(6):
        make_official(body=make_body())
    page, many = load(db, client, count_queries, f"/monitor/bodies?{FEB}")
    assert len(table_cells(page, "bodies")[1]) == 3 + 6 + 1
    assert_same_count(few, many)


# --- one body ---------------------------------------------------------------------------------------------

def test_a_bodys_page_shows_its_officials_topics_sessions_not_held_and_trend(client, login_as, history):
    login_as(Role.MONITOR)
    page = _text(client.get(f"/monitor/bodies/{history.a.id}?{FEB}"))
    assert _headline(page) == ("In February 2024, 2 receptions were held of 3 planned; 4 citizens raised 4 "
                               "questions; 3 (75.0%) are closed, 1 in progress; 0 instructions are overdue.")
    assert summary(page)["fill_rate"] == "57.1%" and summary(page)["median_days"] == "3.0"
    officials, _ = table_cells(page, "officials")
    a1, a2 = str(history.officials["a1"].id), str(history.officials["a2"].id)
    assert (officials[a1]["planned"], officials[a1]["held"], officials[a1]["questions"]) == ("2", "2", "4")
    assert (officials[a2]["planned"], officials[a2]["not_held"]) == ("1", "1")
    assert "overdue" not in officials[a1]  # instructions are a body's, not an official's
    topics, topic_order = table_cells(page, "topics")
    assert topic_order[0] == "housing"  # the most questions first
    assert topics["housing"] == {"questions": "2", "in_progress": "0", "overdue": "0", "repeated": "1"}
    assert (topics["social"]["in_progress"], topics["social"]["overdue"]) == ("1", "1")
    assert "Business trip" in page and history.officials["a2"].full_name in page
    trend, _ = table_cells(page, "trend")
    assert trend["2024-02"]["planned"] == "3" and trend["2024-01"]["planned"] == "0"


def test_a_bodys_page_lists_its_overdue_instructions_and_the_sessions_nobody_marked(client, login_as, history):
    login_as(Role.MONITOR)
    page = _text(client.get(f"/monitor/bodies/{history.b.id}?{FEB}"))
    overdue = page[page.index('id="overdue"'):]
    # i2, due 20 February and still open: 9 days late on 29 February; i1 was done in time.
    assert "February 20, 2024" in overdue and '<td class="num">9</td>' in overdue
    assert "Not marked held, nobody received" in page  # S4


def test_charts_are_images_with_their_numbers_and_need_no_script(client, login_as, history):
    login_as(Role.MONITOR)
    page = _text(client.get(f"/monitor/bodies/{history.a.id}?{FEB}"))
    assert page.count('role="img"') == 2 and "<script" not in page
    assert 'role="img" aria-label="Receptions planned and held, the last 12 months"' in page
    assert '<title id="chart-trend-title">' in page and 'aria-describedby="chart-results-desc"' in page
    assert "February 2024: 2 held of 3 planned" in page
    assert "Refused: 1 (25.0%)" in page
    assert '<details class="glossary" id="definitions">' in page and "Questions with a final result" in page


# --- who sees what ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.ASSISTANT, Role.OFFICIAL])
def test_a_bodys_staff_see_their_own_bodys_page_and_report_only(client, login_as, history, role):
    login_as(role, body=history.a)
    a, b = history.a.id, history.b.id
    for suffix in ("", "/report", "/report.xlsx", "/report.csv"):
        assert client.get(f"/monitor/bodies/{a}{suffix}?{FEB}").status_code == 200, suffix
        assert client.get(f"/monitor/bodies/{b}{suffix}?{FEB}").status_code == 403, suffix
    for path in ("/monitor/", "/monitor/bodies", "/monitor/report", "/monitor/report.xlsx", "/monitor/report.csv"):
        assert client.get(f"{path}?{FEB}").status_code == 403, path
    page = _text(client.get(f"/monitor/bodies/{a}?{FEB}"))
    assert "/monitor/bodies?" not in page  # no link to what they may not open


@pytest.mark.parametrize("body_id", ["999999", "2147483648", "99999999999999999999"])
def test_an_unknown_body_is_404(client, login_as, body_id):
    login_as(Role.MONITOR)
    for suffix in ("", "/report", "/report.xlsx", "/report.csv"):
        assert client.get(f"/monitor/bodies/{body_id}{suffix}").status_code == 404


def test_an_unknown_body_is_404_for_a_bodys_staff_too(client, login_as, history):
    login_as(Role.ASSISTANT, body=history.a)
    assert client.get("/monitor/bodies/99999999999999999999").status_code == 404


# --- home pages ---------------------------------------------------------------------------------------------

def test_the_monitors_home_page_reads_last_month_and_links_the_pages(client, login_as):
    login_as(Role.MONITOR)
    page = _text(client.get("/home"))
    month = headline_title(client, last_full_month(local_today()))
    assert _headline(page).startswith(f"In {month}, 0 receptions were held of 0 planned;")
    assert "appear here once receptions are held" not in page
    for href in ('href="/monitor/"', 'href="/monitor/bodies"', 'href="/monitor/report"',
                 'href="/monitor/report.xlsx"', 'href="/monitor/report.csv"'):
        assert href in page


def test_administrators_find_the_monitoring_pages_on_their_home_page(client, login_as):
    login_as(Role.ADMIN)
    page = _text(client.get("/home"))
    assert 'href="/monitor/"' in page and 'href="/monitor/bodies"' in page


@pytest.mark.parametrize("role", [Role.ASSISTANT, Role.OFFICIAL])
def test_a_bodys_staff_find_their_own_bodys_figures_on_their_home_page(client, login_as, history, role):
    login_as(role, body=history.a)
    page = _text(client.get("/home"))
    assert f'href="/monitor/bodies/{history.a.id}"' in page and 'href="/monitor/"' not in page
