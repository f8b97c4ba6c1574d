"""Sequential: a stack of layers run forward in order and backward in reverse.

``forward(X)`` runs every layer's forward (each caches what its backward needs);
``backward(dY)`` runs the chain rule from the output back to the input, layer by
layer (Chapter 1's Theorem 1.5.1, the backpropagation handout's recursion), filling every parameter's
gradient; ``gradients()`` lines up with ``get_weights()``:
``[W1, b1, W2, b2, ...]`` with W of shape (in, out) and b of shape (out,).

What a model reads without training is in its two bases: :class:`~mlpkit._stack.LayerStack`
(parameters, weights, buffers, the summary) and :class:`~mlpkit._inference.InferenceStack`
(``check_input``, ``predict`` and its kinds); this file builds the stack and trains it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np

from . import fileformat, training
from . import losses as losses_mod
from ._backend import asarray, device_of, name_of, namespace, namespace_of
from ._inference import InferenceStack
from ._validation import check_dtype
from .heads import OutputHead
from .layers import Dense, Layer

__all__ = ["Sequential"]


def _declared_width(layer: Layer) -> int | None:
    """The input width a layer states itself (Dense's in_features, a normalisation
    layer's or InputFeatures' num_features), or None for layers that take any width."""
    if layer.built or isinstance(layer, Dense):
        return int(cast(int, layer.in_features))
    width = getattr(layer, "num_features", None)
    return None if width is None else int(width)


class _TrainingAttribute:
    """``model.loss`` and friends: read and written through ``model.train_state``."""

    def __init__(self, name: str, doc: str) -> None:
        self.name, self.__doc__ = name, doc

    def __get__(self, model: Any, owner: Any = None) -> Any:
        return self if model is None else getattr(model.train_state, self.name)

    def __set__(self, model: Any, value: Any) -> None:
        setattr(model.train_state, self.name, value)


class Sequential(InferenceStack):
    """A feed-forward network: layers applied in order, trained by hand-written backprop.

    Parameters
    ----------
    layers : iterable of Layer, optional
        The layers in order, e.g. ``[Dense(2, 8, "relu"), Dense(8, 1, "sigmoid")]``;
        more can be appended with :meth:`add`.
    seed : int, optional
        Seeds the network's ``numpy.random.Generator``, the only source of randomness
        (initial weights, shuffling, dropout, validation splits). The same seed gives
        bit-identical results across runs and processes.
    dtype : {"float32", "float64"}, default "float32"
        Inputs are converted to it once; nothing is upcast in forward or backward.

    Examples
    --------
    >>> import mlpkit
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "relu"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> net.predict([[0.0, 1.0]]).shape
    (1, 2)
    """

    def __init__(
        self,
        layers: Iterable[Layer] = (),
        seed: int | None = None,
        dtype: str | np.dtype = "float32",
    ) -> None:
        self.dtype = check_dtype(dtype)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.layers: list[Layer] = []
        #: input and output widths (None until a layer that declares its input width,
        #: Dense or a normalisation layer, is in the model)
        self.n_features_in: int | None = None
        self.n_outputs: int | None = None
        #: the mode ``forward`` runs in when not told: ``model.train()`` / ``model.eval()``
        self.training = False
        #: loss, optimizer, counters and history, kept between fit() calls so training
        #: resumes where it stopped (see training.TrainingState)
        self.train_state = training.TrainingState()
        #: free-form JSON-able facts saved with the model (the CLI keeps its feature
        #: names, scaler and label classes here)
        self.metadata: dict[str, Any] = {}
        #: the array library (namespace) and device the parameters live on: NumPy on the
        #: host until ``to`` or a fit on another library's arrays moves them
        self.xp: Any = np
        self.device: Any = None
        self._rows_forward: int | None = None
        #: ids of the layers in ``layers`` (a layer object may appear once)
        self._layer_ids: set[int] = set()
        layers = list(layers)
        dense = [layer for layer in layers if isinstance(layer, Dense)]
        if dense and any(d.built for d in dense) and not all(d.built for d in dense):
            raise ValueError(
                "mix of built and unbuilt Dense layers; use fresh layers or all built ones"
            )
        for layer in layers:
            self._append(layer)

    def add(self, layer: Layer) -> Sequential:
        """Append a layer and return the model, so calls chain.

        Layers before the first one that declares its input width (Dense, BatchNorm,
        LayerNorm) are built when it arrives. A trained model keeps its trained layers, and
        the optimizer starts fresh state for the new parameters.

        Parameters
        ----------
        layer : Layer
            Built against the current output width.

        Returns
        -------
        Sequential
            The model itself.
        """
        self._append(layer)
        return self

    def _append(self, layer: Layer) -> None:
        i = len(self.layers)
        if not isinstance(layer, Layer):
            raise TypeError(
                f"layer {i} is {type(layer).__name__}, not an mlpkit layer "
                "(use Dense, an activation layer such as ReLU(), Dropout, BatchNorm, ...)"
            )
        if id(layer) in self._layer_ids:
            raise ValueError("the same layer object appears twice; create a new layer for each use")
        self.layers.append(layer)
        self._layer_ids.add(id(layer))
        if self.n_outputs is None:
            width = _declared_width(layer)
            if width is None:
                return  # built once a layer that knows its input width arrives
            self.n_features_in = self.n_outputs = width
            for j, pending in enumerate(self.layers):
                self._build(j, pending)
        else:
            self._build(i, layer)

    def _build(self, i: int, layer: Layer) -> None:
        """Build ``layer`` (index i) on the current output width, or, when it already
        belongs to another network (an autoencoder's encoder and decoder share its
        layers), check that it fits."""
        width = self.n_outputs
        if layer.built:
            if layer.in_features != width:
                raise ValueError(
                    f"layer {i}: {layer!r} expects {layer.in_features} inputs, gets {width}"
                )
            if layer.dtype != self.dtype:
                raise ValueError(f"layer {i} is {layer.dtype.name}, the network {self.dtype.name}")
            self.n_outputs = layer.out_features
            return
        assert width is not None  # (the caller built the layers that declare it first)
        try:
            self.n_outputs = int(layer.build(width, self.rng, self.dtype))
        except ValueError as exc:
            raise ValueError(f"layer {i}: {exc}") from None
        if self.xp is not np:
            layer.to(self.xp, self.device)

    # -- where the parameters live ------------------------------------------------------
    def to(self, namespace_or_name: Any, device: Any = None) -> Sequential:
        """Move the parameters, buffers and optimizer state to an array library.

        Initial weights are always drawn on the host, so a seed gives the same model
        everywhere; ``fit`` on another library's arrays moves the model itself.

        Parameters
        ----------
        namespace_or_name : str, module or array
            "numpy", "torch", "cupy", "array_api_strict", the module itself, or an array of
            it.
        device : object, optional
            The device there (the library's default when None), as PyTorch's ``.to``.

        Returns
        -------
        Sequential
            The model itself.
        """
        xp = namespace(namespace_or_name)
        if name_of(xp) == "jax":
            raise ValueError(
                "JAX arrays are immutable and mlpkit updates its parameters in place (the "
                "packed vector and its views); train on NumPy, PyTorch or CuPy arrays"
            )
        if xp is np:
            device = None
        else:  # the library's own device object ("cuda" -> device(type='cuda', index=0))
            probe = xp.asarray([0.0]) if device is None else xp.asarray([0.0], device=device)
            device = device_of(probe)
        for layer in self.layers:
            layer.to(xp, device)
        state = self.train_state
        state.pack = None
        if state.optimizer is not None:
            state.optimizer.to(xp, device)
        self.xp, self.device = xp, device
        self._rows_forward = None
        return self

    def __getstate__(self) -> dict[str, Any]:
        # the namespace is a module: pickled and deep-copied by its library's name
        state = dict(self.__dict__)
        state["xp"] = name_of(self.xp)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["xp"] = namespace(state["xp"])
        self.__dict__.update(state)

    def follow(self, x: Any) -> None:
        """Move to ``x``'s array library and device if the model is elsewhere.

        Fit's rule: the parameters follow the data.

        Parameters
        ----------
        x : array
            The data.
        """
        if type(x) is np.ndarray and self.xp is np:
            return
        xp = namespace_of(x)
        device = device_of(x) if xp is not np else None
        if xp is not self.xp or device != self.device:
            self.to(xp, device)

    def on_device(self, a: Any) -> Any:
        """A host array (or None) moved to the model's library and device.

        Parameters
        ----------
        a : ndarray or None
            The host array.

        Returns
        -------
        array or None
            The array there.
        """
        if a is None or self.xp is np:
            return a
        return asarray(a, self.xp, self.device)

    def on_host(self) -> Sequential:
        """The model itself if it is on NumPy, else a NumPy copy.

        What the trace table, gradcheck, plots and ONNX export read.

        Returns
        -------
        Sequential
            A model on the host.
        """
        return self if self.xp is np else self.copy().to("numpy")

    @property
    def backend(self) -> str:
        """The parameters' array library: "numpy", "torch", "cupy", ..."""
        return name_of(self.xp)

    def train(self, mode: bool = True) -> Sequential:
        """Run ``forward`` in training mode when it is not told otherwise.

        Training mode turns dropout, noise and BatchNorm's batch statistics on, as PyTorch's
        ``module.train()``.

        Parameters
        ----------
        mode : bool, default True
            False is :meth:`eval`.

        Returns
        -------
        Sequential
            The model itself.
        """
        self.training = bool(mode)
        return self

    def eval(self) -> Sequential:
        """Run ``forward`` in inference mode when not told otherwise (the default).

        Returns
        -------
        Sequential
            The model itself.
        """
        return self.train(False)

    loss = _TrainingAttribute("loss", "The loss of the last fit (None before).")
    optimizer = _TrainingAttribute("optimizer", "The optimizer of the last fit, with its state.")
    metrics = _TrainingAttribute("metrics", "The metric names of the last fit.")
    history = _TrainingAttribute("history", "The History of the last fit.")
    epochs_trained = _TrainingAttribute("epochs", "Epochs trained over all fit calls.")
    steps_trained = _TrainingAttribute("steps", "Optimizer steps over all fit calls.")
    stop_training = _TrainingAttribute("stop", "Set by a callback to end fit after this epoch.")

    # -- computation ------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool | None = None) -> np.ndarray:
        """The output for a batch, caching what :meth:`backward` needs.

        Parameters
        ----------
        x : ndarray of shape (N, n_features_in)
            The batch.
        training : bool, optional
            True turns dropout, noise and batch statistics on; None follows the model's mode
            (:meth:`train` / :meth:`eval`, inference by default).

        Returns
        -------
        ndarray of shape (N, n_outputs)
            The output layer's activations.
        """
        training = self.training if training is None else training
        h = self.check_input(x)
        self._rows_forward = h.shape[0]
        for layer in self.layers:
            h = layer.forward(h, training)
        return h

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Backpropagate ``dL/d(output)`` through every layer, filling their gradients.

        Parameters
        ----------
        dy : ndarray of shape (N, n_outputs)
            The loss's gradient with respect to the last :meth:`forward`'s output.

        Returns
        -------
        ndarray of shape (N, n_features_in)
            dL/dX. The layers' gradients (:meth:`gradients`) include regularisation.
        """
        if self._rows_forward is None:
            raise RuntimeError("backward() needs a forward() first")
        d = np.asarray(dy, dtype=self.dtype) if self.xp is np else self._on_model_library(dy)
        expected = (self._rows_forward, self.n_outputs)
        if d.shape != expected:
            raise ValueError(f"backward: dY has shape {d.shape}, expected {expected}")
        for layer in reversed(self.layers):
            d = cast(np.ndarray, layer.backward(d, True))  # (need_input_grad: never None)
        return d

    # -- the output head and the loss ---------------------------------------------------
    def head(self, loss: str | losses_mod.Loss | None = None, fused: bool = True) -> OutputHead:
        """The output activation paired with a loss: the fused gradient's owner.

        Parameters
        ----------
        loss : str or Loss, optional
            Default: the last fit's loss, else the output activation's default.
        fused : bool, default True
            Use the pair's fused gradient (ŷ − y)/N where it has one.

        Returns
        -------
        OutputHead
            The head.
        """
        return OutputHead(self.output_activation_fn, loss if loss is not None else self.loss, fused)

    def loss_and_gradients(
        self,
        x: np.ndarray,
        t: np.ndarray,
        head: OutputHead,
        sample_weight: np.ndarray | None = None,
        training: bool = True,
        need_input_grad: bool = False,
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """One forward and backward pass over a batch: fills :meth:`gradients`.

        Regularisation is in the gradients; add :meth:`penalty` to L for the full objective.

        Parameters
        ----------
        x : array of shape (N, n_features_in)
            As :meth:`check_input` returns it.
        t : array
            Targets as ``head.prepare_targets`` returns them.
        head : OutputHead
            ``model.head(loss)``.
        sample_weight : array of shape (N,), optional
            A weight per row.
        training : bool, default True
            Dropout and noise on.
        need_input_grad : bool, default False
            Also return dL/dX.

        Returns
        -------
        tuple
            (L without the penalty, the output pre-activation Z (N, n_outputs), dL/dX
            (N, n_features_in) or None).
        """
        body, dense = self._output_split()
        self._rows_forward = x.shape[0]
        h = x
        for layer in body:
            h = layer.forward(h, training)
        z = dense.forward_affine(h) if dense is not None else h
        value, d = head.value_and_grad(z, t, sample_weight)
        if dense is not None:
            d = dense.backward_affine(d, need_input_grad or bool(body))
        for i in range(len(body) - 1, -1, -1):
            d = body[i].backward(d, need_input_grad or i > 0)
        return value, z, d

    def clear_cache(self) -> None:
        """Drop the arrays layers keep for backward (e.g. after training a large set)."""
        for layer in self.layers:
            layer.clear_cache()
        self._rows_forward = None

    # -- training (the training package) -------------------------------------------------
    fit = training.fit
    evaluate = training.evaluate

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model and its training state to ``path``, as :func:`mlpkit.save`.

        Parameters
        ----------
        path : str or PathLike
            The file written, atomically; :func:`mlpkit.load` reads it back.

        Returns
        -------
        Path
            The path written.
        """
        return fileformat.save(self, path)

    # -- copies and description ---------------------------------------------------------
    def copy(self) -> Sequential:
        """An independent deep copy: weights, optimizer state and generator included.

        Returns
        -------
        Sequential
            The copy.
        """
        self.clear_cache()
        return copy.deepcopy(self)

    def astype(self, dtype: str | np.dtype) -> Sequential:
        """A copy whose parameters and computations use another dtype.

        Parameters
        ----------
        dtype : {"float32", "float64"}
            The copy's dtype.

        Returns
        -------
        Sequential
            The copy.
        """
        dt = check_dtype(dtype)
        new = self.copy()
        new.dtype = dt
        for layer in new.layers:
            layer.cast(dt)
        new.train_state.optimizer = new.train_state.pack = None
        return new
