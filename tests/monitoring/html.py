"""Reading the monitoring pages' tables back: cells by row and measure (the ``data-*`` attributes of the markup)."""
from __future__ import annotations

from html.parser import HTMLParser

ROW_KEYS = ("data-body", "data-row", "data-month")


class _Cells(HTMLParser):
    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.depth, self.row, self.cell = table_id, 0, None, None
        self.cells: dict[str, dict[str, str]] = {}
        self.order: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and (self.depth or a.get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.row = next((a[k] for k in ROW_KEYS if k in a), None)
            if self.row is not None and self.row not in self.cells:
                self.cells[self.row] = {}
                self.order.append(self.row)
        elif self.depth and tag == "td" and self.row is not None:
            key = a.get("data-measure") or a.get("data-result")
            if key:
                self.cell = key
                self.cells[self.row][key] = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.depth and self.cell is not None:
            self.cells[self.row][self.cell] += data.strip()


def table_cells(page: str, table_id: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``{row key: {measure: text}}`` of the table ``table_id``, and the rows' order."""
    parser = _Cells(table_id)
    parser.feed(page)
    return parser.cells, parser.order


class _Column(HTMLParser):
    """The ``data-measure`` cells of one table without row keys (the headline table: one cell per measure)."""

    def __init__(self, table_id: str, attribute: str):
        super().__init__()
        self.table_id, self.attribute, self.inside, self.key = table_id, attribute, False, None
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "td" and self.attribute in a:
            self.key = a[self.attribute]
            self.values[self.key] = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag == "td":
            self.key = None

    def handle_data(self, data):
        if self.key is not None:
            self.values[self.key] += data.strip()


def summary(page: str, attribute: str = "data-measure") -> dict[str, str]:
    """The headline table's column for this period (``data-measure``) or the previous one (``data-previous``)."""
    parser = _Column("summary", attribute)
    parser.feed(page)
    return parser.values


def plain(text: str) -> str:
    """A figure as a file holds it: no grouping, no per cent sign; a dash is empty."""
    return "" if text == "—" else text.replace(",", "").replace("\xa0", "").replace("%", "")
