# The commands the README quotes. Python 3.11+ and make are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-slow lint bench install clean docs

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The example institution's roles start before the demo's year of records.
MAP_SINCE = $(shell $(PYTHON) -c "import datetime as d; print(d.date.today() - d.timedelta(days=400))")

# The example institution's own settings (its school holidays, for the audit programme):
# each QMS_* line of workflows/example.env, unless that variable is set in the environment.
EXAMPLE_ENV  = workflows/example.env
WITH_EXAMPLE = env $$(sed -n 's/^\(QMS_[A-Z0-9_]*=[^ ]*\)$$/\1/p' $(EXAMPLE_ENV) \
	| while IFS='=' read -r key value; do printenv "$$key" >/dev/null || echo "$$key=$$value"; done)

## make run: migrate the embedded SQLite database, load the example institution (once), tell
## its story, then serve the web application with the scheduler (Ctrl-C stops both)
run: $(STAMP)
	$(BIN)/qms db upgrade
	$(BIN)/qms processmap load workflows/process-map.yaml --as-of $(MAP_SINCE)
	$(WITH_EXAMPLE) $(BIN)/qms demo
	$(WITH_EXAMPLE) $(BIN)/qms web --with-scheduler

## make test: the suite (unit, SQLite and PostgreSQL integration, CLI end to end), but the
## slow runs (the malformed-input corpus on PostgreSQL, 8 writers, scheduler processes): make test-slow
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

## make test-slow: the long end-to-end runs `make test` leaves out (CI runs both): the demo, random walks
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

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
