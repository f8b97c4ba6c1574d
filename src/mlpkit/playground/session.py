"""One playground page's state: its data, its network and how it has been trained.

A :class:`Session` is what the server holds per browser page, and it can be used
without one (the tests do): ``configure`` with the page's settings, ``train`` whole
epochs or ``step`` one batch through the real ``Sequential.fit``, then ``state`` for
what the page draws (loss curves, per-layer gradient norms, weights, the decision
boundary or fitted curve), ``trace`` for the chain-rule table of one point, and
``model_bytes`` / ``python_code`` for the exports. Every method holds the session's
lock, so the server may train in a worker thread while the page asks for a trace.
"""

from __future__ import annotations

import base64
import math
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..callbacks import TerminateOnNaN
from ..layers import Dense, InputFeatures
from ..trace import trace as trace_model
from .recipe import build_network, build_optimizer, make_data, python_code
from .settings import LIMITS, Settings, SettingsError, shown, validate

__all__ = ["Session", "SessionError"]

#: points kept per curve; older ones are thinned (every other one dropped) past this
CURVE_POINTS = 600
#: training threads running at once across every page of the server: one a core (the
#: ticks take turns, epoch by epoch, so no page waits for another's whole tick)
TRAINING_THREADS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


class SessionError(ValueError):
    """A request the session cannot carry out (the message says why and what to do).

    Examples
    --------
    >>> from mlpkit.playground import SessionError
    >>> issubclass(SessionError, ValueError)
    True
    """


def _floats(a: np.ndarray | None) -> Any:
    return None if a is None else np.asarray(a, dtype=np.float64).tolist()


def json_ready(value: Any) -> Any:
    """``value`` with NaN and inf (a diverged network's) as None, which JSON carries."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    return value


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """A message for the page, JSON-ready (``json_ready``)."""
    return cast(dict[str, Any], json_ready(message))


class _Curves:
    """Values over epochs, thinned to at most CURVE_POINTS so a long run stays small."""

    def __init__(self, names: list[str]) -> None:
        self.epoch: list[float] = []
        self.values: dict[str, list[float | None]] = {n: [] for n in names}

    def add(self, epoch: float, **values: float | None) -> None:
        self.epoch.append(epoch)
        for name, v in values.items():
            self.values[name].append(v)
        if len(self.epoch) > CURVE_POINTS:
            keep = slice(None, None, 2)
            self.epoch = self.epoch[keep]
            self.values = {n: v[keep] for n, v in self.values.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, **self.values}


class LiveTraining:
    """What a page's session does in either mode: settings changed while it trains (the
    ``LIVE`` ones) or by a restart, and training one epoch at a time between which the
    page may cancel, a deadline may pass and other pages take their turn. A subclass
    has ``lock``, ``cancelled``, ``settings``, ``epochs``, ``runs`` and ``optimizer``,
    and says how to validate settings, restart, train an epoch and record the state."""

    lock: threading.RLock
    cancelled: threading.Event
    settings: Any
    epochs: int
    runs: list[tuple[int, int | None, float]]
    optimizer: Any

    def _validate(self, raw: Any, base: Any) -> Any:
        raise NotImplementedError

    def restart(self, settings: Any = None) -> None:
        raise NotImplementedError

    def _train_epoch(self) -> tuple[bool, int | None]:
        """One epoch; (whether it trained, the batch size it used)."""
        raise NotImplementedError

    def _record(self) -> None:
        raise NotImplementedError

    def _check_trainable(self) -> None:
        """A SessionError when training cannot start (the network diverged)."""

    def _after_training(self) -> None:
        """A SessionError when the epochs just trained ended badly (a non-finite loss)."""

    def configure(self, raw: Any) -> bool:
        """Apply the page's settings (a JSON object; names not given are kept). The live
        ones change while training; anything else restarts. Returns whether it
        restarted. Raises SettingsError."""
        with self.lock:
            new = self._validate(raw, self.settings)
            restart: bool = self.settings.needs_restart(new)
            if restart:
                self.restart(new)
            else:
                self.settings = new
                self.optimizer.lr = new.lr
            return restart

    def train(self, epochs: int | None = None, deadline: float | None = None) -> int:
        """Train ``epochs`` (default: the settings' epochs per tick) whole epochs, one
        ``fit(epochs=1)`` at a time (the same bits as one fit of them all). Between
        epochs the lock is let go, the page's cancellation (``cancel``) and ``deadline``
        (a ``time.monotonic()`` value) are honoured, and the server-wide budget of
        training threads (one a core) is taken in turns, so a closed or busy page never
        starves another. Returns the epochs trained so far."""
        with self.lock:
            k = self.settings.epochs_per_tick if epochs is None else int(epochs)
            k = min(k, LIMITS["total_epochs"] - self.epochs)
            if k <= 0:
                raise SessionError(
                    f"this network has trained the limit of {LIMITS['total_epochs']} epochs; reset it"
                )
            self._check_trainable()
        done = 0
        while done < k and not self.cancelled.is_set():
            if done and deadline is not None and time.monotonic() >= deadline:
                break
            with TRAINING_THREADS, self.lock:
                trained, bs = self._train_epoch()
                done += 1
                if not trained:
                    break
                self.epochs += 1
                lr = self.settings.lr
                if self.runs and self.runs[-1][1:] == (bs, lr):
                    self.runs[-1] = (self.runs[-1][0] + 1, bs, lr)
                else:
                    self.runs.append((1, bs, lr))
        with self.lock:
            self._record()
            self._after_training()
            return self.epochs

    def cancel(self) -> None:
        """Stop any training of this session at its next epoch (the page closed)."""
        self.cancelled.set()


class Session(LiveTraining):
    """The data, network and training of one page (see the module docstring).

    Parameters
    ----------
    settings : Settings, optional
        Default: :class:`Settings`'s.

    Examples
    --------
    >>> from mlpkit.playground import Session, validate
    >>> session = Session(validate({"dataset": "xor", "points": 100}))
    >>> session.step()
    >>> sorted(session.state())[:3]
    ['diverged', 'epoch', 'epochs']
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.lock = threading.RLock()
        #: set when the page is gone: training stops at its next epoch
        self.cancelled = threading.Event()
        self.extra_x = np.zeros((0, 2), dtype=np.float32)
        self.extra_y = np.zeros(0, dtype=np.int64)
        self.restart(settings or Settings())

    # -- set-up ---------------------------------------------------------------------
    def restart(self, settings: Settings | None = None) -> None:
        """Draw the data and a fresh network (same seed: the same initial weights).

        Parameters
        ----------
        settings : Settings, optional
            New settings (default: the current ones).
        """
        with self.lock:
            self.settings = settings or self.settings
            s = self.settings
            d, regression = s.input_dim, s.task == "regression"
            if self.extra_x.shape[1] != d or (self.extra_y.ndim == 2) != regression:
                # other data: the clicked points do not fit
                self.extra_x = np.zeros((0, d), dtype=np.float32)
                self.extra_y = np.zeros(
                    (0, 1) if regression else 0, dtype=np.float32 if regression else np.int64
                )
            self.data = make_data(s, self.extra_x, self.extra_y)
            self._bounds = self._view_bounds()  # the view moves only with the data
            self._inputs = self._view_inputs()
            self.model = build_network(s)
            self.optimizer = build_optimizer(s)
            self.epochs = 0
            self.single_steps = 0
            self._diverged = False
            self._guard: TerminateOnNaN | None = None  # the last fit's (it saw any NaN)
            self.runs: list[tuple[int, int | None, float]] = []
            self._step_rng = np.random.default_rng(s.seed)
            self._step_order = np.zeros(0, dtype=np.int64)
            self.loss_curves = _Curves(["train", "test"])
            self.grad_curves = _Curves([f"layer {i + 1}" for i in range(self.n_dense)])
            self._record(initial=True)

    @property
    def n_dense(self) -> int:
        return sum(isinstance(layer, Dense) for layer in self.model.layers)

    def _validate(self, raw: Any, base: Settings) -> Settings:
        return validate(raw, base)

    def add_point(self, x: Any, target: Any) -> None:
        """Add a training point: x [x1, x2] with a class label, or [x] or [x1, x2] with
        a target value (regression). The network restarts on the new data.

        Parameters
        ----------
        x : sequence of float
            [x1, x2], or [x] for the 1-D regression.
        target : int or float
            A class label, or a target value.
        """
        with self.lock:
            s = self.settings
            d = s.input_dim
            if len(self.extra_x) >= LIMITS["user_points"]:
                raise SessionError(
                    f"at most {LIMITS['user_points']} points can be added; clear them first"
                )
            point = self._point(x, d)
            if s.task == "regression":
                value = self._finite(target, "the point's target")
                self.extra_y = np.concatenate([self.extra_y, np.array([[value]], dtype=np.float32)])
            else:
                if isinstance(target, bool) or target not in range(s.n_classes):
                    raise SessionError(f"class must be 0–{s.n_classes - 1}, got {shown(target)}")
                self.extra_y = np.concatenate([self.extra_y, np.array([target], dtype=np.int64)])
            self.extra_x = np.concatenate([self.extra_x, point[None, :]])
            self.restart()

    def clear_points(self) -> None:
        with self.lock:
            self.extra_x = self.extra_x[:0]
            self.extra_y = self.extra_y[:0]
            self.restart()

    @staticmethod
    def _finite(v: Any, what: str) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise SessionError(f"{what} must be a finite number, got {shown(v)}")
        if abs(v) > 1e3:
            raise SessionError(f"{what} = {v} is out of bounds (−1000–1000)")
        return float(v)

    def _point(self, x: Any, d: int) -> np.ndarray:
        if not isinstance(x, list) or len(x) != d:
            raise SessionError(f"a point here has {d} coordinate(s), got {shown(x)}")
        return np.array([self._finite(v, "a coordinate") for v in x], dtype=np.float32)

    # -- training -------------------------------------------------------------------
    def _train_epoch(self) -> tuple[bool, int | None]:
        bs = self.settings.effective_batch_size
        self._fit(self.data.x_train, self.data.y_train, 1, bs, shuffle=True)
        return self._guard is not None and self._guard.diverged is None, bs

    def _check_trainable(self) -> None:
        if self.diverged:
            raise SessionError("the loss became inf or NaN: lower the learning rate and reset")

    def _after_training(self) -> None:
        self._raise_if_diverged()

    def step(self) -> None:
        """One batch of the settings' batch mode (full batch: one epoch). The batches
        cycle through a shuffled order drawn from the session's own generator, so the
        network's generator (and with it a later ``train``) is untouched."""
        with self.lock:
            bs = self.settings.effective_batch_size
            if bs is None:
                self.train(1)
                return
            n = len(self.data.x_train)
            if len(self._step_order) < bs:
                self._step_order = np.concatenate([self._step_order, self._step_rng.permutation(n)])
            rows, self._step_order = self._step_order[:bs], self._step_order[bs:]
            if self.diverged:
                raise SessionError("the loss became inf or NaN: lower the learning rate and reset")
            self._fit(self.data.x_train[rows], self.data.y_train[rows], 1, None, shuffle=False)
            self.single_steps += 1
            self._record()
            self._raise_if_diverged()

    def _fit(
        self, x: np.ndarray, y: np.ndarray, epochs: int, bs: int | None, shuffle: bool
    ) -> None:
        self._guard = TerminateOnNaN(raise_error=False)  # stops before a non-finite update
        self.model.fit(
            x, y, loss=self.settings.loss, optimizer=self.optimizer, epochs=epochs,
            batch_size=bs, shuffle=shuffle, verbose=0, callbacks=[self._guard],
        )  # fmt: skip

    def _raise_if_diverged(self) -> None:
        if self._guard is not None and self._guard.diverged is not None:
            self._diverged = True
            raise SessionError(
                f"the loss became {self._guard.loss} at epoch {self.epochs + 1}: training stopped "
                f"with the weights from before; lower the learning rate (now {self.settings.lr:g}) "
                "and reset"
            )

    @property
    def epoch_position(self) -> float:
        """Epochs trained, counting single steps as fractions of an epoch."""
        n = len(self.data.x_train)
        bs = self.settings.effective_batch_size or n
        return self.epochs + self.single_steps * min(bs, n) / n

    def _record(self, initial: bool = False) -> None:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged network overflows
            metrics = self._metrics()
        self.loss_curves.add(
            self.epoch_position, train=metrics["train_loss"], test=metrics["test_loss"]
        )
        if not initial:
            norms = list(self.model.gradient_norms().values())
            self.grad_curves.add(
                self.epoch_position, **{f"layer {i + 1}": v for i, v in enumerate(norms)}
            )
        self.metrics = metrics

    def _metrics(self) -> dict[str, float | None]:
        d = self.data
        extra = ["accuracy"] if self.settings.task == "classification" else []
        train = self.model.evaluate(d.x_train, d.y_train, loss=self.settings.loss, metrics=extra)
        test = self.model.evaluate(d.x_test, d.y_test, loss=self.settings.loss, metrics=extra)
        return {
            "train_loss": train["loss"],
            "test_loss": test["loss"],
            "train_accuracy": train.get("accuracy"),
            "test_accuracy": test.get("accuracy"),
        }

    @property
    def diverged(self) -> bool:
        """Whether training met a NaN or infinite loss (it stops there)."""
        return self._diverged or not math.isfinite(self.metrics["train_loss"] or 0.0)

    # -- what the page draws --------------------------------------------------------
    def bounds(self) -> list[float]:
        """The view around every point, with a 10% margin.

        Returns
        -------
        list of float
            [x_min, x_max, y_min, y_max].
        """
        return self._bounds

    def _view_bounds(self) -> list[float]:
        d = self.data
        x = np.concatenate([d.x_train, d.x_test])
        if self.settings.input_dim == 1:  # a curve: its values are the plot's height
            y = np.concatenate([d.y_train, d.y_test]).reshape(-1, 1)
            x = np.concatenate([x, y], axis=1)
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = np.maximum(0.1 * (hi - lo), 0.1)
        lo, hi = lo - pad, hi + pad
        return [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])]

    def data_message(self) -> dict[str, Any]:
        with self.lock:
            d, s = self.data, self.settings
            return {
                "type": "data",
                "task": s.task,
                "n_classes": s.n_classes,
                "bounds": self.bounds(),
                "train": {"x": _floats(d.x_train), "y": d.y_train.tolist()},
                "test": {"x": _floats(d.x_test), "y": d.y_test.tolist()},
                "added": len(self.extra_x),
                "settings": s.to_dict(),
            }

    def view(self) -> dict[str, Any]:
        """The decision boundary (probabilities of each class on a grid, row-major from
        the bottom-left, rows = y), the fitted surface (the prediction on that grid) or
        the fitted curve (200 x values and predictions).

        Returns
        -------
        dict
            JSON-ready.
        """
        if self.settings.input_dim == 1:
            xs = self._inputs
            return {
                "kind": "curve",
                "x": _floats(xs[:, 0]),
                "y": _floats(self.model.predict(xs)[:, 0]),
            }
        if self.settings.task == "regression":
            values = self.model.predict(self._inputs)[:, 0]
            return {"kind": "surface", "size": LIMITS["grid"],
                    "values": np.round(values.astype(np.float64), 4).tolist()}  # fmt: skip
        probs = self.model.predict(self._inputs)
        if probs.shape[1] == 1:
            probs = np.c_[1.0 - probs, probs]
        return {
            "kind": "grid",
            "size": LIMITS["grid"],
            "probs": np.round(probs.astype(np.float64), 4).tolist(),
        }

    def _view_inputs(self) -> np.ndarray:
        """Where the view asks the network: 200 x values (200, 1), or the grid's points
        (grid², 2) row-major from the bottom-left. Fixed until the data change."""
        if self.settings.input_dim == 1:
            x0, x1 = self._bounds[:2]
            return np.linspace(x0, x1, 200, dtype=np.float32).reshape(-1, 1)
        return self.grid(LIMITS["grid"])

    def grid(self, size: int) -> np.ndarray:
        """Points over the view, row-major from the bottom-left (rows = x₂).

        Parameters
        ----------
        size : int
            Points per axis.

        Returns
        -------
        ndarray
            (size², 2) float32; with one input, (size, 1) along x.
        """
        x0, x1, y0, y1 = self._bounds
        if self.settings.input_dim == 1:
            return np.linspace(x0, x1, size, dtype=np.float32).reshape(-1, 1)
        gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
        return np.asarray(np.c_[gx.ravel(), gy.ravel()], dtype=np.float32)

    def unit_pictures(self) -> list[dict[str, Any]]:
        """What every unit computes over the view: per diagram column (the inputs or
        their features, then each Dense layer's activations) the values of each unit on
        ``grid(LIMITS["unit_grid"])``, as (units, points) float32 in base64 (little-
        endian), with each unit's lowest and highest value.

        Returns
        -------
        list of dict
            One per diagram column.
        """
        h = self.grid(LIMITS["unit_grid"])
        columns = [] if isinstance(self.model.layers[0], InputFeatures) else [h]
        with np.errstate(over="ignore", invalid="ignore"):
            for layer in self.model.layers:
                h = layer.call(h)  # (Dropout, noise: the identity at inference)
                if isinstance(layer, InputFeatures | Dense):
                    columns.append(h)
        pictures = []
        for values in columns:
            v = np.nan_to_num(np.asarray(values, dtype="<f4").T, nan=0.0, posinf=0.0, neginf=0.0)
            pictures.append({"lo": _floats(v.min(axis=1)), "hi": _floats(v.max(axis=1)),
                             "values": base64.b64encode(np.ascontiguousarray(v).tobytes()).decode()})  # fmt: skip
        return pictures

    def network(self) -> dict[str, Any]:
        dense = [layer for layer in self.model.layers if isinstance(layer, Dense)]
        return {
            "inputs": list(self.settings.features),
            "widths": [dense[0].in_features] + [layer.out_features for layer in dense],
            "activations": [layer.activation.name for layer in dense],
            "W": [_floats(layer.W) for layer in dense],
            "b": [_floats(layer.b) for layer in dense],
        }

    def state(self) -> dict[str, Any]:
        """Everything the page redraws after training (JSON-ready: a diverged network's
        NaN and inf are None).

        Returns
        -------
        dict
            JSON-ready.
        """
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            return _message(
                {
                    "type": "state",
                    "epoch": self.epoch_position,
                    "epochs": self.epochs,
                    "steps": int(self.model.steps_trained),
                    "single_steps": self.single_steps,
                    **self.metrics,
                    "diverged": self.diverged,
                    "losses": self.loss_curves.to_dict(),
                    "grad_norms": self.grad_curves.to_dict(),
                    "network": self.network(),
                    "view": self.view(),
                    "units": {"grid": LIMITS["unit_grid"], "pictures": self.unit_pictures()},
                }
            )

    def trace(self, x: Any, target: Any = None) -> dict[str, Any]:
        """The chain-rule table of one point.

        Parameters
        ----------
        x : sequence of float
            [x1, x2] (or [x]).
        target : int or float, optional
            A class (or a value); None takes the nearest training point's.

        Returns
        -------
        dict
            The trace's rows, JSON-ready.
        """
        with self.lock:
            s, d = self.settings, self.data
            point = self._point(x, s.input_dim)
            how = "given"
            if target is None:
                nearest = int(np.argmin(((d.x_train - point) ** 2).sum(axis=1)))
                target, how = d.y_train[nearest].tolist(), "nearest training point"
            if s.task == "regression":
                if isinstance(target, list) and len(target) == 1:
                    target = target[0]  # ([y] as the page sends it, or y)
                t = np.array([[self._finite(target, "target")]], dtype=np.float32)
            else:
                if isinstance(target, bool) or target not in range(s.n_classes):
                    raise SessionError(f"class must be 0–{s.n_classes - 1}, got {shown(target)}")
                t = np.array([target], dtype=np.int64)
            with np.errstate(over="ignore", invalid="ignore"):
                tr = trace_model(self.model, point[None, :], t, loss=s.loss)
            return _message(
                {
                    "type": "trace",
                    "x": _floats(point),
                    "target": np.ravel(t).tolist(),
                    "target_from": how,
                    "output": _floats(tr.output[0]),
                    "loss_name": tr.loss_name,
                    "sample_loss": float(tr.losses[0]),
                    "penalty": float(tr.penalty),
                    "loss": float(tr.loss),
                    "layers": [
                        {
                            "label": lt.label,
                            "symbol": lt.symbol,
                            "s": None if lt.s is None else _floats(lt.s[0]),
                            "h": _floats(lt.h[0]),
                            "delta": _floats(lt.delta[0]),
                            "dW": _floats(lt.dW),
                            "db": _floats(lt.db),
                        }
                        for lt in tr.layers
                    ],
                }
            )

    # -- exports --------------------------------------------------------------------
    def model_bytes(self) -> bytes:
        """The trained network as an .mlpk file's bytes (``mlpkit.load`` reads them).

        Returns
        -------
        bytes
            The file.
        """
        with self.lock, tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "playground.mlpk"
            self.model.metadata["playground"] = self.settings.to_dict()
            self.model.save(path)
            return path.read_bytes()

    def python_code(self) -> str:
        """A script that rebuilds and trains the same network.

        Returns
        -------
        str
            The script.
        """
        with self.lock:
            return python_code(
                self.settings, self.extra_x, self.extra_y, self.runs, self.single_steps
            )


# re-exported for the server's error handling
__all__ += ["SettingsError"]
