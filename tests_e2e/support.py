"""What the browser tests share: the seeded accounts and the steps a person repeats."""
from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    email: str
    full_name: str
    language: str
    role: str
    password: str = PASSWORD


ADMIN = Account("admin@e2e.example.kz", "Erlan Administratorov", "en", "admin")
# A citizen whose own language (Russian) must win over the language cookie once logged in.
RUSSIAN_CITIZEN = Account("ru.citizen@e2e.example.kz", "Olga Petrova", "ru", "citizen")
ACCOUNTS = (ADMIN, RUSSIAN_CITIZEN)


def log_in(page: Page, login: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person does."""
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/home")


def log_out(page: Page) -> None:
    page.locator("header form[action$='/logout'] button").click()
    page.wait_for_url(re.compile(r"/$"))
