"""Which array library an array belongs to, and moving arrays between libraries.

mlpkit's formulas are written against the Python array API standard: ``xp.exp``,
``xp.where``, ``xp.matmul``... with ``xp`` the namespace of the arrays at hand. For
NumPy arrays ``xp`` is NumPy itself (found with one type check, so the NumPy path pays
nothing) and NumPy's in-place fast paths (``_kernels``) apply; for anything else —
PyTorch tensors (CPU or CUDA), CuPy arrays, ``array-api-strict`` — it is the
``array-api-compat`` wrapper of that library, imported only then.

Arrays cross between libraries only through :func:`to_numpy` (to the host) and
:func:`asarray` (from the host onto a namespace and device): initial weights, save and
load, the trace table and plots go through the host; a training step never does.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, TypeAlias, cast

import numpy as np

__all__ = [
    "Array",
    "asarray",
    "astype",
    "device_of",
    "dtype_of",
    "name_of",
    "namespace",
    "namespace_of",
    "numpy_dtype",
    "on_device_of",
    "to_numpy",
]

#: an array of any library mlpkit computes on — NumPy, or through the array API
#: PyTorch, CuPy, array-api-strict — in the signatures of the code written once for all
#: of them (its shapes are in the docstrings)
Array: TypeAlias = Any

#: the array libraries computed with through array-api-compat
_FOREIGN = frozenset({"torch", "cupy", "array_api_strict", "jax", "dpctl", "ndonnx"})

#: what to install for each library mlpkit can train on
_EXTRAS = {
    "torch": "pip install 'mlpkit[torch]' (or PyTorch's own CUDA wheel)",
    "cupy": "pip install 'mlpkit[cupy]' (cupy-cuda12x)",
    "array_api_strict": "pip install array-api-strict",
}


def _compat() -> ModuleType:
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - a dependency of mlpkit
        raise ImportError(
            "training on arrays other than NumPy's needs array-api-compat: "
            "pip install array-api-compat"
        ) from None
    return array_api_compat


def namespace_of(*arrays: Any) -> ModuleType:
    """The array API namespace of ``arrays`` (NumPy for NumPy arrays, lists, scalars,
    SciPy sparse matrices and anything without a namespace of its own)."""
    for a in arrays:
        if type(a) is np.ndarray or a is None:
            continue
        if isinstance(a, np.ndarray | np.generic | int | float | list | tuple):
            continue
        if type(a).__module__.split(".")[0] in _FOREIGN or hasattr(a, "__array_namespace__"):
            return cast("ModuleType", _compat().array_namespace(a))
    return np


def name_of(xp: Any) -> str:
    """ "numpy", "torch", "cupy", "array_api_strict", ... for a namespace."""
    if xp is np:
        return "numpy"
    name = xp.__name__.removeprefix("array_api_compat.")
    return cast("str", name.split(".")[0])


def namespace(name_or_module: Any) -> ModuleType:
    """The namespace mlpkit computes with for a library: "numpy", "torch", "cupy",
    "array_api_strict", the module itself, or an array of that library."""
    if name_or_module is np or name_or_module == "numpy":
        return np
    if isinstance(name_or_module, str):
        import importlib

        try:
            module = importlib.import_module(name_or_module)
        except ImportError:
            hint = _EXTRAS.get(name_or_module, f"pip install {name_or_module}")
            raise ImportError(f"{name_or_module} is not installed: {hint}") from None
        name_or_module = module
    if isinstance(name_or_module, ModuleType):
        base = name_or_module.__name__.removeprefix("array_api_compat.").split(".")[0]
        if base == "numpy":
            return np
        probe = name_or_module.asarray([0.0]) if hasattr(name_or_module, "asarray") else None
        if probe is None:
            raise ValueError(f"{base} is not an array library mlpkit can use")
        return cast("ModuleType", _compat().array_namespace(probe))
    return namespace_of(name_or_module)


def device_of(a: Any) -> Any:
    """The device ``a`` lives on (None for NumPy arrays)."""
    if type(a) is np.ndarray or isinstance(a, np.ndarray):
        return None
    return _compat().device(a)


def to_numpy(a: Any) -> np.ndarray:
    """``a`` as a host NumPy array (NumPy arrays are returned as they are)."""
    if isinstance(a, np.ndarray):
        return a
    module = type(a).__module__.split(".")[0]
    if module == "torch":
        return cast("np.ndarray", a.detach().cpu().numpy())
    if module == "cupy":
        return cast("np.ndarray", a.get())
    if module == "array_api_strict":
        import array_api_strict

        return np.asarray(a.to_device(array_api_strict.Device("CPU_DEVICE")))
    return np.asarray(a)


def asarray(a: Any, xp: Any, device: Any = None, dtype: Any = None) -> Any:
    """``a`` (a host array, or one of ``xp``) as an array of ``xp`` on ``device``."""
    if xp is np:
        return np.asarray(to_numpy(a), dtype=dtype)
    if not isinstance(a, np.ndarray) and namespace_of(a) is xp:
        out = a if device is None or device_of(a) == device else _compat().to_device(a, device)
        return out if dtype is None else xp.astype(out, _dtype(xp, dtype))
    host = to_numpy(a)
    if dtype is not None:
        host = host.astype(dtype, copy=False)
    if not host.flags.writeable or not host.flags.c_contiguous:
        host = np.ascontiguousarray(host).copy()
    return xp.asarray(host, device=device, copy=True)


def _dtype(xp: Any, dtype: Any) -> Any:
    """The ``xp`` dtype of the same name as a NumPy dtype ("float32" -> xp.float32)."""
    return getattr(xp, np.dtype(dtype).name)


def dtype_of(xp: Any, dtype: Any) -> Any:
    """``dtype`` (a NumPy dtype or name) as ``xp``'s dtype object."""
    return np.dtype(dtype) if xp is np else _dtype(xp, dtype)


def numpy_dtype(a: Any) -> np.dtype:
    """The NumPy dtype of the same name as ``a``'s dtype."""
    if isinstance(a, np.ndarray):
        return cast("np.dtype[Any]", a.dtype)
    return np.dtype(str(a.dtype).rsplit(".", 1)[-1])


def astype(a: Any, dtype: Any, copy: bool = False) -> Any:
    """``a`` in ``dtype`` (a NumPy dtype or name, or ``a``'s library's own dtype), in
    ``a``'s library; no copy when it already is, unless ``copy``."""
    if isinstance(a, np.ndarray):
        return a.astype(dtype, copy=copy)
    xp = namespace_of(a)
    if xp is np:  # SciPy sparse, NumPy scalars: their own astype
        return a.astype(dtype, copy=copy)
    if isinstance(dtype, np.dtype | str | type):
        dtype = dtype_of(xp, dtype)
    return xp.astype(a, dtype, copy=copy)


def on_device_of(host: np.ndarray, like: Any) -> Any:
    """A host array moved to ``like``'s namespace and device."""
    return asarray(host, namespace_of(like), device_of(like))
