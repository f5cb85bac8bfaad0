"""Security headers on every route (issue 14, finding 6): a strict Content-Security-Policy (no inline code
on any page, the configured Jitsi host on the call page only), no framing, no MIME sniffing, a referrer
policy that keeps secret addresses home, HSTS over HTTPS only, and ``no-store`` wherever personal data is.

Every GET route of the URL map is walked as a visitor, as the route sweep's citizen and as an
administrator (tests/routes.py fills the URL arguments), whatever the status (200, 302, 403, 404)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reception import create_app
from reception.core.clock import local_today
from reception.core.headers import content_security_policy
from reception.core.permissions import Role
from reception.monitoring.mapping import NO_DATA, PALETTE
from tests.conftest import login
from tests.routes import app_rules, fill
from tests.video.test_join import booked, client_login, jitsi, join, scene  # noqa: F401  (fixtures)

GET_ROUTES = sorted((rule.rule, rule.endpoint, tuple(sorted(rule.arguments)))
                    for rule in app_rules() if "GET" in rule.methods)
ROOT = Path(__file__).resolve().parent.parent
_TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
_INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
_STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def _urls(world) -> list[tuple[str, str]]:
    # Public routes' arguments the permission sweep does not need: a static file, a date.
    values = {**world["values"], "filename": "css/app.css", "local_date": local_today().isoformat()}
    return [(endpoint, fill(rule, arguments, values)) for rule, endpoint, arguments in GET_ROUTES]


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in header.split("; ") if d}


def _problems(response, *, signed_in: bool, endpoint: str) -> list[str]:
    """What is wrong with one response's headers and, for a page, its HTML."""
    problems = []
    headers = response.headers
    policy = _policy(response)
    if policy.get("frame-ancestors") != "'none'" or headers.get("X-Frame-Options") != "DENY":
        problems.append("may be framed")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive, "").split()
        if "'self'" not in sources or any(s in ("'unsafe-inline'", "'unsafe-eval'", "*") or s.startswith("http")
                                          for s in sources):
            problems.append(f"{directive} is not strict: {policy.get(directive)!r}")
    if policy.get("object-src") != "'none'" or policy.get("frame-src") != "'none'":
        problems.append("objects or frames allowed")
    referrer = headers.get("Referrer-Policy")
    # Never no-referrer: Flask-WTF's CSRF check needs the Referer of the site's own forms over HTTPS.
    if referrer not in ("strict-origin-when-cross-origin", "same-origin"):
        problems.append(f"Referrer-Policy {referrer!r}")
    if "Strict-Transport-Security" in headers:
        problems.append("HSTS over plain HTTP")
    cacheable = endpoint == "static" or (endpoint == "calendars.feed" and not signed_in)
    if not cacheable and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {headers.get('Cache-Control')!r}")
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", policy.get("script-src", ""))
        for attributes in _SCRIPT.findall(html):
            if "src=" in attributes or 'type="application/json"' in attributes:
                continue
            if not nonce or f'nonce="{nonce.group(1)}"' not in attributes:
                problems.append(f"inline script without this response's nonce: <script{attributes}>")
        for tag in _TAG.findall(html):
            if _INLINE_HANDLER.search(tag):
                problems.append(f"inline event handler: {tag[:80]}")
            if _STYLE_ATTRIBUTE.search(tag):
                problems.append(f"style attribute: {tag[:80]}")
    return problems


def _sweep(client, world, *, signed_in: bool) -> dict:
    found, pages = {}, 0
    for endpoint, url in _urls(world):
        response = client.get(url)
        pages += response.status_code == 200 and response.mimetype == "text/html"
        problems = _problems(response, signed_in=signed_in, endpoint=endpoint)
        if problems:
            found[f"{endpoint} {url} ({response.status_code})"] = problems
        response.close()
    print(f"{pages} pages of {len(GET_ROUTES)} GET routes answered 200")
    return found


def test_every_route_sends_the_security_headers_to_a_visitor(client, world):
    assert _sweep(client, world, signed_in=False) == {}


def test_every_route_sends_the_security_headers_to_a_signed_in_citizen(client, world):
    login(client, world["citizen"])
    assert _sweep(client, world, signed_in=True) == {}


def test_every_route_sends_the_security_headers_to_a_signed_in_administrator(client, login_as, world):
    login_as(Role.ADMIN)
    assert _sweep(client, world, signed_in=True) == {}


def test_the_talon_check_and_every_signed_in_response_are_never_stored(client, db, world):
    from reception.calendars.models import CalendarFeed

    verify = next(url for endpoint, url in _urls(world) if endpoint == "booking.verify_talon")
    page = client.get(verify)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    feed = f"/calendars/{db.session.get(CalendarFeed, world['values']['feed_id']).token}.ics"
    assert client.get(feed).headers["Cache-Control"] == "private, max-age=300"  # a calendar program's
    login(client, world["citizen"])
    assert client.get("/home").headers["Cache-Control"] == "no-store"
    assert client.get(feed).headers["Cache-Control"] == "no-store"  # signed in: even a feed


def _headers(client, url: str, **kwargs):
    response = client.get(url, **kwargs)
    response.close()  # a static file's response holds the file open
    return response.headers


def test_static_files_may_be_cached(client):
    assert "no-store" not in _headers(client, "/static/css/app.css").get("Cache-Control", "")


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in _headers(client, "/static/css/app.css")
    secure = _headers(client, "/static/css/app.css", base_url="https://reception.test")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_behind_a_trusted_proxy_that_received_https(app):
    behind = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "PROXY_COUNT": 1})
    client = behind.test_client()
    forwarded = _headers(client, "/static/css/app.css", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in forwarded
    # Without trusted proxies the header is anybody's to send, and is ignored.
    alone = create_app({"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}).test_client()
    assert "Strict-Transport-Security" not in _headers(alone, "/static/css/app.css",
                                                       headers={"X-Forwarded-Proto": "https"})


def test_pages_whose_address_holds_a_secret_send_it_to_no_other_site(client):
    response = client.get("/password/reset/some-token")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert client.get("/").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_call_page_lets_in_the_configured_jitsi_only(client, jitsi, scene, booked):  # noqa: F811
    appointment = booked()
    client_login(client, scene["citizen"])
    page = client.get(f"/video/appointments/{appointment.id}")
    assert "meet.akimat.kz" not in page.headers["Content-Security-Policy"]  # the join page embeds nothing
    assert _policy(page)["frame-src"] == "'none'"
    call = join(client, appointment)
    assert call.status_code == 200
    policy = _policy(call)
    assert policy["script-src"] == "'self' https://meet.akimat.kz"
    assert policy["frame-src"] == "https://meet.akimat.kz"
    assert policy["frame-ancestors"] == "'none'" and policy["connect-src"] == "'self'"
    html = call.get_data(as_text=True)
    assert '<script src="https://meet.akimat.kz/external_api.js" defer>' in html
    assert not any(_INLINE_HANDLER.search(tag) for tag in _TAG.findall(html))
    assert call.headers["Referrer-Policy"] == "same-origin" and call.headers["Cache-Control"] == "no-store"


def test_a_template_that_asks_for_a_nonce_gets_it_in_the_policy(app):
    with app.test_request_context():
        from flask import render_template_string

        from reception.core.headers import csp_nonce, set_security_headers

        html = render_template_string('<script nonce="{{ csp_nonce() }}">1</script>')
        response = set_security_headers(app.response_class(html))
        assert f"'nonce-{csp_nonce()}'" in response.headers["Content-Security-Policy"]
        assert f'nonce="{csp_nonce()}"' in html
    assert "nonce" not in content_security_policy()


def test_every_map_colour_has_its_class(app):
    """The map's colours are classes (the policy allows no style attributes): one for each band."""
    css = (ROOT / "reception/static/css/map.css").read_text(encoding="utf-8")
    for colour in (*PALETTE, NO_DATA):
        assert f".band-{colour[1:]} {{ background: {colour};" in css


@pytest.mark.parametrize("template", ["booking/talon.html", "hearings/brief.html"])
def test_print_buttons_work_without_inline_code(template):
    source = (ROOT / "templates" / template).read_text(encoding="utf-8")
    assert "data-print" in source and "onclick" not in source
    assert "[data-print]" in (ROOT / "reception/static/js/app.js").read_text(encoding="utf-8")
