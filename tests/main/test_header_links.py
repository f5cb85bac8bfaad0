"""The header links each signed-in user to the pages of their roles, and every such link opens for them."""
from __future__ import annotations

import re

import pytest

from reception.core.permissions import Role
from tests.conftest import login

EXPECTED = {
    Role.CITIZEN: ["/my/appointments/", "/my/waitlist/", "/my/reports/"],
    Role.ASSISTANT: ["/staff/day/", "/staff/requests/", "/staff/schedule/", "/staff/systemic/"],
    Role.OFFICIAL: ["/my/receptions/"],
    Role.AGENCY_REP: ["/staff/invitations/", "/staff/instructions/"],
    Role.LEGAL_CONSULTANT: ["/legal/"],
    Role.STUDIO_OPERATOR: ["/studio/"],
    Role.MONITOR: ["/monitor/", "/staff/systemic/"],
    Role.ADMIN: ["/staff/requests/", "/staff/systemic/", "/admin/outbox/", "/admin/audit/"],
}
ALWAYS = {"/", "/reception/", "/directory/", "/home", "/profile"}


def header_links(html: str) -> list[str]:
    nav = re.search(r'<nav [^>]*class="main-nav">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'<a href="([^"]+)"', nav)


@pytest.mark.parametrize("role", list(Role))
def test_the_header_links_the_pages_of_the_users_role_and_each_opens(client, db, login_as, role):
    login_as(role)
    links = header_links(client.get("/home").get_data(as_text=True))
    role_links = [href for href in links if href not in ALWAYS]
    assert role_links == EXPECTED[role]
    for href in role_links:
        assert client.get(href).status_code == 200, href


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.CITIZEN])
def test_staff_get_no_citizens_links_in_the_header(client, db, login_as, role):
    login_as(role)
    links = header_links(client.get("/home").get_data(as_text=True))
    assert not {"/my/appointments/", "/my/waitlist/"} & set(links)


def test_a_user_with_two_roles_gets_the_links_of_both_once(client, db, make_user):
    user = make_user(Role.ASSISTANT, Role.ADMIN)
    db.session.commit()
    login(client, user)
    links = header_links(client.get("/home").get_data(as_text=True))
    assert [h for h in links if h not in ALWAYS] == ["/staff/day/", "/staff/requests/", "/staff/schedule/",
                                                    "/staff/systemic/", "/admin/outbox/", "/admin/audit/"]


def test_visitors_get_no_role_links(client, db):
    links = header_links(client.get("/").get_data(as_text=True))
    assert set(links) <= ALWAYS | {"/login", "/register"}


def test_the_administrators_home_links_the_screening_queue(client, db, login_as):
    login_as(Role.ADMIN)
    html = client.get("/home").get_data(as_text=True)
    main = html[html.index('<main'):]
    assert 'href="/staff/requests/"' in main
