"""The WSGI application the fault tests serve with gunicorn: wsgi.py's, at the test run's moment.

``pytest --today`` moves the test process's clock; a gunicorn worker would otherwise live at the real date.
``FAULTS_CLOCK_OFFSET`` (seconds, set by the test) moves the worker's clock by the same amount, with
time-machine as the test process does, so session cookies, booking windows and talons agree across both.
"""
from __future__ import annotations

import os
import time

import time_machine

_offset = float(os.environ.get("FAULTS_CLOCK_OFFSET") or 0)
if _offset:
    time_machine.travel(time.time() + _offset, tick=True).start()

from reception import create_app  # noqa: E402  (after the clock is set)

app = create_app()
