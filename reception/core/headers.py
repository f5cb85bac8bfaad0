"""Security headers on every response: a strict Content-Security-Policy (nonces for inline code, the
configured Jitsi host on the call page only), no framing, no MIME sniffing, a referrer policy, HSTS over
HTTPS, and ``Cache-Control: no-store`` wherever personal data may be.

A small ``after_request`` rather than Flask-Talisman: the call page's policy names the Jitsi host from the
configuration, decided per request by its view (Talisman's per-view options are fixed when the module is
imported), and Talisman's defaults (redirecting to HTTPS, forcing the session cookie's flags, HSTS
preload) are decided elsewhere here (the proxy, ``reception.config``).
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, g, request, session

#: Endpoints whose responses may be cached when no one is signed in: static files and calendar feeds (these
#: set their own Cache-Control: a body's feed public, an official's or a studio's private).
CACHEABLE = {"static", "calendars.feed"}
#: Pages whose address carries a secret (a password-reset token, a feed's token): their address is never
#: sent to another site, not even its origin. Same-origin requests keep their Referer, which Flask-WTF's
#: CSRF check needs over HTTPS (so never ``no-referrer`` on a page with a form).
TOKEN_PAGES = {"accounts.reset_password", "calendars.index", "calendars.rotate", "calendars.feed"}
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This response's nonce, for an inline ``<script nonce=…>`` or ``<style nonce=…>`` (a template global).
    Only a page that asks for one has one in its policy."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def allow_video_from(host: str) -> None:
    """This response embeds a video call from ``host`` (the configured Jitsi): its script and frames."""
    g.csp_video_host = host


def content_security_policy(nonce: str | None = None, video_host: str | None = None) -> str:
    video = f" https://{video_host}" if video_host else ""
    inline = f" 'nonce-{nonce}'" if nonce else ""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self'{inline}{video}",
        "style-src": f"'self'{inline}",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "media-src": "'self'",
        "frame-src": video.strip() or "'none'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(g.get("csp_nonce"), g.get("csp_video_host"))
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    if "Referrer-Policy" not in headers:
        headers["Referrer-Policy"] = ("same-origin" if request.endpoint in TOKEN_PAGES
                                      else "strict-origin-when-cross-origin")
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    # Every page (a signed-in user's, the talon check, and every form: each carries this session's CSRF
    # token) is for one browser only. A view's own "private, no-store" stays; static files are public.
    cacheable = request.endpoint == "static" or (request.endpoint in CACHEABLE and "_user_id" not in session)
    if not cacheable and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
