# The two commands a newcomer needs: `make serve` (build and serve the site) and
# `make test` (the whole test suite). Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What the site ships besides Python: npm packages (the playground's Pyodide, the math font)
# and the pure-Python wheels Pyodide loads (pinned with hashes in docs/hooks/playground-wheels.txt).
NODE_STAMP := node_modules/.installed
WHEELS := .cache/wheels
WHEELS_STAMP := $(WHEELS)/.installed
export NO_MKDOCS_2_WARNING := 1
export PYTHONHASHSEED := 0

.PHONY: install serve build lint test unit bench mutate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

$(WHEELS_STAMP): docs/hooks/playground-wheels.txt | $(STAMP)
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
		-r docs/hooks/playground-wheels.txt -d $(WHEELS)
	touch $(WHEELS_STAMP)

install: $(STAMP) $(NODE_STAMP) $(WHEELS_STAMP)

serve: install
	$(BIN)/mkdocs serve --strict

build: install
	$(BIN)/mkdocs build --strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Lint, the strict site build (notebooks executed, errors fatal), then every test:
# unit tests, docstring examples, every python block of every page, and the browser tests.
# Two test processes on a 2-core machine: one BLAS thread each, or they oversubscribe the cores.
test: lint build
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NNSPEC_SITE_DIR=site $(BIN)/pytest -n 2 --dist loadgroup

unit: install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/pytest tests -n 2 --dist loadgroup

bench: install
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run_all.py

# The mutation score of the pages (not part of `make test`): mutmut mutates nnspec/ and only
# the pages' blocks and notebooks (docs/) try to kill each mutant. A seeded sample of 200 takes
# about 20 minutes on two cores; MUTATE_ARGS=--all tries every mutant (hours).
MUTATE_ARGS ?= --sample 200 --seed 0
mutate: install
	$(BIN)/python bench/mutation.py $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) site .pytest_cache node_modules $(WHEELS) mutants
