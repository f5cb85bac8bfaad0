"""A small asyncio HTTP/1.1 load client: one connection per virtual user, kept alive when the server allows.

The standard library only, so that the same client (same cost per request) measures every endpoint.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

USER_AGENT = "reception-bench/1"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # from sending the request (connecting if needed) to the last byte


@dataclass
class Connection:
    """One virtual user's connection and session cookie."""

    host: str
    port: int
    cookie: str | None = None
    _streams: tuple | None = field(default=None, repr=False)

    async def request(self, method: str, path: str, form: dict | None = None) -> Response:
        started = time.perf_counter()
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        body = urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"User-Agent: {USER_AGENT}",
                "Accept-Language: en", f"Content-Length: {len(body)}"]
        if form is not None:
            head.append("Content-Type: application/x-www-form-urlencoded")
        if self.cookie:
            head.append(f"Cookie: session={self.cookie}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {}
        for line in filter(None, lines):
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = value
            if name == "set-cookie" and value.startswith("session="):
                self.cookie = value[len("session="):].split(";", 1)[0]
        length = headers.get("content-length")
        data = await (reader.readexactly(int(length)) if length is not None else reader.read())
        if length is None or headers.get("connection", "").lower() == "close":
            self.close()
        return Response(int(status_line.split()[1]), headers, data, time.perf_counter() - started)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Rate:
    done: int          # requests answered with the expected status
    failed: int        # any other status
    seconds: float
    client_cpu: float  # the load client's own CPU seconds meanwhile, to show it was not the bottleneck

    @property
    def per_second(self) -> float:
        return self.done / self.seconds


async def sustained_rate(host: str, port: int, concurrency: int, seconds: float, jobs, ok_status: int) -> Rate:
    """Run ``jobs`` (an iterator of callables taking a Connection and returning a Response awaitable)
    on ``concurrency`` connections for ``seconds`` or until the jobs run out; count the answers."""
    done = failed = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, failed
        conn = Connection(host, port)
        for job in jobs:
            if time.perf_counter() >= deadline:
                break
            response = await job(conn)
            if response.status == ok_status:
                done += 1
            else:
                failed += 1
        conn.close()

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Rate(done, failed, time.perf_counter() - started, time.process_time() - cpu)
