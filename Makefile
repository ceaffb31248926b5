# The two commands of the README: `make demo` and `make test`. Everything else serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install browser s3rver lint fmt demo test test-only bench migrate lock clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "teamtasks needs Python 3.11 or newer as '$(PYTHON)'"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the locked dependencies

# The chat page's browser test drives Debian's Chromium (no browser can be downloaded here).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
		echo "installing Debian's chromium for the browser test"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; } || \
		{ echo "could not install chromium; install it (apt-get install chromium) and retry"; exit 1; }

# s3rver 3.7.1 (an S3 protocol server on Node.js) for the storage tests, locked in tests/s3rver.
s3rver:
	@test -x tests/s3rver/node_modules/.bin/s3rver || { \
		command -v npm >/dev/null || { echo "the storage tests need Node.js and npm (apt-get install nodejs npm)"; exit 1; }; \
		echo "installing s3rver for the storage tests"; \
		cd tests/s3rver && npm ci --no-audit --no-fund --loglevel=error; }

demo: install  ## install and run teamtasks on embedded defaults, with a local Telegram and chat page
	$(BIN)/teamtasks demo

lint: install  ## ruff (with the DTZ rules for naive datetimes) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install  ## format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint test-only  ## install, lint and run every test (needs PostgreSQL and Redis; see .ci/run)

test-only: install browser s3rver
	$(BIN)/pytest

bench: install  ## run the benchmarks in bench/ and print their figures (needs PostgreSQL)
	$(BIN)/python -m bench.updates
	$(BIN)/python -m bench.files
	$(BIN)/python -m bench.billing_sweep
	$(BIN)/python -m bench.delivery
	$(BIN)/python -m bench.payments

migrate: install  ## upgrade the database in DATABASE_URL to the latest migration
	$(BIN)/teamtasks migrate

lock: install  ## re-pin requirements/*.txt from pyproject.toml (with hashes)
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header --quiet -o requirements/main.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --no-header --quiet -o requirements/dev.txt

clean:  ## remove the virtual environment and caches (keeps ./var, the demo's data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
