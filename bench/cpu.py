"""CPU seconds spent by the server side (gunicorn workers, their PostgreSQL backends and the Redis server holding
the rate-limit counters), read from /proc.

Rates swing with whatever else runs on the machine; CPU spent per request swings much less, so the
bench prints both.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # the process has ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def snapshot(gunicorn_pid: int, redis_pid: int | None, conn) -> dict[tuple[str, int], float]:
    """CPU seconds so far of every gunicorn worker, of every backend sharing ``conn``'s application_name and of
    the Redis server (all of it: nothing else should use it meanwhile)."""
    workers = Path(f"/proc/{gunicorn_pid}/task/{gunicorn_pid}/children").read_text().split()
    backends = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                                 "AND application_name = current_setting('application_name')")).scalars()
    redis = {("redis", redis_pid): _cpu(redis_pid)} if redis_pid else {}
    return {("app", int(pid)): _cpu(int(pid)) for pid in workers} | {("db", pid): _cpu(pid) for pid in backends} | redis


def spent(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds spent between two snapshots, by side (processes started meanwhile count from zero)."""
    totals = {"app": 0.0, "db": 0.0, "redis": 0.0}
    for key, seconds in after.items():
        totals[key[0]] += seconds - before.get(key, 0.0)
    return totals
