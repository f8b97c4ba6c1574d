"""Which step and update a fit runs (``steps.py``), chosen once, in the open.

1. **Eligibility, by exact type.** The unrolled steps need NumPy float parameters, dense
   NumPy rows of the model's dtype, and only ``Dense`` layers (with biases, without
   regularisers) whose hidden activations are exactly ``activations.ReLU``; Adam's
   kernels need exactly ``Adam`` or ``AdamW``. A subclass — a user's ReLU with its own
   ``forward``, an Adam whose ``_update`` differs — gets the plain step or rule.
2. **Among the exact candidates, the fastest here.** Every eligible candidate gives the
   same bits, so the choice changes speed only. When more than one is eligible, each
   is timed on a few calls with this fit's real first batch (the update on copies of the
   parameters), in turns; the fastest is taken. Timings are cached per machine and
   shape (``mlpkit.fast_paths``), so a machine keeps its choice. Numba's pieces are
   considered when they could repay its start in this fit (or it has started in this
   process already): its start is measured here the first time it is paid.
3. **Recorded.** ``model.train_state.step`` / ``.update`` name what ran,
   ``.choice`` says how it was chosen and with which timings; the History's ``params``
   carry the names; a verbose fit prints them on its first line. The plan is kept for
   the next ``fit`` of the same kind, so a loop of ``fit(epochs=1)`` chooses once.

``fit(step=...)`` asks for a step by name; "fused", the one step that does not keep the
bits, is taken only so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import numpy as np

from .. import _numba, activations, losses, optimizers
from ..fast import clock, fast_paths
from ..layers import Dense
from .steps import (
    AdamCompiled,
    AdamPasses,
    AdamStacked,
    FusedStep,
    LayerStep,
    RuleUpdate,
    UnrolledStep,
)

__all__ = ["STEPS", "FitFacts", "Plan", "select", "select_step", "unrolled_refusal"]

#: the step names ``fit(step=...)`` takes
STEPS = ("auto", "layers", "unrolled", "compiled", "fused")
#: rounds of timing per candidate (each a batch of calls of ~``ROUND_SECONDS``); the
#: fastest round counts
ROUNDS, ROUND_SECONDS = 5, 2e-3
#: a candidate later in ``PREFERENCE`` is taken only when it is faster than this share
#: (timings of two equal candidates differ by a few percent from round to round)
MARGIN = 0.03
#: the order ties are broken in: steps — the unrolled one (fewer calls and allocations),
#: Numba's, the layers'; updates — Numba's, Adam's passes (no extra copy), stacked, the rule
PREFERENCE = ("unrolled", "compiled", "layers", "passes", "stacked", "rule")
#: parameters an update is timed on at most (1 MiB of float32: the copies it needs stay
#: small for any network; the rules are element-wise, so time scales with the size)
UPDATE_SAMPLE = 1 << 18


@dataclass
class Plan:
    """A fit's step and update, and how they were chosen."""

    step: Any
    update: Any
    #: "measured" / "cached" (timings), "asked for", "fast paths off", "only one
    #: eligible", "fixed order" (fast_paths.measure=False)
    how: str
    #: seconds a call of each candidate timed ("step:unrolled": ..., "update:passes": ...)
    seconds: dict[str, float] = field(default_factory=dict)
    key: tuple[Any, ...] = ()
    #: (seconds a step Numba would save, its start) when it did not pay yet: a later fit
    #: of the model chooses again once its training is long enough to repay the start
    deferred: tuple[float, float] | None = None

    def describe(self, timings: bool = False) -> str:
        """One line for a verbose fit."""
        line = f"step {self.step.name}, update {self.update.name} ({self.how})"
        if timings and self.seconds:
            shown = ", ".join(f"{k} {v * 1e6:.1f} µs" for k, v in self.seconds.items())
            line += f": {shown}"
        return line


# -- eligibility ------------------------------------------------------------------------
def unrolled_refusal(model: Any, source: Any) -> str | None:
    """Why the unrolled steps cannot run this fit exactly, or None when they can."""
    if model.xp is not np:
        return f"the parameters are {model.backend} arrays"
    if model.dtype not in (np.float32, np.float64):
        return f"the model is {model.dtype}"
    if not source.numpy_rows:
        return "the rows are not dense NumPy arrays in memory"
    layers = model.layers
    for i, layer in enumerate(layers):
        if type(layer) is not Dense:
            return f"layer {i} is {type(layer).__name__}, not exactly Dense"
        if not layer.bias:
            return f"layer {i} has no bias"
        if layer.regularizer is not None or layer.bias_regularizer is not None:
            return f"layer {i} has a regulariser"
        if i < len(layers) - 1 and type(layer.activation) is not activations.ReLU:
            return f"layer {i}'s activation is {type(layer.activation).__name__}, not exactly ReLU"
    return None if layers else "the model has no layers"


def fused_refusal(model: Any, head: Any, source: Any, fit: Any) -> str | None:
    """Why ``step="fused"`` cannot run this fit, or None when it can."""
    why = unrolled_refusal(model, source)
    if why is not None:
        return why
    if type(model.layers[-1].activation) is not activations.Softmax:
        return "the output layer is not exactly softmax"
    if not (head.fused and type(head.loss) is losses.CrossEntropy):
        return "the loss is not cross-entropy on the softmax's logits"
    if getattr(fit, "labels", True) is False:
        return "the targets are not class labels"
    if fit.weighted:
        return "it has sample or class weights"
    if fit.train_metrics:
        return "it computes train metrics (the fused step returns no outputs)"
    if fit.layers_read:
        return "a callback reads the layers' activations, which the fused step does not keep"
    if fit.distributed:
        return "it runs on several processes"
    if not source.positional:
        return "the rows are streamed (a Dask X)"
    if not _numba.available():
        return "Numba is not installed: pip install 'mlpkit[fast]'"
    return None


def _adam_kernels_apply(opt: Any, pack: Any) -> bool:
    return type(opt) in (optimizers.Adam, optimizers.AdamW) and (
        type(pack.params) is np.ndarray and pack.params.dtype in (np.float32, np.float64)
    )


# -- the choice -------------------------------------------------------------------------
@dataclass
class FitFacts:
    """What of a fit the choice depends on besides the model, optimizer and data."""

    steps: int  # optimizer steps this fit will take
    rows: int  # rows of a full batch (on this process)
    weighted: bool = False
    train_metrics: bool = False
    layers_read: bool = False
    distributed: bool = False
    labels: bool = True


def select(model: Any, head: Any, opt: Any, pack: Any, source: Any, facts: FitFacts,
           request: str) -> Plan:  # fmt: skip
    """The plan of this fit (see the module docstring); ``request``: a name of ``STEPS``."""
    settings = fast_paths

    def key() -> tuple[Any, ...]:
        return (request, id(opt), type(opt), id(pack), facts.rows, type(source),
                source.numpy_rows, facts.distributed, _numba.loaded(), _settings_key())  # fmt: skip

    kept = model.train_state.plan
    if kept is not None and kept.key == key() and not _now_pays(kept, model, facts):
        kept.step.head = head
        return cast("Plan", kept)
    if request == "fused":
        plan = _fused(model, head, opt, pack, source, facts)
    elif request != "auto":
        plan = _asked(model, opt, pack, source, facts, request)
    elif not settings.enabled:
        plan = Plan(LayerStep(model), RuleUpdate(opt), "fast paths off")
    else:
        plan = _Chooser(model, head, opt, pack, source, facts).plan()
    plan.key = key()  # (after the choice: it may have started Numba)
    plan.step.head = head
    model.train_state.plan = plan
    return plan


def _now_pays(plan: Plan, model: Any, facts: FitFacts) -> bool:
    """Whether a plan made without Numba's pieces (they could not repay its start then)
    should be made again: the model's training has grown long enough, or Numba started."""
    if plan.deferred is None:
        return False
    saving, start = plan.deferred
    return _numba.loaded() or (facts.steps + model.train_state.steps) * saving >= start


def select_step(model: Any, head: Any, pack: Any, source: Any, facts: FitFacts) -> Any:
    """The step alone, chosen as ``select`` chooses it (for L-BFGS, which updates the
    parameters itself)."""
    if not fast_paths.enabled:
        step: Any = LayerStep(model)
    else:
        chooser = _Chooser(model, head, None, pack, source, facts)
        names = chooser._forced(chooser.step_names(), "step")
        times = chooser._timings("step", names, numpy_only=True) if fast_paths.measure else {}
        if chooser._numba_pays(names, [], times, {}):
            chooser._start_numba()
            times = chooser._timings("step", names, numpy_only=False) or times
            chooser._remember_start()
        best = fastest(times) if times else chooser._fixed(names)
        step = chooser.make_step(best)
    step.head = head
    return step


#: Numba's start is judged by the median of this many of its latest measurements
START_MEASUREMENTS = 5


def _starts(entries: Any) -> list[list[Any]]:
    """A cache file's measurements of Numba's start, malformed ones dropped."""
    kept = []
    for entry in entries if isinstance(entries, list) else []:
        if (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int | float)
                and math.isfinite(entry[0]) and isinstance(entry[1], bool)):  # fmt: skip
            kept.append([float(entry[0]), entry[1]])
    return kept


def recent_starts(previous: Any, new: float, compiled: bool) -> list[list[Any]]:
    """The latest ``START_MEASUREMENTS`` measurements of Numba's start, ``new`` last,
    each as [seconds, whether its kernels were compiled (not loaded from Numba's disk
    cache)]."""
    return [*_starts(previous), [float(new), bool(compiled)]][-START_MEASUREMENTS:]


def assumed_start(entries: Any, default: float) -> float:
    """The start a choice assumes: the median of the measured starts that loaded the
    kernels from Numba's disk cache. A start that compiled them is once a machine (then
    the cache holds them) and is left out — unless the last two both compiled: then the
    cache does not keep them (a read-only install) and every start compiles. Nothing
    measured yet: ``default`` (``fast_paths.numba_start``). So one slow start (a compile,
    a busy minute) does not keep Numba off for ever: a 0.84 s one kept the mnist
    benchmark's 6-epoch fit, whose saving was 0.8 s, off a start of 0.44–0.63 s."""
    entries = _starts(entries)
    if len(entries) >= 2 and entries[-1][1] and entries[-2][1]:
        return float(np.median([s for s, _ in entries[-2:]]))
    warm = [s for s, compiled in entries if not compiled]
    return float(np.median(warm)) if warm else float(default)


def fastest(seconds: dict[str, float]) -> str:
    """The first candidate in ``PREFERENCE`` order within ``MARGIN`` of the fastest time."""
    best = min(seconds.values())
    ranked = sorted(
        seconds, key=lambda n: PREFERENCE.index(n) if n in PREFERENCE else len(PREFERENCE)
    )
    return next(n for n in ranked if seconds[n] <= best * (1 + MARGIN))


def _settings_key() -> tuple[Any, ...]:
    s = fast_paths
    return (s.enabled, s.step, s.update, s.unrolled, s.numba, s.measure, s.stack_max)


def _fused(model: Any, head: Any, opt: Any, pack: Any, source: Any, facts: FitFacts) -> Plan:
    why = fused_refusal(model, head, source, facts)
    if why is not None:
        raise ValueError(f'step="fused" cannot run this fit: {why}; use step="auto"')
    kernels = _numba.kernels()
    step = FusedStep(model, pack, facts.rows, kernels)
    chooser = _Chooser(model, head, opt, pack, source, facts)
    update, how, seconds = chooser.choose_update()
    return Plan(step, update, f"step asked for; update {how}", seconds)


def _asked(model: Any, opt: Any, pack: Any, source: Any, facts: FitFacts, name: str) -> Plan:
    if name == "layers":
        step: Any = LayerStep(model)
    else:
        why = unrolled_refusal(model, source)
        if why is not None:
            raise ValueError(f"step={name!r} cannot run this fit exactly: {why}; use step='auto'")
        if name == "compiled":
            kernels = _numba.kernels()
            if kernels is None:
                raise ImportError("step='compiled' needs Numba: pip install 'mlpkit[fast]'")
            step = UnrolledStep(model, kernels)
        else:
            step = UnrolledStep(model)
    chooser = _Chooser(model, None, opt, pack, source, facts)
    update, how, seconds = chooser.choose_update()
    return Plan(step, update, f"step asked for; update {how}", seconds)


class _Chooser:
    """Candidates, timings and the choice for one fit."""

    def __init__(self, model: Any, head: Any, opt: Any, pack: Any, source: Any,
                 facts: FitFacts) -> None:  # fmt: skip
        self.model, self.head, self.opt, self.pack = model, head, opt, pack
        self.source, self.facts = source, facts
        self.settings = fast_paths
        self.cached = self.settings.load_cache() if self.settings.measure else {}
        numba = self.settings.numba
        self.numba_possible = numba is not False and _numba.available()
        #: whether anything was timed (else the cache had it all)
        self.timed = False
        #: Numba's start being measured in this choice (None: not started here)
        self.numba_start: float | None = None
        #: (seconds a step Numba's pieces would save at most, its start) when they could
        #: not repay it yet; the plan is looked at again as the model trains on
        self.deferred: tuple[float, float] | None = None

    # -- candidates, by exact type --------------------------------------------------------
    def step_names(self) -> list[str]:
        if not self.settings.unrolled or unrolled_refusal(self.model, self.source) is not None:
            return ["layers"]
        names = ["unrolled", "layers"]
        return [*names, "compiled"] if self.numba_possible else names

    def update_names(self) -> list[str]:
        if self.opt is None or not _adam_kernels_apply(self.opt, self.pack):
            return ["rule"]
        names = ["stacked", "passes", "rule"]
        if self.numba_possible and not self.opt.amsgrad:
            names.append("compiled")
        return names

    def make_step(self, name: str) -> Any:
        if name == "layers":
            return LayerStep(self.model)
        return UnrolledStep(self.model, _numba.kernels() if name == "compiled" else None)

    def make_update(self, name: str, opt: Any = None) -> Any:
        opt = self.opt if opt is None else opt
        if name == "rule":
            return RuleUpdate(opt)
        if name == "compiled":
            return AdamCompiled(opt, _numba.kernels())
        return AdamStacked(opt) if name == "stacked" else AdamPasses(opt)

    # -- the plan -------------------------------------------------------------------------
    def plan(self) -> Plan:
        steps, updates = (
            self._forced(self.step_names(), "step"),
            self._forced(self.update_names(), "update"),
        )
        if len(steps) == 1 and len(updates) == 1:
            return Plan(self.make_step(steps[0]), self.make_update(updates[0]), "only one eligible")
        if not self.settings.measure:
            return Plan(self.make_step(self._fixed(steps)), self.make_update(self._fixed(updates)),
                        "fixed order")  # fmt: skip
        step_t = self._timings("step", steps, numpy_only=True)
        update_t = self._timings("update", updates, numpy_only=True)
        if self._numba_pays(steps, updates, step_t, update_t):
            self._start_numba()
            step_t = self._timings("step", steps, numpy_only=False) or step_t
            update_t = self._timings("update", updates, numpy_only=False) or update_t
            self._remember_start()
        step = fastest(step_t) if step_t else self._fixed(steps)
        update = fastest(update_t) if update_t else self._fixed(updates)
        seconds = {f"step:{k}": v for k, v in step_t.items()}
        seconds |= {f"update:{k}": v for k, v in update_t.items()}
        how = "measured on this machine" if self.timed else "cached for this machine"
        return Plan(self.make_step(step), self.make_update(update), how, seconds,
                    deferred=self.deferred)  # fmt: skip

    def choose_update(self) -> tuple[Any, str, dict[str, float]]:
        """The update alone (the step was asked for), chosen as ``plan`` chooses it."""
        updates = self._forced(self.update_names(), "update")
        if not self.settings.enabled:
            return RuleUpdate(self.opt), "the rule (fast paths off)", {}
        if len(updates) == 1 or not self.settings.measure:
            return self.make_update(self._fixed(updates)), "fixed order", {}
        times = self._timings("update", updates, numpy_only=True)
        if self._numba_pays([], updates, {}, times):
            self._start_numba()
            times = self._timings("update", updates, numpy_only=False) or times
            self._remember_start()
        best = fastest(times) if times else self._fixed(updates)
        return self.make_update(best), "measured", {f"update:{k}": v for k, v in times.items()}

    def _forced(self, names: list[str], kind: str) -> list[str]:
        """``fast_paths.step`` / ``.update`` when set: that one where eligible, else the
        reference (layers, rule); ``fast_paths.numba=True``: the compiled one where
        eligible."""
        forced = getattr(self.settings, kind)
        if forced == "auto":
            return ["compiled"] if self.settings.numba is True and "compiled" in names else names
        return [forced] if forced in names else ["layers" if kind == "step" else "rule"]

    def _fixed(self, names: list[str]) -> str:
        """The unmeasured order: compiled pieces only when asked (numba=True), then the
        unrolled step, Adam's stacked kernel up to ``stack_max`` parameters, its passes."""
        if "compiled" in names and self.settings.numba is True:
            return "compiled"
        for name in ("unrolled", "stacked", "passes"):
            if name in names and (name != "stacked" or self.pack.size <= self.settings.stack_max):
                return name
        return "layers" if "layers" in names else "rule"

    def _numba_pays(self, steps: list[str], updates: list[str], step_t: dict[str, float],
                    update_t: dict[str, float]) -> bool:  # fmt: skip
        """Whether to time Numba's pieces: asked for (numba=True), started already, or —
        from cached timings — their saving over this fit repays the start; without cached
        timings, when the NumPy time they could save at most (the whole update, and the
        whole step where a compiled step is eligible) repays it."""
        if "compiled" not in steps and "compiled" not in updates:
            return False
        if self.settings.numba is True or _numba.loaded():
            return True
        start = assumed_start(self.cached.get("numba_starts"), self.settings.numba_start)
        pieces: list[tuple[float, float | None]] = []  # (NumPy's best a call, compiled's cached)
        if "compiled" in steps:
            best = min(step_t.values()) if step_t else 0.0
            pieces.append((best, self._cached_seconds("step").get("compiled")))
        if "compiled" in updates:
            best = min(update_t.values()) if update_t else 0.0
            pieces.append((best, self._cached_seconds("update").get("compiled")))
        if any(compiled is None for _, compiled in pieces):
            per_step = sum(best for best, _ in pieces)
        else:
            per_step = sum(max(0.0, best - (compiled or 0.0)) for best, compiled in pieces)
        if self.horizon * per_step >= start:
            return True
        # not yet: a later fit of this model may (a loop of short fits is one training)
        self.deferred = (per_step, start)
        return False

    @property
    def horizon(self) -> int:
        """The steps a start would be repaid over: this fit's, and as many as the model
        has trained already (a loop of ``fit(epochs=1)`` is one long training)."""
        return self.facts.steps + int(self.model.train_state.steps)

    def _start_numba(self) -> None:
        """Import Numba now, timing it if this process had not (its start, remembered with
        the kernels' first calls by ``_remember_start``)."""
        if not _numba.loaded():
            began = clock()
            _numba.kernels()
            self.numba_start = clock() - began

    def _remember_start(self) -> None:
        if self.numba_start is not None:
            starts = recent_starts(self.cached.get("numba_starts"), self.numba_start,
                                   _numba.compiled_on_load())  # fmt: skip
            self.settings.remember(numba_start=assumed_start(starts, self.settings.numba_start),
                                   numba_starts=starts)  # fmt: skip
            self.numba_start = None

    # -- timings ---------------------------------------------------------------------------
    def _key(self, kind: str) -> str:
        m = self.model
        if kind == "step":
            widths = "-".join(
                str(w) for w in [m.n_features_in, *(ly.out_features for ly in m.layers)]
            )
            return (f"step {widths} {m.dtype.name} rows={self.facts.rows} "
                    f"head={type(self.head.loss).__name__}/{'fused' if self.head.fused else 'composed'}"
                    f" weighted={self.facts.weighted}")  # fmt: skip
        o = self.opt
        return (f"update {type(o).__name__} P={self.pack.size} {self.pack.params.dtype} "
                f"amsgrad={o.amsgrad} decay={bool(o.weight_decay)} "
                f"clip={o.clip_norm is not None or o.clip_value is not None}")  # fmt: skip

    def _cached_seconds(self, kind: str) -> dict[str, float]:
        entry = self.cached.get("choices", {}).get(self._key(kind), {})
        seconds = entry.get("seconds", {}) if isinstance(entry, dict) else {}
        return {k: float(v) for k, v in seconds.items() if isinstance(v, int | float)}

    def _timings(self, kind: str, names: list[str], numpy_only: bool) -> dict[str, float]:
        """Seconds a call of each candidate (Numba's left out when ``numpy_only``): the
        cached ones when the cache has them all, else all of them raced now (and
        cached). {} for a single candidate (nothing to choose; never timed)."""
        wanted = [n for n in names if not (numpy_only and n == "compiled")]
        if len(wanted) < 2:
            return {}
        have = self._cached_seconds(kind)
        if any(n not in have for n in wanted):
            timed = self._time_steps(wanted) if kind == "step" else self._time_updates(wanted)
            if timed is None:
                return {}
            self.timed = True
            have.update(timed)
            chosen = fastest({n: have[n] for n in wanted})
            self.settings.remember(self._key(kind), {"chosen": chosen, "seconds": have})
        return {n: have[n] for n in wanted}

    def _time_steps(self, names: list[str]) -> dict[str, float] | None:
        """Each step on this fit's first batch (forward and backward only: the layers of
        an eligible network hold nothing but their gradients and last activations)."""
        batch = self.source.sample(self.facts.rows)
        if batch is None:
            return None
        calls = {}
        for name in names:
            step = self.make_step(name)
            step.head = self.head
            calls[name] = (lambda s: lambda: s(*batch))(step)
        return self._race(calls)

    def _time_updates(self, names: list[str]) -> dict[str, float]:
        """Each update on copies — a fresh optimizer of the same settings each, and its own
        copy of (at most ``UPDATE_SAMPLE`` of) the parameters with made-up gradients — so
        the model and its optimizer are not touched. The rules are element-wise: the time
        of the whole vector is the sample's scaled by its size."""
        p = self.pack.params
        size = min(p.shape[0], UPDATE_SAMPLE)
        gen = np.random.default_rng(0)
        calls = {}
        for name in names:
            clone = type(self.opt)(**self.opt.get_config())
            grads = gen.normal(scale=1e-3, size=size).astype(p.dtype)
            fake = SimpleNamespace(params=p[:size].copy(), grads=grads, grad_views=[grads],
                                   layout=[("sample", 0, size, (size,))])  # fmt: skip
            update = self.make_update(name, clone)
            calls[name] = (lambda u, f: lambda: u(f))(update, fake)
        scale = p.shape[0] / size
        return {name: seconds * scale for name, seconds in self._race(calls).items()}

    def _race(self, calls: dict[str, Any]) -> dict[str, float]:
        """Seconds a call of each, the fastest of ``ROUNDS`` rounds taken in turns (each
        round enough calls for ~``ROUND_SECONDS``), after one warm-up call each (which
        compiles or loads Numba's kernels: its time is Numba's start, remembered)."""
        counts = {}
        for name, call in calls.items():
            t0 = clock()
            call()
            first = clock() - t0
            if name == "compiled" and self.numba_start is not None:
                self.numba_start += first  # its kernels compiled or loaded from the disk cache
            counts[name] = max(1, min(10_000, math.ceil(ROUND_SECONDS / max(first, 1e-7))))
        best = dict.fromkeys(calls, math.inf)
        for _ in range(ROUNDS):
            for name, call in calls.items():
                k = counts[name]
                t0 = clock()
                for _ in range(k):
                    call()
                best[name] = min(best[name], (clock() - t0) / k)
        return best
