"""gunicorn serving wsgi:app on a free loopback port, for the length of a ``with`` block."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def limiter_storage(prefix: str):
    """Yield (RECEPTION_RATELIMIT_STORAGE_URI, the Redis server's pid or None) for the run: Redis, as production
    runs it (README), when one answers on 127.0.0.1:6379, its keys under ``prefix`` deleted afterwards; else
    memory://, each worker counting alone (with an expiry thread scanning every counter of its process)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        pid = int(client.info("server")["process_id"])
    except redis.RedisError:
        client.close()
        yield "memory://", None
        return
    try:
        yield REDIS_URL, pid
    finally:
        keys = list(client.scan_iter(match=f"*/{prefix}/*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])
        client.close()


@contextmanager
def gunicorn(env: dict[str, str], args: list[str], log_path: Path):
    """Yield (port, pid of the gunicorn master) once /healthz answers; stop the server afterwards."""
    port = free_port()
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", *args, "--bind", f"{HOST}:{port}", "wsgi:app"],
                                  cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # workers import the app slowly on a busy machine
        while True:
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield port, server.pid
    finally:
        stop(server)


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Ask ``process`` to end (SIGTERM: gunicorn finishes its requests), kill it if it has not within ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
