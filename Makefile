# Two commands for a new machine (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fastvid-installed

.PHONY: setup demo test lint typecheck unit bench bench-classic gpu-check gpu-wheels gpu-check-device clean

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

# The datasets shaped like UCF101, Kinetics and SSv2 (issue 22), every row measured 3 times
bench-classic: setup
	PYTHON=$(BIN)/python bash benchmarks/setup.sh
	$(BIN)/fastvid bench --classic --repeats 3

# GPU check (benchmarks/results/README.md). Here: the CPU half, plus the GPU half with CUDA.
gpu-check: setup
	$(BIN)/python -m fastvid.gpu_check $(GPU_CHECK_ARGS)

# Stage the packages the offline GPU machine lacks (.gpu-wheels/part-*, one per device call).
gpu-wheels:
	bash tools/gpu-wheels.sh fetch

# On the GPU machine (no venv, no network): the one device call.
gpu-check-device:
	bash benchmarks/gpu/device_check.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
