"""Every directory management page, for every role: who gets in, who gets 403, who is sent to log in."""
from __future__ import annotations

import pytest

from reception.core.permissions import Role

from .conftest import region_id, topic_id

ADMIN_ONLY = ["/admin/directory/regions", "/admin/directory/regions/{region}", "/admin/directory/topics",
              "/admin/directory/topics/new", "/admin/directory/topics/{topic}", "/admin/directory/bodies",
              "/admin/directory/bodies/new", "/admin/directory/bodies/{body}"]
OWN_BODY = ["/admin/directory/officials", "/admin/directory/officials/new", "/admin/directory/officials/{official}",
            "/admin/directory/venues", "/admin/directory/venues/new", "/admin/directory/venues/{venue}"]
ALL = ADMIN_ONLY + OWN_BODY


@pytest.fixture
def urls(make_body, make_official, make_venue, db):
    def build(body=None):
        body = body or make_body()
        ids = {"region": region_id("KZ-15"), "topic": topic_id("housing"), "body": body.id,
               "official": make_official(body=body).id, "venue": make_venue(body=body).id}
        db.session.commit()
        return {url: url.format(**ids) for url in ALL}
    return build


def test_visitors_are_sent_to_log_in(client, urls):
    for pattern, url in urls().items():
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], pattern


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICIAL, Role.AGENCY_REP, Role.LEGAL_CONSULTANT,
                                  Role.STUDIO_OPERATOR, Role.MONITOR])
def test_roles_without_directory_permissions_get_403(client, login_as, urls, role):
    user = login_as(role)
    # Even for records of their own body.
    for pattern, url in urls(user.body).items():
        assert client.get(url).status_code == 403, pattern


def test_administrator_opens_every_page(client, login_as, urls):
    login_as(Role.ADMIN)
    for pattern, url in urls().items():
        assert client.get(url).status_code == 200, pattern


def test_assistant_opens_own_bodys_officials_and_venues_only(client, login_as, urls, make_body):
    assistant = login_as(Role.ASSISTANT)
    for pattern, url in urls(assistant.body).items():
        assert client.get(url).status_code == (200 if pattern in OWN_BODY else 403), pattern
    for pattern, url in urls(make_body()).items():
        expected = 200 if pattern in ("/admin/directory/officials", "/admin/directory/officials/new",
                                      "/admin/directory/venues", "/admin/directory/venues/new") else 403
        assert client.get(url).status_code == expected, pattern


def test_unknown_records_are_404_for_the_administrator(client, login_as):
    login_as(Role.ADMIN)
    for kind in ("regions", "topics", "bodies", "officials", "venues"):
        assert client.get(f"/admin/directory/{kind}/999999").status_code == 404, kind
        assert client.get(f"/admin/directory/{kind}/99999999999999999999").status_code == 404, kind


def test_posts_without_a_csrf_token_are_refused(client, login_as, db):
    login_as(Role.ADMIN)
    r = client.post("/admin/directory/topics/new", data={"code": "x", "name_kk": "a", "name_ru": "b",
                                                          "position": "0"})
    assert r.status_code == 400
