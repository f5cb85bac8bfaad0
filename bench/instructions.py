"""Instructions per request, counted by valgrind's callgrind: a figure that repeats from run to run.

CPU seconds per request on a shared virtual machine move by a fifth from one run to the next (the same code gave
6.13 and 5.16 ms a booking within the hour); the instructions a request executes move by well under 1 %. So
``make bench`` also counts those: one process built like a gunicorn worker (``wsgi.py``, the same environment),
under callgrind with instrumentation off until its statements and templates are compiled, then on for health
requests, booking form pages, bookings and bookings that lose (409: another citizen has just taken the time, the
noon rush's most common answer), each a WSGI call with an environ made beforehand (what gunicorn itself does for
a request, parsing and writing the HTTP, is not counted). Kernel time (the round trips to PostgreSQL and Redis) is not
counted either: callgrind sees the process's own instructions only.

``python -m bench.instructions JOB`` is that process (run by :func:`count` under valgrind); JOB is a JSON file
naming the citizens (the first half book, the second half lose), the free slots and the topic to book.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .server import ROOT

WARM_UP = 30        # requests of each kind before counting: statements and templates compile on first use
REQUESTS = 100      # counted requests of each kind
KINDS = ("health", "form", "booking", "lost")  # in the order counted; one callgrind dump each
CITIZENS = 2 * (WARM_UP + REQUESTS)             # those who book (and open the form first), then those who lose


def count(env: dict[str, str], citizens: list[int], slot_ids: list[int], topic_id: int) -> dict[str, int] | None:
    """Instructions per request of each of :data:`KINDS`, or None (printed why) without valgrind or when the
    counted process failed: the bench's other figures are kept either way."""
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("instructions per request: not counted (no valgrind on this machine)")
        return None
    if len(citizens) < CITIZENS or len(slot_ids) < WARM_UP + REQUESTS:
        raise RuntimeError("instructions per request: not enough citizens or free slots")
    with tempfile.TemporaryDirectory() as tmp:
        job, out = Path(tmp) / "job.json", Path(tmp) / "callgrind.out"
        job.write_text(json.dumps({"citizens": citizens, "slots": slot_ids, "topic": topic_id}))
        run = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                              sys.executable, "-m", "bench.instructions", str(job)],
                             cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"instructions per request: not counted, the counted process failed:\n{run.stderr[-3000:]}")
            return None
        # One dump a kind, in the order of KINDS (parts 1 to 4).
        return {kind: _total(Path(f"{out}.{part}")) // REQUESTS for part, kind in enumerate(KINDS, 1)}


def _total(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {dump}")


def _callgrind(*args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


def main(job_path: str) -> int:
    from werkzeug.test import EnvironBuilder

    from wsgi import app  # built as gunicorn's workers build it, from the same environment

    from .client import USER_AGENT
    from .scenarios import booking_form, signed_in
    from .server import HOST

    job = json.loads(Path(job_path).read_text())
    logins = [signed_in(app, user_id) for user_id in job["citizens"]]

    def environ(path: str, **kwargs) -> dict:
        return EnvironBuilder(path=path, base_url=f"http://{HOST}", environ_base={"REMOTE_ADDR": HOST},
                              **kwargs).get_environ()

    def form(n: int) -> dict:
        """Citizen n opens the booking form of free slot n."""
        cookie, _ = logins[n]
        return environ(f"/reception/slots/{job['slots'][n]}/book",
                       headers={"Cookie": f"session={cookie}", "User-Agent": USER_AGENT})

    def booking(n: int, citizen: int | None = None) -> dict:
        """Citizen n books slot n (or, with ``citizen``, that citizen sends the same for it)."""
        (cookie, csrf), slot_id = logins[n if citizen is None else citizen], job["slots"][n]
        return environ(f"/reception/slots/{slot_id}/book", method="POST",
                       headers={"Cookie": f"session={cookie}", "User-Agent": USER_AGENT},
                       data=booking_form(job["topic"], csrf, secrets.token_urlsafe(24)))

    def lost(n: int) -> dict:
        """A citizen of the second half sends a booking for slot n, which citizen n has booked just before."""
        return booking(n, citizen=len(logins) // 2 + n)

    def health(_: int) -> dict:
        return environ("/healthz", headers={"User-Agent": USER_AGENT})

    def call(environ: dict, status: str, to: str) -> None:
        """One request through the app; it must answer ``status`` (and redirect to a URL holding ``to``)."""
        answer = []
        body = app(environ, lambda status, headers, exc_info=None: answer.append((status, dict(headers))))
        try:
            b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        got, headers = answer[0]
        if not got.startswith(status) or to not in headers.get("Location", ""):
            raise RuntimeError(f"{environ['PATH_INFO']} answered {got}")

    # Health requests, form pages, bookings (each a citizen's first, for another free slot), then bookings of
    # the same slots by other citizens; environs made beforehand.
    answers = {"health": (health, "200", ""), "form": (form, "200", ""),
               "booking": (booking, "302", "/my/appointments/"), "lost": (lost, "409", "")}
    kinds = [([make(n) for n in range(WARM_UP + REQUESTS)], status, to)
             for make, status, to in (answers[kind] for kind in KINDS)]
    for environs, status, to in kinds:
        for environ_ in environs[:WARM_UP]:
            call(environ_, status, to)
    _callgrind("--instr=on")
    for environs, status, to in kinds:
        for environ_ in environs[WARM_UP:]:
            call(environ_, status, to)
        _callgrind("--dump")  # one part a kind, in the order of KINDS
    _callgrind("--instr=off")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
