"""What a playground page may ask for, checked and bounded.

Every setting the page sends passes through :func:`validate`: unknown names, wrong
types and values out of range get a one-line :class:`SettingsError` naming the setting
and its limits, so no request can build a network or a data set big enough to exhaust
the server's memory or CPU. The limits (``LIMITS``) are also sent to the page, which
shows them on its controls.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .. import activations, initializers

__all__ = [
    "FEATURES",
    "LIMITS",
    "OPTIMIZERS",
    "Settings",
    "SettingsError",
    "options",
    "shown",
    "validate",
]

#: bounds on everything a session can be made to compute or hold
LIMITS: dict[str, Any] = {
    "points": (4, 1000),  # generated points
    "user_points": 300,  # points added by clicking
    "hidden_layers": 6,
    "width": 16,
    "epochs_per_tick": (1, 100),
    "total_epochs": 100_000,  # training pauses itself here
    "message_bytes": 16_384,  # one WebSocket message from the page
    "sessions": 4,  # pages open at once
    "grid": 48,  # the decision boundary is drawn from grid × grid predictions
    "unit_grid": 24,  # each unit's picture: its activation on unit_grid × unit_grid points
    "traces": 4,  # points traced (pinned) at once
}

CLASSIFICATION = ("xor", "circles", "gaussians", "spirals", "moons")
#: regression data sets: one input (a curve) or two (a surface, drawn as a heat map)
REGRESSION_1D = ("function",)
REGRESSION = (*REGRESSION_1D, "plane", "gaussian_surface")
FUNCTIONS = ("sin", "abs", "step")
#: the features the page offers (``mlpkit.InputFeatures`` terms), for two inputs or one
FEATURES = {2: ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"),
            1: ("x1", "x1^2", "sin(x1)")}  # fmt: skip
OUTPUTS = {"classification": ("sigmoid", "softmax"), "regression": ("identity", "tanh")}
LOSSES = {
    "sigmoid": ("binary_cross_entropy", "mse"),
    "softmax": ("cross_entropy",),  # (mse would need one-hot targets)
    "identity": ("mse", "mae", "huber"),
    "tanh": ("mse", "mae", "huber"),
}
BATCH_MODES = ("stochastic", "mini-batch", "full")
#: each optimizer's settings the page offers: name -> (default, low, high)
OPTIMIZERS: dict[str, dict[str, tuple[float, float, float]]] = {
    "sgd": {"momentum": (0.0, 0.0, 0.999)},
    "momentum": {"beta": (0.9, 0.0, 0.999)},
    "rmsprop": {"alpha": (0.99, 0.0, 0.999)},
    "adagrad": {},
    "adam": {"beta1": (0.9, 0.0, 0.999), "beta2": (0.999, 0.0, 0.9999)},
    "adamw": {"beta1": (0.9, 0.0, 0.999), "beta2": (0.999, 0.0, 0.9999),
              "weight_decay": (0.01, 0.0, 1.0)},
}  # fmt: skip


class SettingsError(ValueError):
    """A setting the page sent is unknown, of the wrong type or out of bounds.

    Examples
    --------
    >>> from mlpkit.playground import SettingsError
    >>> issubclass(SettingsError, ValueError)
    True
    """


def shown(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters: an error never echoes a huge request."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Settings:
    """One session's data, network and training settings (all checked).

    Parameters
    ----------
    dataset : str, default "xor"
        ``CLASSIFICATION`` (xor, circles, gaussians, spirals, moons) or ``REGRESSION``
        (function, plane, gaussian_surface).
    function : str, default "sin"
        The 1-D regression's f(x).
    classes : int, default 3
        Spirals' arms.
    points : int, default 200
        The points drawn.
    noise : float, default 0.15
        The data's noise.
    test_fraction : float, default 0.3
        The points held out as the test set.
    data_seed : int, default 0
        Seeds the data.
    features : tuple of str, default ("x1", "x2")
        The network's inputs (``FEATURES``).
    hidden : tuple of int, default (4,)
        The hidden layers' widths.
    activation : str, default "sigmoid"
        The hidden activation.
    output : str, default "sigmoid"
        The output activation.
    loss : str, default "binary_cross_entropy"
        The loss.
    init : str, default "default"
        The initialiser (default: chosen by the activation, as Dense does).
    seed : int, default 0
        The network's generator: initial weights, shuffling, dropout.
    optimizer : str, default "adam"
        The optimizer.
    lr : float, default 0.05
        Its learning rate.
    optimizer_settings : dict
        Its other settings.
    batch_mode : {"full", "mini-batch", "stochastic"}, default "full"
        The lecture notes' three modes.
    batch_size : int, default 16
        The mini-batches' size.
    l1 : float, default 0.0
        L1 strength.
    l2 : float, default 0.0
        L2 strength.
    dropout : float, default 0.0
        Dropout after each hidden layer.
    epochs_per_tick : int, default 5
        Epochs trained between two redraws.

    Examples
    --------
    >>> from mlpkit.playground import Settings
    >>> Settings().dataset, Settings(hidden=(8, 8)).hidden
    ('xor', (8, 8))
    """

    dataset: str = "xor"
    function: str = "sin"  # the regression data set's f(x)
    classes: int = 3  # spirals' arms
    points: int = 200
    noise: float = 0.15
    test_fraction: float = 0.3
    data_seed: int = 0
    #: the network's inputs (``FEATURES``); the plain inputs need no feature layer
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4,)
    activation: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "binary_cross_entropy"
    init: str = "default"  # "default": chosen by the activation, as Dense does
    seed: int = 0  # the network's generator: initial weights, shuffling, dropout
    optimizer: str = "adam"
    lr: float = 0.05
    optimizer_settings: dict[str, float] = field(default_factory=dict)
    batch_mode: str = "full"
    batch_size: int = 16
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    epochs_per_tick: int = 5

    #: settings that take effect while training runs; any other change starts afresh
    LIVE = ("lr", "batch_mode", "batch_size", "epochs_per_tick")

    def __post_init__(self) -> None:
        spec = OPTIMIZERS.get(self.optimizer, {})
        filled = {
            key: float(self.optimizer_settings.get(key, d)) for key, (d, _, _) in spec.items()
        }
        object.__setattr__(self, "optimizer_settings", filled)

    @property
    def task(self) -> str:
        return "regression" if self.dataset in REGRESSION else "classification"

    @property
    def input_dim(self) -> int:
        """The data's inputs: 1 for a curve to fit, 2 for points in the plane."""
        return 1 if self.dataset in REGRESSION_1D else 2

    @property
    def plain_features(self) -> bool:
        """Whether the features are the inputs themselves (no feature layer)."""
        return self.features == FEATURES[self.input_dim][: self.input_dim]

    @property
    def n_classes(self) -> int:
        return self.classes if self.dataset == "spirals" else 2

    @property
    def effective_batch_size(self) -> int | None:
        """What fit gets: 1 (stochastic), the batch size, or None (full batch)."""
        return {"stochastic": 1, "mini-batch": self.batch_size, "full": None}[self.batch_mode]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["features"] = list(self.features)
        return d

    def needs_restart(self, other: Settings) -> bool:
        """Whether going from these settings to ``other`` changes more than the live settings.

        Parameters
        ----------
        other : Settings
            The new settings.

        Returns
        -------
        bool
            True when the network must start afresh.
        """
        keep = {k: getattr(self, k) for k in self.LIVE}
        return replace(other, **keep) != self


def _number(name: str, value: Any, low: float, high: float, integer: bool = False) -> Any:
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"{name} must be {kind}, got {shown(value)}")
    if integer and (not float(value).is_integer()):
        raise SettingsError(f"{name} must be {kind}, got {shown(value)}")
    if not math.isfinite(value) or not low <= value <= high:
        raise SettingsError(f"{name} = {value} is out of bounds ({low}–{high})")
    return int(value) if integer else float(value)


def _choice(name: str, value: Any, choices: tuple[str, ...] | list[str]) -> str:
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {shown(value)}")
    return str(value)


def options() -> dict[str, Any]:
    """The choices and limits the page builds its controls from.

    Returns
    -------
    dict
        JSON-ready.

    Examples
    --------
    >>> from mlpkit.playground import options
    >>> sorted(options())[:3]
    ['activations', 'batch_modes', 'datasets']
    """
    return {
        "datasets": {"classification": list(CLASSIFICATION), "regression": list(REGRESSION)},
        "functions": list(FUNCTIONS),
        "regression_1d": list(REGRESSION_1D),
        "features": {str(k): list(v) for k, v in FEATURES.items()},
        "activations": [a for a in activations.names() if a != "softmax"],
        "outputs": {k: list(v) for k, v in OUTPUTS.items()},
        "losses": {k: list(v) for k, v in LOSSES.items()},
        "initializers": ["default", *initializers.REGISTRY.names()],
        "optimizers": {
            name: {k: list(v) for k, v in spec.items()} for name, spec in OPTIMIZERS.items()
        },
        "batch_modes": list(BATCH_MODES),
        "limits": LIMITS,
        "defaults": Settings().to_dict(),
    }


def validate(raw: Any, base: Settings | None = None) -> Settings:
    """Settings from the page's JSON object.

    Parameters
    ----------
    raw : dict
        The page's object.
    base : Settings, optional
        Names not given keep its values (default: :class:`Settings`'s).

    Returns
    -------
    Settings
        The checked settings.

    Raises
    ------
    SettingsError
        A setting out of its bounds, or unknown, named.

    Examples
    --------
    >>> from mlpkit.playground import SettingsError, validate
    >>> validate({"dataset": "circles", "hidden": [4, 4]}).hidden
    (4, 4)
    >>> try:
    ...     validate({"hidden": [1000]})
    ... except SettingsError as error:
    ...     print("SettingsError")
    SettingsError
    """
    base = base or Settings()
    if not isinstance(raw, dict):
        raise SettingsError(f"settings must be an object, got {type(raw).__name__}")
    known = set(base.to_dict())
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(
            f"unknown setting {shown(unknown[0])} (known: {', '.join(sorted(known))})"
        )
    merged = {**base.to_dict(), **raw}
    lo_pts, hi_pts = LIMITS["points"]
    out: dict[str, Any] = {
        "dataset": _choice("dataset", merged["dataset"], CLASSIFICATION + REGRESSION),
        "function": _choice("function", merged["function"], FUNCTIONS),
        "classes": _number("classes", merged["classes"], 2, 5, integer=True),
        "points": _number("points", merged["points"], lo_pts, hi_pts, integer=True),
        "noise": _number("noise", merged["noise"], 0.0, 1.0),
        "test_fraction": _number("test_fraction", merged["test_fraction"], 0.1, 0.9),
        "data_seed": _number("data_seed", merged["data_seed"], 0, 2**31 - 1, integer=True),
        "seed": _number("seed", merged["seed"], 0, 2**31 - 1, integer=True),
        "activation": _choice("activation", merged["activation"], options()["activations"]),
        "init": _choice("init", merged["init"], ["default", *initializers.REGISTRY.names()]),
        "optimizer": _choice("optimizer", merged["optimizer"], tuple(OPTIMIZERS)),
        "lr": _number("lr", merged["lr"], 1e-6, 10.0),
        "batch_mode": _choice("batch_mode", merged["batch_mode"], BATCH_MODES),
        "batch_size": _number("batch_size", merged["batch_size"], 1, hi_pts, integer=True),
        "l1": _number("l1", merged["l1"], 0.0, 1.0),
        "l2": _number("l2", merged["l2"], 0.0, 1.0),
        "dropout": _number("dropout", merged["dropout"], 0.0, 0.9),
        "epochs_per_tick": _number(
            "epochs_per_tick",
            merged["epochs_per_tick"],
            LIMITS["epochs_per_tick"][0],
            LIMITS["epochs_per_tick"][1],
            integer=True,
        ),
    }
    hidden = merged["hidden"]
    if not isinstance(hidden, list | tuple) or len(hidden) > LIMITS["hidden_layers"]:
        raise SettingsError(
            f"hidden must be a list of at most {LIMITS['hidden_layers']} layer widths, got {shown(hidden)}"
        )
    out["hidden"] = tuple(
        _number(f"hidden layer {i + 1}'s width", w, 1, LIMITS["width"], integer=True)
        for i, w in enumerate(hidden)
    )
    dim = 1 if out["dataset"] in REGRESSION_1D else 2
    offered, features = FEATURES[dim], merged["features"]
    if "features" not in raw and dim != base.input_dim:
        features = offered[:dim]  # another kind of data: its plain inputs
    if not isinstance(features, list | tuple) or not features or len(features) > len(offered):
        raise SettingsError(
            f"features must be a non-empty list of {', '.join(offered)}, got {shown(features)}"
        )
    for f in features:
        if f not in offered:
            raise SettingsError(f"feature {shown(f)} is not one of {', '.join(offered)} "
                                f"(for {out['dataset']})")  # fmt: skip
    out["features"] = tuple(f for f in offered if f in features)  # in the page's order
    task = "regression" if out["dataset"] in REGRESSION else "classification"
    out["output"] = _choice(f"output for {task}", merged["output"], OUTPUTS[task])
    if out["output"] == "sigmoid" and out["dataset"] == "spirals" and out["classes"] > 2:
        raise SettingsError(
            f"a sigmoid output holds two classes; spirals has {out['classes']}: use softmax"
        )
    out["loss"] = _choice(
        f"loss for a {out['output']} output", merged["loss"], LOSSES[out["output"]]
    )
    spec = OPTIMIZERS[out["optimizer"]]
    given = merged["optimizer_settings"]
    if not isinstance(given, dict):
        raise SettingsError(f"optimizer_settings must be an object, got {shown(given)}")
    if raw.get("optimizer", base.optimizer) != base.optimizer and "optimizer_settings" not in raw:
        given = {}  # another optimizer: its own defaults
    for key in given:
        if key not in spec:
            raise SettingsError(
                f"{out['optimizer']} has no setting {shown(key)} (it has: {', '.join(spec) or 'none'})"
            )
    out["optimizer_settings"] = {
        key: _number(key, given.get(key, default), low, high)
        for key, (default, low, high) in spec.items()
    }
    return Settings(**out)
