# Two entry points: `make demo` (the main job) and `make test` (the suite).
# Each builds its own pinned virtual environment in .venv on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean browser mutants

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
	# SCIPY_ARRAY_API=1 lets scikit-learn's array-API estimator check run instead of skipping.
	# A missing peer (torch, onnx, Chromium, mpiexec, Dask) fails the run with what to
	# install; MLPKIT_SKIP_MISSING=1 turns those failures into skips.
	SCIPY_ARRAY_API=1 $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# JAX (CPU) joins the benchmark as a peer; it is installed for it alone
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/jax.lock
	$(BIN)/python benchmarks/run.py

# Mutation testing (not part of `make test`: about an hour). mutmut copies the project
# into mutants/ (and reuses what it learnt there before), changes the modules listed under [tool.mutmut] in pyproject.toml one
# small change at a time and runs the tests that reach each change; tools/mutants.py
# then writes docs/testing.md and fails if a module is under 90% of its mutants killed.
mutants: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements/mutants.lock
	SCIPY_ARRAY_API=1 $(BIN)/mutmut run
	$(BIN)/python tools/mutants.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache mutants
