"""How a message leaves: e-mail over SMTP, SMS through an HTTP gateway, or the console in development.

Each sender raises :class:`DeliveryError` with a short reason (logged and shown to administrators
with the message); credentials never appear in it.
"""
from __future__ import annotations

import json
import re
import smtplib
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from string import Template

from .models import Channel, OutboxMessage

SMS_TIMEOUT_SECONDS = 20
_METHOD = re.compile(r"^METHOD:(\w+)\r?$", re.M)


class DeliveryError(Exception):
    """The message could not be handed over; it will be retried (or marked failed)."""


def send(message: OutboxMessage, config) -> None:
    """Hand one message to its channel; raises DeliveryError when that fails."""
    if message.channel is Channel.EMAIL:
        transport = config.get("MAIL_TRANSPORT") or "console"
        if transport == "smtp":
            return send_smtp(message, config)
    else:
        transport = config.get("SMS_TRANSPORT") or "console"
        if transport == "http":
            return send_sms_http(message, config)
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
    # crash from a new message. The row's creation time keeps it unique across databases; it is short
    # enough never to be folded onto a second header line.
    stamp = int(message.created_at.timestamp() * 1000) if message.created_at else 0
    email["Message-ID"] = f"<{stamp}.outbox-{message.id}@{domain}>"
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
        part.set_boundary(f"=_outbox-{message.id}-{stamp}-{n}")
    return email


def send_smtp(message: OutboxMessage, config) -> None:
    host, port = config.get("SMTP_HOST") or "127.0.0.1", int(config.get("SMTP_PORT") or 587)
    security = (config.get("SMTP_SECURITY") or "starttls").lower()
    timeout = int(config.get("SMTP_TIMEOUT") or 30)
    email = build_email(message, config)
    try:
        if security == "tls":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            elif security not in ("none", "tls"):
                raise DeliveryError(f"RECEPTION_SMTP_SECURITY must be starttls, tls or none, not {security!r}")
            if config.get("SMTP_USERNAME"):
                server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            server.send_message(email)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {host}:{port} answered {exc.smtp_code}: "
                            f"{exc.smtp_error.decode('utf-8', 'replace')[:300]}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = next(iter(exc.recipients.values()))
        raise DeliveryError(f"SMTP {host}:{port} refused the recipient: {code} "
                            f"{reason.decode('utf-8', 'replace')[:300]}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {host}:{port}: {exc.__class__.__name__}: {exc}"[:500]) from None


def sms_request_body(message: OutboxMessage, config) -> bytes:
    """The gateway's body from RECEPTION_SMS_GATEWAY_BODY with $to, $text and $id filled in."""
    content_type = (config.get("SMS_GATEWAY_CONTENT_TYPE") or "application/json").lower()
    values = {"to": message.recipient, "text": message.body_text, "id": str(message.id)}
    if "json" in content_type:
        values = {k: json.dumps(v, ensure_ascii=False)[1:-1] for k, v in values.items()}  # escaped, no quotes
    elif "x-www-form-urlencoded" in content_type:
        values = {k: urllib.parse.quote_plus(v) for k, v in values.items()}
    template = config.get("SMS_GATEWAY_BODY") or '{"to": "$to", "text": "$text"}'
    return Template(template).safe_substitute(values).encode("utf-8")


def send_sms_http(message: OutboxMessage, config) -> None:
    url = config.get("SMS_GATEWAY_URL") or ""
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("RECEPTION_SMS_GATEWAY_URL is not set to an http(s) address")
    request = urllib.request.Request(url, data=sms_request_body(message, config), method="POST")
    request.add_header("Content-Type", config.get("SMS_GATEWAY_CONTENT_TYPE") or "application/json")
    if config.get("SMS_GATEWAY_AUTH"):
        request.add_header("Authorization", config["SMS_GATEWAY_AUTH"])
    target = urllib.parse.urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=SMS_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"SMS gateway {target} answered {exc.code}: "
                            f"{exc.read(300).decode('utf-8', 'replace')}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"SMS gateway {target}: {getattr(exc, 'reason', exc)}"[:500]) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"SMS gateway {target} answered {status}")
