# trace-bridge: two commands for newcomers (see README):
#   make run   — set up .venv and start the bridge against the bundled TRACE sandbox
#   make test  — set up .venv and run the whole test suite (RabbitMQ must answer on localhost)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck check bench contracts clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/trace-bridge demo

test: $(STAMP)
	$(BIN)/ruff check service contracts tests bench
	$(BIN)/ruff format --check service contracts tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check service contracts tests bench
	$(BIN)/ruff format --check service contracts tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

contracts: $(STAMP)
	$(BIN)/trace-bridge contracts export

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
