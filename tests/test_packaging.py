"""The release: `python -m build` makes a wheel and an sdist that `twine check` accepts,
with the version written once (mlpkit.__version__), the license as an SPDX expression,
the package's data and `py.typed`; the wheel installed alone into a fresh environment
runs `mlpkit --version` and the main job, `mlpkit demo`, saying what the plots extra
would add."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import mlpkit

from .conftest import require

ROOT = Path(__file__).resolve().parents[1]


def run(*args, **kwargs):
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    require("build", "pip install build")
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT, cwd=out)
    return out


def test_the_wheel_and_sdist_are_complete_and_pass_twine(dist):
    require("twine", "pip install twine")
    wheel = next(dist.glob("mlpkit-*.whl"))
    sdist = next(dist.glob("mlpkit-*.tar.gz"))
    assert wheel.name == f"mlpkit-{mlpkit.__version__}-py3-none-any.whl"
    assert "PASSED" in run(sys.executable, "-m", "twine", "check", wheel, sdist).stdout
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = Parser().parsestr(z.read(f"mlpkit-{mlpkit.__version__}.dist-info/METADATA").decode())
    for needed in ("mlpkit/py.typed", "mlpkit/data/digits.csv.gz", "mlpkit/explorer/page.html",
                   "mlpkit/playground/static/playground.js", f"mlpkit-{mlpkit.__version__}.dist-info/licenses/LICENSE"):  # fmt: skip
        assert needed in names, needed
    assert meta["Version"] == mlpkit.__version__ and meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.11"
    requires = meta.get_all("Requires-Dist")
    core = sorted(r.split(">")[0] for r in requires if "extra ==" not in r)
    assert core == ["array-api-compat", "click", "numpy", "tqdm"]  # matplotlib only with an extra
    text = (ROOT / "pyproject.toml").read_text()
    assert (
        'dynamic = ["version"]' in text
        and "version = " not in text.split("[project]")[1].split("[")[0]
    )


def test_the_core_install_runs_the_main_job(dist, tmp_path):
    """Nothing but the wheel and its four dependencies (pinned by requirements/dev.lock)."""
    wheel = next(dist.glob("mlpkit-*.whl"))
    env = tmp_path / "venv"
    run(sys.executable, "-m", "venv", env)
    python = env / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "-c", ROOT / "requirements" / "dev.lock", wheel)
    listed = run(python, "-m", "pip", "list", "--format=freeze").stdout
    assert "matplotlib" not in listed and "scikit-learn" not in listed and "numba" not in listed
    exe = env / "bin" / "mlpkit"
    assert run(exe, "--version").stdout.strip() == f"mlpkit, version {mlpkit.__version__}"
    done = run(exe, "demo", "--fast", "--out", tmp_path / "report", cwd=tmp_path)
    assert "== Results ==" in done.stdout and "digits classifier    test accuracy" in done.stdout
    assert "pip install 'mlpkit[plots]' adds them" in done.stdout
    assert (tmp_path / "report" / "explorer.html").exists()
    data = tmp_path / "t.csv"
    data.write_text("a,b,y\n" + "".join(f"{i % 7},{(i * 3) % 11},{i % 2}\n" for i in range(60)))
    done = run(exe, "train", data, "--target", "y", "--epochs", "2", "--quiet", cwd=tmp_path)
    assert "a loss figure needs pip install 'mlpkit[plots]'" in done.stdout
    assert (tmp_path / "t.mlpk").exists()
