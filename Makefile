# Telegarde — the two commands of the README, and the few a developer runs between them.
#   make run    install into .venv, migrate the embedded SQLite database, load the demo, serve
#   make test   install what tests need (Chromium, coturn, clamd when root), lint, type-check, test
SHELL := /bin/bash
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 1
VENV := .venv
BIN := $(VENV)/bin
PIP_QUIET := --quiet --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest browser coturn clamav messages lock clean

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

# Debian's coturn, the TURN server the consultation tests allocate relays on (each test
# session starts its own on a free loopback port). Installed when missing and root, with
# a policy-rc.d that keeps the package from starting a system daemon on port 3478.
coturn:
	@if [ ! -x /usr/bin/turnserver ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's coturn for the TURN tests…"; \
	    policy=/usr/sbin/policy-rc.d; own_policy=; \
	    if [ ! -e $$policy ]; then \
	      printf '#!/bin/sh\nexit 101\n' >$$policy && chmod +x $$policy && own_policy=1; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn >/dev/null; \
	    status=$$?; \
	    if [ -n "$$own_policy" ]; then rm -f $$policy; fi; \
	    if [ -d /run/systemd/system ]; then systemctl disable --now coturn >/dev/null 2>&1; fi; \
	    exit $$status; \
	  else \
	    echo "The TURN tests need Debian's coturn: sudo apt-get install coturn" >&2; exit 1; \
	  fi; \
	fi

# Debian's ClamAV daemon: the document tests start their own clamd in the foreground on
# a private socket, with a signature database they write (this machine cannot download
# official signatures). Installed when missing and root; the policy-rc.d keeps the package
# from starting the system clamd and freshclam, which are then disabled.
clamav:
	@if [ ! -x /usr/sbin/clamd ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's clamav-daemon for the document scanning tests…"; \
	    policy=/usr/sbin/policy-rc.d; own_policy=; \
	    if [ ! -e $$policy ]; then \
	      printf '#!/bin/sh\nexit 101\n' >$$policy && chmod +x $$policy && own_policy=1; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon >/dev/null; \
	    status=$$?; \
	    if [ -n "$$own_policy" ]; then rm -f $$policy; fi; \
	    if [ -d /run/systemd/system ]; then \
	      systemctl disable --now clamav-daemon clamav-freshclam >/dev/null 2>&1; \
	    fi; \
	    exit $$status; \
	  else \
	    echo "The document tests need Debian's clamav-daemon: sudo apt-get install clamav-daemon" >&2; exit 1; \
	  fi; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy telegarde bench

pytest: $(VENV)/.dev-installed messages browser coturn clamav
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
