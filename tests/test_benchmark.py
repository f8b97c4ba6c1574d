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


def test_adam_updates_take_one_step_per_batch_on_the_network_size(bench, monkeypatch):
    seen = []
    monkeypatch.setattr(
        mlpkit.optimizers.Adam, "step_packed", lambda self, pack: seen.append(pack.params.size)
    )
    bench.adam_updates(bench.Workload(**TOY))()
    assert seen == [3 * 5 + 5 + 5 * 2 + 2] * STEPS


def test_the_compiled_updates_start_numba_only_when_first_run(bench, monkeypatch):
    require("numba", "pip install 'mlpkit[fast]'")
    seen = []
    monkeypatch.setattr(mlpkit._fused, "_KERNELS", None)
    monkeypatch.setattr(
        mlpkit._fused.CompiledAdam, "__call__", lambda self, pack: seen.append(pack.params.size)
    )
    epoch = bench.adam_updates(bench.Workload(**TOY), compiled=True)
    assert mlpkit._fused._KERNELS is None  # a fit made now still chooses as a fresh process
    epoch()
    assert seen == [3 * 5 + 5 + 5 * 2 + 2] * STEPS


def test_measure_gives_each_peer_a_turn_after_every_epoch(bench):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.integers(0, 2, 50)
    turns = []
    w = bench.Workload(**TOY)
    peers = {"floor": bench.gemm_floor(w), "turns": lambda: turns.append(1)}
    times = bench.measure(w, x, y, peers, repeats=2)
    assert set(times) == {"mlpkit", "floor", "turns", "first", "compiled"}
    assert len(turns) == 3  # the warm-up epoch and two timed ones
    assert all(times[k] > 0 for k in ("mlpkit", "floor", "turns", "first"))
    assert times["compiled"] != "step"  # 21 steps: far below the compiled step's MIN_STEPS
    with_jax = bench.measure(w, x, y, {"jax": lambda: turns.append(1)}, repeats=2)
    assert set(with_jax) == {"mlpkit", "jax", "jax first", "first", "compiled"}  # its compile


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


def test_the_breakdown_names_the_update_the_fit_ran(bench):
    times = {"mlpkit": 1.0, "floor": 0.5, "update": 0.3, "compiled update": 0.1, "compiled": ""}
    assert bench.where_it_goes(times) == (
        "matrix products (floor) 50%, Adam update 30%, the rest 20%"
    )
    both = bench.where_it_goes(times | {"compiled": "elementwise+update"})
    assert both == (
        "matrix products (floor) 50%, Adam update (compiled) 10%, the rest (element-wise work "
        "compiled) 40%"
    )
    assert "Adam update (compiled) 10%" in bench.where_it_goes(times | {"compiled": "update"})
    assert "whole step" in bench.where_it_goes(times | {"compiled": "step"})


def test_a_long_fit_reports_its_epoch_time_and_what_ran_compiled(bench):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.integers(0, 2, 50)
    w = bench.Workload(**TOY, long_epochs=3)
    times = bench.long_fit(w, x, y)
    assert times["long"] > 0 and times["long compiled"] == ""  # 21 steps: nothing pays
    line = bench.long_line(w, times | {"jax": times["long"] * 2}, 50)
    assert line.startswith("toy, 3 epochs (21 steps; compiled: nothing) ")
    assert line.endswith(", 0.50x JAX's epoch above")
    assert "JAX" not in bench.long_line(w, times, 50)
