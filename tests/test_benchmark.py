"""The benchmark script's pieces do the work they claim, on a toy workload (its timings
are not tested: speed lives in benchmarks/, not in the suite)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import mlpkit

from .conftest import require

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "mlpkit_benchmark", ROOT / "benchmarks" / "run.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


# 50 rows in batches of 8: six full batches and one of 2
TOY = dict(name="toy", n=50, sizes=[3, 5, 2], batch=8)
STEPS = 7


def test_gemm_floor_runs_every_product_of_an_epoch(bench, monkeypatch):
    floor = bench.gemm_floor(bench.Workload(**TOY))
    shapes = []
    real = np.matmul

    def counting(a, b, out):
        shapes.append((a.shape, b.shape))
        return real(a, b, out=out)

    monkeypatch.setattr(np, "matmul", counting)
    floor()
    # per step: 2 forward products, 2 weight gradients, 1 input gradient (not layer 0's)
    assert len(shapes) == 5 * STEPS
    assert ((8, 3), (3, 5)) in shapes and ((2, 3), (3, 5)) in shapes  # the last, short batch
    assert ((5, 8), (8, 2)) in shapes and ((8, 2), (2, 5)) in shapes


@pytest.mark.parametrize("name", ["rule", "passes", "stacked", "compiled"])
def test_adam_updates_take_one_step_per_batch_with_the_kernel_the_fit_chose(
    bench, monkeypatch, name
):
    if name == "compiled":
        require("numba", "pip install 'mlpkit[fast]'")
    seen = []
    real = mlpkit.optimizers.Optimizer.step_packed

    def spy(self, pack, kernel=None):
        seen.append((pack.params.size, type(kernel).__name__))
        return real(self, pack, kernel)

    monkeypatch.setattr(mlpkit.optimizers.Optimizer, "step_packed", spy)
    asked = []
    epoch = bench.adam_updates(bench.Workload(**TOY), lambda: asked.append(1) or name)
    assert not asked  # named at the first call, after the fit has chosen
    epoch()
    expected = {"rule": "NoneType", "passes": "_PassesKernel", "stacked": "_StackedKernel",
                "compiled": "_CompiledKernel"}[name]  # (the rule: no kernel, _update itself)  # fmt: skip
    assert seen == [(3 * 5 + 5 + 5 * 2 + 2, expected)] * STEPS and asked == [1]


def test_measure_gives_each_peer_a_turn_after_every_epoch(bench):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.integers(0, 2, 50)
    turns = []
    w = bench.Workload(**TOY)
    peers = {"floor": bench.gemm_floor(w), "turns": lambda: turns.append(1)}
    times = bench.measure(w, x, y, peers, repeats=2)
    assert set(times) == {"mlpkit", "floor", "turns", "first", "step"}
    assert len(turns) == 3  # the warm-up epoch and two timed ones
    assert all(times[k] > 0 for k in ("mlpkit", "floor", "turns", "first"))
    assert times["step"].startswith("step ") and ", update " in times["step"]
    with_jax = bench.measure(w, x, y, {"jax": lambda: turns.append(1)}, repeats=2)
    assert set(with_jax) == {"mlpkit", "jax", "jax first", "first", "step"}  # its compile


def test_a_per_epoch_fit_keeps_its_state_and_can_leave_numba_out(bench):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.integers(0, 2, 50)
    w = bench.Workload(**TOY)
    epoch = bench.mlpkit_epoch(w, x, y, numba=False)
    for _ in range(3):
        epoch()
    assert epoch.net.epochs_trained == 3 and epoch.net.steps_trained == 3 * STEPS
    assert "compiled" not in bench.ran(epoch.net)
    straight = bench.network(w)
    straight.fit(x, y, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=1e-3), epochs=3,
                 batch_size=8, verbose=0)  # fmt: skip
    for a, b in zip(straight.get_weights(), epoch.net.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # a loop of one-epoch fits: the one fit's bits


def test_the_gpu_benchmark_runs_end_to_end_on_cpu_tensors():
    """benchmarks/gpu.py works before it meets a GPU: the same code, CPU tensors, tiny sizes."""
    import subprocess

    require("torch", "pip install torch==2.13.0 (CPU)")
    script = ROOT / "benchmarks" / "gpu.py"
    done = subprocess.run([sys.executable, str(script), "--device", "cpu", "--tiny", "--epochs", "1"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("mlpkit 0.1.0 on torch (cpu)")
    for workload in (
        "mnist-shaped (tiny) 24-16-8-4, batch 32:",
        "wide (tiny) 64-64-64-4, batch 64:",
    ):
        at = lines.index(workload)
        block = lines[at + 1 : at + 5]
        assert block[0].startswith("  mlpkit on torch ") and block[0].endswith(" s/epoch")
        assert block[1].startswith("  pytorch ") and block[2].startswith("  gemm floor ")
        assert (
            "GEMM floor / mlpkit on torch = " in block[3]
            and "mlpkit on torch / pytorch = " in block[3]
        )
    # without a GPU the full run says so and fails, rather than timing the CPU
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2 and done.stderr.startswith(
        "no GPU: benchmarks/gpu.py needs a CUDA device"
    )


def test_the_breakdown_names_the_step_and_update_the_fit_ran(bench):
    times = {"mlpkit": 1.0, "floor": 0.5, "update": 0.3, "step": "step unrolled, update passes"}
    assert bench.where_it_goes(times) == (
        "matrix products (floor) 50%, Adam update (passes) 30%, the rest (step unrolled) 20%"
    )
    compiled = bench.where_it_goes(
        times | {"update": 0.1, "step": "step compiled, update compiled"}
    )
    assert compiled == (
        "matrix products (floor) 50%, Adam update (compiled) 10%, the rest (step compiled) 40%"
    )


def test_a_table_row_has_every_ratio_or_says_n_a(bench):
    w = bench.Workload(**TOY)
    times = {"mlpkit": 0.5, "floor": 0.25, "jax": 1.0, "per-epoch fits": 0.6, "without numba": 0.8}
    cells = bench.table_row(w, times, "synthetic", 50).strip("| ").split(" | ")
    assert cells[:4] == ["toy 3-5-2 (batch 8)", "synthetic 50 rows", "0.500", "100"]
    assert cells[4:10] == ["n/a", "n/a", "1.000", "0.50", "0.60", "0.80"]
    assert cells[10:] == ["n/a", "n/a", "0.250", "50%"]


def test_the_fused_fit_is_reported_beside_jax(bench):
    require("numba", "pip install 'mlpkit[fast]'")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.integers(0, 2, 50)
    w = bench.Workload(**TOY, fused=True)
    times = bench.fused_fit(w, x, y, repeats=2)
    assert times["fused"] > 0
    line = bench.fused_line(w, {**times, "jax": times["fused"] * 2})
    assert line.startswith("toy ") and line.endswith(" s/epoch (0.50x JAX's epoch above)")
    assert "JAX" not in bench.fused_line(w, times)


def test_the_chunksize_benchmark_runs_and_finds_the_same_model():
    import subprocess

    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "chunksize.py"), "--rows", "300",
         "--chunksize", "64", "--epochs", "1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| --chunksize 64 |" in done.stdout and "same model to the bit: True" in done.stdout
