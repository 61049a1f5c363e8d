# handover: `make demo` and `make test` are all a newcomer needs; each sets up what it uses.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TESTS ?=

.PHONY: demo test lint format bench deps venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]' > $(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }
	touch $@

venv: $(STAMP)

deps:
	scripts/system-deps

demo: venv
	scripts/demo

test: venv deps
	scripts/run-tests $(if $(TESTS),-k "$(TESTS)")

lint: venv
	$(BIN)/ruff check vault handover tests bench
	$(BIN)/ruff format --check vault handover tests bench
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format vault handover tests bench
	$(BIN)/ruff check --fix vault handover tests bench

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo bench/out .pytest_cache .mypy_cache .ruff_cache
