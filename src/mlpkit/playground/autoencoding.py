"""The playground's autoencoder mode: a small autoencoder on the 8×8 digits trains live,
and the page watches its 2-D bottleneck form — every image's code, coloured by its
digit, beside PCA's 2-D map of the same images — and decodes any point of either map
back into an image.

:class:`AutoencoderSession` has the methods the server calls on a network session
(``configure``, ``train``, ``step``, ``restart``, ``state``, ``data_message``, the
exports), plus ``decode``. Its settings are checked and bounded like the network's.
"""

from __future__ import annotations

import math
import tempfile
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .. import datasets
from ..autoencoder import Autoencoder
from ..io import save
from ..optimizers import Adam
from ..reduction import PCA
from .recipe import script_head
from .session import LiveTraining, SessionError
from .settings import SettingsError, _choice, _number, shown

__all__ = ["AE_LIMITS", "AutoencoderSession", "AutoencoderSettings", "validate_autoencoder"]

#: bounds of the autoencoder mode (the digits hold 1,797 images of 64 pixels)
AE_LIMITS: dict[str, Any] = {"points": (100, 1797), "hidden_layers": 3, "width": 64,
                             "epochs_per_tick": (1, 20)}  # fmt: skip
AE_ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "gelu", "silu")


@dataclass(frozen=True)
class AutoencoderSettings:
    """The digits drawn, the encoder's widths (64 → hidden → 2, the decoder mirrors),
    and the training (Adam, mini-batches).

    Parameters
    ----------
    points : int, default 600
        The digits drawn.
    data_seed : int, default 0
        Seeds the draw.
    hidden : tuple of int, default (32,)
        The encoder's hidden widths.
    activation : str, default "relu"
        Their activation.
    seed : int, default 0
        The network's generator.
    lr : float, default 0.005
        Adam's learning rate.
    batch_size : int, default 32
        The mini-batches' size.
    epochs_per_tick : int, default 2
        Epochs between two redraws.

    Examples
    --------
    >>> from mlpkit.playground import AutoencoderSettings
    >>> AutoencoderSettings().hidden, AutoencoderSettings().points
    ((32,), 600)
    """

    points: int = 600
    data_seed: int = 0
    hidden: tuple[int, ...] = (32,)
    activation: str = "relu"
    seed: int = 0
    lr: float = 0.005
    batch_size: int = 32
    epochs_per_tick: int = 2

    LIVE = ("lr", "batch_size", "epochs_per_tick")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    def needs_restart(self, other: AutoencoderSettings) -> bool:
        return replace(other, **{k: getattr(self, k) for k in self.LIVE}) != self


def validate_autoencoder(raw: Any, base: AutoencoderSettings | None = None) -> AutoencoderSettings:
    """Autoencoder settings from the page's JSON object.

    Parameters
    ----------
    raw : dict
        The page's object.
    base : AutoencoderSettings, optional
        Names not given keep its values.

    Returns
    -------
    AutoencoderSettings
        The checked settings.

    Raises
    ------
    SettingsError
        A setting out of its bounds, named with them.

    Examples
    --------
    >>> from mlpkit.playground import validate_autoencoder
    >>> validate_autoencoder({"hidden": [16]}).hidden
    (16,)
    """
    base = base or AutoencoderSettings()
    if not isinstance(raw, dict):
        raise SettingsError(f"settings must be an object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(base.to_dict()))
    if unknown:
        raise SettingsError(f"unknown autoencoder setting {shown(unknown[0])} "
                            f"(known: {', '.join(sorted(base.to_dict()))})")  # fmt: skip
    m = {**base.to_dict(), **raw}
    hidden = m["hidden"]
    if not isinstance(hidden, list | tuple) or len(hidden) > AE_LIMITS["hidden_layers"]:
        raise SettingsError(f"hidden must be a list of at most {AE_LIMITS['hidden_layers']} "
                            f"widths, got {shown(hidden)}")  # fmt: skip
    return AutoencoderSettings(
        points=_number(
            "points", m["points"], AE_LIMITS["points"][0], AE_LIMITS["points"][1], integer=True
        ),
        data_seed=_number("data_seed", m["data_seed"], 0, 2**31 - 1, integer=True),
        hidden=tuple(
            _number(f"hidden layer {i + 1}'s width", w, 2, AE_LIMITS["width"], integer=True)
            for i, w in enumerate(hidden)
        ),
        activation=_choice("activation", m["activation"], AE_ACTIVATIONS),
        seed=_number("seed", m["seed"], 0, 2**31 - 1, integer=True),
        lr=_number("lr", m["lr"], 1e-6, 1.0),
        batch_size=_number("batch_size", m["batch_size"], 1, AE_LIMITS["points"][1], integer=True),
        epochs_per_tick=_number(
            "epochs_per_tick",
            m["epochs_per_tick"],
            AE_LIMITS["epochs_per_tick"][0],
            AE_LIMITS["epochs_per_tick"][1],
            integer=True,
        ),
    )


def _digits(s: AutoencoderSettings) -> tuple[np.ndarray, np.ndarray]:
    """``points`` of the 8×8 digits drawn from ``data_seed`` (pixels in [0, 1]):
    X (n, 64) float32, labels (n,)."""
    x, y = datasets.load_digits()
    pick = np.sort(np.random.default_rng(s.data_seed).permutation(len(x))[: s.points])
    return x[pick], y[pick]


def _floats(a: np.ndarray, digits: int = 4) -> Any:
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


class AutoencoderSession(LiveTraining):
    """One page's autoencoder on the digits (see the module docstring).

    Parameters
    ----------
    settings : AutoencoderSettings, optional
        Default: :class:`AutoencoderSettings`'s.

    Examples
    --------
    >>> from mlpkit.playground import AutoencoderSession, validate_autoencoder
    >>> session = AutoencoderSession(validate_autoencoder({"points": 100}))
    >>> len(session.decode([0.0, 0.0])["pixels"])
    64
    """

    mode = "autoencoder"

    def __init__(self, settings: AutoencoderSettings | None = None) -> None:
        self.lock = threading.RLock()
        self.cancelled = threading.Event()
        self.settings = settings or AutoencoderSettings()
        self.restart(self.settings)

    def restart(self, settings: AutoencoderSettings | None = None) -> None:
        """Draw the images, fit PCA once, and build a fresh autoencoder (same seed: the
        same initial weights).

        Parameters
        ----------
        settings : AutoencoderSettings, optional
            New settings (default: the current ones).
        """
        with self.lock:
            self.settings = s = settings or self.settings
            self.x, self.labels = _digits(s)
            self.pca = PCA(2).fit(self.x)
            self.pca_codes = self.pca.transform(self.x)
            self.pca_error = float(np.mean(self.pca.reconstruction_error(self.x)))
            self.model = Autoencoder([64, *s.hidden, 2], activation=s.activation, seed=s.seed)
            self.optimizer = Adam(lr=s.lr)
            self.epochs, self.runs = 0, []
            self.loss: float | None = None  # the last epoch's training loss
            self.errors: list[float] = []  # the reconstruction MSE at each update
            self._record()

    def _validate(self, raw: Any, base: AutoencoderSettings) -> AutoencoderSettings:
        return validate_autoencoder(raw, base)

    def _train_epoch(self) -> tuple[bool, int | None]:
        bs = self.settings.batch_size
        history = self.model.fit(self.x, epochs=1, batch_size=bs, optimizer=self.optimizer,
                                 verbose=0)  # fmt: skip
        self.loss = float(history.history["loss"][-1])
        return True, bs

    def step(self) -> None:
        self.train(1)

    def _record(self) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            self.error = float(np.mean((self.model.reconstruct(self.x) - self.x) ** 2))
        self.errors.append(self.error)
        if len(self.errors) > 600:  # (a long run keeps every other point)
            self.errors = self.errors[::2]

    @property
    def diverged(self) -> bool:
        return not math.isfinite(self.error)

    def data_message(self) -> dict[str, Any]:
        """The images' labels and PCA's map (sent once per data set).

        Returns
        -------
        dict
            JSON-ready.
        """
        with self.lock:
            return {
                "type": "ae_data",
                "settings": self.settings.to_dict(),
                "labels": self.labels.tolist(),
                "pca": _floats(self.pca_codes),
                "pca_error": self.pca_error,
                "image_shape": [8, 8],
            }

    def state(self) -> dict[str, Any]:
        """The codes of every image now, and the reconstruction errors (mean squared, in
        pixel values, against PCA's with two components).

        Returns
        -------
        dict
            JSON-ready.
        """
        with self.lock:
            return {
                "type": "ae_state",
                "epochs": self.epochs,
                "loss": self.loss if self.loss is None or math.isfinite(self.loss) else None,
                "codes": _floats(self.model.encode(self.x)),
                "error": self.error if math.isfinite(self.error) else None,
                "errors": [e if math.isfinite(e) else None for e in self.errors],
                "pca_error": self.pca_error,
            }

    def decode(self, code: Any, via: Any = "autoencoder") -> dict[str, Any]:
        """The image (64 pixels in [0, 1]) that a 2-D code decodes to, through the
        autoencoder's decoder or PCA's inverse (``via``).

        Parameters
        ----------
        code : sequence of float
            A 2-D code.
        via : {"autoencoder", "pca"}, default "autoencoder"
            The autoencoder's decoder or PCA's inverse.

        Returns
        -------
        dict
            The 64 pixels in [0, 1].
        """
        if via not in ("autoencoder", "pca"):
            raise SessionError(f"via must be autoencoder or pca, got {shown(via)}")
        if (not isinstance(code, list) or len(code) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool)
                           and math.isfinite(v) and abs(v) <= 1e3 for v in code)):  # fmt: skip
            raise SessionError(f"a code here is two finite numbers, got {shown(code)}")
        z = np.array([code], dtype=np.float32)
        with self.lock:
            image = self.model.decode(z) if via == "autoencoder" else self.pca.inverse_transform(z)
        return {"type": "decoded", "via": via, "code": [float(v) for v in code],
                "pixels": _floats(np.clip(image[0], 0.0, 1.0))}  # fmt: skip

    # -- exports --------------------------------------------------------------------
    def model_bytes(self) -> bytes:
        with self.lock, tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "playground_autoencoder.mlpk"
            self.model.network.metadata["playground"] = {
                "mode": "autoencoder",
                **self.settings.to_dict(),
            }
            save(self.model, path)
            return path.read_bytes()

    def python_code(self) -> str:
        """A script that draws the same images and trains the same autoencoder, the
        same epochs with the same batch sizes and learning rates.

        Returns
        -------
        str
            The script.
        """
        s = self.settings
        lines = [
            *script_head("An autoencoder", "digits"),
            "X, labels = datasets.load_digits()",
            f"pick = np.sort(np.random.default_rng({s.data_seed}).permutation(len(X))[:{s.points}])",
            "X, labels = X[pick], labels[pick]",
            f"ae = mlpkit.Autoencoder([64, {', '.join(map(str, s.hidden))}{', ' if s.hidden else ''}2], "
            f'activation="{s.activation}", seed={s.seed})',
            f"optimizer = mlpkit.optimizers.Adam(lr={self.runs[0][2] if self.runs else s.lr!r})",
        ]
        for i, (epochs, batch_size, lr) in enumerate(self.runs):
            if i and lr != self.runs[i - 1][2]:
                lines.append(f"optimizer.lr = {lr!r}")
            lines.append(f"for _ in range({epochs}):  # one fit an epoch, as the page trained")
            lines.append(
                f"    ae.fit(X, epochs=1, batch_size={batch_size}, optimizer=optimizer, verbose=0)"
            )
        lines += [
            "codes = ae.encode(X)  # the page's map: one point an image, coloured by its digit",
            'print("reconstruction MSE:", float(np.mean((ae.reconstruct(X) - X) ** 2)))',
            'mlpkit.save(ae, "playground_autoencoder.mlpk")',
            "",
        ]
        return "\n".join(lines)

    # -- what the network mode has and this one has not -----------------------------
    def _not_here(self, *args: Any) -> NoReturn:
        raise SessionError("the autoencoder mode has no points to add or trace: click its maps "
                           "to decode a code")  # fmt: skip

    add_point = clear_points = trace = _not_here
