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
# pytest-xdist workers for `make test` (each has its own SQLite file or PostgreSQL schema); 0 runs in one process.
TEST_WORKERS ?= auto

.PHONY: run test test-sqlite test-postgres e2e bench lint translations-extract translations-update translations-compile db-upgrade demo clean

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
	$(FLASK) demo load

run: translations-compile demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop; outbox messages are printed below)"
	@trap 'kill 0' EXIT; \
	  $(FLASK) notifications dispatch --loop & \
	  $(FLASK) run --host $(HOST) --port $(PORT)

test: translations-compile
	env -u TEST_DATABASE_URL $(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) tests
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "=== again on PostgreSQL: $$TEST_DATABASE_URL ==="; \
	  $(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) tests; \
	fi

e2e: translations-compile
	$(PY) -m pytest -p no:cacheprovider tests_e2e

bench: translations-compile
	$(PY) -m bench.run

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
