"""Callbacks: the training loop stays small and calls these hooks.

One file per kind: ``base`` (the protocol and History), ``guards`` (NaN stop, gradient
health), ``monitors`` (early stopping, plateau), ``schedules`` (learning rate),
``progress`` (bar and epoch lines), ``checkpoint`` (saving during training), ``logs``
(a CSV file, TensorBoard event files).
"""

from .base import Callback, CallbackList, History, Logs
from .checkpoint import ModelCheckpoint
from .guards import GradientMonitor, GradientWarning, NonFiniteLossError, TerminateOnNaN
from .logs import CSVLogger, TensorBoard
from .monitors import EarlyStopping, ReduceLROnPlateau
from .progress import EpochLogger, ProgressBar
from .schedules import CosineDecay, ExponentialDecay, LearningRateScheduler, StepDecay

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "CosineDecay",
    "EarlyStopping",
    "EpochLogger",
    "ExponentialDecay",
    "GradientMonitor",
    "GradientWarning",
    "History",
    "LearningRateScheduler",
    "Logs",
    "ModelCheckpoint",
    "NonFiniteLossError",
    "ProgressBar",
    "ReduceLROnPlateau",
    "StepDecay",
    "TensorBoard",
    "TerminateOnNaN",
]
