# Treatment knowledge base: developer commands (GNU make).
#
#   make run     create .venv, install, seed var/kb.sqlite3, serve on 127.0.0.1:8000
#   make test    ruff check, ruff format --check, mypy, pytest (SQLite)
#   make test-quick  ruff check and pytest without the slow system tests (tests/system), on
#                    both cores: the edit loop
#
# Every recipe calls the tools in $(VENV)/bin; nothing relies on an activated venv. The app
# reads its settings from the environment (DATABASE_URL, PORT, ...), and make passes the
# caller's environment and command-line variables through: `PORT=8123 make run`.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Written after a successful install; re-install only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed

# Empty: the tests use a throwaway SQLite file. A PostgreSQL URL: they run there instead.
TEST_DATABASE_URL ?=
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
SEED_FILE ?= data/seed.json
EXPORT_FILE ?= var/export.json

PYTEST = $(if $(TEST_DATABASE_URL),TEST_DATABASE_URL='$(TEST_DATABASE_URL)' )$(BIN)/pytest $(PYTEST_ARGS)

.DEFAULT_GOAL := help
.PHONY: help install browser node client cluster-tools docker-daemon cluster bench run seed serve test test-quick test-postgres pytest lint format typecheck check export clean relevance

help:
	@echo "make run            install, seed var/kb.sqlite3 and serve on 127.0.0.1:8000"
	@echo "make test           ruff check, ruff format --check, mypy, pytest (SQLite)"
	@echo "make test-quick     ruff check, pytest -m 'not slow' on two workers (the edit loop)"
	@echo "make test-postgres  pytest on $(POSTGRES_TEST_URL)"
	@echo "make pytest         pytest only (PYTEST_ARGS='-k name', TEST_DATABASE_URL=...)"
	@echo "make relevance      condition search's relevance table: first-hit accuracy, recall at 5"
	@echo "make lint           ruff check and ruff format --check"
	@echo "make format         ruff format and ruff check --fix"
	@echo "make typecheck      mypy app tests"
	@echo "make seed           migrate and load $(SEED_FILE) into DATABASE_URL"
	@echo "make serve          serve without seeding"
	@echo "make check          validate $(SEED_FILE); writes nothing"
	@echo "make export         write the database as a seed document to $(EXPORT_FILE)"
	@echo "make client         regenerate the TypeScript client (clients/typescript) from the API"
	@echo "make install        create $(VENV) and install the project with its dev tools"
	@echo "make cluster        primary, replica, two API processes and a balancer, locally"
	@echo "make bench          load runs: this API vs a bare ASGI app and Datasette (wrk)"
	@echo "make clean          remove $(VENV), var/ and caches"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

install: $(INSTALLED)

# Debian's Chromium for the browser test of /docs (Playwright drives it; no browser download).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

browser: $(CHROMIUM)

# Node.js and npm from Debian's packages, for the npm tools the tests run (each keeps its own
# package.json and lock file in the folder that uses it). Installed only when missing.
NODE := $(shell command -v node 2>/dev/null || echo /usr/bin/node)
$(NODE):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm

node: $(NODE)

# axe-core and Lighthouse for the browser tests of the pages (tests/system/test_pages_*.py),
# installed from tests/browser's lock file when the lock changes.
BROWSER_TOOLS := tests/browser/node_modules/.package-lock.json
$(BROWSER_TOOLS): tests/browser/package-lock.json | $(NODE)
	cd tests/browser && npm ci --no-audit --no-fund
	touch $@

# PostgreSQL's server binaries (initdb, pg_basebackup, pg_ctl): the replica tests start a primary
# and a replica of their own (deploy/cluster.py). Installed only when missing.
INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/15/bin/initdb)
$(INITDB):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql

# Debian's docker-compose: the tests validate compose.yaml with `docker-compose config`.
COMPOSE := /usr/bin/docker-compose
$(COMPOSE):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose

cluster-tools: $(INITDB) $(COMPOSE)

# Debian's Docker (docker.io) and debootstrap, for the container test (tests/system/
# test_container.py, which builds its base image from Debian's packages: no registry needed).
# Installed when missing; dockerd is started when no daemon answers (no systemd needed).
DOCKERD := /usr/sbin/dockerd
DEBOOTSTRAP := /usr/sbin/debootstrap
$(DOCKERD) $(DEBOOTSTRAP):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io debootstrap

docker-daemon: $(DOCKERD) $(DEBOOTSTRAP)
	@docker info >/dev/null 2>&1 || { \
	  echo "starting dockerd (log: /var/log/kb-dockerd.log)"; \
	  nohup $(DOCKERD) >/var/log/kb-dockerd.log 2>&1 & \
	  for i in $$(seq 60); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done; \
	  echo "dockerd did not answer; see /var/log/kb-dockerd.log" >&2; exit 1; }

# The TypeScript client's npm tools (openapi-typescript, TypeScript, Redocly CLI), installed from
# its lock file by `npm ci`, again whenever the lock file changes.
TS_CLIENT := clients/typescript
TS_TOOLS := $(TS_CLIENT)/node_modules/.package-lock.json
$(TS_TOOLS): $(TS_CLIENT)/package-lock.json | $(NODE)
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund

# The client's types from the OpenAPI document without its examples (they carry load times):
# tests/system/test_typescript_client.py fails when the committed ones differ.
client: $(INSTALLED) $(TS_TOOLS)
	$(BIN)/kb openapi --no-examples --out $(TS_CLIENT)/openapi.json
	cd $(TS_CLIENT) && node_modules/.bin/openapi-typescript openapi.json --output src/schema.d.ts

# --keep-writes: a seed file changed under writes made through the API is not loaded over them
# (kb seed lists them and says how to keep them); the server then serves the database as it is.
run: $(INSTALLED)
	$(BIN)/kb seed --keep-writes
	$(BIN)/kb serve

seed: $(INSTALLED)
	$(BIN)/kb seed

serve: $(INSTALLED)
	$(BIN)/kb serve

# One recipe, so the steps run in this order even under `make -j`, stopping at the first failure.
test: $(INSTALLED) $(CHROMIUM) $(BROWSER_TOOLS) $(TS_TOOLS) $(INITDB) $(COMPOSE) docker-daemon
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests
	$(PYTEST)

# Skips tests/system (marked slow: load, schemathesis, browser, subprocesses); `make test`
# runs everything.
test-quick: $(INSTALLED)
	$(BIN)/ruff check .
	$(PYTEST) -m "not slow" -n 2 -q

test-postgres: TEST_DATABASE_URL = $(POSTGRES_TEST_URL)
test-postgres: $(INSTALLED) $(CHROMIUM) $(BROWSER_TOOLS) $(TS_TOOLS) $(INITDB) $(COMPOSE)
	$(PYTEST)

pytest: $(INSTALLED) $(CHROMIUM) $(BROWSER_TOOLS) $(TS_TOOLS) $(INITDB) $(COMPOSE) docker-daemon
	$(PYTEST)

# The relevance table of tests/search/relevance.py on SQLite, and on PostgreSQL when it answers
# at POSTGRES_TEST_URL (in a throwaway database); `PYTEST_ARGS` is not used.
relevance: $(INSTALLED)
	$(BIN)/python -m tests.search.relevance --postgres '$(POSTGRES_TEST_URL)'

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(INSTALLED)
	$(BIN)/mypy app tests

check: $(INSTALLED)
	$(BIN)/kb check $(SEED_FILE)

export: $(INSTALLED)
	@mkdir -p $(dir $(EXPORT_FILE))
	$(BIN)/kb export --out $(EXPORT_FILE)

# Load runs on loopback against the stack's limit and Datasette (installs wrk and Datasette).
BENCH_SIZES ?= 1000,100000
bench: $(INSTALLED)
	$(BIN)/python bench/run.py --sizes $(BENCH_SIZES)

# The scaled-out topology without containers (deploy/cluster.py); Ctrl-C stops and removes it.
cluster: $(INSTALLED) $(INITDB)
	$(BIN)/python -m deploy.cluster

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
