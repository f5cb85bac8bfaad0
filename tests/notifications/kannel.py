"""A real Kannel on loopback for the tests: bearerbox, smsbox and the fake SMSC client (fakesmsc).

Debian's ``kannel`` package has bearerbox and smsbox (/usr/sbin), ``kannel-extras`` has fakesmsc
(/usr/lib/kannel/test). CI installs both (.ci/run); a machine without them fails these tests, it does
not skip them.

The configuration is written to a temporary directory with free loopback ports: bearerbox with one
``fake`` SMSC (numbers starting with :data:`UNROUTABLE` are refused by it, so Kannel itself reports
such a message as not delivered), internal DLR storage, smsbox with a sendsms user (concatenated
SMS up to two parts) and a catch-all sms-service that calls the application's /sms/kannel/incoming.

fakesmsc plays the operator's network: what Kannel sends out arrives there (printed as
``Got message N: <from to udh UDH data DATA>``, :meth:`Kannel.received` decodes and reassembles
it), and the fake SMSC reports every message it handed over as delivered (Kannel's types 8 and 1).
fakesmsc also sends SMS to Kannel (mobile-originated), given on its command line: the fake SMSC takes
one client at a time, so :meth:`Kannel.send_from_phone` restarts it with the message to send.
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reception.extensions import db
from reception.notifications.services import dispatch_due

USERNAME, PASSWORD = "reception", "kannel-test-password-0123"
MO_SECRET = "mo-test-secret-0123456789"
SENDER = "Reception"
UNROUTABLE = "+7700"  # the fake SMSC refuses these numbers: Kannel reports them not delivered (type 16)
_GOT = re.compile(r"Got message \d+: <(.*)>\s*$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binaries() -> dict[str, str]:
    """Where bearerbox, smsbox and fakesmsc are; the test fails when one is missing."""
    found = {"bearerbox": shutil.which("bearerbox") or "/usr/sbin/bearerbox",
             "smsbox": shutil.which("smsbox") or "/usr/sbin/smsbox",
             "fakesmsc": shutil.which("fakesmsc") or "/usr/lib/kannel/test/fakesmsc"}
    missing = [name for name, path in found.items() if not Path(path).is_file()]
    if missing:
        pytest.fail(f"Kannel is not installed ({', '.join(missing)} missing): apt-get install kannel "
                    "kannel-extras (.ci/run does)")
    return found


@dataclass
class Received:
    """One SMS as the fake network got it (its parts put together)."""

    sender: str
    receiver: str
    text: str
    parts: int


@dataclass
class Kannel:
    directory: Path
    app_port: int
    programs: dict[str, str] = field(default_factory=binaries)
    admin_port: int = field(default_factory=free_port)
    box_port: int = field(default_factory=free_port)
    smsc_port: int = field(default_factory=free_port)
    sendsms_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    fake_runs: int = 0

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def write_config(self) -> Path:
        d = self.directory
        (d / "store").mkdir(exist_ok=True)
        incoming = (f"http://127.0.0.1:{self.app_port}/sms/kannel/incoming?key={MO_SECRET}"
                    "&from=%p&to=%P&text=%a")
        config = f"""
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = admin-test
smsbox-port = {self.box_port}
box-allow-ip = 127.0.0.1
log-file = "{d}/bearerbox.log"
log-level = 0
dlr-storage = internal
store-type = spool
store-location = "{d}/store"

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
connect-allow-ip = 127.0.0.1
denied-prefix = {UNROUTABLE}

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{d}/smsbox.log"
log-level = 0
mo-recode = true

group = sendsms-user
username = {USERNAME}
password = {PASSWORD}
concatenation = true
max-messages = 2

group = sms-service
keyword = default
catch-all = true
get-url = "{incoming}"
max-messages = 0
omit-empty = true
"""
        path = d / "kannel.conf"
        path.write_text(config)
        return path

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.directory / f"{name}.out").open("ab")
        process = subprocess.Popen([*args], cwd=self.directory, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes[name] = process
        return process

    def start(self) -> None:
        config = str(self.write_config())
        self._start("bearerbox", self.programs["bearerbox"], config)
        _wait(lambda: _answers(f"http://127.0.0.1:{self.admin_port}/status.txt?password=admin-test"),
              "bearerbox's admin interface", self)
        self._start("smsbox", self.programs["smsbox"], config)
        _wait(lambda: _answers(self.sendsms_url), "smsbox's sendsms interface", self)
        self.start_fakesmsc()

    def start_fakesmsc(self, *messages: str) -> None:
        """(Re)start the fake network's client; ``messages`` are SMS it sends to Kannel once, each
        ``"<from> <to> text <text>"`` (or ``ucs2 <url-encoded UTF-16BE>``)."""
        self.stop_process("fakesmsc")
        self.fake_runs += 1
        self._start("fakesmsc", self.programs["fakesmsc"], "-H", "127.0.0.1", "-r", str(self.smsc_port),
                    "-i", "0.1", "-m", str(len(messages)), *(messages or ("0 0 text -",)))
        _wait(self.smsc_online, "the fake SMSC's client to connect", self)

    def smsc_online(self) -> bool:
        status = _answers(f"http://127.0.0.1:{self.admin_port}/status.txt?password=admin-test") or ""
        return any("FAKE" in line and "online" in line for line in status.splitlines())

    def send_from_phone(self, sender: str, text: str, receiver: str = "1414") -> None:
        """A citizen's phone sends ``text`` to the system's number (through fakesmsc and Kannel)."""
        data = urllib.parse.quote_from_bytes(text.encode("utf-16-be"))
        before = self._sent_count()
        self.start_fakesmsc(f"{sender} {receiver} ucs2 {data}")
        _wait(lambda: self._sent_count() > before, "fakesmsc to send the SMS", self)

    def _sent_count(self) -> int:
        path = self.directory / "fakesmsc.out"
        return path.read_text(errors="replace").count("fakesmsc: sent message") if path.exists() else 0

    def received(self) -> list[Received]:
        """Every SMS the fake network got, its concatenated parts put together in order."""
        lines = []
        for path in sorted(self.directory.glob("fakesmsc.out")):
            for line in path.read_text(errors="replace").splitlines():
                found = _GOT.search(line)
                if found:
                    lines.append(found.group(1))
        messages, pending = [], {}
        for line in lines:
            words = line.split(" ")
            sender, receiver, kind = words[0], words[1], words[2]
            if kind == "udh":
                udh = _bytes(words[3])
                data = _bytes(words[-1])
                ref, total, seq = udh[3], udh[4], udh[5]  # IEI 0 (8-bit reference): 05 00 03 ref total seq
                parts = pending.setdefault((sender, receiver, ref), {})
                parts[seq] = data
                if len(parts) == total:
                    raw = b"".join(parts[i] for i in sorted(parts))
                    messages.append(Received(sender, receiver, _decode(raw), total))
                    del pending[(sender, receiver, ref)]
            elif kind == "text":
                messages.append(Received(sender, receiver, " ".join(words[3:]), 1))
            else:  # data: url-encoded bytes
                messages.append(Received(sender, receiver, _decode(_bytes(words[-1])), 1))
        return messages

    def stop_process(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            self.stop_process(name)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.directory.glob("*.log")) + sorted(self.directory.glob("*.out")))


def _bytes(word: str) -> bytes:
    """fakesmsc's URL encoding: %XX, and + for a space."""
    return urllib.parse.unquote_to_bytes(word.replace("+", " "))


def _decode(raw: bytes) -> str:
    """Kannel hands UCS-2 text over as UTF-16BE bytes; GSM text arrives as plain bytes."""
    if len(raw) % 2 == 0 and raw[::2].count(0) + raw[::2].count(4) > len(raw) // 4:
        return raw.decode("utf-16-be")
    return raw.decode("latin-1")


def _answers(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:  # smsbox answers 403 to a sendsms without credentials: it is up
        with exc:
            return exc.read().decode("utf-8", "replace") or str(exc.code)
    except OSError:
        return None


def wait_until(condition, what: str, kannel: Kannel, timeout: float = 30.0) -> None:
    """Wait for ``condition`` (the application's side of an exchange through Kannel); the test fails with
    Kannel's logs when it does not come true in ``timeout`` seconds."""
    ends = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > ends:
            raise AssertionError(f"gave up waiting for {what}\n" + kannel.logs())
        time.sleep(0.1)


def dispatch(app) -> None:
    """One run of the outbox's dispatcher (as ``flask notifications dispatch`` does), in its own context."""
    with app.app_context():
        dispatch_due(limit=20)
        db.session.remove()


def _wait(condition, what: str, kannel: Kannel, timeout: float = 30.0) -> None:
    ends = time.monotonic() + timeout
    while not condition():
        for name, process in kannel.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited ({process.returncode}) while waiting for {what}\n"
                                     + kannel.logs())
        if time.monotonic() > ends:
            raise AssertionError(f"gave up waiting for {what}\n" + kannel.logs())
        time.sleep(0.1)
