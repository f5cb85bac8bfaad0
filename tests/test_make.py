"""The Makefile's commands: `make run PORT=…` serves, and writes links, on that port."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(*args: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"RECEPTION_BASE_URL", "MAKEFLAGS", "MAKELEVEL"}}
    out = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


@pytest.mark.parametrize("command", ["flask demo load", "flask notifications dispatch", "flask run"])
def test_make_run_on_another_port_gives_every_command_that_writes_links_that_port(command):
    lines = [line for line in _dry_run("run", "PORT=5101") if command in line]
    assert len(lines) == 1, lines
    assert 'RECEPTION_BASE_URL="${RECEPTION_BASE_URL:-http://127.0.0.1:5101}"' in lines[0]


def test_make_run_serves_on_the_port_it_was_given_and_names_no_other():
    lines = _dry_run("run", "PORT=5101", "HOST=0.0.0.0")
    assert any("flask run --host 0.0.0.0 --port 5101" in line for line in lines)
    assert not any(":5000" in line for line in lines)
