"""Sequential: a stack of layers run forward in order and backward in reverse.

``forward(X)`` runs every layer's forward (each caches what its backward needs);
``backward(dY)`` runs the chain rule from the output back to the input, layer by
layer (Chapter 1's Theorem 1.5.1, the backpropagation handout's recursion), filling every parameter's
gradient; ``gradients()`` lines up with ``get_weights()``:
``[W1, b1, W2, b2, ...]`` with W of shape (in, out) and b of shape (out,).
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from . import activations as act
from . import fileformat, training
from . import layers as layers_mod
from . import losses as losses_mod
from ._backend import asarray, device_of, name_of, namespace, namespace_of, to_numpy
from ._validation import as_2d_float, check_dtype, is_dask
from .heads import OutputHead
from .layers import ActivationLayer, Dense, Dropout, Layer

__all__ = ["Sequential"]

#: the layer and activation classes whose inference ``call`` also takes one row as a 1-D
#: vector (mlpkit's own; a user-defined one may assume 2-D), for the single-row predict
_ROW_SAFE = layers_mod.BUILT_IN | act.BUILT_IN | {type(None)}

#: rows per chunk in predict(): bounds memory for any N while keeping BLAS efficient
PREDICT_BATCH = 4096


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


class Sequential:
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

    # -- structure --------------------------------------------------------------------
    @property
    def output_activation(self) -> str:
        """Name of the activation producing the network's output ("identity" if none)."""
        return self.output_activation_fn.name

    def parameters(self) -> list[np.ndarray]:
        """The live parameter arrays (not copies).

        Returns
        -------
        list of array
            [W1, b1, W2, b2, ...].
        """
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self) -> list[np.ndarray]:
        """The gradients from the last backward.

        Returns
        -------
        list of array
            Aligned with :meth:`parameters` and :meth:`get_weights`.
        """
        return [g for layer in self.layers for g in layer.gradients()]

    def parameter_names(self) -> list[str]:
        """Labels such as "layer0.W", aligned with :meth:`parameters`.

        Returns
        -------
        list of str
            The names.
        """
        return [f"layer{i}.{n}" for i, layer in enumerate(self.layers) for n in layer.param_names]

    def named_parameters(self) -> dict[str, np.ndarray]:
        """The live parameter arrays by name, in order.

        Returns
        -------
        dict of str to array
            ``{"layer0.W": W1, "layer0.b": b1, ...}``.
        """
        return dict(zip(self.parameter_names(), self.parameters(), strict=True))

    def named_buffers(self) -> dict[str, np.ndarray]:
        """The live state arrays that are not trained, by name (saved with the model).

        Returns
        -------
        dict of str to array
            ``{"layer1.running_mean": ..., ...}`` (BatchNorm's running statistics).
        """
        return {
            f"layer{i}.{n}": b
            for i, layer in enumerate(self.layers)
            for n, b in zip(layer.buffer_names, layer.buffers(), strict=True)
        }

    def snapshot(self) -> list[np.ndarray]:
        """Copies of every parameter and buffer: what :meth:`restore` puts back.

        Returns
        -------
        list of array
            The copies (early stopping's best weights).
        """
        arrays = (*self.parameters(), *self.named_buffers().values())
        if self.xp is not np:
            return [self.xp.asarray(a, copy=True) for a in arrays]
        return [a.copy() for a in arrays]

    def restore(self, snapshot: Sequence[np.ndarray]) -> None:
        """Put back the arrays of a :meth:`snapshot` of this model.

        Parameters
        ----------
        snapshot : list of array
            What :meth:`snapshot` returned.
        """
        live = [*self.parameters(), *self.named_buffers().values()]
        if len(live) != len(snapshot) or any(
            a.shape != b.shape for a, b in zip(live, snapshot, strict=True)
        ):
            raise ValueError("restore() needs a snapshot() of this same model")
        for a, b in zip(live, snapshot, strict=True):
            a[...] = b

    def count_params(self) -> int:
        return sum(math.prod(p.shape) for p in self.parameters())

    def gradient_norms(self) -> dict[int, float]:
        """The L2 norm of each layer's gradients from the last backward.

        Returns
        -------
        dict of int to float
            By layer index, for every layer with parameters.
        """
        if self.xp is not np:
            xp = self.xp
            return {
                i: math.sqrt(sum(float(xp.sum(g * g)) for g in layer.gradients()))
                for i, layer in enumerate(self.layers)
                if layer.param_names
            }
        return {
            i: math.sqrt(sum(float(np.vdot(g, g)) for g in layer.gradients()))
            for i, layer in enumerate(self.layers)
            if layer.param_names
        }

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the parameters as host NumPy arrays.

        Returns
        -------
        list of ndarray
            ``[W1 (in, out), b1 (out,), W2, b2, ...]``, BatchNorm's gamma and beta in place.
        """
        return [np.array(to_numpy(p), copy=True) for p in self.parameters()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy arrays into the network's parameters.

        Parameters
        ----------
        weights : sequence of ndarray
            The same order and shapes as :meth:`get_weights` returns.

        Raises
        ------
        ValueError
            A count or a shape that does not match, naming the parameter.
        """
        params = self.parameters()
        names = self.parameter_names()
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f"set_weights got {len(weights)} arrays but the network has {len(params)} "
                f"({', '.join(names)})"
            )
        checked = []
        for i, (p, w, name) in enumerate(zip(params, weights, names, strict=True)):
            a = np.asarray(to_numpy(w))
            if a.dtype.kind not in "iuf":
                raise ValueError(
                    f"set_weights: array {i} ({name}) is not numeric (dtype {a.dtype})"
                )
            if a.shape != p.shape:
                raise ValueError(
                    f"set_weights: array {i} ({name}) has shape {a.shape}, expected {p.shape}"
                )
            if not np.all(np.isfinite(a)):
                raise ValueError(f"set_weights: array {i} ({name}) contains NaN or inf")
            checked.append(a)
        for p, a in zip(params, checked, strict=True):
            if self.xp is np:
                np.copyto(p, a, casting="unsafe")
            else:
                p[...] = asarray(a, self.xp, self.device, dtype=self.dtype)

    def penalty(self) -> float:
        """The sum of the layers' regularisation penalties (added to the training loss).

        Returns
        -------
        float
            Σ R(W).
        """
        return sum(layer.penalty() for layer in self.layers)

    # -- computation ------------------------------------------------------------------
    def check_input(self, x: object, what: str = "X") -> np.ndarray:
        """X as a finite (N, n_features_in) array of the model's dtype, library and device.

        Another library's X is moved there through the host.

        Parameters
        ----------
        x : array-like
            The inputs.
        what : str, default "X"
            How the message names it.

        Returns
        -------
        array of shape (N, n_features_in)
            The checked inputs.

        Raises
        ------
        ValueError
            A wrong shape, a non-numeric or non-finite value, named.
        """
        self._check_complete()
        if self.xp is not np or type(x) is not np.ndarray:
            x = self._on_model_library(x)
        a = as_2d_float(x, self.dtype, what)
        if not isinstance(a, np.ndarray) and not isinstance(self.layers[0], Dense):
            raise ValueError(
                f"a sparse {what} needs a Dense first layer (the one layer that multiplies it "
                f"without densifying it); this model starts with {self.layers[0]!r}"
            )
        if a.shape[1] != self.n_features_in:
            first = next(i for i, layer in enumerate(self.layers) if isinstance(layer, Dense))
            raise ValueError(
                f"layer {first} ({self.layers[first]!r}) expects {self.n_features_in} input "
                f"features, got {what} with {a.shape[1]} (shape {a.shape})"
            )
        return a

    def _on_model_library(self, x: Any) -> Any:
        xp = namespace_of(x)
        if xp is self.xp and (xp is np or device_of(x) == self.device):
            return x
        if self.xp is np:
            return to_numpy(x)
        return asarray(x, self.xp, self.device) if hasattr(x, "shape") else x

    def output_width(self) -> int:
        """n_outputs of a model that can run.

        Returns
        -------
        int
            The last layer's width.

        Raises
        ------
        ValueError
            The model cannot run yet, naming the fix.
        """
        self._check_complete()
        return cast(int, self.n_outputs)

    def _check_complete(self) -> None:
        if self.n_features_in is None:
            raise ValueError(
                "Sequential needs at least one layer that knows its input width (Dense, "
                "BatchNorm or LayerNorm) before it can run; add one with model.add(...)"
            )

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
    @property
    def output_activation_fn(self) -> act.Activation:
        """The Activation producing the network's output (identity if none)."""
        last = self.layers[-1] if self.layers else None
        return last.activation if isinstance(last, Dense | ActivationLayer) else act.Identity()

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

    def _output_split(self) -> tuple[list[Layer], Dense | None]:
        """The layers run in full before the head, and the output Dense whose affine half
        alone runs (None when the last layer is an activation layer or parameter-free)."""
        last = self.layers[-1]
        if isinstance(last, Dense):
            return self.layers[:-1], last
        if isinstance(last, ActivationLayer):
            return self.layers[:-1], None
        return self.layers, None

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

    def logits(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """The output pre-activation Z, in chunks like :meth:`predict`; caches nothing.

        ``head.outputs(Z)`` is ``predict(X)``.

        Parameters
        ----------
        x : array of shape (N, n_features_in)
            The inputs.
        batch_size : int, optional
            Rows at a time (default 4096).

        Returns
        -------
        array of shape (N, n_outputs)
            Z.
        """
        a = self.check_input(x)
        body, dense = self._output_split()

        def run(h: np.ndarray) -> np.ndarray:
            for layer in body:
                h = layer.call(h)
            return dense._affine(h) if dense is not None else h

        step = PREDICT_BATCH if batch_size is None else int(batch_size)
        if a.shape[0] <= step:
            return run(a)
        chunks = [run(a[i : i + step]) for i in range(0, a.shape[0], step)]
        return np.concatenate(chunks) if self.xp is np else self.xp.concat(chunks)

    def predict(
        self, x: np.ndarray, batch_size: int | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """The network's outputs for ``x``, in inference mode.

        Runs in chunks of ``batch_size`` rows so memory stays bounded for any N; caches
        nothing and leaves dropout off.

        Parameters
        ----------
        x : array of shape (N, n_features_in)
            NumPy, a memmap, another array library's array (the answer is of its kind) or a
            Dask array (the answer is a lazy Dask array).
        batch_size : int, optional
            Rows computed at a time (default 4096): bounds memory, not the result.
        out : ndarray of shape (N, n_outputs), optional
            An array (a writable memmap, say) the chunks are written into.

        Returns
        -------
        array of shape (N, n_outputs)
            ``out`` when given.
        """
        if is_dask(x):
            return cast("np.ndarray", self._predict_dask(x))
        if self.xp is not np or type(x) is not np.ndarray:
            kind = namespace_of(x)
            if kind is not self.xp or self.xp is not np:
                return cast("np.ndarray", self._predict_elsewhere(x, kind, batch_size, out))
        a = self.check_input(x)
        step = PREDICT_BATCH if batch_size is None else int(batch_size)
        if step < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if out is not None and (out.shape != (a.shape[0], self.n_outputs)):
            raise ValueError(
                f"predict: out has shape {out.shape}, expected {(a.shape[0], self.n_outputs)}"
            )
        if out is None and a.shape[0] == 1 and isinstance(a, np.ndarray) and self._built_in_only():
            # one row as a 1-D vector: matrix-vector products and no 2-D broadcasting,
            # ~4 µs off a ~20 µs single-row predict (measured, 20-64-64-2 net)
            return self._call(a[0]).reshape(1, -1)
        if out is None and a.shape[0] <= step:
            return self._call(a)
        if out is None:
            out = np.empty((a.shape[0], self.output_width()), dtype=self.dtype)
        for start in range(0, a.shape[0], step):
            out[start : start + step] = self._call(a[start : start + step])
        return out

    def _predict_elsewhere(self, x: Any, kind: Any, batch_size: int | None, out: Any) -> Any:
        """predict for a model or an X of another array library: computed where the
        parameters live, returned as X's kind (a NumPy X gets NumPy outputs)."""
        a = self.check_input(x)
        step = PREDICT_BATCH if batch_size is None else int(batch_size)
        if step < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if a.shape[0] <= step:
            y = self._call(a)
        else:
            y = self.xp.concat([self._call(a[i : i + step]) for i in range(0, a.shape[0], step)])
        if kind is not self.xp:
            y = to_numpy(y) if kind is np else asarray(y, kind, device_of(x))
        if out is not None:
            out[...] = y
            return out
        return y

    def _predict_dask(self, x: Any) -> Any:
        """A lazy Dask array of outputs, one block per block of rows of X."""
        if x.ndim != 2 or x.shape[1] != self.n_features_in:
            raise ValueError(f"X has shape {x.shape}; the model expects (N, {self.n_features_in})")
        rows = x.rechunk({1: -1})
        return rows.map_blocks(
            self.predict, chunks=(rows.chunks[0], (self.n_outputs,)), dtype=self.dtype
        )

    def _built_in_only(self) -> bool:
        """Every layer and activation is mlpkit's own, whose ``call`` also takes one row
        as a 1-D vector (a user-defined layer may assume 2-D)."""
        for layer in self.layers:
            if (
                type(layer) not in _ROW_SAFE
                or type(getattr(layer, "activation", None)) not in _ROW_SAFE
            ):
                return False
        return True

    def _call(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.call(x)
        return x

    __call__ = predict

    def predict_proba(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Class probabilities, as scikit-learn's ``predict_proba``.

        Parameters
        ----------
        x : array of shape (N, n_features_in)
            The inputs.
        batch_size : int, optional
            Rows computed at a time (default 4096).

        Returns
        -------
        ndarray
            A softmax output's (N, C); one sigmoid unit's [1 − p, p] as (N, 2); several
            sigmoid units' per-label p as (N, L) (multilabel).
        """
        name = self.output_activation
        if name not in ("softmax", "sigmoid"):
            raise ValueError(
                f"predict_proba needs a softmax or sigmoid output layer; this one is {name}"
            )
        p = self.predict(x, batch_size)
        if name == "sigmoid" and p.shape[1] == 1:
            return (
                np.hstack([1.0 - p, p])
                if isinstance(p, np.ndarray)
                else namespace_of(p).concat([1.0 - p, p], axis=1)
            )
        return p

    def predict_classes(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Class indices: the argmax of several outputs, output ≥ 0.5 for one sigmoid unit.

        Parameters
        ----------
        x : array of shape (N, n_features_in)
            The inputs.
        batch_size : int, optional
            Rows computed at a time (default 4096).

        Returns
        -------
        ndarray of shape (N,)
            Integer class indices.
        """
        y = self.predict(x, batch_size)
        if not isinstance(y, np.ndarray):
            xp = namespace_of(y)
            if y.shape[1] == 1:
                threshold = 0.0 if self.output_activation == "identity" else 0.5
                return xp.astype(y[:, 0] >= threshold, xp.int64)
            return xp.argmax(y, axis=1)
        if y.shape[1] == 1:
            threshold = 0.0 if self.output_activation == "identity" else 0.5
            return (y[:, 0] >= threshold).astype(np.int64)
        return cast("np.ndarray", np.argmax(y, axis=1))

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

    def describe_layers(self) -> list[dict[str, Any]]:
        """One row per layer: kind, activation, input/W/b/output shapes, parameter count.

        Returns
        -------
        list of dict
            What :meth:`summary` prints.
        """
        rows = []
        width = self.n_features_in
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dense):
                label = f"Dense({layer.activation.name})"
                w = str(tuple(layer.W.shape))
                b = str(tuple(layer.b.shape)) if layer.bias else "-"
            elif isinstance(layer, Dropout):
                label, w, b = f"Dropout({layer.rate:g})", "-", "-"
            else:
                label, w, b = type(layer).__name__, "-", "-"
            out = layer.out_features
            n = sum(math.prod(p.shape) for p in layer.parameters())
            rows.append(
                {
                    "index": i,
                    "layer": label,
                    "input": f"(N, {width})",
                    "W": w,
                    "b": b,
                    "output": f"(N, {out})",
                    "params": n,
                }
            )
            width = out
        return rows

    def summary(self, print_fn: Callable[[str], None] = print) -> None:
        """Print every layer's input, weight, bias and output shapes and the parameter count.

        Keras's contract: it returns None; the text is ``str(model)``.

        Parameters
        ----------
        print_fn : callable, default print
            Called once with the whole table.
        """
        print_fn(self._summary_text())

    def __str__(self) -> str:
        return self._summary_text()

    def _summary_text(self) -> str:
        rows = self.describe_layers()
        head = {
            "index": "#",
            "layer": "layer",
            "input": "input",
            "W": "W",
            "b": "b",
            "output": "output",
            "params": "params",
        }
        cols = list(head)
        table = [head] + [{k: str(v) for k, v in r.items()} for r in rows]
        widths = {c: max(len(r[c]) for r in table) for c in cols}
        lines = [f"Sequential ({self.dtype.name}, seed={self.seed})"]
        for j, r in enumerate(table):
            cells = [
                r[c].rjust(widths[c]) if c in ("index", "params") else r[c].ljust(widths[c])
                for c in cols
            ]
            lines.append("  ".join(cells).rstrip())
            if j == 0:
                lines.append("-" * len(lines[-1]))
        lines.append(f"total parameters: {self.count_params():,}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The summary as an HTML table (how Jupyter shows a model)."""
        from ._html import table

        cols = ["index", "layer", "input", "W", "b", "output", "params"]
        rows = [[r[c] for c in cols] for r in self.describe_layers()]
        return table(["#", "layer", "input", "W", "b", "output", "params"], rows,
                     caption=f"Sequential ({self.dtype.name}, seed={self.seed})",
                     footer=f"total parameters: {self.count_params():,}",
                     numeric=[True, False, False, False, False, False, True])  # fmt: skip

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], seed={self.seed}, dtype={self.dtype.name!r})"
