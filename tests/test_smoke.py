"""The first pages anyone opens: the home page in each language, each role's page and its links, the health check."""
from __future__ import annotations

import re
from html import unescape

import pytest

from reception import create_app
from reception.core.permissions import ROLE_LABELS, Role

HEADINGS = {
    "kk": "Лауазымды тұлғалардың азаматтарды жеке қабылдауы",
    "ru": "Личный приём граждан должностными лицами",
    "en": "Personal reception of citizens by officials",
}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_home_page_speaks_the_chosen_language(client, lang):
    client.set_cookie("lang", lang)
    r = client.get("/")
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in text(r)
    assert f"<h1>{HEADINGS[lang]}</h1>" in text(r)


def test_home_page_counts_only_the_active_bodies(client, make_body, db):
    def shown() -> int:
        return int(re.search(r"<strong>(\d+)</strong> government bodies", text(client.get("/"))).group(1))

    before = shown()
    make_body()
    make_body(is_active=False)
    db.session.commit()
    assert shown() == before + 1


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_its_own_page_and_every_link_on_it_opens(client, login_as, role):
    user = login_as(role)
    r = client.get("/home")
    assert r.status_code == 200
    assert f"{user.full_name} · {ROLE_LABELS[role]}" in text(r)
    links = sorted({unescape(url) for url in re.findall(r'<a [^>]*href="(/[^"#]*)"', text(r))})
    assert links
    broken = {url: status for url in links if (status := client.get(url).status_code) != 200}
    assert broken == {}


def test_health_check_reports_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_health_check_answers_503_when_the_database_does_not(tmp_path):
    """A load balancer takes the instance out of service instead of sending citizens to error pages."""
    app = create_app({"ENV": "testing", "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/no-such-folder/reception.sqlite3"})
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json() == {"status": "unavailable", "database": "unavailable"}
