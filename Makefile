# Portal: every target builds what it needs, and nothing twice.
# `make run` and `make test` are all a new machine needs (see README.md).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# A stamp per lock file: a second `make` reinstalls only when a lock changed.
RUNTIME := $(VENV)/.runtime-installed
DEV     := $(VENV)/.dev-installed

.PHONY: run test lint format serve bench load lock clean

run: $(RUNTIME)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m deploy.run

test: $(DEV)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy accounts files portal deploy bench tests conftest.py
	$(BIN)/lint-imports

format: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

serve: $(RUNTIME)
	$(BIN)/python -m deploy.serve

bench: $(DEV)
	$(BIN)/python -m bench.run

# 50 clients for 60 s against the `APP_SERVERS=2 make serve` stack, with faults
# (LOAD_ARGS="--clients 10 --seconds 20" for a shorter run; see bench/load.py).
load: $(DEV)
	$(BIN)/python -m bench.load $(LOAD_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): requirements.lock | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(DEV): requirements-dev.lock $(RUNTIME)
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

# Re-pin after editing pyproject.toml (needs network to the package index).
lock: $(VENV)/bin/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var
