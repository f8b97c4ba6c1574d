"""The fast-path settings, in one place: what training may run besides the plain
layer-by-layer code, and the size switches of the kernels.

    >>> import mlpkit
    >>> print(mlpkit.fast_paths)                      # doctest: +SKIP
    >>> with mlpkit.fast_paths(False):                # the plain path everywhere inside
    ...     pass
    >>> with mlpkit.fast_paths(numba=False, measure=False):
    ...     pass

**The exactness contract.** Every path these settings allow by default computes the
same bits as the plain code: the layer-by-layer step (``Sequential.loss_and_gradients``)
and the optimizer's own rule (``Optimizer._update``), whatever the batch size, the
number of steps, how the epochs are split across ``fit`` calls, and whether Numba is
installed. So the settings change speed, never results. Two thresholds are not fast
paths but part of the formulas (``small_softmax`` and ``small_batch`` choose between two
ways of computing a softmax and a mean by size, the same on every path). The one path
that cannot keep the bits — the whole step of a small network compiled, whose loops sum
in another order than BLAS — is never chosen here: ``fit(..., step="fused")`` asks for it.

**How a path is chosen** (``mlpkit.training.steps``): once per model and fit
configuration, by exact type (a subclass that overrides a formula gets the plain path),
then, when more than one exact path is eligible, by timing each on a few real steps of
this model on this machine. Timings are cached under ``cache_dir`` per machine (CPU,
library versions) and per shape, so the same machine and cache give the same choice;
``mlpkit.fast_paths.show_cache()`` prints it, ``clear_cache()`` empties it.

The settings are process-wide (as ``torch.backends`` flags are); the context manager
restores them on exit. The measurements behind every default are in
``docs/performance.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from ._files import write_atomic

__all__ = ["FastPaths", "fast_paths", "machine_key"]

#: the names the settings have, each with its default and its one-line why
DEFAULTS: dict[str, tuple[Any, str]] = {
    "enabled": (True, "False: the plain layer-by-layer step and the optimizer's own rule"),
    "step": ("auto", "the step fit takes when it is not told: auto, layers, unrolled, compiled"),
    "update": ("auto", "the update kernel: auto, rule, passes, stacked, compiled"),
    "unrolled": (True, "ReLU Dense networks may run through the layers unrolled"),
    "numba": (None, "None: Numba's pieces where measured to pay; False never; True always"),
    "measure": (True, "time the eligible exact paths on this machine (False: a fixed order)"),
    "cache_dir": (None, "where timings are kept (None: $MLPKIT_CACHE_DIR or the user cache)"),
    "numba_start": (0.6, "seconds Numba's start is assumed to cost until measured here"),
    "shuffle_whole_bytes": (4 << 20, "an X up to this size is shuffled whole once an epoch"),
    "stack_max": (2048, "Adam's m and v stacked in one array, unmeasured, up to this size"),
    "sign_mask": (1024, "ReLU's gradient mask as sign(a) up to this many entries"),
    "relu_zeros": (256, "ReLU's maximum against a zeros array above this many entries"),
    "narrow": (32, "a row-wise maximum runs down a transpose up to this many columns"),
    "small_softmax": (256, "formula: log-sum-exp in one reduction up to this many logits"),
    "small_batch": (64, "formula: a batch's mean loss summed exactly up to this many rows"),
}


class FastPaths:
    """The settings object (``mlpkit.fast_paths``). Read or set its attributes; call it
    to change some for a ``with`` block::

        with mlpkit.fast_paths(False):           # enabled=False
        with mlpkit.fast_paths(numba=True):      # take Numba's pieces wherever eligible

    Attributes (defaults and meaning in ``DEFAULTS``): enabled, step, update, unrolled,
    numba, measure, cache_dir, numba_start, shuffle_whole_bytes, stack_max, sign_mask,
    relu_zeros, narrow, small_softmax, small_batch.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.fast_paths.enabled
    True
    >>> with mlpkit.fast_paths(False):
    ...     print(mlpkit.fast_paths.enabled)
    False
    >>> mlpkit.fast_paths.enabled
    True
    """

    __slots__ = tuple(DEFAULTS)
    # (the settings' types; tests/test_exactness.py checks they name every one)
    enabled: bool
    step: str
    update: str
    unrolled: bool
    numba: bool | None
    measure: bool
    cache_dir: str | None
    numba_start: float
    shuffle_whole_bytes: int
    stack_max: int
    sign_mask: int
    relu_zeros: int
    narrow: int
    small_softmax: int
    small_batch: int

    def __init__(self) -> None:
        for name, (value, _) in DEFAULTS.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in DEFAULTS:
            raise AttributeError(
                f"mlpkit.fast_paths has no setting {name!r}; the settings are {', '.join(DEFAULTS)}"
            )
        object.__setattr__(self, name, _checked(name, value))

    @contextlib.contextmanager
    def __call__(self, enabled: bool | None = None, **changes: Any) -> Iterator[FastPaths]:
        """Set ``enabled`` and any other settings for a ``with`` block, then restore them.

        Parameters
        ----------
        enabled : bool, optional
            False: the plain layer-by-layer step and the optimizer's own rule.
        **changes : object
            Other settings by name (``numba=True``, ``cache_dir=""``, ...).

        Yields
        ------
        FastPaths
            The settings object.
        """
        if enabled is not None:
            changes["enabled"] = enabled
        saved = {name: getattr(self, name) for name in changes}
        try:
            for name, value in changes.items():
                setattr(self, name, value)
            yield self
        finally:
            for name, value in saved.items():
                object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        rows = [
            f"  {name} = {getattr(self, name)!r}    # {why}" for name, (_, why) in DEFAULTS.items()
        ]
        return "mlpkit.fast_paths:\n" + "\n".join(rows)

    # -- the timing cache ---------------------------------------------------------------
    def cache_path(self) -> Path | None:
        """The JSON file timings are kept in.

        Returns
        -------
        Path or None
            None when caching is off (``cache_dir=""``).
        """
        where = self.cache_dir
        if where is None:
            where = os.environ.get("MLPKIT_CACHE_DIR")
        if where is None:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
            where = os.path.join(base, "mlpkit")
        return None if where == "" else Path(where) / "fast_paths.json"

    def load_cache(self) -> dict[str, Any]:
        """This machine's cached entries.

        Returns
        -------
        dict
            ``{"numba_start": seconds, "choices": {key: entry}}``.
        """
        return cast("dict[str, Any]", _read(self.cache_path()).get(machine_key(), {}))

    def remember(self, key: str | None = None, entry: Any = None, **fields: Any) -> None:
        """Store an entry (and machine-wide fields) for this machine.

        A cache that cannot be written is skipped: timings are an optimisation.

        Parameters
        ----------
        key : str, optional
            The choice's key (model, shapes).
        entry : object, optional
            The choice and its timings.
        **fields : object
            Machine-wide values (``numba_start``).
        """
        path = self.cache_path()
        if path is None:
            return
        data = _read(path)
        mine = data.setdefault(machine_key(), {})
        mine.update(fields)
        if key is not None:
            choices = mine.setdefault("choices", {})
            choices.pop(key, None)
            choices[key] = entry
            while len(choices) > MAX_ENTRIES:  # the oldest go first
                choices.pop(next(iter(choices)))
        _write(path, data)

    def show_cache(self, file: Any = None) -> None:
        """Print what is cached for this machine: the choices and the timings behind them.

        Parameters
        ----------
        file : file, optional
            Where to print (default: stdout).
        """
        out = file or sys.stdout
        path = self.cache_path()
        mine = self.load_cache()
        print(f"mlpkit fast-path cache: {path or 'off'}", file=out)
        print(f"machine: {machine_key()}", file=out)
        if "numba_start" in mine:
            print(f"Numba's start measured here: {mine['numba_start']:.3f} s", file=out)
        for key, entry in mine.get("choices", {}).items():
            timings = ", ".join(
                f"{k} {v * 1e6:.1f} µs" for k, v in entry.get("seconds", {}).items()
            )
            print(f"{key}: {entry.get('chosen')} ({timings})", file=out)

    def clear_cache(self) -> None:
        """Forget every cached timing (of every machine) in this cache file."""
        path = self.cache_path()
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


#: cached choices kept per machine (a model shape, batch size and optimizer each)
MAX_ENTRIES = 256
#: a cache file larger than this is not read (it was not written by mlpkit)
MAX_CACHE_BYTES = 4 << 20

_CHOICES = {
    "step": ("auto", "layers", "unrolled", "compiled"),
    "update": ("auto", "rule", "passes", "stacked", "compiled"),
}


def _checked(name: str, value: Any) -> Any:
    default = DEFAULTS[name][0]
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            raise ValueError(f"fast_paths.{name} must be one of {_CHOICES[name]}, got {value!r}")
    elif name == "numba":
        if value not in (None, True, False):
            raise ValueError(
                f"fast_paths.numba must be None (measured), True or False, got {value!r}"
            )
    elif name == "cache_dir":
        if value is not None and not isinstance(value, str | os.PathLike):
            raise TypeError(f"fast_paths.cache_dir must be a path or None, got {value!r}")
        return None if value is None else os.fspath(value)
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"fast_paths.{name} must be True or False, got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TypeError(f"fast_paths.{name} must be a number >= 0, got {value!r}")
    return value


def _read(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CACHE_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_CACHE_BYTES else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    blob = json.dumps(data, indent=1).encode()
    with contextlib.suppress(OSError, ValueError):  # (a cache that cannot be written: skipped)
        write_atomic(path, lambda f: f.write(blob), "fast-path cache")


_MACHINE: str | None = None


def machine_key() -> str:
    """What a timing depends on besides the model.

    Returns
    -------
    str
        The CPU, the core count, Python, NumPy and its BLAS, and Numba's version when installed.

    Examples
    --------
    >>> from mlpkit.fast import machine_key
    >>> "numpy" in machine_key()
    False
    """
    global _MACHINE
    if _MACHINE is None:
        import numpy as np

        cpu = platform.processor() or platform.machine()
        with contextlib.suppress(OSError, StopIteration):
            with open("/proc/cpuinfo") as f:
                cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
        blas = "?"
        with contextlib.suppress(Exception):
            info = np.__config__.CONFIG["Build Dependencies"]["blas"]
            blas = f"{info['name']} {info['version']}"
        numba = "no numba"
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            numba = f"numba {version('numba')}"
        _MACHINE = (
            f"{cpu} x{os.cpu_count()}; Python {platform.python_version()}; "
            f"NumPy {np.__version__} ({blas}); {numba}"
        )
    return _MACHINE


def clock() -> float:
    """The timer the measurements use."""
    return time.perf_counter()


#: the settings: ``mlpkit.fast_paths``
fast_paths = FastPaths()
