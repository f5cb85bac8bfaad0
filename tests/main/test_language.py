"""Language choice: account preference, else cookie, else Accept-Language, else Kazakh."""
import re

from reception.core.permissions import Role
from tests.conftest import post_form


def _lang(response) -> str:
    return re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)


def test_kazakh_is_the_default_without_any_preference(client):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    assert _lang(client.get("/")) == "kk"


def test_browser_accept_language_is_used_when_there_is_no_cookie(client):
    assert _lang(client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})) == "ru"
    assert _lang(client.get("/", headers={"Accept-Language": "de-DE"})) == "kk"


def test_chosen_language_persists_in_a_cookie_over_the_browser_language(client):
    r = post_form(client, "/language", {"lang": "en", "next": "/directory/"})
    assert r.status_code == 302 and r.headers["Location"] == "/directory/"
    assert _lang(client.get("/", headers={"Accept-Language": "ru"})) == "en"


def test_account_preference_wins_over_cookie_and_is_updated_by_the_switch(client, login_as, db):
    user = login_as(Role.CITIZEN, language="ru")
    client.set_cookie("lang", "en")
    assert _lang(client.get("/home")) == "ru"
    post_form(client, "/language", {"lang": "kk"}, form_url="/home")
    db.session.refresh(user)
    assert user.language == "kk"


def test_unknown_language_falls_back_to_kazakh_and_offsite_next_is_ignored(client):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    r = post_form(client, "/language", {"lang": "xx", "next": "//evil.example/"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert _lang(client.get("/")) == "kk"


def test_language_switch_without_csrf_token_is_refused(client):
    r = client.post("/language", data={"lang": "en"})
    assert r.status_code == 400
