# handover: `make demo` and `make test` are all a newcomer needs; each sets up what it uses.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TESTS ?=

LANGUAGES := gu hi
CATALOGS := $(foreach l,$(LANGUAGES),handover/locale/$(l)/LC_MESSAGES/handover.mo)

.PHONY: demo demo-web test lint format bench deps venv clean messages wheel

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]' > $(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }
	touch $@

# The message catalogs: .po in git, compiled to the .mo files the package ships.
handover/locale/%/LC_MESSAGES/handover.mo: handover/locale/%/LC_MESSAGES/handover.po $(STAMP)
	$(BIN)/pybabel -q compile -D handover -d handover/locale -l $*

venv: $(STAMP) $(CATALOGS)

# After changing a message in the code: the template and both catalogs, for translators.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output \
		-o handover/locale/handover.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -D handover \
		-i handover/locale/handover.pot -d handover/locale

# A wheel for officers' machines (install it with pipx).
wheel: venv
	rm -rf dist && $(BIN)/python -m pip wheel -q --no-deps -w dist .

deps:
	scripts/system-deps

# The web page on the demo's IT cell registry (make demo first); Ctrl+C stops it.
demo-web: venv
	@test -f demo/it-cell.db || { echo "run 'make demo' first"; exit 1; }
	HANDOVER_REGISTRY=demo/it-cell.db $(BIN)/handover serve --out-dir demo

demo: venv
	scripts/demo

test: venv deps
	scripts/run-tests $(if $(TESTS),-k "$(TESTS)")

lint: venv
	$(BIN)/ruff check vault handover tests bench
	$(BIN)/ruff format --check vault handover tests bench
	$(BIN)/mypy
	$(BIN)/mypy bench

format: venv
	$(BIN)/ruff format vault handover tests bench
	$(BIN)/ruff check --fix vault handover tests bench

# Each command against its floor (docs/performance.md); e.g. BENCH_ARGS="--sizes 1000 --rounds 3".
BENCH_ARGS ?=
bench: venv deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo bench/out dist build .pytest_cache .mypy_cache .ruff_cache $(CATALOGS)
