"""Registration, login and logout as a citizen and an administrator see them."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .support import ADMIN, PASSWORD, log_in

CITIZEN = {
    "iin": "850101300015",
    "full_name": "Aigerim Nurlanovna Sadykova",
    "phone": "+7 701 234 56 78",
    "email": "aigerim.sadykova@e2e.example.kz",
    "region": "Almaty Region",
    "language": "English",
}


def fill_registration(page: Page, **overrides: str) -> None:
    data = {**CITIZEN, **overrides}
    page.goto("/register")
    page.get_by_label("IIN (12 digits)").fill(data["iin"])
    page.get_by_label("Full name").fill(data["full_name"])
    page.get_by_label("Mobile phone").fill(data["phone"])
    page.get_by_label("E-mail").fill(data["email"])
    page.get_by_label("Region", exact=True).select_option(label=data["region"])
    page.get_by_label("Preferred language").select_option(label=data["language"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()


def expect_citizen_home(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My page")
    expect(page.locator("main")).to_contain_text(CITIZEN["full_name"])
    expect(page.locator("main")).to_contain_text("85********15")
    expect(page.locator("main")).not_to_contain_text(CITIZEN["iin"])


def test_citizen_registers_logs_out_and_logs_back_in_by_email_and_by_iin(page: Page):
    fill_registration(page)
    expect_citizen_home(page)

    page.get_by_role("banner").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    log_in(page, CITIZEN["email"])
    expect_citizen_home(page)
    page.get_by_role("banner").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/$"))

    log_in(page, CITIZEN["iin"])
    expect_citizen_home(page)


def test_wrong_iin_is_shown_next_to_the_field_and_the_form_stays_open(page: Page):
    fill_registration(page, iin="901123300255", email="wrong.iin@e2e.example.kz")

    expect(page).to_have_url(re.compile(r"/register$"))
    iin = page.get_by_label("IIN (12 digits)")
    expect(iin).to_have_attribute("aria-invalid", "true")
    expect(iin).to_have_value("901123300255")
    error = page.locator("#iin-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("check digit")
    # Next to the field: in the same field group, and announced with it.
    expect(page.locator(".field", has=page.locator("#iin")).locator("#iin-error")).to_have_count(1)
    expect(iin).to_have_attribute("aria-describedby", re.compile(r"\biin-error\b"))
    # What the citizen typed elsewhere is kept.
    expect(page.get_by_label("E-mail")).to_have_value("wrong.iin@e2e.example.kz")


def test_administrator_reaches_the_admin_home_and_the_staff_list(page: Page):
    log_in(page, ADMIN.email)

    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    expect(page.locator("main")).to_contain_text(ADMIN.full_name)
    page.get_by_role("link", name="Staff accounts").click()

    expect(page).to_have_url(re.compile(r"/admin/staff$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    expect(page.get_by_role("row").filter(has_text=ADMIN.email)).to_have_count(1)
