"""Small screens and keyboards: no sideways scrolling, a label for every input, a working skip link."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

PHONE = {"width": 360, "height": 740}

UNLABELLED_INPUTS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => el.type !== "hidden" && el.getClientRects().length > 0)
    .filter((el) => el.labels.length === 0)
    .map((el) => el.outerHTML)"""


@pytest.mark.parametrize("path", ["/", "/register", "/login"])
def test_page_fits_a_360px_phone_and_labels_every_input(open_page, path: str):
    page = open_page(viewport=PHONE)
    page.goto(path)

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(UNLABELLED_INPUTS) == []


def test_first_tab_focuses_a_visible_skip_link_that_leads_to_the_content(page):
    page.goto("/")
    page.keyboard.press("Tab")

    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to main content")
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert box and box["width"] > 0 and box["height"] > 0
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
    on_top = page.evaluate("""(el) => {
        const r = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
    }""", skip.element_handle())
    assert on_top, "the focused skip link is covered by another element"

    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
