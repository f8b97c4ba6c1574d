"""The output head: the network's output activation f together with its loss L.

Given the output layer's pre-activation z (N, d) and prepared targets t, the head gives
the loss value and dL/dz — where backpropagation through the layers starts. Two ways:

* **Fused**, for three pairs only. With ŷ = f(z) the gradient of the mean loss is

      dL/dz = (ŷ − t) / N            (per row, times its sample weight w_i)

  because f' cancels against the loss's derivative exactly:
    - softmax + cross_entropy:  ∂/∂z of −Σ_k t_k log softmax(z)_k = softmax(z) − t
      when Σ_k t_k = 1 (labels or one-hot rows; soft rows: softmax(z)·Σ_k t_k − t);
    - sigmoid + binary_cross_entropy:  ∂/∂z of −[t log σ + (1−t) log(1−σ)] = σ − t
      (divided by d, the loss averaging over its d outputs);
    - exp + poisson:  ∂/∂z of e^z − t z = e^z − t.
  The value is then computed from z as well (log-softmax, log-sigmoid, the log link),
  so it stays finite for logits of ±1e4 where ŷ rounds to exactly 0 or 1.
* **Composed**, for every other pair: ŷ = f(z), dL/dŷ from the loss, and dL/dz from
  the activation's vector-Jacobian product, f.vjp(z, ŷ, dL/dŷ).

The head is also where the default loss is chosen when a user names none.
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from . import losses as losses_mod
from ._backend import Array, namespace_of
from .activations import BUILT_IN, Activation

__all__ = ["OutputHead", "default_loss"]

#: the loss fit uses when none is given, by output activation (anything else: mse)
_DEFAULT_LOSS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "exp": "poisson"}

#: the pairs whose gradient fuses to (ŷ − t)/N: output activation → loss class
_FUSED = {
    "softmax": losses_mod.CrossEntropy,
    "sigmoid": losses_mod.BinaryCrossEntropy,
    "exp": losses_mod.PoissonDeviance,
}


def default_loss(output_activation: str) -> str:
    """softmax → cross_entropy, sigmoid → binary_cross_entropy, exp → poisson, else mse."""
    return _DEFAULT_LOSS.get(output_activation, "mse")


class OutputHead:
    """An output activation and a loss: ``value_and_grad(z, t, w) -> (L, dL/dz)``.

    Parameters
    ----------
    activation : the network's output activation f.
    loss : a Loss, a loss name, or None for :func:`default_loss` of f.
    fused : use the fused gradient where the pair allows it (default). ``False`` always
        composes f's backward with the loss gradient (gradcheck uses it to check the
        plain chain rule).
    """

    def __init__(
        self,
        activation: Activation,
        loss: str | losses_mod.Loss | None = None,
        fused: bool = True,
    ) -> None:
        self.activation = activation
        self.loss = losses_mod.get(default_loss(activation.name) if loss is None else loss)
        pair = _FUSED.get(activation.name)
        self.fused = bool(
            fused
            and pair is not None
            and type(self.loss) is pair
            and not self.loss.from_logits
            and type(activation) in BUILT_IN  # a user's subclass may change f
        )
        # the loss computed from z itself: the value of a fused head
        self._on_logits = None
        if self.fused:
            self._on_logits = type(self.loss)(**{**self.loss.get_config(), "from_logits": True})

    def prepare_targets(self, y: object, n_outputs: int, dtype: np.dtype, n_samples: int) -> Array:
        """Targets validated and brought to the loss's form (see ``Loss.prepare_targets``)."""
        return self.loss.prepare_targets(y, n_outputs, dtype, n_samples=n_samples)

    def outputs(self, z: Array) -> Array:
        """ŷ = f(z): (N, d) -> (N, d)."""
        return self.activation.forward(z)

    def per_sample(self, z: Array, t: Array) -> Array:
        """l_i for each row, from the pre-activation z (N, d): (N,)."""
        if self._on_logits is not None:
            return self._on_logits.sample_losses(z, t)
        return self.loss.sample_losses(self.activation.forward(z), t)

    def value(self, z: Array, t: Array, w: Array | None = None) -> float:
        """L = (1/N) Σ_i w_i l_i from the pre-activation z (N, d)."""
        if self._on_logits is not None:
            return self._on_logits._value(z, t, w)
        return self.loss._value(self.activation.forward(z), t, w)

    def value_and_grad(self, z: Array, t: Array, w: Array | None = None) -> tuple[float, Array]:
        """(L, dL/dz) from z (N, d), prepared targets t and sample weights w (N,)."""
        if not self.fused:
            y_hat = self.activation.forward(z)
            value, d_y_hat = self.loss.value_and_grad(y_hat, t, w)
            return value, self.activation.vjp(z, y_hat, d_y_hat)
        if self.activation.name == "softmax" and type(z) is np.ndarray:
            return _kernels.softmax_cross_entropy(z, t, w)  # the training hot path: one kernel
        return self.fused_value_and_grad(z, t, w)

    def fused_value_and_grad(
        self, z: Array, t: Array, w: Array | None = None
    ) -> tuple[float, Array]:
        """The fused rule as written above; ``value_and_grad`` equals it for every pair."""
        g = self.activation.forward(z)  # ŷ
        if t.ndim == 1:  # class labels: t is the one-hot row
            if type(g) is np.ndarray:
                g[np.arange(t.shape[0]), t] -= 1.0
            else:
                g = g - losses_mod.one_hot_like(t, g)
        else:
            if self.activation.name == "softmax":
                g *= namespace_of(t).sum(t, axis=1, keepdims=True)
            g -= t
        if self.activation.name == "sigmoid" and not self.loss.sum_outputs:  # type: ignore[attr-defined]
            g *= 1.0 / z.shape[1]  # binary cross-entropy averages over its d outputs
        return self._on_logits._value(z, t, w), losses_mod.Loss._scale(g, w)  # type: ignore[union-attr]

    def __repr__(self) -> str:
        how = "fused" if self.fused else "composed"
        return f"OutputHead({self.activation!r}, {self.loss!r}, {how})"
