# The two commands of a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: demo test lint format bench clean

$(VENV)/.installed-base: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(VENV)/.installed-base $@

# The whole story on localcloud, in a temporary directory (examples/localcloud-demo).
demo: $(VENV)/.installed-base
	$(BIN)/tfshadow demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check tfshadow tests bench
	$(BIN)/ruff format --check tfshadow tests bench
	$(BIN)/mypy

# pytest's exit code 5 ("no tests collected") is a broken suite, never a pass.
test: lint
	$(BIN)/pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

format: $(VENV)/.installed-dev
	$(BIN)/ruff format tfshadow tests bench
	$(BIN)/ruff check --fix tfshadow tests bench

bench: $(VENV)/.installed-dev
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
