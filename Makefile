# The two commands a newcomer needs: `make serve` (build and serve the site) and
# `make test` (the whole test suite). Each creates .venv and installs what it needs.
# nnspec needs Python >= 3.10 (stock macOS python3 is 3.9): take the newest python3.13 ...
# python3.10 on PATH that runs, else python3; `make PYTHON=/path/to/python3.x` overrides.
SUPPORTED := python3.13 python3.12 python3.11 python3.10
find_python = $(firstword $(foreach p,$(1),$(shell $(p) -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1 && echo $(p))))
ifndef PYTHON
PYTHON := $(or $(call find_python,$(SUPPORTED) python3),python3)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What the site ships besides Python: npm packages (the playground's Pyodide, the math font,
# axe-core for the accessibility tests) and the pure-Python wheels Pyodide loads (pinned with
# hashes in sitebuild/playground-wheels.txt; not under .cache/, which Zensical empties).
NODE_STAMP := node_modules/.installed
WHEELS := .wheels
WHEELS_STAMP := $(WHEELS)/.installed
export NO_MKDOCS_2_WARNING := 1
export PYTHONHASHSEED := 0

.PHONY: install prepare serve build build-zensical lint test unit test-min bench mutate clean

# Stops with a clear message when no Python >= 3.10 was found.
check-python = @$(1) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	found="$$(command -v $(1) >/dev/null 2>&1 && $(1) --version 2>&1 | head -n 1)"; \
	echo "nnspec needs Python >= 3.10 (3.10-3.13 are tested); '$(1)' is $${found:-not found}." >&2; \
	echo "Install one (e.g. python3.12) or run: make PYTHON=/path/to/python3.x" >&2; exit 1; }

$(STAMP): pyproject.toml
	$(call check-python,$(PYTHON))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

$(WHEELS_STAMP): sitebuild/playground-wheels.txt | $(STAMP)
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
		-r sitebuild/playground-wheels.txt -d $(WHEELS)
	touch $(WHEELS_STAMP)

install: $(STAMP) $(NODE_STAMP) $(WHEELS_STAMP)

# The site is built in three steps (sitebuild/__init__.py says what each writes): `prepare`
# (figures and executed notebooks into docs/, git-ignored), the generator, then `finish` on
# the built HTML (MathML, the playground's runtime, the strict checks). MkDocs builds site/,
# the published one; Zensical, Material's successor, builds the same site into site-zensical/.
prepare: install
	$(BIN)/python -m sitebuild prepare

build: prepare
	$(BIN)/mkdocs build --strict --quiet -d site
	$(BIN)/python -m sitebuild finish site

build-zensical: prepare
	$(BIN)/python -m sitebuild zensical-config
	$(BIN)/zensical build --strict --clean -f .zensical.yml
	$(BIN)/python -m sitebuild finish site-zensical

# Builds the site, serves it at http://127.0.0.1:8000/nnspec/ and rebuilds it when a page,
# nnspec/ or mkdocs.yml changes (a rebuild runs the notebooks again: about a minute).
serve: build
	$(BIN)/python -m sitebuild serve site --rebuild "$(MAKE) --no-print-directory build"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

# Lint and both strict site builds side by side (make -j2; `prepare` once, notebooks executed,
# errors fatal), then every test: unit tests, docstring examples, every python block of every
# page, the browser tests on the MkDocs build (axe-core on every page, light and dark), then
# the tests of the built site again on the Zensical build (which reports success even when it
# drops what it does not support): every page from its HTML, and in the browser, axe included,
# one page of each kind, since only the theme around the same HTML differs. About 6 minutes
# on two cores (README.md). Two test processes: one BLAS thread each, or they oversubscribe the
# cores; each page's browser checks stay in one process (--dist loadgroup, pytest < 9.2).
# PYTEST_ARGS passes options to both runs (e.g. PYTEST_ARGS="-x").
SITE_TESTS := tests/test_site.py tests/test_links.py tests/test_accessibility.py tests/test_playground.py
# The Zensical build's tests run in one process beside the two of the main run (which keeps
# both cores busy to the end instead of starting a second session after it): their report is
# written to $(ZENSICAL_REPORT) and printed after the main run's; make test fails if either fails.
ZENSICAL_REPORT := screenshots/zensical/pytest.txt
# The notebooks were just executed by the build (`prepare`: every cell, errors and stderr fatal),
# so make test does not run them a second time with nbmake (`make unit` and plain pytest do).
NOTEBOOKS_RAN := --ignore-glob='docs/notebooks/*.ipynb'
test:
	$(MAKE) --no-print-directory -j2 lint build build-zensical
	@mkdir -p $(dir $(ZENSICAL_REPORT))
	@export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1; \
	NNSPEC_SITE_DIR=site-zensical NNSPEC_SCREENSHOTS=$(dir $(ZENSICAL_REPORT)) $(BIN)/pytest -p no:xdist \
		$(PYTEST_ARGS) $(SITE_TESTS) > $(ZENSICAL_REPORT) 2>&1 & zensical=$$!; \
	echo "The Zensical build's tests run beside these; their report follows."; \
	NNSPEC_SITE_DIR=site $(BIN)/pytest -n 2 --dist loadgroup $(NOTEBOOKS_RAN) $(PYTEST_ARGS); main=$$?; \
	wait $$zensical; other=$$?; \
	echo; echo "The tests of the Zensical build ($(ZENSICAL_REPORT)):"; cat $(ZENSICAL_REPORT); \
	test $$main -eq 0 && test $$other -eq 0

unit: install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/pytest tests -n 2 --dist loadgroup

# The same tests against the lowest versions pyproject.toml declares (constraints/minimum.txt),
# on the oldest supported Python found: unit tests, docstring examples, every page's blocks,
# the strict site build and its links. The browser tests run in `make test` only.
MIN_VENV ?= .venv-min
MIN_CONSTRAINTS ?= constraints/minimum.txt
# numpy 2.0.0 has no wheels for 3.13, so the oldest of 3.10-3.12 found runs it.
ifndef MIN_PYTHON
MIN_PYTHON = $(or $(call find_python,python3.10 python3.11 python3.12),$(PYTHON))
endif

$(MIN_VENV)/.installed: pyproject.toml $(MIN_CONSTRAINTS)
	$(call check-python,$(MIN_PYTHON))
	rm -rf $(MIN_VENV)
	$(MIN_PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MIN_VENV)/bin/python -m pip install --quiet -c $(MIN_CONSTRAINTS) -e ".[test]"
	touch $@

test-min: $(MIN_VENV)/.installed $(NODE_STAMP) $(WHEELS_STAMP)
	$(MIN_VENV)/bin/python constraints/check_minimum.py
	$(MIN_VENV)/bin/python -m sitebuild prepare
	$(MIN_VENV)/bin/mkdocs build --strict --quiet -d $(abspath $(MIN_VENV))/site
	$(MIN_VENV)/bin/python -m sitebuild finish $(abspath $(MIN_VENV))/site
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NNSPEC_SITE_DIR=$(abspath $(MIN_VENV))/site \
		$(MIN_VENV)/bin/pytest -n 2 --ignore=tests/test_site.py --ignore=tests/test_playground.py \
		--ignore=tests/test_accessibility.py

bench: install
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run_all.py

# The mutation score of the pages (not part of `make test`): mutmut mutates nnspec/ and only
# the pages' blocks and notebooks (docs/) try to kill each mutant. A seeded sample of 500 takes
# about 15 minutes on two cores (seed 19, drawn after the pages were rewritten for learners, so
# no page was written against it); MUTATE_ARGS=--all tries every mutant (many hours).
MUTATE_ARGS ?= --sample 500 --seed 19
mutate: install
	$(BIN)/python bench/mutation.py $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) $(MIN_VENV) site site-zensical .zensical.yml .cache .pytest_cache node_modules $(WHEELS) mutants
	rm -f docs/figures/*.svg docs/notebooks/*.md
