# ordersite: `make demo` serves the dashboard on the sandbox; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/ordersite

.PHONY: install browser demo test test-postgres lint format bench bench-scale clean

# The virtualenv is rebuilt whenever the lock file changes.
$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "ordersite needs Python 3.12+, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "note: /usr/bin/chromium missing and not root: browser tests will be skipped"; fi; \
	fi

demo: install
	PORT=$(PORT) scripts/demo

test: install browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

# The same suite on PostgreSQL (.ci/run calls this when a server answers).
test-postgres: install browser
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) -m bench --database both

# The queue, the list by deadline and the CSV exports at 1x and 10x the data (1,000,000 orders).
bench-scale: install
	$(PY) -m bench --database both --scale 10 --skip pages --skip weight --skip load --skip sync

clean:
	rm -rf $(VENV) staticfiles .demo .pytest_cache .ruff_cache
