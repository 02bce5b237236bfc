# The commands the README quotes. Python 3.11+ and make are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench install clean docs

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The example institution's roles start before the demo's year of records.
MAP_SINCE = $(shell $(PYTHON) -c "import datetime as d; print(d.date.today() - d.timedelta(days=400))")

## make run: migrate the embedded SQLite database, load the example institution, tell its story
run: $(STAMP)
	$(BIN)/qms db upgrade
	$(BIN)/qms processmap load workflows/process-map.yaml --as-of $(MAP_SINCE)
	$(BIN)/qms demo

## make test: the whole suite (unit, SQLite and PostgreSQL integration, CLI end to end)
test: $(STAMP)
	$(BIN)/python -m pytest

## make lint: ruff, mypy strict, and the layers contract (import-linter, in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check src tests bench alembic
	$(BIN)/ruff format --check src tests bench alembic
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## make bench: benchmarks, each printing ratios against a baseline measured in the same run
bench: $(STAMP)
	$(BIN)/python -m bench

## make docs: regenerate docs/workflows.md from the workflow definitions
docs: $(STAMP)
	$(BIN)/qms workflow docs > docs/workflows.md

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
