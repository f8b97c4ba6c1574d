"""Input checks shared by the public entry points: one clear ValueError, never a
traceback from inside NumPy, never a silently wrong answer."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import numpy as np

FLOAT_DTYPES = ("float32", "float64")


def check_dtype(dtype: object) -> np.dtype:
    """Normalise a user dtype; only float32 and float64 are supported."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    if dt is None or dt.name not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return cast("np.dtype[Any]", dt)


def _all_finite(a: np.ndarray) -> bool:
    """True when no entry is NaN or ±inf. Checked with one BLAS dot product a·a, which
    NaN and inf propagate into: a single call (a single-row predict pays for each call)
    that makes no temporary and raises no floating-point warning. Only a sum of squares
    that overflows (entries beyond ~1e19 in float32) falls back to the element-wise test;
    non-contiguous arrays take it directly, as vdot would copy them."""
    if a.flags.c_contiguous and math.isfinite(np.vdot(a, a)):
        return True
    return bool(np.isfinite(a).all())


F = TypeVar("F", bound=Callable[..., Any])


def keyword_only(leading: Sequence[str], meant: Sequence[str]) -> Callable[[F], F]:
    """Make a method's arguments after ``leading`` (by name, after self) keyword-only, with
    a TypeError that writes the call out when more come by position: ``meant`` names
    what those positions most likely meant (Keras's order for fit), so
    ``fit(x, y, 32, 10)`` is told to write ``fit(x, y, batch_size=32, epochs=10)``. The
    signature stays the function's own (``inspect.signature`` follows ``__wrapped__``)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) > len(leading) + 1:  # (self, then the leading arguments)
                raise positional_error(fn, leading, meant, args[len(leading) + 1 :])
            return fn(*args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap


def positional_error(fn: Callable[..., Any], leading: Sequence[str], meant: Sequence[str],
                     extra: Sequence[Any]) -> TypeError:  # fmt: skip
    """The TypeError of :func:`keyword_only`: the call written out with keywords (simple
    values shown as they are, others by their type)."""

    def shown(value: Any) -> str:
        if isinstance(value, bool | int | float | str) or value is None:
            return repr(value)
        return f"<{type(value).__name__}>"

    name = fn.__name__ if fn.__name__ != "__init__" else fn.__qualname__.split(".")[0]
    written = [*leading, *(f"{k}={shown(v)}" for k, v in zip(meant, extra, strict=False))]
    return TypeError(
        f"{name}() takes {', '.join(leading)} by position and the rest by keyword; "
        f"write {name}({', '.join(written)})"
        + ("" if len(extra) <= len(meant) else " (and name the rest)")
    )


def json_too_deep(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests deeper than ``limit`` (walked with a stack, each
    container once)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend(
                (v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)
            )
    return False


def parse_json(text: str | bytes, max_depth: int = 64, max_int_digits: int = 40) -> Any:
    """JSON from an untrusted source, within limits: nesting at most ``max_depth`` deep,
    integers of at most ``max_int_digits`` digits, finite numbers only. Anything else is
    a ValueError saying what — never a RecursionError or an overflow later."""

    def finite(token: str) -> float:
        value = float(token)
        if not math.isfinite(value):
            raise ValueError(f"the number {token[:40]} is out of range")
        return value

    def whole(token: str) -> int:
        if len(token.lstrip("-")) > max_int_digits:
            raise ValueError(f"an integer of {len(token)} digits")
        return int(token)

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a finite number")

    try:
        value = json.loads(text, parse_float=finite, parse_int=whole, parse_constant=constant)
    except RecursionError:
        raise ValueError(f"it nests deeper than {max_depth} levels") from None
    if json_too_deep(value, max_depth):
        raise ValueError(f"it nests deeper than {max_depth} levels")
    return value


def optional(module: str, needed_by: str, extra: str) -> Any:
    """Import an optional dependency, or an ImportError that names the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{needed_by} needs {module}: pip install 'mlpkit[{extra}]'") from None


def is_dask(x: object) -> bool:
    """Whether x is a Dask collection (checked by its module: Dask is not imported)."""
    return type(x).__module__.split(".")[0] == "dask"


def is_sparse(x: object) -> bool:
    """Whether x is a SciPy sparse matrix or array (SciPy is never imported for this)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(x)


def as_sparse_rows(x: Any, dtype: np.dtype, what: str = "X") -> Any:
    """A SciPy sparse X as CSR rows of ``dtype`` (rows slice and gather cheaply; the
    products X W and Xᵀ dZ stay sparse-times-dense), checked like a dense X."""
    if x.ndim != 2:
        raise ValueError(f"{what} must be 2-D (N samples, k features), got shape {x.shape}")
    if x.dtype.kind not in "iufb":
        raise ValueError(f"{what} must be numeric; got dtype {x.dtype}")
    a = x.tocsr().astype(dtype, copy=False)
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{what} is empty (shape {a.shape}); it needs at least one row and column")
    if not np.isfinite(a.data).all():
        row = int(
            np.searchsorted(a.indptr, np.flatnonzero(~np.isfinite(a.data))[0], side="right") - 1
        )
        raise ValueError(f"{what} contains NaN or inf in row {row}; remove or impute them first")
    return a


def is_foreign_array(x: object) -> bool:
    """Whether x is another array library's array (not NumPy's, not a list or table)."""
    from ._backend import namespace_of

    return namespace_of(x) is not np


def as_2d_float(x: object, dtype: np.dtype, what: str = "X") -> np.ndarray:
    """Numeric, non-empty, finite, 2-D; converted to ``dtype`` (copied only if needed).
    A SciPy sparse matrix or array comes back as CSR (see ``as_sparse_rows``)."""
    if is_sparse(x):
        return cast("np.ndarray", as_sparse_rows(x, dtype, what))
    if isinstance(x, np.ndarray) and x.dtype == dtype and x.ndim == 2:
        a = x
    else:
        if not isinstance(x, np.ndarray) and is_foreign_array(x):
            return cast("np.ndarray", _as_2d_float_xp(x, dtype, what))
        try:
            a = np.asarray(x)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} could not be read as a numeric array: {exc}") from None
        if a.dtype.kind == "b":
            a = a.astype(dtype)
        if a.dtype.kind not in "iuf":
            raise ValueError(
                f"{what} must be numeric; got dtype {a.dtype}"
                + (" (strings or mixed types)" if a.dtype.kind in "OUS" else "")
            )
        if a.ndim == 1:
            raise ValueError(
                f"{what} must be 2-D (N samples, k features), got 1-D shape {a.shape}; use "
                f"{what}.reshape(-1, 1) for one feature or {what}.reshape(1, -1) for one sample"
            )
        if a.ndim != 2:
            raise ValueError(f"{what} must be 2-D (N samples, k features), got shape {a.shape}")
        with np.errstate(over="ignore"):  # out-of-range values become inf, reported below
            a = a.astype(dtype, copy=False)
    if a.size == 0:
        raise ValueError(f"{what} is empty (shape {a.shape}); it needs at least one row and column")
    if not _all_finite(a):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(
            f"{what} contains {a[tuple(bad)]} at row {bad[0]}, column {bad[1]}; "
            "remove or impute NaN/inf values first"
        )
    return a


def _as_2d_float_xp(x: Any, dtype: np.dtype, what: str) -> Any:
    """``as_2d_float`` for an array of another library (PyTorch, CuPy, ...), checked and
    converted on its device; only the first bad entry's position is read back."""
    from ._backend import dtype_of, namespace_of, to_numpy

    xp = namespace_of(x)
    if getattr(x, "requires_grad", False):  # a PyTorch tensor in an autograd graph: mlpkit
        x = x.detach()  # computes its own gradients, the graph is not followed
    if not (xp.isdtype(x.dtype, "numeric") or xp.isdtype(x.dtype, "bool")) or xp.isdtype(
        x.dtype, "complex floating"
    ):
        raise ValueError(f"{what} must be numeric; got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{what} must be 2-D (N samples, k features), got shape {tuple(x.shape)}")
    target = dtype_of(xp, dtype)
    a = x if x.dtype == target else xp.astype(x, target)
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            f"{what} is empty (shape {tuple(a.shape)}); it needs at least one row and column"
        )
    if not bool(xp.all(xp.isfinite(a))):
        host = to_numpy(a)
        bad = np.argwhere(~np.isfinite(host))[0]
        raise ValueError(
            f"{what} contains {host[tuple(bad)]} at row {bad[0]}, column {bad[1]}; "
            "remove or impute NaN/inf values first"
        )
    return a
