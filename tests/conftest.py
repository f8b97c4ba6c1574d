"""Shared helpers for the test suite."""

from __future__ import annotations

import atexit
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from urllib.parse import urlsplit

# scikit-learn's array API mode needs SciPy's, set before either is imported (`make test`
# sets it too); plain `pytest` then runs the same checks
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# the fast-path timings of this run in a cache of its own (the processes the tests start
# inherit it), never the user's: each run measures afresh
os.environ["MLPKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="mlpkit-test-cache-")

import numpy as np
import pytest
from hypothesis import settings

import mlpkit
from mlpkit import activations

atexit.register(shutil.rmtree, os.environ["MLPKIT_CACHE_DIR"], True)

# The same examples on every run: CI must not pass or fail by the luck of the draw.
settings.register_profile("mlpkit", derandomize=True, deadline=None)
settings.load_profile("mlpkit")

#: every activation name, and a representative keyword configuration for each
ACTIVATIONS = activations.names()
HIDDEN_ACTIVATIONS = [a for a in ACTIVATIONS if a != "softmax"]


def make_mlp(
    sizes: list[int],
    hidden: str = "tanh",
    output: str = "identity",
    seed: int = 0,
    dtype: str = "float64",
    **dense_kwargs,
) -> mlpkit.Sequential:
    """Dense layers of the given widths: `hidden` activation inside, `output` at the end."""
    layers = [
        mlpkit.Dense(a, b, hidden if i < len(sizes) - 2 else output, **dense_kwargs)
        for i, (a, b) in enumerate(itertools.pairwise(sizes))
    ]
    return mlpkit.Sequential(layers, seed=seed, dtype=dtype)


def count_lines(run) -> int:
    """Lines of mlpkit's own code that ``run()`` executes: a measure of work that repeats
    from run to run (unlike time), for checking that something grows linearly."""
    import sys

    root = os.path.dirname(mlpkit.__file__)
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if not frame.f_code.co_filename.startswith(root):
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    return count


def numeric_derivative(f, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Element-wise central difference of an element-wise function."""
    return (f(z + eps) - f(z - eps)) / (2 * eps)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def require(module: str, install: str):
    """Import ``module`` for a test; if it is missing, fail with what to install — a quiet
    skip would hide an untested feature — unless MLPKIT_SKIP_MISSING=1 asks to skip."""
    import importlib
    import os

    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("MLPKIT_SKIP_MISSING") == "1":
            pytest.skip(f"{module} is not installed (MLPKIT_SKIP_MISSING=1)")
        pytest.fail(f"{module} is not installed: {install} (or set MLPKIT_SKIP_MISSING=1 to skip)")


@pytest.fixture(autouse=True)
def _registries_restored():
    """A test that registers its own activation, loss or initialiser leaves the tables
    as it found them."""
    from mlpkit import initializers, losses

    tables = [activations.REGISTRY, losses.REGISTRY, initializers.REGISTRY]
    saved = [dict(t._classes) for t in tables]
    yield
    for table, classes in zip(tables, saved, strict=True):
        table._classes = classes


#: Debian's Chromium (`make test` installs it); Playwright drives it, never downloading one
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium browser for the pages' tests (the explorer, the playground)."""
    import os

    if not os.path.exists(CHROMIUM):
        if os.environ.get("MLPKIT_SKIP_MISSING") == "1":
            pytest.skip(f"{CHROMIUM} is missing (MLPKIT_SKIP_MISSING=1)")
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)"
        )
    sync_api = require("playwright.sync_api", "pip install playwright (never `playwright install`)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


#: seconds for any one wait on a playground server
PLAYGROUND_TIMEOUT = 30


@pytest.fixture(scope="module")
def server():
    """`mlpkit playground`'s own server for a module's tests, stopped after them."""
    require("uvicorn", "pip install 'mlpkit[playground]'")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlpkit.cli", "playground", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(PLAYGROUND_TIMEOUT)
    try:
        if not first or "http://" not in first[0]:
            proc.kill()
            pytest.fail(f"the server did not print its URL: {first} {proc.stderr.read()}")
        url = re.search(r"(http://\S+)", first[0]).group(1)
        parts = urlsplit(url)
        yield {
            "url": url,
            "base": f"{parts.scheme}://{parts.netloc}",
            "host": parts.netloc,
            "token": parts.query.removeprefix("token="),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
