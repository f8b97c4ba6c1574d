# Two entry points: `make demo` (the main job) and `make test` (the suite).
# Each builds its own pinned virtual environment in .venv on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint docs bench clean browser mutants

$(STAMP): pyproject.toml requirements/dev.lock requirements/torch.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet -r requirements/torch.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Headless Chromium from Debian for the explorer page's browser tests (Playwright
# drives it with executable_path; it never downloads a browser of its own).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

demo: $(STAMP)
	$(BIN)/mlpkit demo

test: $(STAMP) browser
	$(BIN)/ruff check .
	# the package's types, strictly (settings in pyproject.toml's [tool.mypy])
	$(BIN)/mypy
	# SCIPY_ARRAY_API=1 lets scikit-learn's array-API estimator check run instead of skipping.
	# A missing peer (torch, onnx, Chromium, mpiexec, Dask) fails the run with what to
	# install; MLPKIT_SKIP_MISSING=1 turns those failures into skips.
	SCIPY_ARRAY_API=1 $(BIN)/python -m pytest

# The documentation site into docs/_build/html (open index.html; no server needed):
# warnings are errors, the course notebooks run (cached in docs/_build/.jupyter_cache
# until their text changes). tests/test_site.py runs the same build in `make test`.
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# JAX (CPU) joins the benchmark as a peer; it is installed for it alone
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/jax.lock
	$(BIN)/python benchmarks/run.py

# Mutation testing (not part of `make test`: about an hour). For each group of modules
# in tools/mutants.py, mutmut changes their code one small mutation at a time in a copy
# of the project (.mutants/GROUP, kept between runs) and runs the group's tests; the
# report, docs/testing.md, fails the target if a module has under 90% of its mutants
# killed.
mutants: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/mutants.lock
	$(BIN)/python tools/mutants.py run
	$(BIN)/python tools/mutants.py report

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache .mutants docs/_build docs/reference/api
