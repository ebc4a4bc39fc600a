# Two commands for a new machine (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fastvid-installed

.PHONY: setup demo test lint typecheck unit bench gpu-check clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/fastvid demo

lint: setup
	$(BIN)/ruff check fastvid tests benchmarks examples
	$(BIN)/ruff format --check fastvid tests benchmarks examples

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/python -m pytest -q

test: lint typecheck unit

bench: setup
	PYTHON=$(BIN)/python bash benchmarks/setup.sh
	$(BIN)/fastvid bench

gpu-check: setup
	$(BIN)/fastvid gpu-check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
