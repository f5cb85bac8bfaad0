# The two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := FLASK_APP=wsgi.py $(VENV)/bin/flask
PYBABEL := $(VENV)/bin/pybabel
TRANSLATIONS := reception/translations
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in e-mails, talons, calendars and the video page name the address the app is served on
# (RECEPTION_BASE_URL, when set, wins: e.g. the public name behind a proxy).
SERVE_ENV = RECEPTION_BASE_URL="$${RECEPTION_BASE_URL:-http://$(HOST):$(PORT)}"
# pytest-xdist workers for `make test` (each has its own SQLite file or PostgreSQL schema); 0 runs in one process.
TEST_WORKERS ?= auto
# `make test TODAY=2028-02-29` (or 2026-12-31T23:50) runs the suite as if it were that moment in Kazakhstan;
# TESTS narrows it (e.g. TESTS=tests/booking).
TODAY ?=
TESTS ?= tests
PYTEST = $(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) $(if $(TODAY),--today=$(TODAY)) $(TESTS)

.PHONY: run test test-sqlite test-postgres e2e bench bench-search lint translations-extract translations-update translations-compile db-upgrade demo clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

translations-compile: $(VENV)/.installed
	$(PYBABEL) -q compile -f -d $(TRANSLATIONS)

# Without --ignore-dirs pybabel also skips every folder whose name starts with "_" (templates/_macros).
translations-extract: $(VENV)/.installed
	$(PYBABEL) -q extract -F babel.cfg --ignore-dirs '.*' -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output \
	  --project reception --copyright-holder "Reception system" -o $(TRANSLATIONS)/messages.pot .

translations-update: translations-extract
	$(PYBABEL) -q update --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

db-upgrade: $(VENV)/.installed
	$(FLASK) db upgrade

demo: db-upgrade
	$(SERVE_ENV) $(FLASK) demo load

run: translations-compile demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop; outbox messages are printed below)"
	@trap 'kill 0' EXIT; \
	  $(SERVE_ENV) $(FLASK) notifications dispatch --loop & \
	  $(SERVE_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

test: translations-compile
	@start=$$SECONDS; status=0; \
	  echo "=== SQLite"; \
	  env -u TEST_DATABASE_URL $(PYTEST) || status=1; \
	  if [ -n "$$TEST_DATABASE_URL" ]; then \
	    echo "=== again on PostgreSQL: $$TEST_DATABASE_URL"; \
	    $(PYTEST) || status=1; \
	  fi; \
	  echo "make test: $$([ $$status = 0 ] && echo passed || echo FAILED) in $$((SECONDS - start)) s"; \
	  exit $$status

e2e: translations-compile
	$(PY) -m pytest -p no:cacheprovider tests_e2e

bench: translations-compile
	$(PY) -m bench.run

# The search part only (one and ten million slots): minutes instead of the whole bench's much longer run.
bench-search: translations-compile
	BENCH_ONLY=search $(PY) -m bench.run

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
