"""Data-parallel training on MPI, tested with real ``mpiexec`` processes (MPICH's, from
the mpich wheel): P processes train the same model one process trains."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mlpkit
from mlpkit.distributed import DataParallel, world_size

from .conftest import make_mlp, require

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


def mpiexec(n, *args, timeout=120, cwd=HERE):
    require("mpi4py", "pip install 'mlpkit[mpi]' (mpi4py and the mpich wheel)")
    launcher = BIN / "mpiexec"
    if not launcher.exists():
        pytest.fail(f"no mpiexec beside {sys.executable}: pip install mpich")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_"))}
    return subprocess.run(
        [str(launcher), "-n", str(n), *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip


def scenario(n, name):
    done = mpiexec(n, sys.executable, str(HERE / "mpi_worker.py"), name)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("processes", [2, 3])
def test_p_processes_train_what_one_process_trains(processes):
    result = scenario(processes, "equivalence")
    assert result["size"] == processes
    assert result["gradient"] < 1e-12  # the reduced full-batch gradient, via one SGD step
    for name in ("sgd", "momentum", "rmsprop", "adam"):
        exact, single = result[f"{name}-float64"], result[f"{name}-float32"]
        assert exact["weights"] < 1e-10 and exact["loss"] < 1e-12 and exact["val_loss"] < 1e-12
        assert single["weights"] < 1e-5
        for run in (exact, single):
            assert run["identical_every_epoch"] and run["history_same_on_ranks"], (name, run)
            assert run["metrics_equal"], (name, run)
    stopped = result["stopped"]
    assert len(set(stopped)) == 1 and stopped[0] is not None  # every rank, the same epoch
    unrolled = result["unrolled"]
    assert unrolled["steps"] == ["unrolled"] * processes and unrolled["weights"] < 1e-5
    threads = result["blas_threads"]
    if threads["expected"] is not None:  # (None: the environment set them)
        assert threads["set"] and set(threads["set"]) == {threads["expected"]}
        assert f"{processes} ranks on this machine" in threads["note"]


def test_blas_threads_per_rank_follow_the_cores_unless_the_user_chose():
    from mlpkit.distributed import blas_threads_for

    assert blas_threads_for(2, 2, {}, "auto")[0] == 1
    assert blas_threads_for(8, 3, {}, "auto")[0] == 2
    assert blas_threads_for(2, 4, {}, "auto")[0] == 1  # never below one
    assert blas_threads_for(8, 2, {"OPENBLAS_NUM_THREADS": "3"}, "auto")[0] is None
    threads, why = blas_threads_for(8, 2, {"OMP_NUM_THREADS": "3"}, 5)
    assert threads == 5 and "blas_threads=5" in why
    with pytest.raises(ValueError, match="blas_threads must be 'auto' or an integer"):
        blas_threads_for(2, 2, {}, 0)


def test_sharded_data_unshuffled_equals_one_process_on_all_rows():
    result = scenario(3, "sharded")
    assert result["weights"] < 1e-12
    assert result["identical_every_epoch"]
    assert result["steps"] == 3 * 5  # 47 global rows in batches of 10: 5 steps an epoch


def test_scikit_learn_wrappers_take_the_strategy():
    result = scenario(2, "scikit_learn")
    for solver in ("adam", "sgd", "lbfgs", "lbfgs_regressor"):
        assert result[solver] < 1e-10, (solver, result[solver])


def test_a_bad_shard_fails_every_rank_with_the_same_message(tmp_path):
    done = mpiexec(
        2, sys.executable, str(HERE / "mpi_worker.py"), "bad_shard", str(tmp_path), timeout=60
    )
    assert done.returncode != 0
    said = [(tmp_path / f"rank{r}.txt").read_text() for r in (0, 1)]
    message = "rank 1 of 2: ValueError: X contains nan at row 3, column 2"
    assert [text[: len(message)] for text in said] == [message, message]


def test_an_exception_on_one_rank_ends_every_rank():
    done = mpiexec(2, sys.executable, str(HERE / "mpi_worker.py"), "raise_in_training", timeout=60)
    assert done.returncode != 0  # not a hang: the subprocess timeout would fail the test
    assert "mlpkit: rank 1 of 2: RuntimeError: disk full while writing the report" in done.stderr


def test_a_killed_rank_ends_the_job():
    done = mpiexec(2, sys.executable, str(HERE / "mpi_worker.py"), "killed_rank", timeout=60)
    assert done.returncode != 0 and "signal 9" in done.stdout + done.stderr


def test_one_process_is_plain_fit_bit_for_bit(rng):
    x, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    a, b = make_mlp([3, 5, 2], output="softmax"), make_mlp([3, 5, 2], output="softmax")
    dp = DataParallel()
    assert dp.size == 1 and dp.is_chief and world_size() == 1
    ha = a.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, strategy=dp)
    hb = b.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(p, q)
    assert ha.history["val_loss"] == hb.history["val_loss"]


def test_the_command_line_trains_data_parallel_by_itself(tmp_path, rng):
    x = rng.normal(size=(120, 3))
    y = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    lines = ["a,b,c,label"] + [
        f"{r[0]:.6f},{r[1]:.6f},{r[2]:.6f},{t}" for r, t in zip(x, y, strict=True)
    ]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    args = ["train", "data.csv", "--target", "label", "--epochs", "5", "--quiet", "--seed", "3"]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    for folder in ("one", "two"):
        (tmp_path / folder / "data.csv").write_text((tmp_path / "data.csv").read_text())
    single = subprocess.run([str(BIN / "mlpkit"), *args, "-o", "m.mlpk"], cwd=tmp_path / "one",
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert single.returncode == 0, single.stderr
    done = mpiexec(2, str(BIN / "mlpkit"), *args, "-o", "m.mlpk", cwd=tmp_path / "two")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("saved m.mlpk") == 1  # rank 0 alone prints and writes
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(
        p.name for p in (tmp_path / "one").iterdir()
    )
    ours, theirs = (
        mlpkit.load(tmp_path / "two" / "m.mlpk"),
        mlpkit.load(tmp_path / "one" / "m.mlpk"),
    )
    probe = rng.normal(size=(20, 3)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(probe), theirs.predict(probe), atol=1e-5)
    assert ours.metadata["world_size"] == 2
    info = subprocess.run([str(BIN / "mlpkit"), "info", "m.mlpk"], cwd=tmp_path / "two",
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "data-parallel over 2 processes" in info.stdout


def _table(path, rows):
    path.write_text("\n".join(["a,b,kind,label", *rows]) + "\n")


BAD_SHARDS = {
    "a ragged row": (
        lambda good: [*good[:5], "1.0,2.0", *good[6:]],
        "line 7: 2 fields, but the header has 4",
    ),
    "a NaN cell": (lambda good: [*good[:3], "nan,1.0,x,yes", *good[4:]], "missing value"),
    "a word in a number column": (
        lambda good: [*good[:4], "abc,1.0,x,yes", *good[5:]],
        "holds numbers but 1 cell(s) that are not: 'abc' (line 6)",
    ),
    "a third class": (
        lambda good: [*good[:2], "0.5,0.5,x,maybe", *good[3:]],
        "differs from rank 0's",
    ),
    "a column of free text": (  # (left out on that rank: its preprocessing differs)
        lambda good: [f"{i % 7}.0,1.0,k{i},{'yes' if i % 2 else 'no'}" for i in range(10_050)],
        "differs from rank 0's",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SHARDS))
def test_a_bad_shard_for_the_command_line_fails_every_rank_in_one_line(tmp_path, case):
    """`mpiexec -n 2 mlpkit train` where rank 1 reads a bad copy of the file: every rank
    stops with the same one-line error before training (before, rank 0 spun forever)."""
    rng = np.random.default_rng(0)
    good = [f"{u:.3f},{v:.3f},{'xy'[i % 2]},{'yes' if u > v else 'no'}"
            for i, (u, v) in enumerate(rng.normal(size=(60, 2)))]  # fmt: skip
    make, message = BAD_SHARDS[case]
    for rank, rows in ((0, good), (1, make(good))):
        (tmp_path / f"r{rank}").mkdir()
        _table(tmp_path / f"r{rank}" / "data.csv", rows)
    launcher = BIN / "mpiexec"
    args = ["train", "data.csv", "--target", "label", "-o", "m.mlpk", "--epochs", "2", "--quiet",
            "--missing", "error"]  # fmt: skip
    command = [str(launcher), "-n", "1", "-wdir", str(tmp_path / "r0"), str(BIN / "mlpkit"), *args,
               ":", "-n", "1", "-wdir", str(tmp_path / "r1"), str(BIN / "mlpkit"), *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 2 and errors[0] == errors[1], done.stderr[-2000:]
    assert "rank 1 of 2" in errors[0] and message in errors[0], errors[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r0" / "m.mlpk").exists()
