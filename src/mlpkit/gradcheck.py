"""Finite-difference gradient check for any model built from mlpkit layers.

For every parameter entry θ_j (and every input entry) the analytic gradient from
``backward`` is compared with the fourth-order central difference

    (8 [L(θ + ε e_j) − L(θ − ε e_j)] − [L(θ + 2ε e_j) − L(θ − 2ε e_j)]) / 12ε,

whose truncation error is O(ε⁴): with ε = 1e-4 both it and the rounding error
(~1e-16 · |L| / ε) stay near 1e-12, so even arrays whose gradients are tiny are
checked meaningfully. Everything is computed in float64 on a copy of the model (the
model itself is untouched). The error
of an array is  max_j |analytic_j − numeric_j| / max_j max(|analytic_j|, |numeric_j|):
the worst disagreement relative to the size of that array's gradient, which stays
meaningful when single entries are zero (dead ReLUs, saturated units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from . import losses as losses_mod
    from .network import Sequential

__all__ = ["GradcheckReport", "gradcheck"]


@dataclass
class GradcheckReport:
    """What :func:`mlpkit.gradcheck` found: per-array errors and the verdict.

    ``bool(report)`` is ``report.passed``; ``print`` it for the table.

    Parameters
    ----------
    names : list of str
        The checked arrays, e.g. ``"layer0.W"``.
    max_rel_error : list of float
        The worst relative error in each.
    max_abs_error : list of float
        The worst absolute error in each.
    tolerance : float
        The relative error below which an array passes.
    checked : list of int
        How many entries of each were checked.
    layers : list of str
        The layer each array belongs to.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(8, seed=0)
    >>> report = mlpkit.gradcheck(mlpkit.Sequential([mlpkit.Dense(2, 2, "softmax")], seed=0), X, y)
    >>> bool(report), report.worst < report.tolerance
    (True, True)
    """

    names: list[str]
    max_rel_error: list[float]
    max_abs_error: list[float]
    tolerance: float
    checked: list[int] = field(default_factory=list)
    #: the layer each array belongs to, e.g. "Dense(in_features=2, ..., activation='mish')"
    layers: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """The arrays whose error is not below the tolerance, e.g. ["layer0.W"]."""
        return [
            n for n, e in zip(self.names, self.max_rel_error, strict=True) if not e < self.tolerance
        ]

    @property
    def passed(self) -> bool:
        """Whether every array's worst relative error is below the tolerance."""
        return all(e < self.tolerance for e in self.max_rel_error)

    @property
    def worst(self) -> float:
        """The worst relative error over all the arrays."""
        return max(self.max_rel_error)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        width = max(len(n) for n in self.names)
        lines = [f"{'array'.ljust(width)}  entries  max rel error  max abs error"]
        for n, c, r, a in zip(
            self.names, self.checked, self.max_rel_error, self.max_abs_error, strict=True
        ):
            lines.append(f"{n.ljust(width)}  {c:7d}  {r:13.3e}  {a:13.3e}")
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(
            f"{verdict}: worst relative error {self.worst:.3e} (tolerance {self.tolerance:g})"
        )
        by_name = dict(zip(self.names, self.layers, strict=False))
        failed = [n for n in self.failures if n in by_name]
        if failed:  # backward runs from the output: arrays below the culprit inherit it
            lines.append(
                f"the error enters at {failed[-1]}, in {by_name[failed[-1]]} (arrays of the "
                "layers before it inherit it): check that layer's backward or its "
                "activation's derivative"
            )
        return "\n".join(lines)


def _report_html(report: GradcheckReport) -> str:
    from ._html import table

    rows = [[n, c, f"{r:.3e}", f"{a:.3e}", "ok" if r < report.tolerance else "FAILED"]
            for n, c, r, a in zip(report.names, report.checked, report.max_rel_error,
                                  report.max_abs_error, strict=True)]  # fmt: skip
    lines = str(report).splitlines()
    return table(["array", "entries", "max rel error", "max abs error", ""], rows,
                 caption="gradient check against central differences",
                 footer=" ".join(lines[len(rows) + 1 :]), numeric=[False, True, True, True, False])  # fmt: skip


GradcheckReport._repr_html_ = _report_html  # type: ignore[attr-defined]


def _rel(a: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    abs_err = float(np.max(np.abs(a - n))) if a.size else 0.0
    scale = float(max(np.max(np.abs(a)), np.max(np.abs(n)))) if a.size else 0.0
    return (abs_err / scale if scale > 0 else abs_err), abs_err


def gradcheck(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    loss: str | losses_mod.Loss | None = None,
    eps: float = 1e-4,
    tolerance: float = 1e-6,
    max_entries: int | None = None,
    seed: int = 0,
    fused: bool = True,
    training: bool = False,
) -> GradcheckReport:
    """Check ``model``'s backward pass against central differences of L = loss + penalty.

    Runs in float64 on a copy of the model; each parameter entry is moved by ±eps and
    the change in L compared with the hand-written gradient.

    Parameters
    ----------
    model : Sequential
        The network to check.
    x : array of shape (N, n_features_in)
        A few examples.
    y : array
        Their targets, as ``fit`` takes them.
    loss : str or Loss, optional
        Defaults to the model's loss, else the output layer's default.
    eps : float, default 1e-4
        The central differences' step.
    tolerance : float, default 1e-6
        The largest relative error that passes.
    max_entries : int, optional
        Check a random subset of this many entries of each array (all by default).
    seed : int, default 0
        Draws that subset.
    fused : bool, default True
        Use the output head's fused gradient where the pair allows it, as training does;
        False checks the plain chain rule (the output activation's backward composed with
        the loss gradient).
    training : bool, default False
        Check the training-mode backward (BatchNorm through its batch statistics); the
        model must then have no random layer switched on. Otherwise dropout and noise are
        off and BatchNorm uses its running statistics.

    Returns
    -------
    GradcheckReport
        The worst relative error per parameter array and ``passed``.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(8, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 4, "tanh"), mlpkit.Dense(4, 2, "softmax")], seed=0)
    >>> report = mlpkit.gradcheck(net, X, y)
    >>> report.passed, report.names
    (True, ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b', 'input X'])
    """
    m = model.on_host().astype("float64")  # a model trained elsewhere: checked on the host
    if training and any(getattr(ly, "rate", 0) or getattr(ly, "std", 0) for ly in m.layers):
        raise ValueError(
            "gradcheck(training=True) needs a model without active Dropout or GaussianNoise: "
            "their random draws differ between evaluations"
        )
    xa = m.check_input(x)
    xa = np.array(xa if isinstance(xa, np.ndarray) else xa.toarray(), order="C", copy=True)
    head = m.head(loss, fused=fused)
    t = head.prepare_targets(y, m.output_width(), m.dtype, xa.shape[0])

    def value(inputs: np.ndarray) -> float:
        if training:  # the same forward the analytic pass takes (fills gradients too)
            return m.loss_and_gradients(inputs, t, head, training=True)[0] + m.penalty()
        return head.value(m.logits(inputs), t) + m.penalty()

    _, _, dx = m.loss_and_gradients(xa, t, head, training=training, need_input_grad=True)
    analytic = [g.copy() for g in m.gradients()] + [cast(np.ndarray, dx)]
    targets = [*m.parameters(), xa]
    names = [*m.parameter_names(), "input X"]
    layers = [repr(layer) for layer in m.layers for _ in layer.param_names]

    rng = np.random.default_rng(seed)
    rel, absolute, checked = [], [], []
    for arr, grad in zip(targets, analytic, strict=True):
        flat = arr.reshape(-1)
        idx = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            idx = rng.choice(flat.size, size=max_entries, replace=False)
        numeric = np.empty(idx.size)
        for k, j in enumerate(idx):
            old = flat[j]
            samples = []
            for step in (2.0 * eps, eps, -eps, -2.0 * eps):
                flat[j] = old + step
                samples.append(value(xa))
            flat[j] = old
            far_up, up, down, far_down = samples
            numeric[k] = (8.0 * (up - down) - (far_up - far_down)) / (12.0 * eps)
        r, a = _rel(grad.reshape(-1)[idx], numeric)
        rel.append(r)
        absolute.append(a)
        checked.append(int(idx.size))
    return GradcheckReport(names, rel, absolute, tolerance, checked, layers)
