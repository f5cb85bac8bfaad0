"""The monthly report: the XLSX and the CSV carry the numbers of the pages (read back with openpyxl and the csv
module), with headings in the user's language; the printable page has them all."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from reception.core.permissions import Role
from tests.monitoring.html import plain, summary, table_cells

FEB = "period=2024-02"
MEASURES = ["planned", "held", "not_held", "citizens", "questions", "closed_share", "in_progress", "overdue", "demand",
            "fill_rate"]


def _figure(value) -> str:
    """A figure of a file or of a page (``plain``) as a number to compare: a spreadsheet reads 50.0 back as 50."""
    if value is None or value == "":
        return ""
    return f"{float(value):g}"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 (Cyrillic) correctly
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _xlsx(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)


def _page_bodies(client, history) -> dict[str, list[str]]:
    cells, _ = table_cells(client.get(f"/monitor/bodies?{FEB}").get_data(as_text=True), "bodies")
    names = {str(b.id): b.name_en for b in (history.a, history.b, history.c)}
    return {names[k]: [_figure(plain(row[m])) for m in MEASURES] for k, row in cells.items() if k in names}


def test_the_country_csv_has_the_numbers_of_the_bodies_table(client, login_as, history):
    login_as(Role.MONITOR)
    r = client.get(f"/monitor/report.csv?{FEB}")
    assert r.headers["Content-Disposition"] == 'attachment; filename="report-2024-02.csv"'
    rows = _csv(r)
    assert rows[0][:5] == ["Row", "Body", "Level", "Region", "Planned receptions"]
    assert rows[1][:2] == ["Country", "The whole country"]
    assert rows[1][4:] == ["5", "3", "2", "4", "6", "66.7", "2", "1", "3", "50.0"]
    bodies = {row[1]: [_figure(v) for v in row[4:]] for row in rows if row[0] == "Body"}
    assert bodies == _page_bodies(client, history)
    levels = {row[1]: row[4:] for row in rows if row[0] == "Level"}
    assert levels["District akimat"] == ["1", "0", "1", "0", "0", "", "0", "1", "3", "0.0"]


def test_the_country_xlsx_has_the_numbers_of_the_pages(client, login_as, history):
    login_as(Role.MONITOR)
    book = _xlsx(client.get(f"/monitor/report.xlsx?{FEB}"))
    assert book.sheetnames == ["Summary", "Results", "By level", "Bodies", "Month by month", "Definitions"]
    rows = list(book["Summary"].iter_rows(values_only=True))
    assert rows[0][0] == "Receptions across the country: February 2024"
    assert rows[1][0].startswith("In February 2024, 3 receptions were held of 5 planned;")
    assert rows[3] == ("Measure", "February 2024", "January 2024", "Change")
    overview = client.get(f"/monitor/?{FEB}").get_data(as_text=True)
    on_page = {k: _figure(plain(v)) for k, v in summary(overview).items()}
    in_file = {row[0]: _figure(row[1]) for row in rows[4:]}
    labels = dict(zip(on_page, in_file, strict=True))  # the same measures in the same order
    assert {k: in_file[labels[k]] for k in on_page} == on_page
    assert in_file["Planned receptions"] == "5" and in_file["Closed share"] == "66.7" and in_file["Fill rate"] == "50"
    bodies = {row[0]: [_figure(v) for v in row[3:]] for row in book["Bodies"].iter_rows(min_row=2, values_only=True)}
    assert {k: v for k, v in bodies.items() if k != "The whole country"} == _page_bodies(client, history)
    results = {row[0]: row[1] for row in book["Results"].iter_rows(min_row=2, values_only=True)}
    assert results["Refused"] == 1 and results["Satisfied"] == 0 and results["All questions"] == 6
    trend = {row[0]: row[1:3] for row in book["Month by month"].iter_rows(min_row=2, values_only=True)}
    assert trend["February 2024"] == (5, 3) and len(trend) == 12


def test_a_bodys_files_have_the_numbers_of_its_page(client, login_as, history):
    login_as(Role.ASSISTANT, body=history.a)
    page = client.get(f"/monitor/bodies/{history.a.id}?{FEB}").get_data(as_text=True)
    officials, _ = table_cells(page, "officials")
    names = {str(o.id): o.full_name for o in history.officials.values()}
    rows = _csv(client.get(f"/monitor/bodies/{history.a.id}/report.csv?{FEB}"))
    assert rows[1][:2] == ["Body", "Aktobe Region Akimat"]
    assert rows[1][2:] == [plain(summary(page)[m]) for m in MEASURES]
    on_page = {names[k]: [_figure(plain(v.get(m, "—"))) for m in MEASURES] for k, v in officials.items()}
    assert {row[1]: [_figure(v) for v in row[2:]] for row in rows if row[0] == "Official"} == on_page
    book = _xlsx(client.get(f"/monitor/bodies/{history.a.id}/report.xlsx?{FEB}"))
    assert book.sheetnames == ["Summary", "Results", "Month by month", "By official", "By topic", "Not held",
                               "Overdue", "Definitions"]
    in_file = {row[0]: _figure(row[1]) for row in book["Summary"].iter_rows(min_row=5, values_only=True)}
    assert list(in_file.values()) == [_figure(plain(v)) for v in summary(page).values()]
    topics = {row[0]: row[1:] for row in book["By topic"].iter_rows(min_row=2, values_only=True)}
    assert topics["Housing and utilities"] == (2, 0, 0, 1)
    not_held = list(book["Not held"].iter_rows(min_row=2, values_only=True))
    assert [(row[0].date().isoformat(), row[2]) for row in not_held] == [("2024-02-14", "Business trip")]


def test_a_bodys_overdue_instructions_are_in_its_xlsx(client, login_as, history):
    login_as(Role.MONITOR)
    book = _xlsx(client.get(f"/monitor/bodies/{history.b.id}/report.xlsx?{FEB}"))
    rows = list(book["Overdue"].iter_rows(min_row=2, values_only=True))
    assert [(row[0].date().isoformat(), row[1], row[2]) for row in rows] == [("2024-02-20", 9, "R")]


@pytest.mark.parametrize("lang,planned,country", [("ru", "Запланировано приёмов", "Вся страна"),
                                                  ("kk", "Жоспарланған қабылдаулар", "Бүкіл ел")])
def test_the_files_speak_the_users_language(client, login_as, history, lang, planned, country):
    login_as(Role.MONITOR, language=lang)
    rows = _csv(client.get(f"/monitor/report.csv?{FEB}"))
    assert rows[0][4] == planned and rows[1][1] == country
    book = _xlsx(client.get(f"/monitor/report.xlsx?{FEB}"))
    assert book.worksheets[0].cell(row=5, column=1).value == planned


def test_the_printable_report_has_the_pages_numbers_and_prints_cleanly(client, login_as, history):
    login_as(Role.MONITOR)
    page = client.get(f"/monitor/report?{FEB}").get_data(as_text=True)
    assert "<h1>Monthly report: Receptions across the country: February 2024</h1>" in page
    assert "css/monitoring.css" in page and "<script" not in page and 'class="period-form"' not in page
    assert summary(page)["closed_share"] == "66.7%"
    assert len(table_cells(page, "bodies")[1]) == 4  # three bodies and the country
    assert '<details class="glossary" id="definitions" open>' in page
    body = client.get(f"/monitor/bodies/{history.a.id}/report?{FEB}").get_data(as_text=True)
    assert "<h1>Monthly report: Aktobe Region Akimat: February 2024</h1>" in body and "Business trip" in body
