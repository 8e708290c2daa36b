# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SOURCES := $(shell find src -name '*.py') pyproject.toml

.PHONY: install demo test lint bench clean

# A regular (non-editable) install: the package is compiled once, so every CLI call
# starts fast. It is redone whenever a source file changes.
$(VENV)/.installed: $(SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --force-reinstall --no-deps .
	$(PY) -m pip install -q '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

demo: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash examples/demo.sh

test: install
	$(PY) -m pytest -q

lint: install
	$(PY) -m pip install -q ruff mypy
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache demo-run
