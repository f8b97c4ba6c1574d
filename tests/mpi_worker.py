"""Run by tests/test_distributed.py under a real ``mpiexec -n P``: one scenario per call
(argv[1]); rank 0 prints one JSON line with what the test asserts."""

from __future__ import annotations

import json
import sys

import numpy as np

import mlpkit
from mlpkit import Dense
from mlpkit import optimizers as O
from mlpkit.distributed import DataParallel

OPTIMIZERS = {
    "sgd": lambda: O.SGD(lr=0.1),
    "momentum": lambda: O.SGD(lr=0.1, momentum=0.9),
    "rmsprop": lambda: O.RMSprop(lr=0.01),
    "adam": lambda: O.Adam(lr=0.01),
}


def max_difference(ours, theirs):
    """The largest entry-wise difference between two lists of arrays."""
    return max(float(np.abs(p - q).max()) for p, q in zip(ours, theirs, strict=True))


def data(n=53):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, n)


def build(dtype="float64"):
    return mlpkit.Sequential(
        [Dense(4, 6, "tanh", regularizer=mlpkit.L2(0.01)), Dense(6, 3, "softmax")],
        seed=1,
        dtype=dtype,
    )


class Fingerprints(mlpkit.Callback):
    """The parameters' bytes after every epoch, from every rank."""

    def __init__(self, dp):
        self.dp, self.identical = dp, []

    def on_epoch_end(self, epoch, logs=None):
        mine = b"".join(w.tobytes() for w in self.model.get_weights())
        self.identical.append(len(set(self.dp.comm.allgather(mine))) == 1)


def equivalence(dp):
    """P processes vs one, every optimizer, both dtypes, validation and metrics on."""
    x, y = data()
    out = {}
    for name, make in OPTIMIZERS.items():
        for dtype in ("float64", "float32"):
            ours, single = build(dtype), build(dtype)
            prints = Fingerprints(dp)
            settings = dict(
                epochs=3, batch_size=10, validation_split=0.2, metrics=["accuracy"], verbose=0
            )
            h = ours.fit(x, y, optimizer=make(), callbacks=[prints], strategy=dp, **settings)
            g = single.fit(x, y, optimizer=make(), **settings)
            out[f"{name}-{dtype}"] = {
                "weights": max_difference(ours.get_weights(), single.get_weights()),
                "loss": max(abs(a - b) for a, b in zip(h["loss"], g["loss"], strict=True)),
                "val_loss": max(
                    abs(a - b) for a, b in zip(h["val_loss"], g["val_loss"], strict=True)
                ),
                "metrics_equal": h["accuracy"] == g["accuracy"]
                and h["val_accuracy"] == g["val_accuracy"],
                "identical_every_epoch": all(prints.identical),
                "history_same_on_ranks": len(
                    {json.dumps(h.history["loss"])}
                    | set(dp.comm.allgather(json.dumps(h.history["loss"])))
                )
                == 1,
            }
    # one full-batch step of plain SGD: the weight change is -lr times the reduced gradient
    ours, single = build(), build()
    ours.fit(
        x,
        y,
        optimizer=O.SGD(lr=1.0),
        epochs=1,
        batch_size=None,
        shuffle=False,
        verbose=0,
        strategy=dp,
    )
    single.fit(x, y, optimizer=O.SGD(lr=1.0), epochs=1, batch_size=None, shuffle=False, verbose=0)
    out["gradient"] = max_difference(ours.get_weights(), single.get_weights())
    # early stopping decides from the reduced values: the same epoch everywhere
    stop = mlpkit.EarlyStopping("val_loss", patience=1, min_delta=1.0, verbose=0)
    build().fit(x, y, epochs=20, validation_split=0.3, callbacks=[stop], verbose=0, strategy=dp)
    out["stopped"] = dp.comm.allgather(stop.stopped_epoch)
    # a ReLU network: each rank's share through the unrolled step, then the same reduce
    relu = lambda: mlpkit.Sequential([Dense(4, 8, "relu"), Dense(8, 3, "softmax")], seed=2)  # noqa: E731
    ours, single = relu(), relu()
    with mlpkit.fast_paths(step="unrolled"):
        ours.fit(x, y, optimizer=O.Adam(lr=0.01), epochs=3, batch_size=10, verbose=0, strategy=dp)
        single.fit(x, y, optimizer=O.Adam(lr=0.01), epochs=3, batch_size=10, verbose=0)
    out["unrolled"] = {"weights": max_difference(ours.get_weights(), single.get_weights()),
                       "steps": dp.comm.allgather(ours.train_state.step)}  # fmt: skip
    # BLAS threads: cores / ranks on this machine, unless the environment says otherwise
    import os

    from threadpoolctl import threadpool_info

    from mlpkit.distributed import _cores, blas_threads_for

    expected, _ = blas_threads_for(_cores(), dp._local_ranks(), dict(os.environ), "auto")
    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    out["blas_threads"] = {"expected": expected, "set": blas, "note": dp.threads_note}
    return out


def sharded(dp):
    """Each rank passes its own rows (uneven shards): unshuffled, exactly one process on
    the concatenation; shuffled, in step across the ranks."""
    x, y = data(47)
    cuts = np.linspace(0, 47, dp.size + 1).astype(int)
    cuts[1] = 9  # a first shard smaller than one batch
    lo, hi = cuts[dp.rank], cuts[dp.rank + 1]
    ours, single = build(), build()
    ours.fit(
        x[lo:hi],
        y[lo:hi],
        optimizer=O.Adam(lr=0.01),
        epochs=3,
        batch_size=10,
        shuffle=False,
        verbose=0,
        strategy=dp,
    )
    single.fit(x, y, optimizer=O.Adam(lr=0.01), epochs=3, batch_size=10, shuffle=False, verbose=0)
    shuffled = build()
    prints = Fingerprints(dp)
    shuffled.fit(
        x[lo:hi],
        y[lo:hi],
        optimizer=O.Adam(lr=0.01),
        epochs=3,
        batch_size=10,
        callbacks=[prints],
        verbose=0,
        strategy=dp,
    )
    return {
        "weights": max_difference(ours.get_weights(), single.get_weights()),
        "identical_every_epoch": all(prints.identical),
        "steps": shuffled.steps_trained,
    }


def bad_shard(dp):
    """Rank 1's rows hold a NaN: every rank raises the same error before training."""
    x, y = data()
    if dp.rank == 1:
        x[3, 2] = np.nan
    try:
        build().fit(x, y, verbose=0, strategy=dp)
    except ValueError as exc:  # each rank writes what it raised (output forwarding may
        # lose a line when the job ends), then exits non-zero
        with open(f"{sys.argv[2]}/rank{dp.rank}.txt", "w") as f:
            f.write(str(exc))
        dp.comm.Barrier()
        sys.exit(3)


def raise_in_training(dp):
    """A callback raises on rank 1 in the second epoch: every rank must end, not wait."""

    class Boom(mlpkit.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if dp.rank == 1 and epoch == 1:
                raise RuntimeError("disk full while writing the report")

    x, y = data()
    build().fit(x, y, epochs=50, callbacks=[Boom()], verbose=0, strategy=dp)


def killed_rank(dp):
    """Rank 1 is killed (SIGKILL, no Python left to say anything) in the second epoch."""
    import os
    import signal

    class Kill(mlpkit.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if dp.rank == 1 and epoch == 1:
                os.kill(os.getpid(), signal.SIGKILL)

    x, y = data()
    build().fit(x, y, epochs=50, callbacks=[Kill()], verbose=0, strategy=dp)


def scikit_learn(dp):
    """The wrappers with strategy=: adam data-parallel, lbfgs with the reduced loss and
    gradient: the same weights as one process."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from mlpkit.sklearn import MLPClassifier, MLPRegressor

    warnings.simplefilter("ignore", ConvergenceWarning)
    x, y = data(90)
    out = {}
    for solver in ("adam", "sgd", "lbfgs"):
        ours = MLPClassifier((6,), solver=solver, max_iter=15, random_state=0, strategy=dp).fit(
            x, y
        )
        single = MLPClassifier((6,), solver=solver, max_iter=15, random_state=0).fit(x, y)
        out[solver] = max_difference(ours.coefs_, single.coefs_)
    ours = MLPRegressor(
        hidden_layer_sizes=(5,), solver="lbfgs", max_iter=15, random_state=0, strategy=dp
    ).fit(x, x[:, 0])
    single = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=15, random_state=0).fit(
        x, x[:, 0]
    )
    out["lbfgs_regressor"] = max_difference(ours.coefs_, single.coefs_)
    return out


if __name__ == "__main__":
    dp = DataParallel(sharded=sys.argv[1] == "sharded")
    result = {"equivalence": equivalence, "sharded": sharded, "bad_shard": bad_shard,
              "raise_in_training": raise_in_training, "scikit_learn": scikit_learn, "killed_rank": killed_rank}[sys.argv[1]](dp)  # fmt: skip
    if dp.rank == 0:
        print(json.dumps({"size": dp.size, **(result or {})}), flush=True)
