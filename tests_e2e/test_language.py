"""The language switch in the header: remembered in a cookie, overruled by the account's language."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from .support import RUSSIAN_CITIZEN, log_in


def switch_to(page: Page, language_name: str) -> None:
    page.get_by_role("banner").get_by_role("button", name=language_name).click()


def test_language_switch_changes_the_page_language_and_persists_across_pages(page: Page):
    html = page.locator("html")
    page.goto("/")
    expect(html).to_have_attribute("lang", "en")

    switch_to(page, "Русский")
    expect(html).to_have_attribute("lang", "ru")
    expect(page.get_by_role("button", name="Русский")).to_have_attribute("aria-current", "true")
    page.goto("/register")
    expect(html).to_have_attribute("lang", "ru")

    switch_to(page, "Қазақша")
    expect(html).to_have_attribute("lang", "kk")
    page.goto("/login")
    expect(html).to_have_attribute("lang", "kk")
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("lang") == "kk"


def test_after_login_the_accounts_language_wins_over_the_cookie(page: Page):
    page.goto("/")
    switch_to(page, "Қазақша")
    expect(page.locator("html")).to_have_attribute("lang", "kk")

    log_in(page, RUSSIAN_CITIZEN.email)

    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("main")).to_contain_text(RUSSIAN_CITIZEN.full_name)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
