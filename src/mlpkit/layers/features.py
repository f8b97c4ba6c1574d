"""Fixed features of the inputs, computed inside the network: TensorFlow Playground's
feature columns (x₁², x₁x₂, sin x₁, ...), so a model file carries the transform it was
trained with and ``predict`` takes the raw inputs.

A term is written in the inputs' 1-based names: ``"x1"`` (the input itself), ``"x1^2"``,
``"x1*x2"`` (a product of two inputs, or of one with itself), ``"sin(x1)"``. The layer
has no parameters; its backward is the terms' derivatives, so gradients reach the inputs
as through any other layer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._backend import namespace_of
from .base import Layer

__all__ = ["InputFeatures", "parse_term"]

_TERM = re.compile(r"x(\d+)(\^2)?|x(\d+)\*x(\d+)|sin\(x(\d+)\)")
#: the most terms a layer may hold (a file asking for more is refused)
MAX_TERMS = 256


def parse_term(term: str) -> tuple[str, tuple[int, ...]]:
    """``"x2^2"`` -> ("square", (1,)): the operation and its 0-based inputs. Raises a
    ValueError naming the forms for anything else."""
    m = _TERM.fullmatch(term) if isinstance(term, str) else None
    if m is None:
        raise ValueError(
            f"a feature term is x1, x1^2, x1*x2 or sin(x1) (inputs from x1), got {term!r}"
        )
    inputs: tuple[int, ...]
    if m.group(1) is not None:
        op, inputs = ("square" if m.group(2) else "input"), (int(m.group(1)),)
    elif m.group(3) is not None:
        op, inputs = "product", (int(m.group(3)), int(m.group(4)))
    else:
        op, inputs = "sin", (int(m.group(5)),)
    if min(inputs) < 1:
        raise ValueError(f"inputs are numbered from x1, got {term!r}")
    return op, tuple(i - 1 for i in inputs)


class InputFeatures(Layer):
    """X (N, k) -> F (N, len(terms)): each column one term of the inputs (see the
    module docstring), e.g. ``InputFeatures(["x1", "x2", "x1^2", "x1*x2", "sin(x2)"])``.

    Parameters
    ----------
    terms : the features in order; each names inputs up to the layer's input width.
    in_features : the input width k it takes (default: the highest input a term names;
        give it when the last inputs are used by no term).

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> net = mlpkit.Sequential([mlpkit.InputFeatures(["x1", "x1^2", "x1*x2"])], dtype="float64")
    >>> net.predict(np.array([[2.0, 3.0]])).tolist()
    [[2.0, 4.0, 6.0]]
    """

    config_type = "InputFeatures"

    def __init__(self, terms: Sequence[str], in_features: int | None = None) -> None:
        super().__init__()
        if isinstance(terms, str) or not isinstance(terms, Sequence) or not terms:
            raise ValueError(
                f"terms must be a non-empty list such as ['x1', 'x1^2'], got {terms!r}"
            )
        if len(terms) > MAX_TERMS:
            raise ValueError(f"at most {MAX_TERMS} feature terms, got {len(terms)}")
        self.terms = [str(t) for t in terms]
        self._ops = [parse_term(t) for t in terms]
        twice = sorted(t for t, n in Counter(self.terms).items() if n > 1)
        if twice:  # named, not the whole list: a file may hold hundreds of terms
            raise ValueError(f"a feature term is given twice: {', '.join(twice)}")
        needed = 1 + max(i for _, inputs in self._ops for i in inputs)
        if in_features is None:
            in_features = needed
        if (
            isinstance(in_features, bool)
            or not isinstance(in_features, int)
            or in_features < needed
        ):
            raise ValueError(f"in_features must be a whole number >= {needed} (the terms name "
                             f"x{needed}), got {in_features!r}")  # fmt: skip
        #: the input width it takes, declared as BatchNorm's num_features is (the network
        #: builds on it)
        self.num_features = int(in_features)
        self._x: Any = None

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        if in_features != self.num_features:
            raise ValueError(
                f"InputFeatures takes {self.num_features} inputs; the layer gets {in_features}"
            )
        self.in_features, self.out_features = in_features, len(self.terms)
        self.dtype = np.dtype(dtype)
        return len(self.terms)

    def _column(self, xp: Any, x: Any, op: str, inputs: tuple[int, ...]) -> Any:
        a = x[..., inputs[0]]
        if op == "input":
            return a
        if op == "square":
            return a * a
        if op == "product":
            return a * x[..., inputs[1]]
        return xp.sin(a)

    def call(self, x: Any) -> Any:
        """The features of X, caching nothing.

        Parameters
        ----------
        x : ndarray of shape (N, k)
            The batch.

        Returns
        -------
        ndarray of shape (N, len(terms))
            The output, as ``forward(x, training=False)`` gives it.
        """
        xp = namespace_of(x)
        return xp.stack([self._column(xp, x, op, inputs) for op, inputs in self._ops], axis=-1)

    def forward(self, x: Any, training: bool = False) -> Any:
        """The features of X, caching X for :meth:`backward`.

        Parameters
        ----------
        x : ndarray of shape (N, k)
            The batch.
        training : bool, default False
            Training mode (dropout, noise and batch statistics on).

        Returns
        -------
        ndarray of shape (N, len(terms))
            The layer's output.
        """
        self._x = x
        return self.call(x)

    def backward(self, dy: Any, need_input_grad: bool = True) -> Any:
        """dL/dX through each term's derivative.

        Parameters
        ----------
        dy : ndarray of shape (N, len(terms))
            dL/dY, the gradient of the loss with respect to the last forward's output.
        need_input_grad : bool, default True
            False skips dL/dX (the first layer's, which nothing reads).

        Returns
        -------
        ndarray of shape (N, k) or None
            dL/dX, or None when not needed. The layer has no parameters.
        """
        if not need_input_grad:
            return None
        x = self._x
        xp = namespace_of(x)
        grads: list[Any] = [None] * x.shape[1]

        def add(i: int, value: Any) -> None:
            grads[i] = value if grads[i] is None else grads[i] + value

        for k, (op, inputs) in enumerate(self._ops):
            g, a = dy[:, k], x[:, inputs[0]]
            if op == "input":
                add(inputs[0], g)
            elif op == "square":
                add(inputs[0], 2 * a * g)
            elif op == "product":
                add(inputs[0], x[:, inputs[1]] * g)
                add(inputs[1], a * g)
            else:
                add(inputs[0], xp.cos(a) * g)
        zero = xp.zeros_like(x[:, 0])
        return xp.stack([zero if g is None else g for g in grads], axis=1)

    def clear_cache(self) -> None:
        self._x = None

    def get_config(self) -> dict[str, Any]:
        return {"terms": list(self.terms), "in_features": self.num_features}

    def __repr__(self) -> str:
        return f"InputFeatures({self.terms!r}, in_features={self.num_features})"
