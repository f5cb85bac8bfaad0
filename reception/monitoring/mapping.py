"""The tile map of Kazakhstan's 20 regions, and the shading of the map's measures. Pure: no database.

No map of the regions as they are since June 2022 (Abai, Zhetysu and Ulytau separated from East
Kazakhstan, Almaty and Karaganda regions) came with a licence that lets us ship its shapes, so the map is a
tile map: one equal tile per region, placed on a grid roughly where the region lies.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

#: Where each region's tile sits, (column, row) from the north-west, by ISO 3166-2 code.
TILES: dict[str, tuple[int, int]] = {
    "KZ-59": (3, 0),  # North Kazakhstan
    "KZ-55": (5, 0),  # Pavlodar
    "KZ-27": (0, 1),  # West Kazakhstan
    "KZ-39": (2, 1),  # Kostanay
    "KZ-11": (3, 1),  # Akmola
    "KZ-71": (4, 1),  # Astana
    "KZ-10": (5, 1),  # Abai
    "KZ-63": (6, 1),  # East Kazakhstan
    "KZ-23": (0, 2),  # Atyrau
    "KZ-15": (1, 2),  # Aktobe
    "KZ-62": (2, 2),  # Ulytau
    "KZ-35": (3, 2),  # Karaganda
    "KZ-33": (5, 2),  # Zhetysu
    "KZ-47": (0, 3),  # Mangystau
    "KZ-43": (1, 3),  # Kyzylorda
    "KZ-61": (2, 3),  # Turkistan
    "KZ-31": (3, 3),  # Zhambyl
    "KZ-19": (4, 3),  # Almaty Region
    "KZ-79": (2, 4),  # Shymkent
    "KZ-75": (4, 4),  # Almaty
}
COLUMNS = 1 + max(c for c, _ in TILES.values())
ROWS = 1 + max(r for _, r in TILES.values())
TILE_W, TILE_H, GAP = 150, 100, 6
WIDTH, HEIGHT = COLUMNS * (TILE_W + GAP) - GAP, ROWS * (TILE_H + GAP) - GAP

#: Light to dark (ColorBrewer's OrRd); darker is always "needs more attention". Each with a text colour of
#: at least 4.5:1 contrast.
PALETTE = ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f", "#990000")
TEXT_ON = {"#fef0d9": "#1a1a1a", "#fdcc8a": "#1a1a1a", "#fc8d59": "#1a1a1a", "#d7301f": "#ffffff",
           "#990000": "#ffffff", "#eef1f4": "#1a1a1a"}
NO_DATA = "#eef1f4"


# --- measures -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    name: str            # the key of monitoring.definitions.DEFINITIONS
    is_share: bool = False


#: What the regions' map may be shaded by.
MAP_MEASURES = {m.name: m for m in (Measure("questions"), Measure("in_progress"), Measure("overdue"),
                                    Measure("not_held"), Measure("closed_share", is_share=True))}
#: What the body x topic table may be shaded by.
CELL_MEASURES = ("questions", "in_progress", "overdue", "repeated")


def is_share(measure: str) -> bool:
    return MAP_MEASURES.get(measure, Measure(measure)).is_share


def format_value(value) -> str:
    """A count as is; a share with one decimal in the reader's language and a per cent sign; none: a dash."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return format_decimal(value, format="#,##0.0") + "%"
    return format_decimal(value, format="#,##0")


# --- shading ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    colour: str
    label: str
    low: int | Decimal | None = None   # both ends included (shares have one decimal); None: no value (a share
    high: int | Decimal | None = None  # without questions)

    @property
    def text_colour(self) -> str:
        return TEXT_ON[self.colour]

    def holds(self, value) -> bool:
        if value is None or self.low is None:
            return value is None and self.low is None
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Scale:
    bands: tuple[Band, ...]

    def band(self, value) -> Band:
        for band in self.bands:
            if band.holds(value):
                return band
        return self.bands[-1]


def count_scale(values) -> Scale:
    """Zero is the lightest; the counts above it are cut into up to four bands of equal width up to the
    largest (a band per value when there are few), the largest always the darkest."""
    top = max([v for v in values if v is not None] or [0])
    bounds = sorted({math.ceil(top * i / 4) for i in range(1, 5)} - {0})
    colours = PALETTE[len(PALETTE) - len(bounds):]
    bands, low = [Band(PALETTE[0], "0", 0, 0)], 1
    for high, colour in zip(bounds, colours, strict=True):
        bands.append(Band(colour, str(high) if low == high else f"{low}–{high}", low, high))
        low = high + 1
    return Scale(tuple(bands))


#: Shares: fixed bands, the lower the darker (few questions closed needs attention).
SHARE_BANDS = tuple((Decimal(low), Decimal(high)) for low, high in (("90", "100"), ("75", "89.9"), ("50", "74.9"),
                                                                      ("25", "49.9"), ("0", "24.9")))


def share_scale() -> Scale:
    def number(n) -> str:
        return format_decimal(n, format="#,##0.#")

    bands = [Band(colour, f"{number(low)}–{number(high)}%", low, high)
             for colour, (low, high) in zip(PALETTE, SHARE_BANDS, strict=True)]
    return Scale((*bands, Band(NO_DATA, str(_l("No questions")))))


def scale_for(measure: str, values) -> Scale:
    return share_scale() if is_share(measure) else count_scale(values)


# --- the tiles ----------------------------------------------------------------------------------------

def wrap(text: str, width: int = 16) -> list[str]:
    """A name in lines of about ``width`` characters, cut between words (and after a hyphen in a long one)."""
    words: list[str] = []
    for word in text.split():
        while len(word) > width and "-" in word[:-1]:
            head, word = word.split("-", 1)
            words.append(head + "-")
        words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width and not lines[-1].endswith("-"):
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    lines: tuple[str, ...]
    value: str
    band: Band
    href: str
    x: int
    y: int


def tiles(regions, values: dict, measure: str, href) -> tuple[list[Tile], Scale]:
    """The tiles of ``regions`` (objects with ``id``, ``code`` and ``name``) shaded by ``values`` (region id ->
    value), each linking to ``href(region)``; and the scale of the legend."""
    # In reading order (north to south, west to east): the order a keyboard goes through the links.
    placed = sorted((r for r in regions if r.code in TILES), key=lambda r: TILES[r.code][::-1])
    missing = None if is_share(measure) else 0
    scale = scale_for(measure, [values.get(r.id, missing) for r in placed])
    out = []
    for region in placed:
        column, row = TILES[region.code]
        value = values.get(region.id, missing)
        out.append(Tile(region.code, region.name, tuple(wrap(region.name)), format_value(value),
                        scale.band(value), href(region), column * (TILE_W + GAP), row * (TILE_H + GAP)))
    return out, scale
