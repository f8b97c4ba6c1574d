"""From checked settings to data, a network and an optimizer — and to the Python code
that builds the same ones.

Each piece is described once, as a call (a name and its keyword arguments): the
session evaluates the calls, and :func:`python_code` prints them, so the exported
script cannot drift from what the page trained.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import datasets, optimizers, regularizers
from ..layers import Dense, Dropout, InputFeatures
from ..network import Sequential
from .settings import Settings

__all__ = [
    "Call",
    "Data",
    "build_network",
    "build_optimizer",
    "make_data",
    "python_code",
    "script_head",
]


@dataclass(frozen=True)
class Call:
    """``name(*args, **kwargs)`` as both an object to make and a line of code."""

    name: str  # dotted, as the script spells it: "mlpkit.Dense", "datasets.moons"
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def code(self) -> str:
        parts = [_literal(a) for a in self.args] + [f"{k}={_literal(v)}" for k, v in self.kwargs]
        return f"{self.name}({', '.join(parts)})"

    def make(self) -> Any:
        return _RESOLVE[self.name](
            *[_made(a) for a in self.args], **{k: _made(v) for k, v in self.kwargs}
        )


def _made(value: Any) -> Any:
    return value.make() if isinstance(value, Call) else value


def _literal(value: Any) -> str:
    if isinstance(value, Call):
        return value.code()
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as the project's code is written
    return repr(value)


_RESOLVE: dict[str, Callable[..., Any]] = {
    "datasets.xor": datasets.xor,
    "datasets.circles": datasets.circles,
    "datasets.moons": datasets.moons,
    "datasets.spirals": datasets.spirals,
    "datasets.gaussians": datasets.gaussians,
    "datasets.plane": datasets.plane,
    "datasets.gaussian_surface": datasets.gaussian_surface,
    "datasets.regression_1d": datasets.regression_1d,
    "mlpkit.Dense": Dense,
    "mlpkit.InputFeatures": InputFeatures,
    "mlpkit.Dropout": Dropout,
    "mlpkit.L1": regularizers.L1,
    "mlpkit.L2": regularizers.L2,
    "mlpkit.L1L2": regularizers.L1L2,
    **{
        f"mlpkit.optimizers.{cls.__name__}": cls
        for cls in (optimizers.REGISTRY.lookup(n) for n in optimizers.REGISTRY.names())
        if cls is not None
    },
}


@dataclass
class Data:
    """A session's points: X (n, 1 or 2) float32; y (n,) int labels or (n, 1) floats."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def data_call(s: Settings) -> Call:
    """The mlpkit.datasets call that draws the settings' points."""
    seed = ("seed", s.data_seed)
    if s.dataset == "xor":
        return Call("datasets.xor", kwargs=(("repeat", s.points // 4), ("noise", s.noise), seed))
    if s.dataset == "spirals":  # (TensorFlow Playground's kind: the lesson that needs depth)
        arms = (("n_samples", s.points), ("n_classes", s.classes), ("noise", s.noise), seed,
                ("angle", 9.0), ("radius", 3.0))  # fmt: skip
        return Call("datasets.spirals", kwargs=arms)
    if s.dataset == "function":
        curve = (("fn", s.function), ("n_samples", s.points), ("noise", s.noise), seed)
        return Call("datasets.regression_1d", kwargs=curve)
    return Call(f"datasets.{s.dataset}", kwargs=(("n_samples", s.points), ("noise", s.noise), seed))


def make_data(s: Settings, extra_x: np.ndarray, extra_y: np.ndarray) -> Data:
    """Draw the points, split them (stratified for classes) and add the clicked points
    (extra_x (m, d), extra_y (m,) labels or (m, 1) targets) to the training set."""
    x, y = data_call(s).make()
    x_train, x_test, y_train, y_test = datasets.train_test_split(
        x, y, test_size=s.test_fraction, seed=s.data_seed
    )
    if len(extra_x):
        x_train = np.concatenate([x_train, extra_x.astype(x_train.dtype)])
        y_train = np.concatenate([y_train, extra_y.astype(y_train.dtype)])
    return Data(x_train, y_train, x_test, y_test)


def n_outputs(s: Settings) -> int:
    return s.n_classes if s.output == "softmax" else 1


def _regularizer(s: Settings) -> Call | None:
    if s.l1 and s.l2:
        return Call("mlpkit.L1L2", kwargs=(("l1", s.l1), ("l2", s.l2)))
    if s.l1:
        return Call("mlpkit.L1", (s.l1,))
    if s.l2:
        return Call("mlpkit.L2", (s.l2,))
    return None


def layer_calls(s: Settings) -> list[Call]:
    """The features (an InputFeatures layer, unless they are the plain inputs), then
    Dense layers of the settings' widths (Dropout after each hidden one)."""
    widths = [len(s.features), *s.hidden, n_outputs(s)]
    reg = _regularizer(s)
    features = Call("mlpkit.InputFeatures", (list(s.features),), (("in_features", s.input_dim),))
    calls = [] if s.plain_features else [features]
    for i in range(len(widths) - 1):
        last = i == len(widths) - 2
        kwargs: list[tuple[str, Any]] = []
        if s.init != "default":
            kwargs.append(("init", s.init))
        if reg is not None:
            kwargs.append(("regularizer", reg))
        activation = s.output if last else s.activation
        calls.append(Call("mlpkit.Dense", (widths[i], widths[i + 1], activation), tuple(kwargs)))
        if not last and s.dropout:
            calls.append(Call("mlpkit.Dropout", (s.dropout,)))
    return calls


def build_network(s: Settings) -> Sequential:
    return Sequential([c.make() for c in layer_calls(s)], seed=s.seed)


def optimizer_call(s: Settings) -> Call:
    """The optimizer with the settings' learning rate and options."""
    o = s.optimizer_settings
    cls = optimizers.REGISTRY.lookup(s.optimizer)
    assert cls is not None
    kwargs: list[tuple[str, Any]] = [("lr", s.lr)]
    if s.optimizer in ("adam", "adamw"):
        kwargs.append(("betas", (o["beta1"], o["beta2"])))
        if "weight_decay" in o:
            kwargs.append(("weight_decay", o["weight_decay"]))
    else:
        kwargs += list(o.items())
    return Call(f"mlpkit.optimizers.{cls.__name__}", kwargs=tuple(kwargs))


def build_optimizer(s: Settings) -> optimizers.Optimizer:
    made: optimizers.Optimizer = optimizer_call(s).make()
    return made


def script_head(what: str, data: str) -> list[str]:
    """An exported script's first lines: what it rebuilds, and its imports."""
    return [f'"""{what} from the mlpkit playground: the same {data}, layers and training."""',
            "", "import numpy as np", "", "import mlpkit", "from mlpkit import datasets", ""]  # fmt: skip


def python_code(
    s: Settings,
    extra_x: np.ndarray,
    extra_y: np.ndarray,
    runs: list[tuple[int, int | None, float]],
    single_steps: int,
) -> str:
    """A script that rebuilds the session's data and network and trains it as the page
    did. runs: the page's training in order, as (epochs, batch size, learning rate);
    single_steps: batches the page trained one at a time (not replayed: the script then
    ends near, not at, the page's weights)."""
    lines = [
        *script_head("A network", "data"),
        f"X, y = {data_call(s).code()}",
        "X_train, X_test, y_train, y_test = datasets.train_test_split(",
        f"    X, y, test_size={s.test_fraction!r}, seed={s.data_seed!r}",
        ")",
    ]
    if len(extra_x):
        y_dtype = "np.int64" if extra_y.dtype.kind in "iu" else "np.float32"
        lines += [
            "# the points added by clicking in the page",
            f"X_train = np.concatenate([X_train, np.array({extra_x.tolist()!r}, dtype=np.float32)])",
            f"y_train = np.concatenate([y_train, np.array({extra_y.tolist()!r}, dtype={y_dtype})])",
        ]
    lines += ["", "net = mlpkit.Sequential(", "    ["]
    lines += [f"        {c.code()}," for c in layer_calls(s)]
    lines += ["    ],", f"    seed={s.seed!r},", ")"]
    first_lr = runs[0][2] if runs else s.lr
    lines.append(f"optimizer = {optimizer_call(replace(s, lr=first_lr)).code()}")
    if single_steps:
        lines.append(
            f"# the page also trained {single_steps} single batch(es) with 'step', not replayed "
            "here: the weights will be close to, not equal to, the page's"
        )
    for i, (epochs, batch_size, lr) in enumerate(runs):
        if i == 0:
            lines.append(
                f"net.fit(X_train, y_train, loss={_literal(s.loss)}, optimizer=optimizer, epochs={epochs}, "
                f"batch_size={batch_size!r}, verbose=0)"
            )
            continue
        if lr != runs[i - 1][2]:
            lines.append(f"net.optimizer.lr = {lr!r}")
        lines.append(
            f"net.fit(X_train, y_train, epochs={epochs}, batch_size={batch_size!r}, verbose=0)"
        )
    lines += [
        'print("test:", net.evaluate(X_test, y_test))',
        'net.save("playground.mlpk")',
        "",
    ]
    return "\n".join(lines)
