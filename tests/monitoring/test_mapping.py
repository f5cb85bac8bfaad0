"""The tile map's layout and the shading of its measures (pure)."""
from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from reception.monitoring import mapping

REGIONS_CSV = Path(__file__).resolve().parents[2] / "reception" / "directory" / "data" / "regions.csv"


def test_every_one_of_the_20_regions_has_a_tile_of_its_own():
    with REGIONS_CSV.open(encoding="utf-8") as fh:
        codes = {row["iso_code"] for row in csv.DictReader(fh)}
    assert len(codes) == 20 and set(mapping.TILES) == codes
    assert len(set(mapping.TILES.values())) == 20  # no two regions on one tile


@pytest.mark.parametrize("west,east", [("KZ-27", "KZ-15"), ("KZ-47", "KZ-43"), ("KZ-15", "KZ-62"),
                                       ("KZ-62", "KZ-35"), ("KZ-11", "KZ-71"), ("KZ-10", "KZ-63"),
                                       ("KZ-61", "KZ-31"), ("KZ-31", "KZ-19")])
def test_tiles_keep_west_to_the_west(west, east):
    assert mapping.TILES[west][0] < mapping.TILES[east][0]


@pytest.mark.parametrize("north,south", [("KZ-27", "KZ-23"), ("KZ-23", "KZ-47"), ("KZ-59", "KZ-11"),
                                         ("KZ-55", "KZ-10"), ("KZ-10", "KZ-33"), ("KZ-39", "KZ-62"),
                                         ("KZ-62", "KZ-61"), ("KZ-61", "KZ-79"), ("KZ-19", "KZ-75"),
                                         ("KZ-35", "KZ-31")])
def test_tiles_keep_north_to_the_north(north, south):
    assert mapping.TILES[north][1] < mapping.TILES[south][1]


@pytest.mark.parametrize("values,labels", [
    ([0, 0], ["0"]),
    ([0, 1], ["0", "1"]),
    ([0, 4, 2], ["0", "1", "2", "3", "4"]),
    ([0, 10, 3], ["0", "1–3", "4–5", "6–8", "9–10"]),
    ([7], ["0", "1–2", "3–4", "5–6", "7"]),
])
def test_counts_are_cut_into_bands_up_to_the_largest(values, labels):
    scale = mapping.count_scale(values)
    assert [b.label for b in scale.bands] == labels
    assert scale.band(max(values)).colour == mapping.PALETTE[-1] or max(values) == 0
    assert scale.band(0).colour == mapping.PALETTE[0]
    for v in range(max(values) + 1):  # every value has exactly one band
        assert sum(b.holds(v) for b in scale.bands) == 1


def test_shares_are_darker_the_fewer_questions_were_closed(ctx):
    scale = mapping.share_scale()
    assert scale.band(Decimal("100.0")).colour == mapping.PALETTE[0]
    assert scale.band(Decimal("89.9")).colour == mapping.PALETTE[1]
    assert scale.band(Decimal("0.0")).colour == mapping.PALETTE[-1]
    assert scale.band(None).colour == mapping.NO_DATA
    for tenth in range(1001):
        value = Decimal(tenth) / 10
        assert sum(b.holds(value) for b in scale.bands) == 1, value


def test_every_band_has_a_readable_text_colour():
    def luminance(hex_colour):
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for fill, text in mapping.TEXT_ON.items():
        light, dark = sorted((luminance(fill), luminance(text)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, fill


@pytest.mark.parametrize("name,lines", [
    ("Aktobe Region", ["Aktobe Region"]),
    ("West Kazakhstan Region", ["West Kazakhstan", "Region"]),
    ("Северо-Казахстанская область", ["Северо-", "Казахстанская", "область"]),
    ("Солтүстік Қазақстан облысы", ["Солтүстік", "Қазақстан облысы"]),
])
def test_region_names_are_wrapped_to_fit_a_tile(name, lines):
    assert mapping.wrap(name) == lines
