# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SOURCES := $(shell find src -name '*.py' -o -name '*.md' -o -name '*.js' -o -name '*.css') pyproject.toml

.PHONY: install demo test stress lint bench clean skill dashboard screenshot docs

# A regular (non-editable) install: the package is compiled once, so every CLI call
# starts fast. It is redone whenever a source file changes. pip is upgraded first: the
# one venv bundles (before 25.0) writes a bazinga-db script that imports re on every call.
$(VENV)/.installed: $(SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	rm -rf build  # setuptools would otherwise ship modules left there by an earlier layout
	$(PY) -m pip install -q --force-reinstall --no-deps .
	$(PY) -m pip install -q '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

demo: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash examples/demo.sh

test: install
	$(PY) -m pytest -q

# Regenerate the repository's skill folder from the operation table (a test checks it).
skill: install
	$(PY) -c "from bazinga_db.skill import write_folder; write_folder('skill/bazinga-db')"

# The live dashboard of the demo database (or DEMO_DB=path); see README "Dashboard".
dashboard: install
	$(VENV)/bin/bazinga-db --db "$${DEMO_DB:-demo-run/bazinga.db}" dashboard

# Redraw docs/dashboard.png from a demo run, in headless Chromium.
screenshot: install
	UPDATE_SCREENSHOT=1 $(PY) -m pytest -q tests/frontends/test_dashboard.py -k screenshot

# Regenerate docs/cli.md and the README's command table from the operation table.
docs: install
	$(PY) scripts/gen_docs.py

# The large stress and crash runs (16 writers x 60 operations, 500 kills, 200 killed first starts;
# 8 CLI writers through 6 PostgreSQL restarts).
stress: install
	BAZINGA_STRESS=full $(PY) -m pytest -q -s tests/reliability/test_stress.py tests/reliability/test_crash.py \
		tests/reliability/test_postgres_restart.py

# One table of medians and ratios measured side by side (see README "Performance"), then
# the console script as the Python-bundled pip writes it beside a current pip's, then
# the PostgreSQL rows.
bench: install
	$(PY) benchmarks/bench.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_console_script.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_postgres.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick,)
	$(PY) benchmarks/bench_transcripts.py $(TRANSCRIPT_BENCH_ARGS)

lint: install
	$(PY) -m pip install -q ruff mypy
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache demo-run benchmarks/.cache
