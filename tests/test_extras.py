"""`import mlpkit` needs NumPy only; a missing extra gets a message that names it."""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"No module named {{name!r}} (blocked by the test)")
sys.meta_path.insert(0, Blocker())
"""


def run(code: str, blocked: set[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK.format(blocked=blocked) + code], capture_output=True, text=True
    )


def test_import_mlpkit_needs_numpy_only():
    done = run(
        "import mlpkit, mlpkit.distributed, mlpkit.training, sys; heavy = {'tqdm', 'matplotlib', 'sklearn', 'scipy', 'onnx', 'torch', 'playwright', 'mpi4py', 'dask', 'distributed', 'starlette', 'uvicorn', 'array_api_compat', 'array_api_strict'};"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))",
        {
            "tqdm",
            "matplotlib",
            "sklearn",
            "scipy",
            "onnx",
            "onnxruntime",
            "torch",
            "playwright",
            "mpi4py",
            "dask",
            "distributed",
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("code", "blocked", "message"),
    [
        (
            "import mlpkit.plots as p; p.activation_grid()",
            {"matplotlib"},
            "pip install 'mlpkit[plots]'",
        ),
        (
            "import mlpkit, mlpkit.onnx as o; o.export(mlpkit.Sequential([mlpkit.Dense(2, 2)]), 'x.onnx')",
            {"onnx"},
            "pip install 'mlpkit[onnx]'",
        ),
        (
            "import mlpkit.sklearn",
            {"sklearn"},
            "mlpkit.sklearn needs scikit-learn: pip install 'mlpkit[sklearn]'",
        ),
        (
            "import mlpkit.playground.server",
            {"starlette", "uvicorn"},
            "mlpkit playground needs the playground extra: pip install 'mlpkit[playground]'",
        ),
        (
            "from mlpkit.cli import main; main(['playground', '--no-browser'])",
            {"uvicorn"},
            "Error: mlpkit playground needs the playground extra: pip install 'mlpkit[playground]'",
        ),
        (  # as if started by mpiexec without mpi4py installed
            "import os; os.environ['PMI_SIZE'] = '2'\n"
            "from mlpkit.distributed import DataParallel; DataParallel()",
            {"mpi4py"},
            "data-parallel training needs mpi4py.MPI: pip install 'mlpkit[mpi]'",
        ),
    ],
)
def test_missing_extras_name_the_extra(code, blocked, message, tmp_path):
    done = run(code, blocked)
    assert done.returncode != 0 and message in done.stderr


def test_the_playground_session_works_without_the_server_extra():
    done = run(
        "from mlpkit.playground import Session; s = Session(); s.train(2); print(s.epochs)",
        {"starlette", "uvicorn", "websockets"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"


def test_fit_without_tqdm_falls_back_to_one_line_per_epoch():
    done = run(
        "import numpy as np, mlpkit\n"
        "net = mlpkit.Sequential([mlpkit.Dense(2, 1)], seed=0)\n"
        "net.fit(np.zeros((4, 2)), np.zeros(4), epochs=2, verbose=1)\n",
        {"tqdm"},
    )
    assert done.returncode == 0, done.stderr
    assert (
        "install tqdm (pip install 'mlpkit[progress]')" in done.stderr
        and "Epoch 2/2" in done.stderr
    )
