"""Small helpers the estimators share (no estimator here)."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .._backend import asarray, device_of, namespace_of
from ..activations import names as activation_names

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "all_finite",
    "float_dtypes",
    "seed",
    "store_params",
    "take",
]


def float_dtypes(x: Any) -> tuple[Any, Any]:
    """float64 and float32 of X's library when array API dispatch is on (what
    validate_data converts X to); else NumPy's (X becomes a NumPy array)."""
    from sklearn import get_config

    xp = namespace_of(x) if get_config().get("array_api_dispatch", False) else np
    return (np.float64, np.float32) if xp is np else (xp.float64, xp.float32)


def all_finite(a: Any) -> bool:
    xp = namespace_of(a)
    return bool(xp.all(xp.isfinite(a)))


def take(x: Any, rows: np.ndarray) -> Any:
    """Rows of an array API X, by host row numbers."""
    xp = namespace_of(x)
    return xp.take(x, asarray(rows, xp, device_of(x)), axis=0)


ACTIVATION_ALIASES = {"logistic": "sigmoid"}
ACTIVATIONS = {"logistic", *activation_names()} - {"softmax"}


def store_params(estimator: BaseEstimator, values: dict[str, Any]) -> None:
    """Store each constructor argument under its own name, and nothing else (scikit-learn's
    rule for __init__); the explicit signatures stay on each class for get_params."""
    for name in inspect.signature(type(estimator).__init__).parameters:
        if name != "self":
            setattr(estimator, name, values[name])


def seed(random_state: Any) -> int:
    """An int seed for mlpkit from scikit-learn's random_state (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
