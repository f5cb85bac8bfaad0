"""The monthly report as files: XLSX (XlsxWriter) and CSV (UTF-8 with a BOM, so that Excel reads Cyrillic), with
headings in the user's language and the numbers of ``tables`` (the same as the pages show)."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import headline, tables
from .definitions import DEFINITIONS, Figures
from .tables import BodiesTable, BodyPage, Column, Overview

ROW_KINDS = {"country": _l("Country"), "level": _l("Level"), "body": _l("Body"), "official": _l("Official")}


def raw(column: Column, figures: Figures):
    """A measure as a file holds it: a whole number, or a share or median as a number with one decimal; None
    (an empty cell) when there is nothing to divide."""
    value = column.value(figures)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _heading(key: str) -> str:
    return str(tables.HEADINGS[key])


# --- CSV -------------------------------------------------------------------------------------------------------

def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def country_csv(data: Overview, table: BodiesTable) -> bytes:
    """One row for the country, one per level and one per body, every measure of the bodies table."""
    columns = tables.BODY_COLUMNS
    rows = [[_heading("row"), _heading("body"), _heading("level"), _heading("region")] + [c.label for c in columns]]
    rows.append([str(ROW_KINDS["country"]), _("The whole country"), "", ""] + [raw(c, data.figures) for c in columns])
    for label, _key, figures in data.level_rows:
        rows.append([str(ROW_KINDS["level"]), label, label, ""] + [raw(c, figures) for c in columns])
    for row in table.rows:
        rows.append([str(ROW_KINDS["body"]), row.body.name, row.body.level_label, row.region_name]
                    + [raw(c, row.figures) for c in columns])
    return _csv(rows)


def body_csv(page: BodyPage) -> bytes:
    """One row for the body and one per official (instructions are counted per body: empty for officials)."""
    columns = tables.BODY_COLUMNS
    rows = [[_heading("row"), _heading("body")] + [c.label for c in columns]]
    rows.append([str(ROW_KINDS["body"]), page.body.name] + [raw(c, page.figures) for c in columns])
    for name, _key, figures in page.official_rows:
        rows.append([str(ROW_KINDS["official"]), name]
                    + [None if c.key == "overdue" else raw(c, figures) for c in columns])
    return _csv(rows)


# --- XLSX ------------------------------------------------------------------------------------------------------

class _Book:
    """An XLSX workbook in memory with the report's few formats."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.bold = self.book.add_format({"bold": True})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.header = self.book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        self.share = self.book.add_format({"num_format": "0.0"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.date = self.book.add_format({"num_format": "dd.mm.yyyy", "align": "left"})

    def sheet(self, name: str, widths: dict[int, float] | None = None):
        # Excel's sheet names: at most 31 characters, none of []:*?/\
        sheet = self.book.add_worksheet("".join(ch for ch in name if ch not in "[]:*?/\\")[:31])
        sheet.set_column(0, 0, 42)
        sheet.set_column(1, 20, 14)
        for col, width in (widths or {}).items():
            sheet.set_column(col, col, width)
        return sheet

    def table(self, sheet, first_row: int, headers: list[str], rows: list[list], shares: set[int] = frozenset()):
        """Headers and rows from ``first_row`` on; the columns in ``shares`` get one decimal."""
        sheet.write_row(first_row, 0, headers, self.header)
        for r, row in enumerate(rows, first_row + 1):
            for c, value in enumerate(row):
                if value is None:
                    sheet.write_blank(r, c, None)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, value, self.date)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(r, c, value, self.share if c in shares else None)
                else:
                    sheet.write_string(r, c, str(value))
        sheet.freeze_panes(first_row + 1, 1)
        return first_row + 1 + len(rows)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _share_columns(columns, offset: int) -> set[int]:
    return {i + offset for i, c in enumerate(columns) if c.kind != "count"}


def _summary_sheet(book: _Book, title: str, sentence: str, period, previous, now: Figures, before: Figures):
    sheet = book.sheet(_("Summary"))
    sheet.write_string(0, 0, title, book.title)
    sheet.merge_range(1, 0, 1, 3, sentence, book.wrap)
    sheet.set_row(1, 48)
    sheet.write_row(3, 0, [_heading("measure"), headline.period_title(period), headline.period_title(previous),
                           _heading("change")], book.header)
    for r, c in enumerate(tables.SUMMARY_COLUMNS, 4):
        a, b = raw(c, now), raw(c, before)
        sheet.write_string(r, 0, c.label)
        for col, value in ((1, a), (2, b), (3, None if a is None or b is None else round(a - b, 1))):
            if value is None:
                sheet.write_blank(r, col, None)
            else:
                sheet.write_number(r, col, value, None if c.kind == "count" else book.share)


def _results_sheet(book: _Book, results, figures: Figures):
    sheet = book.sheet(_("Results"))
    rows = [[r.label, r.count, None if r.share is None else float(r.share)] for r in results]
    rows.append([_("All questions"), figures.questions, 100.0 if figures.questions else None])
    book.table(sheet, 0, [_heading("result"), _heading("count"), _heading("share")], rows, {2})


def _trend_sheet(book: _Book, trend):
    sheet = book.sheet(_("Month by month"))
    columns = tables.TREND_COLUMNS
    rows = [[headline.period_title(m.period)] + [raw(c, m.figures) for c in columns] for m in trend]
    book.table(sheet, 0, [_heading("month")] + [c.label for c in columns], rows, _share_columns(columns, 1))


def _definitions_sheet(book: _Book):
    sheet = book.sheet(_("Definitions"), {0: 28, 1: 100})
    book.table(sheet, 0, [_heading("measure"), _("Definition")],
               [[str(label), str(text)] for label, text in DEFINITIONS.values()])
    sheet.set_column(1, 1, 100, book.wrap)


def country_xlsx(data: Overview, table: BodiesTable, sentence: str) -> bytes:
    book = _Book()
    _summary_sheet(book, _("Receptions across the country") + ": " + headline.period_title(data.period), sentence,
                   data.period, data.previous, data.figures, data.before)
    _results_sheet(book, data.results, data.figures)
    columns = tables.BODY_COLUMNS
    levels = book.sheet(_("By level"))
    book.table(levels, 0, [_heading("level")] + [c.label for c in columns],
               [[label] + [raw(c, f) for c in columns] for label, _key, f in data.level_rows]
               + [[_("The whole country")] + [raw(c, data.figures) for c in columns]], _share_columns(columns, 1))
    bodies = book.sheet(_("Bodies"), {1: 24, 2: 24})
    book.table(bodies, 0, [_heading("body"), _heading("level"), _heading("region")] + [c.label for c in columns],
               [[row.body.name, row.body.level_label, row.region_name] + [raw(c, row.figures) for c in columns]
                for row in table.rows]
               + [[_("The whole country"), "", ""] + [raw(c, table.total) for c in columns]],
               _share_columns(columns, 3))
    _trend_sheet(book, data.trend)
    _definitions_sheet(book)
    return book.close()


def body_xlsx(page: BodyPage, sentence: str) -> bytes:
    book = _Book()
    _summary_sheet(book, page.body.name + ": " + headline.period_title(page.period), sentence, page.period,
                   page.previous, page.figures, page.before)
    _results_sheet(book, page.results, page.figures)
    _trend_sheet(book, page.trend)
    columns = tables.OFFICIAL_COLUMNS
    officials = book.sheet(_("By official"))
    book.table(officials, 0, [_heading("official")] + [c.label for c in columns],
               [[name] + [raw(c, f) for c in columns] for name, _key, f in page.official_rows],
               _share_columns(columns, 1))
    topics = book.sheet(_("By topic"))
    book.table(topics, 0, [_heading("topic")] + [c.label for c in tables.TOPIC_COLUMNS],
               [[row.topic.name] + [getattr(row.cell, c.key) for c in tables.TOPIC_COLUMNS] for row in page.topics])
    not_held = book.sheet(_("Not held"), {1: 30, 2: 50})
    book.table(not_held, 0, [_("Date"), _heading("official"), _("Reason")],
               [[s.local_date, s.official.full_name, tables.not_held_reason(s)] for s in page.not_held])
    overdue = book.sheet(_("Overdue"), {2: 30, 3: 60})
    book.table(overdue, 0, [_("Due"), _("Days late"), _("Responsible"), _("Instruction"), _("Status")],
               [[i.due_on, (page.as_of - i.due_on).days, i.responsible_name, i.text, i.status_label]
                for i in page.overdue])
    _definitions_sheet(book)
    return book.close()
