"""scikit-learn's own MLP tests, run against mlpkit.sklearn with the import swapped.

The test module is read at test time from the installed scikit-learn (never copied
here), its ``from sklearn.neural_network import ...`` line replaced by mlpkit's, and run
in a pytest subprocess with the ``global_random_seed`` fixture scikit-learn's conftest
would give it. Every test must pass except those that read scikit-learn's private
solver attributes, listed with the attribute they read. When scikit-learn is upgraded,
this test says what changed.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .conftest import require

#: tests that read scikit-learn's private attributes, which mlpkit's estimators do not
#: have (their solver is mlpkit's, not scikit-learn's): name -> the attribute
PRIVATE = {
    "test_gradient": "_loss_grad_lbfgs",  # scikit-learn's packed L-BFGS loss function
    "test_learning_rate_warmstart": "_optimizer",  # its SGDOptimizer's learning_rate
    "test_adaptive_learning_rate": "_optimizer",
}

SWAP = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
FIXTURE = """import pytest


@pytest.fixture
def global_random_seed():
    return 42  # scikit-learn's default when SKLEARN_TESTS_GLOBAL_RANDOM_SEED is unset
"""


def test_scikit_learns_mlp_tests_pass_with_the_import_swapped(tmp_path):
    sklearn = require("sklearn", "pip install 'mlpkit[sklearn]'")
    require("pandas", "pip install pandas")  # two of the tests use DataFrames
    source = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
    text = source.read_text()
    assert SWAP in text, f"{source} no longer imports the estimators as {SWAP!r}"
    (tmp_path / "test_mlp_swapped.py").write_text(
        text.replace(SWAP, "from mlpkit.sklearn import MLPClassifier, MLPRegressor")
    )
    (tmp_path / "conftest.py").write_text(FIXTURE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    report = tmp_path / "report.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
         f"--junitxml={report}", str(tmp_path / "test_mlp_swapped.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    failed, passed = {}, []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "").split("[")[0]
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            passed.append(name)
        else:
            failed[name] = (problem.get("message") or "") + "\n" + (problem.text or "")
    assert len(passed) > 40, done.stdout[-2000:]
    unexpected = {n: m[:300] for n, m in failed.items() if n not in PRIVATE}
    assert not unexpected, f"scikit-learn's tests that fail with mlpkit: {unexpected}"
    for name, attribute in PRIVATE.items():
        assert name in failed, f"{name} now passes: remove it from PRIVATE"
        raised = [ln for ln in failed[name].splitlines() if ln.startswith("E") and "Error" in ln]
        assert raised and "AttributeError" in raised[-1] and attribute in raised[-1], raised
