# Developer tasks for Baton.  `make help` lists them.

PY ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
# Interpreter used to create .venv.
PYTHON ?= python3
PYTEST_ARGS ?=
PG_SERVER := scripts/postgres-test-server.sh

.DEFAULT_GOAL := help
.PHONY: help install lint format typecheck test test-postgres bench ci

help:
	@echo "make install        create .venv and install Baton with dev extras"
	@echo "make lint           ruff check + ruff format --check"
	@echo "make format         ruff format + ruff check --fix"
	@echo "make typecheck      mypy"
	@echo "make test           run pytest (extra arguments: PYTEST_ARGS=...)"
	@echo "make test-postgres  start the PostgreSQL test server, run pytest against it"
	@echo "make bench          run the benchmarks"
	@echo "make ci             run the full CI script (.ci/run)"

install:
	test -x .venv/bin/python || $(PYTHON) -m venv .venv
	.venv/bin/python -m pip install --upgrade pip
	.venv/bin/python -m pip install -e ".[dev]"

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck:
	$(PY) -m mypy

test:
	$(PY) -m pytest $(PYTEST_ARGS)

# Leaves the server running; stop it with: scripts/postgres-test-server.sh stop
test-postgres:
	BATON_TEST_POSTGRES_URL="$$(bash $(PG_SERVER) start)" && \
	export BATON_TEST_POSTGRES_URL && \
	$(PY) -m pytest $(PYTEST_ARGS)

bench:
	$(PY) benchmarks/run.py

ci:
	bash .ci/run
