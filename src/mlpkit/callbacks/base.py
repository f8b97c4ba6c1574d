"""The callback protocol: a base class with empty hooks, the dispatcher the training
loop calls, and History, the record every ``fit`` returns.

Order of calls in ``fit``::

    on_train_begin
      for each epoch:  on_epoch_begin
        for each batch:  on_batch_begin → forward/backward → on_batch_loss → update → on_batch_end
      on_epoch_end     (logs: loss, metrics, val_*, lr, time, grad_norm.*)
    on_train_end

A callback sees the model as ``self.model`` and may set ``self.model.stop_training``;
``self.params`` holds the fit's epochs, steps, samples, batch size and the step and
update it runs (``"step"``, ``"update"``). Under MPI every rank runs the callbacks (their
decisions agree, as the logs do) and ``self.say`` prints on rank 0 only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

__all__ = ["Callback", "CallbackList", "History", "Logs"]

#: what a callback's ``logs`` argument holds: the quantities of the epoch or batch by
#: name (``"loss"``, ``"val_loss"``, a metric's name, ``"lr"``) and their values
Logs = dict[str, Any]


class Callback:
    """Base class with empty hooks; override the ones you need.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> class CountEpochs(mlpkit.Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.epochs = 0
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.epochs += 1
    >>> counter = CountEpochs()
    >>> history = net.fit(X, y, epochs=3, callbacks=[counter], verbose=0)
    >>> counter.epochs
    3
    """

    model: Any  # the Sequential being trained
    params: dict[str, Any]
    #: whether the callback reads what the layers keep of the last batch (their inputs
    #: and activations); the compiled whole step of a small network keeps none of it, so
    #: fit does not take that step while such a callback is given
    reads_layers: ClassVar[bool] = False

    def set_model(self, model: Any, params: dict[str, Any]) -> None:
        self.model, self.params = model, params

    @property
    def chief(self) -> bool:
        """Whether this process speaks: True but on MPI ranks other than 0."""
        return bool(getattr(self, "params", {}).get("chief", True))

    def say(self, line: str) -> None:
        """One line on stderr — above a progress bar if one is showing — on rank 0 only.

        Parameters
        ----------
        line : str
            The line.
        """
        if not self.chief:
            return
        tqdm = sys.modules.get("tqdm")
        if tqdm is not None:
            tqdm.tqdm.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    def on_batch_loss(self, batch: int, loss: float) -> None:
        """Called after forward and backward, before the optimizer step (the weights unchanged).

        Parameters
        ----------
        batch : int
            The batch's index in the epoch.
        loss : float
            The batch's loss.
        """


def _overrides(cb: Callback, hook: str) -> bool:
    return getattr(type(cb), hook) is not getattr(Callback, hook)


class CallbackList:
    """Dispatches the epoch hooks to every callback; the per-batch hooks are handed to
    the loop (``hooks``) for the callbacks that override them, so the loop calls no
    hook nobody defined.

    Parameters
    ----------
    callbacks : sequence of Callback
        The callbacks, called in order.

    Examples
    --------
    >>> import mlpkit
    >>> callbacks = mlpkit.callbacks.CallbackList([mlpkit.callbacks.History()])
    >>> callbacks.hooks("on_batch_end")
    []
    """

    def __init__(self, callbacks: Sequence[Callback]) -> None:
        self.callbacks = list(callbacks)
        hooks = ("on_batch_begin", "on_batch_end", "on_batch_loss")
        self._batch = {
            h: [getattr(c, h) for c in self.callbacks if _overrides(c, h)] for h in hooks
        }

    def hooks(self, name: str) -> list[Callable[..., None]]:
        """The bound per-batch hooks named ``name`` that some callback overrides.

        Parameters
        ----------
        name : str
            The hook ("on_batch_end", ...).

        Returns
        -------
        list of callable
            Empty when no callback overrides it.
        """
        return self._batch[name]

    def set_model(self, model: Any, params: dict[str, Any]) -> None:
        for c in self.callbacks:
            c.set_model(model, params)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_train_begin(logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_epoch_end(epoch, logs)


class History(Callback):
    """Per-epoch record: ``history.history["loss"]``, ``["val_loss"]``, metrics, ``["lr"]``,
    ``["time"]`` (seconds), ``["grad_norm.layerK"]`` (L2 norm of layer K's gradient at
    the epoch's last batch). ``history.epoch`` holds the epoch indices; ``history.params``
    the fit's settings (as Keras's), with the step and update that ran.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=2, metrics=["accuracy"], verbose=0)
    >>> sorted(history.history)[:3], len(history.history["loss"])
    (['accuracy', 'grad_norm.layer0', 'grad_norm.layer1'], 2)
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    #: epochs a notebook's table shows at each end of a long history
    HTML_EDGE = 10

    def _repr_html_(self) -> str:
        """The record as an HTML table, an epoch a row (a long one shows its first and
        last ``HTML_EDGE`` epochs)."""
        from .._html import table

        keys = [k for k in self.history if not k.startswith("grad_norm")]
        n = len(self.epoch)
        shown = list(range(n)) if n <= 2 * self.HTML_EDGE else [
            *range(self.HTML_EDGE), -1, *range(n - self.HTML_EDGE, n)]  # fmt: skip
        rows = [["…"] * (len(keys) + 1) if i < 0 else
                [self.epoch[i] + 1, *(f"{self.history[k][i]:.4g}" if i < len(self.history[k]) else ""
                                      for k in keys)] for i in shown]  # fmt: skip
        return table(["epoch", *keys], rows, caption=f"History ({n} epochs)",
                     numeric=[True] * (len(keys) + 1))  # fmt: skip

    def plot(self, keys: Sequence[str] | None = None, title: str | None = None) -> Any:
        """A matplotlib Figure of the curves, one panel a quantity, validation beside it.

        A notebook draws it. Needs the ``plots`` extra.

        Parameters
        ----------
        keys : sequence of str, optional
            The quantities (default: the loss and every metric).
        title : str, optional
            The figure's title.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        from .._figures import training_curves

        return training_curves(self, keys=keys, title=title)
