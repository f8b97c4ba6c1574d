"""The layer protocol: ``forward(X)`` caches exactly what ``backward(dY)`` needs;
``backward`` fills the parameter gradients and returns ``dX``; ``call(X)`` is inference."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Layer"]


class Layer:
    """Base class. A layer is built once by its network (which hands it the random
    generator and dtype), then runs forward/backward any number of times.

    Examples
    --------
    >>> import mlpkit
    >>> [type(layer).__name__ for layer in mlpkit.layers.dense_stack([2, 8, 1], "relu", "sigmoid")]
    ['Dense', 'Dense']
    """

    #: names of the trainable arrays, in the order of ``parameters()``
    param_names: tuple[str, ...] = ()
    #: arrays that are state but not trained (BatchNorm's running statistics): saved
    #: with the model, copied by ``snapshot``, no gradient
    buffer_names: tuple[str, ...] = ()
    #: the ``type`` a saved model file records for this layer (see ``from_config``)
    config_type: str = ""
    #: the fewest rows a training batch may have (BatchNorm: 2)
    min_training_batch: int = 1

    def __init__(self) -> None:
        self.in_features: int | None = None
        self.out_features: int | None = None
        self.dtype: np.dtype = np.dtype("float32")

    # -- building ---------------------------------------------------------------------
    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        """Create the parameters for inputs of width ``in_features``.

        Parameters
        ----------
        in_features : int
            The input width.
        rng : numpy.random.Generator
            The network's generator (initial weights are drawn from it).
        dtype : numpy.dtype
            The network's dtype.

        Returns
        -------
        int
            The output width.
        """
        self.in_features = self.out_features = in_features
        self.dtype = np.dtype(dtype)
        return in_features

    @property
    def built(self) -> bool:
        """Whether ``build`` has run (the layer belongs to a network)."""
        return self.in_features is not None

    # -- computation ------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Compute the output of a batch, caching what :meth:`backward` needs.

        Parameters
        ----------
        x : ndarray of shape (N, in)
            The batch.
        training : bool, default False
            Training mode (dropout, noise and batch statistics on).

        Returns
        -------
        ndarray of shape (N, out)
            The layer's output.
        """
        raise NotImplementedError

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate through the layer, filling its parameters' gradients.

        Parameters
        ----------
        dy : ndarray of shape (N, out)
            dL/dY, the gradient of the loss with respect to the last forward's output.
        need_input_grad : bool, default True
            False skips dL/dX (the first layer's, which nothing reads).

        Returns
        -------
        ndarray of shape (N, in) or None
            dL/dX, or None when not needed. The layer's own gradients are in :meth:`gradients`.
        """
        raise NotImplementedError

    def call(self, x: np.ndarray) -> np.ndarray:
        """Inference: like ``forward(x, training=False)`` but caches nothing.

        Parameters
        ----------
        x : ndarray of shape (N, in)
            The batch.

        Returns
        -------
        ndarray of shape (N, out)
            The output, as ``forward(x, training=False)`` gives it.
        """
        return self.forward(x, training=False)

    # -- parameters -------------------------------------------------------------------
    def parameters(self) -> list[np.ndarray]:
        """The live trainable arrays (not copies), in ``param_names`` order.

        Returns
        -------
        list of ndarray
            W, b, gamma, beta, ... as the layer has them (empty for none).
        """
        return [getattr(self, n) for n in self.param_names]

    def gradients(self) -> list[np.ndarray]:
        """dL/dparameter for each array of :meth:`parameters`, from the last backward.

        Returns
        -------
        list of ndarray
            The same shapes and order as :meth:`parameters`.
        """
        return [getattr(self, "d" + n) for n in self.param_names]

    def buffers(self) -> list[np.ndarray]:
        """The live state arrays that are not trained (BatchNorm's running statistics).

        Returns
        -------
        list of ndarray
            In ``buffer_names`` order (empty for none).
        """
        return [getattr(self, n) for n in self.buffer_names]

    def use_buffers(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Keep the parameters and gradients in the given arrays from now on.

        The parameters' values are copied in (e.g. into views of one packed vector).

        Parameters
        ----------
        params : list of ndarray
            One per name of ``param_names``, of the parameters' shapes.
        grads : list of ndarray
            The same for the gradients.
        """
        for name, p, g in zip(self.param_names, params, grads, strict=True):
            p[...] = getattr(self, name)
            setattr(self, name, p)
            setattr(self, "d" + name, g)

    def to(self, xp: Any, device: Any = None) -> None:
        """Move parameters, gradients and buffers to another array library, through the host.

        Cached forward values are dropped (see ``Sequential.to``).

        Parameters
        ----------
        xp : module
            The array namespace.
        device : object, optional
            The device there (its default when None).
        """
        from .._backend import asarray

        for name in self.param_names:
            setattr(self, name, asarray(getattr(self, name), xp, device))
            setattr(self, "d" + name, asarray(getattr(self, "d" + name), xp, device))
        for name in self.buffer_names:
            setattr(self, name, asarray(getattr(self, name), xp, device))
        self.clear_cache()

    def cast(self, dtype: np.dtype) -> None:
        """Convert the parameters and gradients to ``dtype`` (new arrays).

        Parameters
        ----------
        dtype : numpy.dtype
            float32 or float64.
        """
        from .._backend import astype

        self.dtype = np.dtype(dtype)

        def cast(a: Any) -> Any:
            return astype(a, self.dtype, copy=True)

        for name in self.param_names:
            setattr(self, name, cast(getattr(self, name)))
            setattr(self, "d" + name, cast(getattr(self, "d" + name)))
        for name in self.buffer_names:
            setattr(self, name, cast(getattr(self, name)))

    def penalty(self) -> float:
        """The regularisation added to the loss.

        Returns
        -------
        float
            0 for a layer without a regulariser.
        """
        return 0.0

    def clear_cache(self) -> None:
        """Drop the arrays kept for backward (frees memory after training)."""

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments as JSON values: :func:`from_config` rebuilds the layer.

        Returns
        -------
        dict
            What the file format stores for this layer.
        """
        return {}

    @property
    def kind(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.kind}({settings})"
