# Mentorfold — the two commands a new developer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1
# The engine is single-threaded; idle BLAS threads only slow it down on a 2-core machine.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: run test test-unit test-pg test-e2e checks messages dist worker bench lint format totp seed-large system-deps clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Mentorfold needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Set PYTHON=python3.11 (or newer)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## make run: install, migrate, load demo data, start the task worker and serve on http://127.0.0.1:8000
run: $(STAMP) messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --size small
	@echo
	@$(PY) manage.py demo_logins
	@echo
	@echo "Starting the task worker in the background and the site on http://127.0.0.1:8000 (Ctrl-C stops both)"
	@$(PY) manage.py worker --interval 1 --no-reload >var/worker.log 2>&1 & wpid=$$!; \
	  trap 'kill $$wpid 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000 --noreload

## make worker: run the background task worker (match runs, imports, reviewer assignment, mail batches);
## on start it marks failed every job whose worker died mid-job
worker: $(STAMP)
	$(PY) manage.py worker

## make test: the whole suite on SQLite and on PostgreSQL, then the browser tests in Chromium
test: system-deps $(STAMP) messages checks
	scripts/run-tests.sh

checks: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=mentorfold.example.org $(PY) manage.py check --deploy --fail-level WARNING
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## make messages: compile the translation catalogues (src/mentorfold/locale/*/LC_MESSAGES/django.po)
messages: $(STAMP)
	$(PY) scripts/compile_messages.py

## make dist: a wheel and sdist in dist/, with the compiled catalogues inside
dist: $(STAMP) messages
	$(PY) -m pip wheel --no-deps --wheel-dir dist .

system-deps:
	scripts/system-deps.sh

## make bench: benchmarks (engine, grants engine, demo data); numbers land in benchmarks/results/
bench: $(STAMP)
	$(PY) benchmarks/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make totp: the current authenticator code for the demo coordinator and reviewer
totp: $(STAMP)
	@$(PY) manage.py demo_logins | tail -1

seed-large: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --size large

clean:
	rm -rf $(VENV) var/mentorfold.sqlite3* staticfiles test-results
