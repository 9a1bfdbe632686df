# Telegarde — the two commands of the README, and the few a developer runs between them.
#   make run    install into .venv, migrate the embedded SQLite database, load the demo, serve
#   make test   install what tests need (Chromium included when root), lint, type-check, test
SHELL := /bin/bash
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 1
VENV := .venv
BIN := $(VENV)/bin
PIP_QUIET := --quiet --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest browser messages lock clean

$(BIN)/python:
	@python=$$(scripts/find-python) && "$$python" -m venv $(VENV)

$(VENV)/.main-installed: $(BIN)/python requirements/main.txt pyproject.toml
	$(BIN)/pip install $(PIP_QUIET) --require-hashes -r requirements/main.txt
	$(BIN)/pip install $(PIP_QUIET) --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.main-installed requirements/dev.txt
	$(BIN)/pip install $(PIP_QUIET) --require-hashes -r requirements/dev.txt
	@touch $@

messages: $(VENV)/.main-installed
	@$(BIN)/python -m telegarde.lib.messages

run: $(VENV)/.main-installed messages
	@mkdir -p var
	$(BIN)/telegarde migrate --noinput -v0
	$(BIN)/telegarde collectstatic --noinput -v0
	$(BIN)/telegarde demo
	$(BIN)/telegarde serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# Debian's Chromium drives the browser tests; installed here when missing and root.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy telegarde bench

pytest: $(VENV)/.dev-installed messages browser
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test: lint typecheck pytest

# Regenerate the pinned, hashed lock files after changing pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install $(PIP_QUIET) uv
	for f in main dev; do extra=; [ $$f = dev ] && extra="--extra dev"; \
	  $(BIN)/uv pip compile pyproject.toml requirements/build.in $$extra --universal \
	    --python-version 3.12 --generate-hashes -q -o requirements/$$f.txt; done

clean:
	rm -rf $(VENV) var
