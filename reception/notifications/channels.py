"""How a message leaves: e-mail over SMTP, SMS through Kannel or a generic HTTP gateway, or the console
in development.

Each sender raises :class:`DeliveryError` with a short reason (logged and shown to administrators
with the message); credentials never appear in it.

Every send has a hard time limit (:class:`Deadline`: RECEPTION_SMTP_TIMEOUT for e-mail,
RECEPTION_SMS_TIMEOUT for SMS) covering the whole exchange, connecting included: when it is up the
connection is shut, whatever it was waiting for. The dispatcher's claim on a message is derived from
that limit and always outlasts it (see :mod:`.services`). Every attempt at one outbox row carries the
same key (:func:`message_key`): the e-mail's Message-ID and the SMS gateway's ``Idempotency-Key``
header (and ``$key`` in its body), so a receiver can tell a resend from a new message.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import http.client
import json
import re
import smtplib
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from string import Template

from ..core.clock import utcnow
from . import webhook
from .models import Channel, OutboxMessage
from .sms import is_gsm7

DEFAULT_SMTP_TIMEOUT = 30
DEFAULT_SMS_TIMEOUT = 20
_METHOD = re.compile(r"^METHOD:(\w+)\r?$", re.M)


class DeliveryError(Exception):
    """The message could not be handed over; it will be retried (or marked failed)."""


def send_timeout(channel: Channel, config) -> float:
    """Seconds one send of a message of ``channel`` may take at most, connecting included."""
    if channel is Channel.EMAIL:
        return float(config.get("SMTP_TIMEOUT") or DEFAULT_SMTP_TIMEOUT)
    if channel is Channel.WEBHOOK:
        return float(config.get("WEBHOOK_TIMEOUT") or webhook.DEFAULT_WEBHOOK_TIMEOUT)
    return float(config.get("SMS_TIMEOUT") or DEFAULT_SMS_TIMEOUT)


def message_key(message: OutboxMessage) -> str:
    """The key of an outbox row, the same on every attempt: ``<created, ms>.outbox-<id>``.

    The row's creation time keeps it unique across databases (ids restart in a new one); it is the
    local part of the e-mail's Message-ID and the SMS gateway's Idempotency-Key.
    """
    stamp = int(message.created_at.timestamp() * 1000) if message.created_at else 0
    return f"{stamp}.outbox-{message.id}"


class Deadline:
    """A send's time limit. The sockets it watches are shut when the time is up, whatever they are
    waiting for (a connection, a slow reply, a reply trickling in byte by byte), so the send ends then
    with an error; before a socket is watched (while connecting) its own timeout is what is left."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def left(self) -> float:
        """Seconds left; raises TimeoutError when none are."""
        left = self.ends - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError(f"no answer within {self.seconds:g} s")
        return left

    def ended(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the time ran out (the watchdog shut the socket, or a socket's own timeout,
        which is never more than the time left, fired)."""
        seen: BaseException | None = exc
        while seen is not None and not self.expired:  # smtplib and urllib wrap the timeout in their own errors
            if isinstance(seen, TimeoutError) or isinstance(getattr(seen, "reason", None), TimeoutError):
                return True
            seen = seen.__cause__ or seen.__context__
        return self.expired

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS: a read blocked in another thread returns at once
    # (SSLSocket.shutdown would drop its TLS state under that read's feet).
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def send(message: OutboxMessage, config, timeout: float | None = None) -> None:
    """Hand one message to its channel within ``timeout`` seconds (default: the channel's configured
    limit); raises DeliveryError when that fails or takes longer."""
    timeout = min(timeout or send_timeout(message.channel, config), send_timeout(message.channel, config))
    if message.channel is Channel.WEBHOOK:
        return send_webhook(message, config, timeout)
    if message.channel is Channel.EMAIL:
        transport = config.get("MAIL_TRANSPORT") or "console"
        if transport == "smtp":
            return send_smtp(message, config, timeout)
    else:
        transport = config.get("SMS_TRANSPORT") or "console"
        if transport == "http":
            return send_sms_http(message, config, timeout)
        if transport == "kannel":
            return send_sms_kannel(message, config, timeout)
    if transport != "console":
        raise DeliveryError(f"unknown transport {transport!r} for {message.channel}")
    return send_console(message, config)


def send_console(message: OutboxMessage, config) -> None:
    out = config.get("CONSOLE_STREAM") or sys.stdout
    attachment = "\n[attached: invite.ics]" if message.ics else ""
    out.write(f"----- {message.channel} to {message.recipient} [{message.kind}] -----\n"
              f"{'Subject: ' + message.subject + chr(10) + chr(10) if message.subject else ''}"
              f"{message.body_text}{attachment}\n-----\n")
    out.flush()


def build_email(message: OutboxMessage, config) -> EmailMessage:
    """The MIME message: plain text and HTML alternatives, and the iCalendar invite if any."""
    sender = config.get("MAIL_FROM") or "noreply@localhost"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # The moment it was rendered, not of this attempt: a retry sends the same message.
    rendered_at = message.rendered_at or message.created_at
    email["Date"] = formatdate(rendered_at.timestamp() if rendered_at else None, localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    # One Message-ID per outbox row, the same on every attempt: a receiving server can tell a resend after a
    # crash from a new message. It is short enough never to be folded onto a second header line.
    key = message_key(message)
    email["Message-ID"] = f"<{key}@{domain}>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.ics:
        found = _METHOD.search(message.ics)
        # UTF-8 said out loud: a text/* part without a charset is US-ASCII to mail clients (RFC 2046).
        params = {"method": found.group(1), "charset": "utf-8"} if found else {"charset": "utf-8"}
        email.add_attachment(message.ics.encode("utf-8"), maintype="text", subtype="calendar",
                             filename="invite.ics", params=params)
    # After the body: set_content() clears every Content-* header set before it.
    email["Content-Language"] = message.locale
    # Boundaries named after the row instead of random ones: every attempt sends the same bytes.
    for n, part in enumerate(p for p in email.walk() if p.is_multipart()):
        part.set_boundary(f"=_outbox-{message.id}-{key.partition('.')[0]}-{n}")
    return email


def send_smtp(message: OutboxMessage, config, timeout: float | None = None) -> None:
    """Hand an e-mail to the SMTP server within ``timeout`` seconds (default RECEPTION_SMTP_TIMEOUT)."""
    host, port = config.get("SMTP_HOST") or "127.0.0.1", int(config.get("SMTP_PORT") or 587)
    security = (config.get("SMTP_SECURITY") or "starttls").lower()
    if security not in ("starttls", "tls", "none"):
        raise DeliveryError(f"RECEPTION_SMTP_SECURITY must be starttls, tls or none, not {security!r}")
    timeout = timeout or send_timeout(Channel.EMAIL, config)
    email = build_email(message, config)
    with Deadline(timeout) as deadline:
        try:
            if security == "tls":
                server = smtplib.SMTP_SSL(timeout=deadline.left(), context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(timeout=deadline.left())
            try:
                server.connect(host, port)
                deadline.watch(server.sock)
                if security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                    deadline.watch(server.sock)  # the TLS socket took over the connection
                if config.get("SMTP_USERNAME"):
                    server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
                server.send_message(email)
                # Accepted: whatever QUIT answers (or not) does not make it unsent.
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    server.quit()
            finally:
                server.close()
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {host}:{port} answered {exc.smtp_code}: "
                                f"{exc.smtp_error.decode('utf-8', 'replace')[:300]}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            raise DeliveryError(f"SMTP {host}:{port} refused the recipient: {code} "
                                f"{reason.decode('utf-8', 'replace')[:300]}") from None
        except (smtplib.SMTPException, OSError) as exc:
            if deadline.ended(exc):
                raise DeliveryError(f"SMTP {host}:{port}: no answer within {timeout:g} s "
                                    "(RECEPTION_SMTP_TIMEOUT)") from None
            raise DeliveryError(f"SMTP {host}:{port}: {exc.__class__.__name__}: {exc}"[:500]) from None


def sms_request_body(message: OutboxMessage, config) -> bytes:
    """The gateway's body from RECEPTION_SMS_GATEWAY_BODY with $to, $text, $id and $key filled in."""
    content_type = (config.get("SMS_GATEWAY_CONTENT_TYPE") or "application/json").lower()
    values = {"to": message.recipient, "text": message.body_text, "id": str(message.id),
              "key": message_key(message)}
    if "json" in content_type:
        values = {k: json.dumps(v, ensure_ascii=False)[1:-1] for k, v in values.items()}  # escaped, no quotes
    elif "x-www-form-urlencoded" in content_type:
        values = {k: urllib.parse.quote_plus(v) for k, v in values.items()}
    template = config.get("SMS_GATEWAY_BODY") or '{"to": "$to", "text": "$text"}'
    return Template(template).safe_substitute(values).encode("utf-8")


class _Watched:
    """An HTTP(S) connection that connects within what is left of its deadline, which then watches its socket."""

    def __init__(self, *args, deadline: Deadline, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self):
        self.timeout = self.deadline.left()
        super().connect()
        self.deadline.watch(self.sock)


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(functools.partial(_WatchedHTTPConnection, deadline=self.deadline), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(functools.partial(_WatchedHTTPSConnection, deadline=self.deadline), req,
                            context=self._context)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other (a webhook's POST is never turned into a GET elsewhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _exchange(request: urllib.request.Request, timeout: float, what: str, timeout_setting: str,
              follow_redirects: bool = True) -> tuple[int, str]:
    """Send ``request`` within ``timeout`` seconds; the answer's status and (the start of) its body. Raises
    DeliveryError on a 4xx/5xx answer, a network error or no answer in time (``what`` names the other side);
    without ``follow_redirects`` a 3xx answer is an error too."""
    with Deadline(timeout) as deadline:
        handlers = [_WatchedHTTPHandler(deadline), _WatchedHTTPSHandler(deadline)]
        if not follow_redirects:
            handlers.append(_NoRedirects())
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(request, timeout=deadline.left()) as response:
                return response.status, response.read(64 * 1024).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"{what} answered {exc.code}: "
                                f"{exc.read(300).decode('utf-8', 'replace').strip()}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            if deadline.ended(exc):
                raise DeliveryError(f"{what}: no answer within {timeout:g} s ({timeout_setting})") from None
            raise DeliveryError(f"{what}: {getattr(exc, 'reason', exc)}"[:500]) from None


def send_sms_http(message: OutboxMessage, config, timeout: float | None = None) -> None:
    """POST an SMS to the gateway within ``timeout`` seconds (default RECEPTION_SMS_TIMEOUT), with the
    row's key as ``Idempotency-Key``: a gateway that honours it sends a retried SMS once.

    A 2xx answer counts as sent, unless RECEPTION_SMS_GATEWAY_SUCCESS is set: then the answer's body must
    also contain a match of that regular expression (for gateways that answer 200 with an error inside)."""
    url = config.get("SMS_GATEWAY_URL") or ""
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("RECEPTION_SMS_GATEWAY_URL is not set to an http(s) address")
    timeout = timeout or send_timeout(Channel.SMS, config)
    request = urllib.request.Request(url, data=sms_request_body(message, config), method="POST")
    request.add_header("Content-Type", config.get("SMS_GATEWAY_CONTENT_TYPE") or "application/json")
    request.add_header("Idempotency-Key", message_key(message))
    if config.get("SMS_GATEWAY_AUTH"):
        request.add_header("Authorization", config["SMS_GATEWAY_AUTH"])
    target = f"SMS gateway {urllib.parse.urlsplit(url).netloc}"
    status, body = _exchange(request, timeout, target, "RECEPTION_SMS_TIMEOUT")
    if not 200 <= status < 300:
        raise DeliveryError(f"{target} answered {status}")
    expected = config.get("SMS_GATEWAY_SUCCESS") or ""
    if expected and not re.search(expected, body):
        raise DeliveryError(f"{target} answered {status} without {expected!r}: {body.strip()[:300]}")


def send_webhook(message: OutboxMessage, config, timeout: float | None = None) -> None:
    """POST a webhook row's body to its endpoint (``recipient``) within ``timeout`` seconds (default
    RECEPTION_WEBHOOK_TIMEOUT), signed with the endpoint's current secret (:mod:`.webhook`). Only a 2xx
    answer counts as delivered; a redirect, any other answer, a network error or no answer in time is a
    DeliveryError (retried with the outbox's backoff). A disabled endpoint is an error too."""
    lookup = webhook._secret_lookup[0] if webhook._secret_lookup else None
    secret = lookup(webhook.endpoint_of(message)) if lookup else None
    if not secret:
        raise DeliveryError("the webhook endpoint is disabled")
    timeout = timeout or send_timeout(Channel.WEBHOOK, config)
    request = webhook.build_request(message, secret, message_key(message), int(utcnow().timestamp()))
    target = f"webhook endpoint {urllib.parse.urlsplit(message.recipient).netloc}"
    status, _body = _exchange(request, timeout, target, "RECEPTION_WEBHOOK_TIMEOUT", follow_redirects=False)
    if not 200 <= status < 300:
        raise DeliveryError(f"{target} answered {status}")


# --- Kannel -----------------------------------------------------------------------------------------

#: Delivery reports asked of Kannel: delivered to the phone (1), not delivered to the phone (2), accepted
#: by the operator's SMSC (8), refused by the SMSC (16). Kannel's "queued on the SMSC" (4) is left out.
KANNEL_DLR_MASK = 1 + 2 + 8 + 16
#: Kannel's sendsms answers that mean it took the message: "0: Accepted for delivery" and
#: "3: Queued for later delivery" (status 202). Everything else ("Authorization failed", "Not routable",
#: a 4xx/5xx) is an error to retry.
_KANNEL_TOOK_IT = re.compile(r"^\s*[03]:")


def report_signature(message_id: int, key: str, secret: str) -> str:
    """The signature of an outbox row's delivery-report address: HMAC-SHA256 over the row's id and key with
    the application's secret key, so that nobody but the gateway we told can report on a message."""
    digest = hmac.new(secret.encode(), f"sms-report:{message_id}:{key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def kannel_report_url(message: OutboxMessage, config) -> str:
    """Where Kannel reports on ``message``: RECEPTION_BASE_URL/sms/kannel/dlr with the row's id, its
    signature, and Kannel's ``%d`` (the report's type) and ``%A`` (the operator's words), which Kannel
    fills in."""
    base = (config.get("BASE_URL") or "").rstrip("/")
    sig = report_signature(message.id, message_key(message), config["SECRET_KEY"])
    return f"{base}/sms/kannel/dlr?id={message.id}&sig={sig}&type=%d&reply=%A"


def kannel_sendsms_url(config) -> str:
    url = (config.get("KANNEL_URL") or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("RECEPTION_KANNEL_URL is not set to an http(s) address")
    if not urllib.parse.urlsplit(url).path:
        url += "/cgi-bin/sendsms"
    return url


def kannel_query(message: OutboxMessage, config) -> dict[str, str]:
    """The sendsms parameters of ``message``: the text as UTF-8, sent as UCS-2 (coding 2) when it is not
    GSM-7, with the delivery-report mask and address."""
    text = message.body_text or ""
    params = {"username": config.get("KANNEL_USERNAME") or "", "password": config.get("KANNEL_PASSWORD") or "",
              "to": message.recipient, "text": text, "charset": "UTF-8"}
    if config.get("SMS_SENDER"):
        params["from"] = config["SMS_SENDER"]
    if not is_gsm7(text):
        params["coding"] = "2"
    params["dlr-mask"] = str(KANNEL_DLR_MASK)
    params["dlr-url"] = kannel_report_url(message, config)
    return params


def send_sms_kannel(message: OutboxMessage, config, timeout: float | None = None) -> None:
    """Hand an SMS to Kannel's smsbox (``GET /cgi-bin/sendsms``) within ``timeout`` seconds; only its
    "Accepted" (0) and "Queued" (3) answers count as sent. Delivery reports come back to /sms/kannel/dlr."""
    url = kannel_sendsms_url(config)
    timeout = timeout or send_timeout(Channel.SMS, config)
    query = urllib.parse.urlencode(kannel_query(message, config), quote_via=urllib.parse.quote)
    request = urllib.request.Request(f"{url}?{query}", method="GET")
    target = f"Kannel {urllib.parse.urlsplit(url).netloc}"
    status, body = _exchange(request, timeout, target, "RECEPTION_SMS_TIMEOUT")
    if not (200 <= status < 300 and _KANNEL_TOOK_IT.match(body)):
        raise DeliveryError(f"{target} answered {status}: {body.strip()[:300]}")
