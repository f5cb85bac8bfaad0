"""Real delivery endpoints on loopback: an SMTP server (aiosmtpd), an HTTP SMS gateway, and a real Kannel
(tests/notifications/kannel.py) with the application served for it to call back.

Each fixture starts its server on a free port, points the application's configuration at it
(monkeypatched, so it is restored after the test) and records what arrives, as the other side
of a real connection sees it. Nothing is mocked: the dispatcher talks SMTP and HTTP over sockets.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from werkzeug.serving import make_server

from reception.extensions import db
from tests.notifications.kannel import MO_SECRET, SENDER, USERNAME, Kannel
from tests.notifications.kannel import PASSWORD as KANNEL_PASSWORD

# The booking fixtures (sessions with slots, a topic, booking data) build real appointments here too.

MAIL_FROM = "Reception test <noreply@reception.test>"
SMS_AUTH = "Bearer sms-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP ---------------------------------------------------------------------------------------

@dataclass
class Received:
    """One message as the SMTP server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None = None


@dataclass
class SmtpServer:
    """What the server got, and how it answers (set ``refuse_rcpt``/``refuse_data`` to an SMTP reply)."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse_rcpt: str | None = None
    refuse_data: str | None = None
    rcpt_attempts: int = 0
    data_attempts: int = 0
    delay: float = 0.0
    # Set to seconds: the first message is held (at most that long) until a second one is being answered
    # too, so that two senders are seen to overlap; ``most_in_flight`` tells whether they did.
    wait_for_company: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set to "DATA" or "QUIT": the server holds its answer to that command until ``release`` is set. At
    # DATA the whole message has arrived but is not accepted yet (no 250); at QUIT it was accepted.
    # ``holding`` is set when a client waits there; ``abandoned`` counts clients gone away while held (their
    # message, held at DATA, is never accepted: a real server does not deliver a message it did not accept).
    hold_at: str | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    abandoned: int = 0
    gone: threading.Event = field(default_factory=threading.Event)

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]

    def for_outbox_row(self, message_id: int) -> list[Received]:
        """The messages built from outbox row ``message_id`` (its Message-ID names the row)."""
        return [r for r in self.received if f".outbox-{message_id}@" in r.message["Message-ID"]]


class _RecordingHandler:
    def __init__(self, state: SmtpServer):
        self.state = state
        self._company: asyncio.Event | None = None  # made in the server's loop, where every handler runs
        self._waited = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.state.lock:
            self.state.rcpt_attempts += 1
        if self.state.refuse_rcpt:
            return self.state.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.state.lock:
            self.state.data_attempts += 1
            self.state.in_flight += 1
            self.state.most_in_flight = max(self.state.most_in_flight, self.state.in_flight)
        try:
            return await self._answer_data(session, envelope)
        finally:
            with self.state.lock:
                self.state.in_flight -= 1

    async def _held(self, command: str) -> None:
        """With ``hold_at == command``: wait for ``release``; a client that goes away meanwhile is counted."""
        if self.state.hold_at != command:
            return
        self.state.holding.set()
        try:
            while not self.state.release.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:  # aiosmtpd cancels the handler when the client is gone
            with self.state.lock:
                self.state.abandoned += 1
            self.state.gone.set()
            raise

    async def handle_QUIT(self, server, session, envelope):
        await self._held("QUIT")
        return "221 Bye"

    async def _answer_data(self, session, envelope):
        if self.state.refuse_data:
            return self.state.refuse_data
        await self._held("DATA")
        await self._meet_company()
        if self.state.delay:
            await asyncio.sleep(self.state.delay)  # a slow server: dispatchers overlap while sending
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        login = None
        if session.authenticated and session.auth_data is not None:
            login = session.auth_data.login.decode()
        with self.state.lock:
            self.state.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, login))
        return "250 Message accepted for delivery"

    async def _meet_company(self) -> None:
        """With ``wait_for_company``: hold the first message until a second is in flight (or give up)."""
        if self._company is None:
            self._company = asyncio.Event()
        if self.state.most_in_flight >= 2:
            self._company.set()
        if not self.state.wait_for_company or self._waited:
            return
        self._waited = True
        with contextlib.suppress(TimeoutError):  # nobody came: most_in_flight stays 1, for the test to see
            await asyncio.wait_for(self._company.wait(), self.state.wait_for_company)


def _start_smtp(app, monkeypatch, port: int | None = None, **controller_kwargs):
    state = SmtpServer(port=port or free_port())
    controller = Controller(_RecordingHandler(state), hostname="127.0.0.1", port=state.port, **controller_kwargs)
    controller.start()
    for key, value in {"MAIL_TRANSPORT": "smtp", "MAIL_FROM": MAIL_FROM, "SMTP_HOST": "127.0.0.1",
                       "SMTP_PORT": state.port, "SMTP_SECURITY": "none", "SMTP_USERNAME": "",
                       "SMTP_PASSWORD": "", "SMTP_TIMEOUT": 10}.items():
        monkeypatch.setitem(app.config, key, value)
    return state, controller


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A plain SMTP relay on loopback (RECEPTION_SMTP_SECURITY=none), the app configured to use it."""
    state, controller = _start_smtp(app, monkeypatch)
    yield state
    controller.stop()


SMTP_LOGIN, SMTP_PASSWORD = "reception", "s3cret-smtp-password"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_LOGIN.encode()
          and auth_data.password == SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture
def smtp_server_with_auth(app, monkeypatch):
    """An SMTP server that offers AUTH (without TLS: loopback only) and checks the login."""
    state, controller = _start_smtp(app, monkeypatch, authenticator=_authenticator, auth_require_tls=False)
    yield state
    controller.stop()


# --- SMS gateway --------------------------------------------------------------------------------

@dataclass
class GatewayRequest:
    method: str
    path: str
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class SmsGateway:
    """What the gateway got, and how it answers (``status``, ``reply``)."""

    url: str = ""
    requests: list[GatewayRequest] = field(default_factory=list)
    status: int = 200
    reply: bytes = b'{"accepted": true}'
    # hold: answer nobody until ``release`` is set (``holding`` tells that a request is held).
    hold: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    server: object = None


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        gateway: SmsGateway = self.server.gateway
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        gateway.requests.append(GatewayRequest(self.command, self.path, self.headers, body))
        if gateway.hold:
            gateway.holding.set()
            gateway.release.wait(30)
        with contextlib.suppress(OSError):  # a client that gave up has closed the connection
            self.send_response(gateway.status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(gateway.reply)))
            self.end_headers()
            self.wfile.write(gateway.reply)

    def log_message(self, format, *args):  # quiet
        pass


class GatewayServer:
    """A running gateway on loopback (``port`` 0: a free one); :meth:`stop` takes it down, and a new one
    may be started on the same port with the same :class:`SmsGateway` record."""

    def __init__(self, gateway: SmsGateway, port: int = 0):
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _GatewayHandler)
        self.server.daemon_threads = True
        self.server.gateway = gateway
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def sms_gateway(app, monkeypatch):
    """An HTTP SMS gateway on loopback (JSON body by default), the app configured to POST to it.
    ``sms_gateway.server`` is the running server (stop it, start another with :class:`GatewayServer`)."""
    gateway = SmsGateway()
    gateway.server = GatewayServer(gateway)
    gateway.url = f"http://127.0.0.1:{gateway.server.port}/api/send?sender=Reception"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # never through a proxy from the environment
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for key, value in {"SMS_TRANSPORT": "http", "SMS_GATEWAY_URL": gateway.url, "SMS_GATEWAY_AUTH": SMS_AUTH,
                       "SMS_GATEWAY_BODY": '{"to": "$to", "text": "$text", "reference": "$id"}',
                       "SMS_GATEWAY_CONTENT_TYPE": "application/json"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield gateway
    gateway.release.set()
    gateway.server.stop()


# --- Kannel ------------------------------------------------------------------------------------

@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


@pytest.fixture
def served(app):
    """The application on a loopback port, as Kannel's smsbox reaches it."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def kannel(app, served, tmp_path, monkeypatch):
    """bearerbox, smsbox and fakesmsc running, the application configured to send through them."""
    gateway = Kannel(tmp_path, served)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for key, value in {"SMS_TRANSPORT": "kannel", "KANNEL_URL": f"http://127.0.0.1:{gateway.sendsms_port}",
                       "KANNEL_USERNAME": USERNAME, "KANNEL_PASSWORD": KANNEL_PASSWORD, "SMS_SENDER": SENDER,
                       "KANNEL_MO_SECRET": MO_SECRET, "BASE_URL": f"http://127.0.0.1:{served}",
                       "SMS_TIMEOUT": 10}.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        gateway.start()
        yield gateway
    finally:
        gateway.stop()
