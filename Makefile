# CareBot developer entry points. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

export CAREBOT_DATABASE_URL ?= sqlite:///var/carebot.db

.PHONY: run test lint format bench migrate revision clean chromium fonts mutate

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

var/data.key: $(STAMP)
	mkdir -p var
	$(BIN)/carebot keys new > var/data.key.tmp && mv var/data.key.tmp var/data.key
	chmod 600 var/data.key

run: $(STAMP) var/data.key fonts
	CAREBOT_DATA_KEY=$$(cat var/data.key) CAREBOT_SIMULATOR=true $(BIN)/carebot db upgrade
	CAREBOT_DATA_KEY=$$(cat var/data.key) CAREBOT_SIMULATOR=true $(BIN)/carebot demo --if-empty
	CAREBOT_DATA_KEY=$$(cat var/data.key) CAREBOT_SIMULATOR=true $(BIN)/carebot serve --with-clock --host $(HOST) --port $(PORT)

chromium:
	@bash .ci/chromium

fonts:
	@bash .ci/fonts

# The suite spreads over the cores (worksteal: an idle worker takes queued tests from a busy
# one, so the slow CLI tests do not end the run on one core); PYTEST_ARGS="-n 0 tests/x.py"
# runs one file in-process.
PYTEST_ARGS ?= -n auto --dist worksteal

test: $(STAMP) chromium fonts
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f; done

# Mutation testing of the safety-critical modules (issue 9); slow, so never part of test or CI.
# MUTATE_ARGS="handlers/access/rules.py --survivors" runs one module; MUTATE_JOBS=2 uses two cores.
mutate: $(STAMP)
	$(BIN)/python .ci/mutate.py $(MUTATE_ARGS)

migrate: $(STAMP) var/data.key
	CAREBOT_DATA_KEY=$$(cat var/data.key) $(BIN)/carebot db upgrade

revision: $(STAMP)
	$(BIN)/alembic -c storage/alembic.ini revision --autogenerate -m "$(m)"

clean:
	rm -rf $(VENV) var/carebot.db* .pytest_cache .mypy_cache .ruff_cache
