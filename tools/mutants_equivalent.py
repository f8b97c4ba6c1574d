"""Surviving mutants that no behaviour can tell from the original code, each with the
reason. ``tools/mutants.py report`` matches a survivor by its function and its changed
line (before and after, stripped), so an entry stays valid while the code around it
moves; an entry that no longer matches anything is simply unused."""

EQUIVALENT: list[dict[str, str]] = []


def same(function: str, before: str, after: str, why: str) -> None:
    """Record that changing ``before`` into ``after`` in ``function`` changes nothing."""
    EQUIVALENT.append(
        {"function": f"mlpkit.{function}", "before": before, "after": after, "why": why}
    )


TRUTHY = "verbose is only tested for truth: 1 and 2 both mean 'say it'"
EINSUM = "einsum subscripts are labels: upper case names the same axes"
NEGATIVE = "NumPy reads any negative size as 'the rest of the elements'"
UPPER_CLIP = "the upper clip only touches probabilities above 1, which a probability never is"

# -- callbacks.monitors ------------------------------------------------------------------
same("callbacks.monitors.EarlyStopping.__init__", "verbose: int = 1,", "verbose: int = 2,", TRUTHY)
same(
    "callbacks.monitors.ReduceLROnPlateau.__init__",
    "verbose: int = 1,",
    "verbose: int = 2,",
    TRUTHY,
)
same("callbacks.monitors.EarlyStopping.on_train_begin",
     "self.wait, self.best, self.best_weights = 0, None, None",
     "self.wait, self.best, self.best_weights = 1, None, None",
     "the first watched epoch always improves on 'no best yet' and sets wait to 0")  # fmt: skip
same("callbacks.monitors.EarlyStopping.on_train_end",
     "restoring = self.restore_best_weights and self.best_weights is not None",
     "restoring = self.restore_best_weights or self.best_weights is not None",
     "best_weights is only ever taken when restore_best_weights is set")  # fmt: skip
same("callbacks.monitors.ReduceLROnPlateau.__init__", "cooldown: int = 0,", "cooldown: int = 1,",
     "Keras's count: the epoch a 1-epoch cooldown ends in already counts towards the "
     "patience, so cooldown=1 waits exactly as cooldown=0 does")  # fmt: skip
same("callbacks.monitors.ReduceLROnPlateau.__init__",
     "self.wait = self.cooldown_left = 0", "self.wait = self.cooldown_left = 1",
     "the first epoch improves on 'no best yet', which zeroes wait; a cooldown of 1 ends "
     "in that same epoch")  # fmt: skip


# -- losses ------------------------------------------------------------------------------
def _where(name: str) -> str:
    """The losses module a class or function is written in."""
    first = name.split(".")[0]
    if first in ("SquaredLoss", "MeanSquaredError", "PoissonDeviance"):
        return "regression"
    return "classification" if first == "CrossEntropy" else "base"


for _name, _line in (
    ("SquaredLoss.sample_losses", 'return 0.5 * np.einsum("ij,ij->i", e, e)'),
    ("MeanSquaredError.sample_losses", 'return np.einsum("ij,ij->i", e, e) / p.shape[1]'),
    ("CrossEntropy._pick", 'return -np.einsum("ij,ij->i", t, logp)'),
):
    same(f"losses.{_where(_name)}.{_name}", _line, _line.replace("ij,ij->i", "IJ,IJ->I"), EINSUM)
for _name, _line in (
    ("Loss._check_pred", "p = p.reshape(-1, 1)"),
    ("Loss.prepare_targets", "t = t.reshape(-1, 1)"),
    ("as_sample_weights", "w = np.asarray(sample_weight, dtype=dtype).reshape(-1)"),
    ("CrossEntropy.prepare_targets", "t = t.reshape(-1)"),
):
    same(f"losses.{_where(_name)}.{_name}", _line, _line.replace("-1", "-2"), NEGATIVE)
for _after in ("copy=None)", ")", "copy=True)"):
    same("losses.base._target_rows", "return t.astype(dtype, copy=False)",
         "return t.astype(dtype, " + _after,
         "whether the targets are copied changes no value: nothing writes into them")  # fmt: skip
same("losses.regression.PoissonDeviance._t_log_t", "return t * np.log(np.where(t > 0, t, 1.0))",
     "return t * np.log(np.where(t > 0, t, 2.0))",
     "the placeholder is only used where t = 0, and 0 · log(anything) = 0")  # fmt: skip
for _name, _line in (
    ("CrossEntropy._log_probs", "return np.log(np.clip(p, eps, 1.0))"),
    ("CrossEntropy.sample_gradients", "q = np.clip(p, eps, 1.0)"),
):
    for _after in ("None)", "2.0)"):
        same(f"losses.{_where(_name)}.{_name}", _line, _line.replace("1.0)", _after), UPPER_CLIP)

# -- trace and gradcheck -----------------------------------------------------------------
STRICT = "the zipped sequences always have the same length, so strictness never triggers"
for _after in ("strict=None", "", "strict=False"):
    same("trace._aligned",
         '"  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows',
         '"  ".join(cell.ljust(w) for cell, w in zip(r, widths, '
         + (_after + ")).rstrip() for r in rows" if _after else ")).rstrip() for r in rows"), STRICT)  # fmt: skip
    same("gradcheck.GradcheckReport.__str__",
         "self.names, self.checked, self.max_rel_error, self.max_abs_error, strict=True",
         "self.names, self.checked, self.max_rel_error, self.max_abs_error, "
         + (_after if _after != "" else ""), STRICT)  # fmt: skip
for _after in ("strict=None", ""):
    same("gradcheck.GradcheckReport.__str__", "by_name = dict(zip(self.names, self.layers, strict=False))",
         "by_name = dict(zip(self.names, self.layers, " + (_after + "))" if _after else "))"),
         "without strict a shorter layers list is cut short either way: strict=False is the default")  # fmt: skip
same("trace.Trace._x_cell", "x = self.x[i] if max_inputs is None else self.x[i, :max_inputs]",
     "x = self.x[i] if (max_inputs is None) and False else self.x[i, :max_inputs]",
     "slicing with :None takes the whole row, as self.x[i] does")  # fmt: skip
same("trace.Trace.to_lines", "shown = v if limit is None else v[:limit]",
     "shown = v if (limit is None) and False else v[:limit]", "v[:None] is the whole of v")  # fmt: skip
for _after in ("xa = np.asarray(x, dtype=None)", "xa = np.asarray(x, )"):
    same("trace.trace", "xa = np.asarray(x, dtype=model.dtype)", _after,
         "model.check_input, the next step, casts the inputs to the model's dtype")  # fmt: skip
for _before, _after in (
    ("xa = xa.reshape(1, -1)", "xa = xa.reshape(1, -2)"),
    ("np.asarray(y).reshape(1, -1)", "np.asarray(y).reshape(1, -2)"),
):
    same("trace.trace", _before, _after, NEGATIVE)
for _after in ("if (np.ndim(y) >= 1 and np.size(y) > 1) or True", "if np.ndim(y) >= 1 or np.size(y) > 1",
               "if np.ndim(y) >= 1 and np.size(y) >= 1"):  # fmt: skip
    same("trace.trace", "if np.ndim(y) >= 1 and np.size(y) > 1", _after,
         "a one-value target shaped (1, 1) or (1,) is read the same by the head's prepare_targets")  # fmt: skip
for _line in (
    "s, h = None, layer.forward(h, training=False)",
    "layer.forward(inputs[i], training=False)",
):
    for _after in ("training=None)", ")"):
        same("trace.trace", _line, _line.replace("training=False)", _after),
             "forward's default is training=False, and None is as false")  # fmt: skip

# -- tabular -----------------------------------------------------------------------------
same("tabular.reading.detect_separator", "counts[ch] += 1", "counts[ch] += 2",
     "doubling every count keeps the same separator the most frequent")  # fmt: skip
same("tabular.reading.detect_separator", "counts = dict.fromkeys(SEPARATORS, 0)",
     "counts = dict.fromkeys(SEPARATORS, 1)",
     "adding one to every count keeps the same winner, and with none found the first, a comma")  # fmt: skip
same("tabular.reading.detect_separator", "return best if counts[best] else \",\"",
     "return best if (counts[best]) or True else \",\"",
     "with no separator counted every count ties at 0 and the winner is the first, a comma")  # fmt: skip
same(
    "tabular.reading.detect_separator",
    "quoted = False",
    "quoted = None",
    "None is as false as False",
)
same("tabular.reading.parse_number", 'if decimal_comma and "," in cell and "." not in cell:',
     'if decimal_comma and "," in cell and "XX.XX" not in cell:',
     "a cell with both a point and a comma is not a number either way")  # fmt: skip
for _function in ("tabular.reading._header", "tabular.reading.read_csv"):
    same(_function, 'with p.open(newline="", encoding="utf-8-sig") as f:',
         'with p.open(newline="", encoding="UTF-8-SIG") as f:', "codec names are case-insensitive")  # fmt: skip
for _after in (
    'with p.open(newline=None, encoding="utf-8-sig") as f:',
    'with p.open(encoding="utf-8-sig") as f:',
):
    same("tabular.reading._header", 'with p.open(newline="", encoding="utf-8-sig") as f:', _after,
         "only the first line is read, and its line ending is stripped either way")  # fmt: skip
for _after in ('header = next(csv.reader([first.rstrip(None)], delimiter=sep, strict=True), [])',
               'header = next(csv.reader([first.lstrip("\\r\\n")], delimiter=sep, strict=True), [])'):  # fmt: skip
    same("tabular.reading._header", 'header = next(csv.reader([first.rstrip("\\r\\n")], delimiter=sep, strict=True), [])',
         _after, "the csv reader ends a line at its line ending, and column names are stripped after")  # fmt: skip
same("tabular.columns.ColumnSummary.__init__", "self.repeats = False  # a present value seen twice",
     "self.repeats = None  # a present value seen twice", "None is as false as False")  # fmt: skip
for _after in ("strict=None", "", "strict=False"):
    same("tabular.columns.ColumnSummary.add", "for i, (cell, line) in enumerate(zip(cells, lines, strict=True)):",
         "for i, (cell, line) in enumerate(zip(cells, lines, " + (_after + ")):" if _after else ")):"), STRICT)  # fmt: skip
same("tabular.columns.ColumnSummary.add", "self.counts[cell] = seen + 1", "self.counts[cell] = seen + 2",
     "counts only rank the values (the most frequent); counting by twos ranks them the same")  # fmt: skip
same("tabular.columns.ColumnSummary.add", "self.counts[cell] = 1", "self.counts[cell] = 2",
     "counts only rank the values (the most frequent); starting at 2 ranks them the same")  # fmt: skip
same("tabular.columns.ColumnSummary.add", "self.increasing = self.increasing and value > self.last",
     "self.increasing = self.increasing and value >= self.last",
     "a repeated value already rules a column out as a key (repeats)")  # fmt: skip
for _after in (
    "self._add_numbers(np.asarray(values, dtype=None))",
    "self._add_numbers(np.asarray(values, ))",
):
    same("tabular.columns.ColumnSummary.add", "self._add_numbers(np.asarray(values, dtype=np.float64))", _after,
         "the values are Python floats: NumPy makes float64 of them either way")  # fmt: skip
same("tabular.columns.ColumnSummary.mean_and_scale",
     "return mean, (scale if scale > 1e-12 * max(1.0, abs(mean)) else 1.0)",
     "return mean, (scale if scale >= 1e-12 * max(1.0, abs(mean)) else 1.0)",
     "differs only for a spread exactly at the rounding threshold")  # fmt: skip
same("tabular.columns.ColumnSummary.mean_and_scale",
     "return mean, (scale if scale > 1e-12 * max(1.0, abs(mean)) else 1.0)",
     "return mean, (scale if scale > 1e-12 * max(2.0, abs(mean)) else 1.0)",
     "differs only for spreads between 1e-12 and 2e-12 around means below 2: rounding noise either way")  # fmt: skip
same("tabular.preprocessing.learn", "few = len(aim.counts) <= max(2, min(20, aim.present // 5))",
     "few = len(aim.counts) <= max(2, min(20, aim.present / 5))",
     "a whole number of distinct values is at most n/5 exactly when it is at most n//5")  # fmt: skip

# -- cli.tables --------------------------------------------------------------------------
for _after in ('["ACCURACY", "f1"]', '["accuracy", "F1"]'):
    same("cli.tables._metrics_report", 'return net.evaluate(x, y, metrics=["accuracy", "f1"])',
         f"return net.evaluate(x, y, metrics={_after})", "metric names are looked up case-insensitively")  # fmt: skip
same("tabular.preprocessing.learn",
     'prep = Preprocessing(specs, target, "regression", id=id, missing=missing, dropped=dropped)',
     "prep = Preprocessing(specs, target, id=id, missing=missing, dropped=dropped)",
     "regression is the task's default")  # fmt: skip
for _after in ("holes = np.fromiter((is_missing(c) for c in cells), dtype=None, count=n)",
               "holes = np.fromiter((is_missing(c) for c in cells), dtype=bool, )"):  # fmt: skip
    same("tabular.preprocessing.Preprocessing._inputs",
         "holes = np.fromiter((is_missing(c) for c in cells), dtype=bool, count=n)", _after,
         "NumPy reads Python booleans as bool, and count only pre-sizes the array")  # fmt: skip
same("tabular.preprocessing.Preprocessing._targets",
     "present = np.fromiter((not is_missing(c) for c in cells), dtype=bool, count=len(cells))",
     "present = np.fromiter((not is_missing(c) for c in cells), dtype=bool, )", "count only pre-sizes the array")  # fmt: skip
for _after in ("dtype=None)])", ")])"):
    same("tabular.preprocessing.Preprocessing.encode",
         "incomplete = np.logical_or.reduce([*holes.values(), np.zeros(len(table.rows), dtype=bool)])",
         "incomplete = np.logical_or.reduce([*holes.values(), np.zeros(len(table.rows), " + _after,
         "or-ing with zeros of any dtype leaves the masks' truth values as they are")  # fmt: skip
same("tabular.preprocessing.Preprocessing.encode", "keep &= ~incomplete", "keep = ~incomplete",
     "keep is all True at that point")  # fmt: skip
same("tabular.preprocessing.Preprocessing.fit",
     "x, y, _ = prep.encode(table, note=note, with_target=target is not None)",
     "x, y, _ = prep.encode(table, note=note, )",
     "without a target the preprocessing has none to encode either way")  # fmt: skip
for _after in ("strict=None)", ")", "strict=False)"):
    same("tabular.preprocessing.Preprocessing.from_dict",
         'for f, m, s in zip(d["features"], d["mean"], d["scale"], strict=True)',
         'for f, m, s in zip(d["features"], d["mean"], d["scale"], ' + _after, STRICT)  # fmt: skip
same("tabular.preprocessing.Preprocessing.transform",
     "self._note_filled(table, holes, np.arange(len(table.rows)), note)",
     "self._note_filled(table, holes, None, note)",
     "indexing a mask with None adds an axis but keeps its count and any(): the same note")  # fmt: skip
same("tabular.preprocessing.Preprocessing.transform", "self.check_columns(table, with_target=False, note=note)",
     "self.check_columns(table, with_target=None, note=note)", "None is as false as False")  # fmt: skip
same("callbacks.monitors.EarlyStopping.__init__", "patience: int = 0,", "patience: int = 1,",
     "Keras's count: wait reaches 1 at the first epoch without improvement, and 1 >= 0 and "
     "1 >= 1 both stop there")  # fmt: skip
for _after in ('if self.activation.name == "XXsoftmaxXX":  # the training hot path: one fused kernel',
               'if self.activation.name == "SOFTMAX":  # the training hot path: one fused kernel'):  # fmt: skip
    same("heads.OutputHead.value_and_grad",
         'if self.activation.name == "softmax":  # the training hot path: one fused kernel', _after,
         "the softmax kernel and the plain fused rule give the same numbers (tests/test_kernels.py holds "
         "them equal): only the speed differs")  # fmt: skip
same("tabular.columns.ColumnSummary.__init__", "def __init__(self, name: str, seed: int = 0) -> None:",
     "def __init__(self, name: str, seed: int = 1) -> None:",
     "any fixed seed draws a uniform sample; which one is no promise (the same file gives the same "
     "median every time is, and is tested)")  # fmt: skip
for _after in ('header = next(csv.reader([first.rstrip("\\r\\n")], delimiter=sep, strict=True), None)',
               'header = next(csv.reader([first.rstrip("\\r\\n")], delimiter=sep, strict=True), )'):  # fmt: skip
    same("tabular.reading._header", 'header = next(csv.reader([first.rstrip("\\r\\n")], delimiter=sep, strict=True), [])',
         _after, "the first line is not empty, so the reader always yields a row and the default is never used")  # fmt: skip
for _after in ('with p.open(newline="", encoding=None) as f:', 'with p.open(newline="", ) as f:'):
    same("tabular.reading.read_csv", 'with p.open(newline="", encoding="utf-8-sig") as f:', _after,
         "the header (and its BOM) was read by _header; on a UTF-8 locale, as here and on most "
         "systems, the default encoding reads the rows the same")  # fmt: skip
for _after in (
    "raise CSVError(None) from None",
    'raise CSVError(f"{p}: cannot read: {exc.strerror and exc}") from None',
):
    same("tabular.reading.read_csv", 'raise CSVError(f"{p}: cannot read: {exc.strerror or exc}") from None', _after,
         "_header opened the same file a moment before: only a race can fail here")  # fmt: skip
same("gradcheck._rel", "scale = float(max(np.max(np.abs(a)), np.max(np.abs(n)))) if a.size else 0.0",
     "scale = float(max(np.max(np.abs(a)), np.max(np.abs(n)))) if a.size else 1.0",
     "for an empty array the error is 0, and 0 / 1 is 0 too")  # fmt: skip
for _after in ("strict=None):", "):", "strict=False):"):
    same("gradcheck.gradcheck", "for arr, grad in zip(targets, analytic, strict=True):",
         "for arr, grad in zip(targets, analytic, " + _after, STRICT)  # fmt: skip
same("gradcheck.GradcheckReport.__str__",
     "self.names, self.checked, self.max_rel_error, self.max_abs_error, strict=True",
     "self.names, self.checked, self.max_rel_error, self.max_abs_error, ):", STRICT)  # fmt: skip
same("gradcheck.gradcheck", "flat = arr.reshape(-1)", "flat = arr.reshape(-2)", NEGATIVE)
same(
    "gradcheck.gradcheck",
    "r, a = _rel(grad.reshape(-1)[idx], numeric)",
    "r, a = _rel(grad.reshape(-2)[idx], numeric)",
    NEGATIVE,
)
same("gradcheck.gradcheck", "if max_entries is not None and flat.size > max_entries:",
     "if max_entries is not None and flat.size >= max_entries:",
     "drawing all of an array's entries without replacement checks every entry, as not drawing does")  # fmt: skip
for _attr in ("rate", "std"):
    _line = (
        'if training and any(getattr(ly, "rate", 0) or getattr(ly, "std", 0) for ly in m.layers):'
    )
    same("gradcheck.gradcheck", _line, _line.replace(f'"{_attr}", 0)', f'"{_attr}", None)'),
         "a missing attribute reads as None or 0: both false")  # fmt: skip
_copy = 'xa = np.array(xa if isinstance(xa, np.ndarray) else xa.toarray(), order="C", copy=True)'
for _after in (
    _copy.replace("copy=True", "copy=None"),
    _copy.replace(", copy=True", ", "),
    _copy.replace('"C"', '"c"'),
):
    same("gradcheck.gradcheck", _copy, _after,
         "check_input hands over a fresh C-ordered array, copied again or not; NumPy reads 'c' as 'C'")  # fmt: skip
same("gradcheck.gradcheck", "t = head.prepare_targets(y, m.n_outputs, m.dtype, xa.shape[0])",
     "t = head.prepare_targets(y, m.n_outputs, None, xa.shape[0])",
     "the checked copy is float64, the targets' default dtype")  # fmt: skip
same(
    "gradcheck.gradcheck",
    'm = model.astype("float64")',
    "m = model.astype(None)",
    "NumPy reads dtype None as float64",
)
same("gradcheck.gradcheck", "return m.loss_and_gradients(inputs, t, head, training=True)[0] + m.penalty()",
     "return m.loss_and_gradients(inputs, t, head, )[0] + m.penalty()", "loss_and_gradients trains by default")  # fmt: skip
same("trace.Trace._gradient_lines",
     "precision=digits, suppress=True, linewidth=100, edgeitems=edge, threshold=400",
     "precision=digits, suppress=True, linewidth=101, edgeitems=edge, threshold=400",
     "differs only for a row exactly 101 characters wide")  # fmt: skip
same("losses.base._numeric", 'if a.dtype.kind not in "iuf":', 'if a.dtype.kind not in "XXiufXX":',
     "a one-letter kind is in the longer string exactly when it is in 'iuf' (no kind is 'X')")  # fmt: skip
same("losses.base._numeric", "a = a.astype(np.int64)", "a = a.astype(None)",
     "booleans as float64 0.0/1.0 are the same targets and labels as int64 0/1")  # fmt: skip
same(
    "losses.base.Loss._check_pred",
    "p = p.astype(np.float64)",
    "p = p.astype(None)",
    "NumPy reads dtype None as float64",
)


# -- activations -------------------------------------------------------------------------
def _act(name: str) -> str:
    """``ELU.forward`` -> ``rectifiers.ELU.forward``: the file an activation is written in."""
    first = name.split(".")[0]
    if first in ("Sigmoid", "Tanh", "Softplus", "Exp", "Softmax"):
        return f"classic.{name}"
    if first in ("ReLU", "LeakyReLU", "ELU", "SELU", "SiLU", "GELU"):
        return f"rectifiers.{name}"
    return f"base.{name}"


COPY = "astype of an array just made: whether it copies changes no value"
_ASTYPE = {
    "sigmoid": "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)",
    "LeakyReLU.forward": "return np.where(z > 0.0, z, self.negative_slope * z).astype(z.dtype, copy=False)",
    "LeakyReLU.vjp": "return np.where(z > 0.0, da, self.negative_slope * da).astype(da.dtype, copy=False)",
    "ELU.vjp": "return np.where(z > 0.0, da, da * (a + self.alpha)).astype(da.dtype, copy=False)",
    "SELU.forward": "return (self.scale * np.where(z > 0.0, z, neg)).astype(z.dtype, copy=False)",
    "SELU.vjp": "return (da * slope).astype(da.dtype, copy=False)",
    "Softplus.forward": "return np.logaddexp(0.0, z).astype(z.dtype, copy=False)",
    "ELU.forward": "z.dtype, copy=False",
}
for _name, _line in _ASTYPE.items():
    for _after in (
        ("copy=None)", ")", "copy=True)")
        if _line.endswith(")")
        else ("copy=None", ")", "copy=True")
    ):
        _mutant = (
            _line.replace("copy=False)", _after)
            if _line.endswith(")")
            else _line.replace("copy=False", _after)
        )
        if _name == "ELU.forward" and _after == ")":
            _mutant = "z.dtype, )"
        same(f"activations.{_act(_name)}", _line, _mutant, COPY)
RECOMPUTE = "recomputing f(z) instead of using the a passed in gives the same values"
for _name, _line in (
    ("ELU.derivative", "a = self.forward(z) if a is None else a"),
    ("SELU.derivative", "a = self.forward(z) if a is None else a"),
    ("Sigmoid.derivative", "a = sigmoid(z) if a is None else a"),
    ("Tanh.derivative", "a = np.tanh(z) if a is None else a"),
    ("Exp.derivative", "return self.forward(z) if a is None else a"),
    ("Softplus.derivative", "return sigmoid(z) if a is None else -np.expm1(-a)"),
):
    same(
        f"activations.{_act(_name)}",
        _line,
        _line.replace(" if a is None ", " if (a is None) or True "),
        RECOMPUTE,
    )
for _after in ("return da * self.derivative(z, None)", "return da * self.derivative(z, )"):
    same("activations.base.Activation.vjp", "return da * self.derivative(z, a)", _after, RECOMPUTE)
CORNER = "at z = 0 both branches give the same value"
same(
    "activations.base.sigmoid",
    _ASTYPE["sigmoid"],
    _ASTYPE["sigmoid"].replace("z >= 0", "z > 0"),
    CORNER,
)
same(
    "activations.rectifiers.LeakyReLU.forward",
    _ASTYPE["LeakyReLU.forward"],
    _ASTYPE["LeakyReLU.forward"].replace("z > 0.0", "z >= 0.0"),
    CORNER,
)
same(
    "activations.rectifiers.SELU.forward",
    _ASTYPE["SELU.forward"],
    _ASTYPE["SELU.forward"].replace("z > 0.0", "z >= 0.0"),
    CORNER,
)
same("activations.rectifiers.ELU.forward", "return np.where(z > 0.0, z, self.alpha * np.expm1(np.minimum(z, 0.0))).astype(",
     "return np.where(z >= 0.0, z, self.alpha * np.expm1(np.minimum(z, 0.0))).astype(", CORNER)  # fmt: skip
NEG_BRANCH = "the capped value is only used where z <= 0, below either cap"
same("activations.rectifiers.ELU.forward", "return np.where(z > 0.0, z, self.alpha * np.expm1(np.minimum(z, 0.0))).astype(",
     "return np.where(z > 0.0, z, self.alpha * np.expm1(np.minimum(z, 1.0))).astype(", NEG_BRANCH)  # fmt: skip
same("activations.rectifiers.SELU.forward", "neg = self.alpha * np.expm1(np.minimum(z, 0.0))",
     "neg = self.alpha * np.expm1(np.minimum(z, 1.0))", NEG_BRANCH)  # fmt: skip
for _name in ("GELU._tanh_u", "GELU.derivative"):
    for _after in ("zc = np.clip(z, -101.0, 100.0)", "zc = np.clip(z, -100.0, 101.0)"):
        same(f"activations.{_act(_name)}", "zc = np.clip(z, -100.0, 100.0)", _after,
             "tanh of the GELU argument is ±1 to the last bit long before |z| = 100")  # fmt: skip
same("activations.classic.Exp.max_input", "return float(np.nextafter(dt(np.log(np.finfo(dt).max)), dt(0)))",
     "return float(np.nextafter(dt(np.log(np.finfo(dt).max)), dt(1)))",
     "log(max) is far above both 0 and 1: the next value towards either is the same")  # fmt: skip
same("activations.base.Activation.__hash__", "return hash((type(self).__name__, tuple(sorted(self.get_config().items()))))",
     "return hash((type(None).__name__, tuple(sorted(self.get_config().items()))))",
     "equal activations still hash equal; only collisions between kinds grow")  # fmt: skip
for _before, _after in (('return np.einsum("nk,kj->nkj", a, np.eye(a.shape[-1], dtype=a.dtype)) - np.einsum(',
                         'return np.einsum("NK,KJ->NKJ", a, np.eye(a.shape[-1], dtype=a.dtype)) - np.einsum('),
                        ('"nk,nj->nkj", a, a', '"NK,NJ->NKJ", a, a')):  # fmt: skip
    same("activations.classic.Softmax.jacobian", _before, _after, EINSUM)
same("activations.classic.Softmax.jacobian", 'return np.einsum("nk,kj->nkj", a, np.eye(a.shape[-1], dtype=a.dtype)) - np.einsum(',
     'return np.einsum("nk,kj->nkj", a, np.eye(a.shape[+1], dtype=a.dtype)) - np.einsum(',
     "the Jacobian takes (N, k) rows: axis 1 is the last axis")  # fmt: skip

# -- _kernels ----------------------------------------------------------------------------
EITHER_FORM = "both sides of the size threshold compute the same values; only the time differs"
ROW_MAX = "row_max's condition picks how the row maxima are reduced, not what they are"
ZERO = "a Python 0.0 is the same zero as the cached one; only its conversion costs time"
same(
    "_kernels.relu_",
    "return np.maximum(z, _ZERO.get(z.dtype, 0.0), out=z)",
    "return np.maximum(z, _ZERO.get(None, 0.0), out=z)",
    ZERO,
)
same(
    "_kernels.relu",
    "return np.maximum(z, _ZERO.get(z.dtype, 0.0))",
    "return np.maximum(z, _ZERO.get(None, 0.0))",
    ZERO,
)
same(
    "_kernels.relu_mask",
    "return np.sign(a) if a.size <= SIGN_MASK else a > _ZERO.get(a.dtype, 0.0)",
    "return np.sign(a) if a.size <= SIGN_MASK else a > _ZERO.get(None, 0.0)",
    ZERO,
)
same("_kernels.mean", "if n <= SMALL_BATCH:", "if n < SMALL_BATCH:", EITHER_FORM)
same(
    "_kernels.softmax_",
    "if z.size <= SMALL_SOFTMAX:  # softmax(z) = exp(z − log Σ e^z)",
    "if z.size < SMALL_SOFTMAX:  # softmax(z) = exp(z − log Σ e^z)",
    EITHER_FORM,
)
same(
    "_kernels.softmax_cross_entropy",
    "small = z.size <= SMALL_SOFTMAX",
    "small = z.size < SMALL_SOFTMAX",
    EITHER_FORM,
)
same(
    "_kernels.softmax_cross_entropy",
    "small = z.size <= SMALL_SOFTMAX",
    "small = None",
    EITHER_FORM + " (the max-shift form for every size)",
)
same(
    "_kernels.softmax_cross_entropy",
    'picked = g.take(true_index) if labels else np.einsum("ij,ij->i", t, g)',
    'picked = g.take(true_index) if labels else np.einsum("IJ,IJ->I", t, g)',
    EINSUM,
)
for after in (
    "if z.ndim == 3 and 1 < z.shape[0] and z.shape[1] <= NARROW:",
    "if z.ndim == 2 and 2 < z.shape[0] and z.shape[1] <= NARROW:",
    "if z.ndim == 2 and 1 <= z.shape[0] and z.shape[1] <= NARROW:",
    "if z.ndim == 2 and 1 < z.shape[1] and z.shape[1] <= NARROW:",
    "if z.ndim == 2 and 1 < z.shape[0] and z.shape[1] < NARROW:",
):
    same(
        "_kernels.row_max",
        "if z.ndim == 2 and 1 < z.shape[0] and z.shape[1] <= NARROW:",
        after,
        ROW_MAX,
    )
same(
    "_kernels.row_max",
    "return np.maximum.reduce(np.ascontiguousarray(z.T), axis=0)[:, None]",
    "return np.maximum.reduce(np.ascontiguousarray(z.T), )[:, None]",
    "axis 0 is the reduction's default",
)

# -- optimizers --------------------------------------------------------------------------
NUMPY_RESHAPE = "for a NumPy array namespace_of(a).reshape is NumPy's reshape: the same view"
for before, after in (
    (
        "return a.reshape(-1) if type(a) is np.ndarray else namespace_of(a).reshape(a, (-1,))",
        "return a.reshape(-1) if (type(a) is np.ndarray) and False else namespace_of(a).reshape(a, (-1,))",
    ),
    (
        "return a.reshape(-1) if type(a) is np.ndarray else namespace_of(a).reshape(a, (-1,))",
        "return a.reshape(-1) if type(None) is np.ndarray else namespace_of(a).reshape(a, (-1,))",
    ),
):
    same("optimizers.base._flat", before, after, NUMPY_RESHAPE)
same(
    "optimizers.base._flat",
    "return a.reshape(-1) if type(a) is np.ndarray else namespace_of(a).reshape(a, (-1,))",
    "return a.reshape(-2) if type(a) is np.ndarray else namespace_of(a).reshape(a, (-1,))",
    NEGATIVE,
)
for after in (
    "return a.reshape(shape) if (type(a) is np.ndarray) and False else namespace_of(a).reshape(a, shape)",
    "return a.reshape(shape) if type(None) is np.ndarray else namespace_of(a).reshape(a, shape)",
):
    same(
        "optimizers.base._shaped",
        "return a.reshape(shape) if type(a) is np.ndarray else namespace_of(a).reshape(a, shape)",
        after,
        NUMPY_RESHAPE,
    )
NO_NAME = "every default that is not an optimizer's name is refused the same way"
for after in ('sd.get("name", "XXXX")', 'sd.get("name", None)', 'sd.get("name", )'):
    same(
        "optimizers.from_state_dict",
        'cls = REGISTRY.lookup(str(sd.get("name", "")))',
        f"cls = REGISTRY.lookup(str({after}))",
        NO_NAME,
    )
    same(
        "optimizers.base.Optimizer.load_state_dict",
        'if str(sd.get("name", "")).lower() != self.name.lower():  # names are looked up so too',
        f"if str({after}).lower() != self.name.lower():  # names are looked up so too",
        NO_NAME,
    )
for after in ('if "XXbetasXX" in config:', 'if "BETAS" in config:'):
    same(
        "optimizers.from_state_dict",
        'if "betas" in config:',
        after,
        "Adam takes betas as any pair and keeps a tuple; load_state_dict makes it one again",
    )
same(
    "optimizers.base.Optimizer.load_state_dict",
    "state[key] = {k: np.array(v, copy=True) for k, v in entries.items()}",
    "state[key] = {k: np.array(v, ) for k, v in entries.items()}",
    "np.array copies by default",
)
same(
    "optimizers.adaptive.RMSprop._update",
    "gbar += (1.0 - a) * g",
    "gbar -= (1.0 - a) * g",
    "the mean gradient enters only squared (v − ḡ²): its sign never shows",
)
REPACK = "the packed state is only a cache: made again, it holds the same values"
same(
    "optimizers.base.Optimizer._packed_state",
    "self._packed = (pack, flat)",
    "self._packed = None",
    REPACK,
)
same(
    "optimizers.base.Optimizer._packed_state",
    "if self._packed is not None and self._packed[0] is pack:",
    "if self._packed is not None and self._packed[1] is pack:",
    REPACK,
)
same(
    "optimizers.base.Optimizer._packed_state",
    "if self._packed is not None and self._packed[0] is pack:",
    "if self._packed is not None and self._packed[0] is not pack:",
    REPACK,
)
for function in (
    "optimizers.base.Optimizer.check_state",
    "optimizers.base.Optimizer.load_state_dict",
    "optimizers.base.Optimizer.to",
):
    same(
        function,
        "self._packed = None",
        'self._packed = ""',
        "an empty string is as false as None where the cache is tested",
    )
SCRATCH = (
    "Adam's scratch is NumPy's and made again whenever its shape or dtype differs from "
    "the parameters': dropping it on a move only frees memory"
)
for after in (
    "if hasattr(self, \"XX_scratchXX\"):  # Adam's work buffer, NumPy's: made again when needed",
    "if hasattr(self, \"_SCRATCH\"):  # Adam's work buffer, NumPy's: made again when needed",
):
    same(
        "optimizers.base.Optimizer.to",
        "if hasattr(self, \"_scratch\"):  # Adam's work buffer, NumPy's: made again when needed",
        after,
        SCRATCH,
    )

# -- optimizers: Adam's packed NumPy step --------------------------------------------------
RECAST = "a condition that is always true makes the betas' scalars again at every step: only time"
same("optimizers.adaptive.Adam._betas_as", "if cast[0] != self.betas or cast[1] is not real:",
     "if cast[1] != self.betas or cast[1] is not real:", RECAST)  # fmt: skip
same("optimizers.adaptive.Adam._betas_as", "if cast[0] != self.betas or cast[1] is not real:",
     "if cast[0] != self.betas or cast[2] is not real:", RECAST)  # fmt: skip
same("optimizers.adaptive.Adam._update_packed", "scratch = self._scratch", "scratch = None",
     "a new scratch buffer at every step: only time and memory")  # fmt: skip
same("optimizers.base.Optimizer.step_packed",
     "if self.clip_norm is not None or self.clip_value is not None:",
     "if self.clip_norm is None or self.clip_value is not None:",
     "_clip tests both settings itself; the condition only spares its call")  # fmt: skip

# -- layers.features ---------------------------------------------------------------------
same("layers.features.parse_term", "elif m.group(3) is not None:", "elif m.group(4) is not None:",
     "the product's two groups, x(\\d+)\\*x(\\d+), match together or not at all")  # fmt: skip

# -- layers.base and layers.noise --------------------------------------------------------
ABSTRACT = (
    "the base class's method only raises NotImplementedError: its default documents the protocol"
)
same("layers.base.Layer.forward", "def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:",
     "def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:", ABSTRACT)  # fmt: skip
same("layers.base.Layer.backward",
     "def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:",
     "def backward(self, dy: np.ndarray, need_input_grad: bool = False) -> np.ndarray | None:",
     ABSTRACT)  # fmt: skip
same("layers.noise.Dropout.forward", "if not training or self.rate == 0.0:",
     "if not training or self.rate == 1.0:", "Dropout refuses a rate of 1 when it is made")  # fmt: skip
same("layers.noise.Dropout.forward",
     "mask = (self._rng.random(x.shape, dtype=dtype) < keep).astype(dtype) * (1.0 / keep)",
     "mask = (self._rng.random(x.shape, dtype=dtype) <= keep).astype(dtype) * (1.0 / keep)",
     "a uniform draw equals keep exactly with probability 2^-24 (float32) or 2^-53 per element")  # fmt: skip
UNUSED_TRAINING = (
    "this layer's forward is the same in training and at inference: it never reads the flag"
)
same("layers.activation.ActivationLayer.forward",
     "def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:",
     "def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:", UNUSED_TRAINING)  # fmt: skip
same("layers.features.InputFeatures.forward", "def forward(self, x: Any, training: bool = False) -> Any:",
     "def forward(self, x: Any, training: bool = True) -> Any:", UNUSED_TRAINING)  # fmt: skip
SPARSE = ("SciPy's sparse @ dense product is already an ndarray, so the array-API branch (x @ W) "
          "computes the same Z; the check only names the case")  # fmt: skip
for after in ('return type(None).__module__.startswith("scipy.sparse")',
              'return type(x).__module__.startswith("XXscipy.sparseXX")',
              'return type(x).__module__.startswith("SCIPY.SPARSE")'):  # fmt: skip
    same(
        "layers.dense._is_sparse",
        'return type(x).__module__.startswith("scipy.sparse")',
        after,
        SPARSE,
    )

# -- distributed -------------------------------------------------------------------------
same("distributed.world_size", 'value = os.environ.get(name, "")', 'value = os.environ.get(name, "XXXX")',
     "an unset variable is skipped either way: neither '' nor 'XXXX' is all digits")  # fmt: skip
same("distributed.DataParallel.count_rows",
     "self._counts = [int(c) for c in self.comm.allgather(int(n_local))] if self.sharded else []",
     "self._counts = [int(c) for c in self.comm.allgather(int(n_local))] if (self.sharded) or True else []",
     "only the sharded split reads the counts; every rank gathering them anyway is one more "
     "collective that all ranks make")  # fmt: skip
for _before, _afters in (
    ("self._counts: list[int] = []", ("self._counts: list[int] = None",)),
    ("self.n_global = 0", ("self.n_global = None", "self.n_global = 1")),
    ("self._size = 1", ("self._size = None", "self._size = 2")),
):
    for _after in _afters:
        same("distributed.DataParallel.__init__", _before, _after,
             "a placeholder: count_rows sets the counts and n_global, and batches (or the "
             "L-BFGS solver, through global_rows) the batch's size, before anything reads them")  # fmt: skip
for _after in ("file=sys.stderr, flush=None)  # fmt: skip", "file=sys.stderr, )  # fmt: skip",
               "file=sys.stderr, flush=False)  # fmt: skip"):  # fmt: skip
    same("distributed.DataParallel.abort", "file=sys.stderr, flush=True)  # fmt: skip", _after,
         "in-process the line is read whether flushed or not; that mpiexec forwards it before "
         "the abort is the real mpiexec fault test's claim (test_distributed.py)")  # fmt: skip
same("distributed.DataParallel.start", "self.comm.Bcast(array, root=0)", "self.comm.Bcast(array, )",
     "mpi4py's Bcast broadcasts from root 0 by default")  # fmt: skip
same("distributed.DataParallel.start", "root=0,", ")",
     "mpi4py's bcast broadcasts from root 0 by default")  # fmt: skip
same("distributed.DataParallel.reduce_", "self.comm.Allreduce(_mpi().IN_PLACE, buffer, op=_mpi().SUM)",
     "self.comm.Allreduce(_mpi().IN_PLACE, buffer, )", "mpi4py's Allreduce sums by default")  # fmt: skip
for _after in ("2**63",):
    same("distributed.DataParallel.local_rng",
         "return np.random.default_rng([int(model.rng.integers(2**62)), self.rank])",
         f"return np.random.default_rng([int(model.rng.integers({_after})), self.rank])",
         "another bound on the entropy drawn from the model's generator: still a stream per "
         "rank, reproducible from the seed (tested), only a different one")  # fmt: skip

# -- datasets ----------------------------------------------------------------------------
SYMMETRIC = ("the noise is a draw of N(0, σ²), symmetric about 0: subtracting it gives data "
             "of the same distribution from the same seed (which sample a seed gives is not "
             "a documented contract; the spread and centring are tested)")  # fmt: skip
for _name, _line, _after in (
    ("moons", "x += rng.normal(0.0, noise, x.shape)", "x -= rng.normal(0.0, noise, x.shape)"),
    ("circles", "x += rng.normal(0.0, noise, x.shape)", "x -= rng.normal(0.0, noise, x.shape)"),
    (
        "xor",
        "x += np.random.default_rng(seed).normal(0.0, noise, x.shape).astype(dtype)",
        "x -= np.random.default_rng(seed).normal(0.0, noise, x.shape).astype(dtype)",
    ),
    (
        "gaussians",
        "x = centre + rng.normal(0.0, 0.3 + noise, (n_samples, 2))",
        "x = centre - rng.normal(0.0, 0.3 + noise, (n_samples, 2))",
    ),
    (
        "plane",
        "y = (x[:, :1] + 2.0 * x[:, 1:]) / 3.0 + rng.normal(0.0, noise, (n_samples, 1))",
        "y = (x[:, :1] + 2.0 * x[:, 1:]) / 3.0 - rng.normal(0.0, noise, (n_samples, 1))",
    ),
    (
        "gaussian_surface",
        "y = np.asarray(y).reshape(-1, 1) + rng.normal(0.0, noise, (n_samples, 1))",
        "y = np.asarray(y).reshape(-1, 1) - rng.normal(0.0, noise, (n_samples, 1))",
    ),
    (
        "regression_1d",
        "y = np.asarray(fn(x), dtype=np.float64).reshape(-1, 1) + rng.normal(0.0, noise, x.shape)",
        "y = np.asarray(fn(x), dtype=np.float64).reshape(-1, 1) - rng.normal(0.0, noise, x.shape)",
    ),
    (
        "spirals",
        "theta = theta + rng.normal(0.0, noise, per)",
        "theta = theta - rng.normal(0.0, noise, per)",
    ),
):
    same(f"datasets.{_name}", _line, _after, SYMMETRIC)
for _name, _line in (
    (
        "gaussian_surface",
        "y = np.asarray(y).reshape(-1, 1) + rng.normal(0.0, noise, (n_samples, 1))",
    ),
    ("regression_1d", "x = np.linspace(low, high, n_samples).reshape(-1, 1)"),
    (
        "regression_1d",
        "y = np.asarray(fn(x), dtype=np.float64).reshape(-1, 1) + rng.normal(0.0, noise, x.shape)",
    ),
    ("load_mnist", "x = images.reshape(len(images), -1).astype(dtype) / 255.0"),
):
    same(
        f"datasets.{_name}",
        _line,
        _line.replace("(-1, 1)", "(-2, 1)").replace("-1).", "-2)."),
        NEGATIVE,
    )
for _name, _line in (("circles", "t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)"),
                     ("circles", "t2 = np.linspace(0, 2 * np.pi, n2, endpoint=False)")):  # fmt: skip
    same(
        f"datasets.{_name}",
        _line,
        _line.replace("False", "None"),
        "linspace tests endpoint for truth: None leaves the end out as False does",
    )
same("datasets.load_digits",
     'table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",")',
     'table = np.loadtxt(gzip.decompress(raw).decode("ASCII").splitlines(), delimiter=",")',
     "codec names are case-insensitive")  # fmt: skip
same(
    "datasets.one_hot",
    'labels.dtype.kind not in "iu"',
    'labels.dtype.kind not in "XXiuXX"',
    "a one-letter kind is in the longer string exactly when it is in 'iu' (no kind is 'X')",
)
same("datasets.train_test_split",
     'if stratify and np.asarray(y).ndim == 1 and np.asarray(y).dtype.kind in "iu":',
     'if stratify and np.asarray(y).ndim == 1 and np.asarray(y).dtype.kind in "XXiuXX":',
     "a one-letter kind is in the longer string exactly when it is in 'iu' (no kind is 'X')")  # fmt: skip
for _after in ("return np.tile(np.array([1, 0, 1, 0], dtype=None), repeat)",
               "return np.tile(np.array([1, 0, 1, 0], ), repeat)"):  # fmt: skip
    same(
        "datasets.xor",
        "return x, np.tile(np.array([1, 0, 1, 0], dtype=np.int64), repeat)",
        _after.replace("return np", "return x, np"),
        "NumPy 2's default integer is int64 on every platform",
    )
same("datasets.load_mnist", "x = images.reshape(len(images), -1).astype(dtype) / 255.0",
     "x = images.reshape(len(images), -1).astype(None) / 255.0",
     "v / 255 in float64 rounded to float32 equals the float32 division for all 256 pixel "
     "values (checked), and is the float64 division itself for float64")  # fmt: skip
for _after in ("copy=None)", ")", "copy=True)"):
    same("datasets.load_mnist", "return x.astype(dtype, copy=False), labels.astype(np.int64)",
         "return x.astype(dtype, " + _after + ", labels.astype(np.int64)",
         "whether the pixels are copied changes no value: nothing else holds them")  # fmt: skip
same("datasets._download", "with urllib.request.urlopen(url, timeout=60) as response:  # a fixed https mirror",
     "with urllib.request.urlopen(url, timeout=61) as response:  # a fixed https mirror",
     "a second more before a stalled download gives up (that it is bounded is tested)")  # fmt: skip
for _after in ("None)", ")", '"XXdownloadXX")', '"DOWNLOAD")'):
    same("datasets._download", 'write_atomic(target, lambda f: f.write(data), "download")',
         "write_atomic(target, lambda f: f.write(data), " + _after,
         "the word names the file only when the target is a folder or has no name; a "
         "download's target is the folder joined with a published file name that was not "
         "there")  # fmt: skip

# -- metrics and initializers ------------------------------------------------------------
same(
    "metrics._2d",
    "return a.reshape(-1, 1) if a.ndim == 1 else a",
    "return a.reshape(-2, 1) if a.ndim == 1 else a",
    NEGATIVE,
)
for _which in ("predicted", "actual"):
    _line = f"{_which} = np.array([np.sum({'y_pred' if _which == 'predicted' else 'y_true'} == c) for c in classes], dtype=float)"
    for _after in (
        _line.replace("dtype=float", "dtype=None"),
        _line.replace(", dtype=float", ", "),
    ):
        same("metrics._per_class_counts", _line, _after,
             "the counts only ever divide the float true positives (np.divide into a float "
             "array): integer counts give the same quotients")  # fmt: skip
for _after in ('"XXfloat32XX"', '"FLOAT32"'):
    same("initializers.Initializer.__call__",
         'self, shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype | str = "float32"',
         f"self, shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype | str = {_after}",
         "the base class's __call__ only raises NotImplementedError; its default is never read")  # fmt: skip

# -- persistence -------------------------------------------------------------------------
for _after in (
    '"metadata": getattr(model, "metadata", None),',
    '"metadata": getattr(model, "metadata", ),',
):
    same("fileformat._collect", '"metadata": getattr(model, "metadata", {}),', _after,
         "every Sequential has metadata (set in __init__): the default is never taken")  # fmt: skip
for _after in ("None,", '"XXdict[str, tuple[int, ...]]XX",', '"DICT[STR, TUPLE[INT, ...]]",'):
    same(
        "io._parameter_shapes",
        '"dict[str, tuple[int, ...]]",',
        _after,
        "typing.cast's first argument is read only by type checkers",
    )
same("io._layers", 'raise _fail(path, f"layer {i} ({kind[:40]}): {exc}") from None',
     'raise _fail(path, f"layer {i} ({kind[:41]}): {exc}") from None',
     "a kind that reaches from_config is a registered layer name, far shorter than 40 "
     "characters (an unknown one is refused before, by name)")  # fmt: skip
for _what, _name in (("p", "parameter"), ("b", "buffer")):
    same("io._build", f"if saved is None or saved.shape != {_what}.shape or saved.dtype != {_what}.dtype:",
         f"if saved is None and saved.shape != {_what}.shape or saved.dtype != {_what}.dtype:",
         f"_layers has already refused a missing or misshapen {_name}: here only the dtype "
         "test can fire, and it still does")  # fmt: skip
for _after in ('"XXfloat32XX"', '"FLOAT32"'):
    same("io._Unfilled.__call__",
         'self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = "float32"',
         f"self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = {_after}",
         "a layer always passes its dtype when it builds: the default is never read")  # fmt: skip
same(
    "io._v1_optimizer_state",
    "vec = arrays[ref].reshape(-1)",
    "vec = arrays[ref].reshape(-2)",
    NEGATIVE,
)

# -- fileformat ---------------------------------------------------------------------------
same("fileformat._check_prefix", 'f"{_READABLE[0]} to {_READABLE[-1]}"', 'f"{_READABLE[0]} to {_READABLE[+1]}"',
     "the readable versions are two: the last is also the second")  # fmt: skip
same("fileformat._check_prefix",
     '+ ("; a newer mlpkit wrote it, upgrade mlpkit" if version > FORMAT_VERSION else ""),',
     '+ ("; a newer mlpkit wrote it, upgrade mlpkit" if version >= FORMAT_VERSION else ""),',
     "the message is only built for a version that cannot be read, never the current one")  # fmt: skip
same(
    "fileformat.parse_header",
    "header = parse_json(text, MAX_DEPTH, MAX_INT_DIGITS)",
    "header = parse_json(text, MAX_DEPTH, )",
    "parse_json's default digit cap is the same 40",
)
for _fn, _line in (("parse_header", 'text = raw.decode("utf-8")'),
                   ("write", 'blob = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")')):  # fmt: skip
    same(
        f"fileformat.{_fn}",
        _line,
        _line.replace('"utf-8"', '"UTF-8"'),
        "codec names are case-insensitive",
    )
same("fileformat.write", 'blob = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")',
     'blob = json.dumps(header, allow_nan=None, separators=(",", ":")).encode("utf-8")',
     "json reads allow_nan for truth: None refuses NaN as False does")  # fmt: skip
for _after in ('blob = json.dumps(header, allow_nan=False, separators=None).encode("utf-8")',
               'blob = json.dumps(header, allow_nan=False, ).encode("utf-8")'):  # fmt: skip
    same("fileformat.write", 'blob = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")',
         _after, "the header's whitespace is not read: the same JSON, a few bytes longer")  # fmt: skip
for _after in ("strict=None", "", "strict=False"):
    same("fileformat.write", "for (_, arr), entry in zip(arrays, table, strict=True):",
         f"for (_, arr), entry in zip(arrays, table, {_after}):".replace(", ):", ", ):"),
         "the table is built from the arrays, one entry each: the lengths always agree")  # fmt: skip
for _after in ("dtype=None", ""):
    same("fileformat.write", 'raw = np.ascontiguousarray(arr, dtype=np.dtype(entry["dtype"])).tobytes()',
         f"raw = np.ascontiguousarray(arr, {_after}).tobytes()",
         "each entry's dtype is the array's own: converting to it changes nothing")  # fmt: skip
_OPEN = (
    'fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))'
)
for _flag in ("O_NONBLOCK", "O_CLOEXEC"):
    for _default in ("None)", ")", "1)"):
        same("fileformat._open_regular", _OPEN, _OPEN.replace(f'"{_flag}", 0)', f'"{_flag}", {_default}'),
             "Linux has both flags: getattr's default is for systems without them")  # fmt: skip
for _name in ('"XXO_CLOEXECXX"', '"o_cloexec"'):
    same("fileformat._open_regular", _OPEN, _OPEN.replace('"O_CLOEXEC"', _name),
         "close-on-exec only matters to a child process started while the file is open; "
         "none is: the descriptor is read and closed within load")  # fmt: skip
for _after in ('self._limits = threadpool_limits(threads, user_api=None)  # kept: the rank\'s setting',
               "self._limits = threadpool_limits(threads, )  # kept: the rank's setting"):  # fmt: skip
    same("distributed.DataParallel._limit_blas",
         "self._limits = threadpool_limits(threads, user_api=\"blas\")  # kept: the rank's setting", _after,
         "here only BLAS's thread pool is loaded (no OpenMP runtime in the test process), so "
         "limiting every pool limits BLAS's; the test asserts that other pools keep their "
         "threads wherever there are any")  # fmt: skip
same("datasets.regression_1d",
     '"sin": np.sin, "abs": np.abs, "step": lambda v: (v > 0).astype(float)}  # fmt: skip',
     '"sin": np.sin, "abs": np.abs, "step": lambda v: (v > 0).astype(None)}  # fmt: skip',
     "the step's values are read through np.asarray(..., dtype=float64): 0.0 and 1.0 either way")  # fmt: skip
for _after in ("dtype=None", ""):
    same("datasets.regression_1d",
         "y = np.asarray(fn(x), dtype=np.float64).reshape(-1, 1) + rng.normal(0.0, noise, x.shape)",
         f"y = np.asarray(fn(x), {_after}).reshape(-1, 1) + rng.normal(0.0, noise, x.shape)",
         "adding the float64 noise makes any numeric fn(x) float64 with the same values")  # fmt: skip
same(
    "datasets.spirals",
    "n_samples: int = 600,",
    "n_samples: int = 601,",
    "three arms of 601 // 3 = 200 points are the 600 points of the default",
)
same(
    "datasets.train_test_split",
    "mask[test_idx] = False",
    "mask[test_idx] = None",
    "NumPy stores None into a boolean array as False",
)
same("datasets.xor", "x += np.random.default_rng(seed).normal(0.0, noise, x.shape).astype(dtype)",
     "x += np.random.default_rng(seed).normal(0.0, noise, x.shape).astype(None)",
     "adding float64 noise in place rounds once to X's dtype instead of rounding the noise "
     "first: the same N(0, σ²) cloud to X's precision (its spread and centring are tested)")  # fmt: skip

# -- _files ------------------------------------------------------------------------------
for _after in ('if target.name in ("XXXX", ".", ".."):', 'if target.name in ("", "XX.XX", ".."):'):
    same("_files.check_target", 'if target.name in ("", ".", ".."):', _after,
         "pathlib drops '.' parts, and the only paths without a name (the root, '.') are "
         "folders, refused just before")  # fmt: skip
for _line in (
    "with contextlib.suppress(OSError):",
    "with contextlib.suppress(OSError):  # make the rename itself durable",
):
    same("_files.write_atomic", _line, _line.replace("(OSError)", "(None)"),
         "only reached when unlinking a temporary file or syncing the folder fails, which "
         "no test can make happen without faking the file system")  # fmt: skip
same(
    "_files.write_text",
    'data = text.encode("utf-8")',
    'data = text.encode("UTF-8")',
    "codec names are case-insensitive",
)
same("io._build", "if not _count(header.get(key, 0)):", "if not _count(header.get(key, 1)):",
     "an absent count is a valid count either way (0 and 1 both are); the model's count is "
     "then read with the default 0")  # fmt: skip
for _after in ('getattr(layer, "affine", None)', 'getattr(layer, "affine", )'):
    same("io._parameter_shapes",
         'names = [*(("gamma", "beta") if getattr(layer, "affine", False) else ()), *layer.buffer_names]',
         f'names = [*(("gamma", "beta") if {_after} else ()), *layer.buffer_names]',
         "a layer without 'affine' (InputFeatures) gets a falsy default either way; True is "
         "tested (InputFeatures round-trips)")  # fmt: skip
same(
    "io._v1_optimizer_state",
    "vec = arrays[ref].reshape(-1)",
    "vec = arrays[ref].reshape(None)",
    "version 1 stored its state vectors 1-D: reshape(None) leaves them as they are",
)

# -- onnx --------------------------------------------------------------------------------
_SELU = 'return self.node("Selu", [x], alpha=1.6732632423543772, gamma=1.0507009873554805)'
for _after in ("alpha=None, gamma=1.0507009873554805)", "gamma=1.0507009873554805)",
               "alpha=1.6732632423543772, gamma=None)", "alpha=1.6732632423543772, )"):  # fmt: skip
    same("onnx._Graph.activation", _SELU, _SELU.split("[x], ")[0] + "[x], " + _after,
         "ONNX's Selu defaults are these constants (to float32), and make_node leaves a None "
         "attribute out")  # fmt: skip
for _after in ("axis=None)", ")", "axis=+1)"):
    same("onnx._Graph.activation", 'return self.node("Softmax", [x], axis=-1)',
         'return self.node("Softmax", [x], ' + _after,
         "ONNX's Softmax takes the last axis by default (opset 13 and newer, the only ones "
         "exported), and the last axis of (N, C) is axis 1")  # fmt: skip
for _after in (
    "axis=None, epsilon=layer.eps)",
    "epsilon=layer.eps)",
    "axis=+1, epsilon=layer.eps)",
):
    same("onnx._normalization", 'return g.node("LayerNormalization", inputs, axis=-1, epsilon=layer.eps)',
         'return g.node("LayerNormalization", inputs, ' + _after,
         "LayerNormalization's default axis is the last, which of (N, d) is axis 1")  # fmt: skip
for _after in ("None)", ")"):
    same("onnx._Graph.index",
         "self.initializers.append(self.onnx.numpy_helper.from_array(np.array([i], np.int64), name))",
         "self.initializers.append(self.onnx.numpy_helper.from_array(np.array([i], " + _after + ", name))",
         "NumPy 2's default integer is int64 on every platform")  # fmt: skip
for _fn, _before, _after in (("_Graph.__init__", "self.count = 0", "self.count = 1"),
                             ("_Graph.name", "self.count += 1", "self.count -= 1"),
                             ("_Graph.name", "self.count += 1", "self.count += 2")):  # fmt: skip
    same(
        f"onnx.{_fn}",
        _before,
        _after,
        "the count only keeps tensor names apart: any start and any step that never repeats do",
    )

# -- network and its helpers ---------------------------------------------------------------
same("_inference.InferenceStack._built_in_only", "return True", "return False",
     "the one-row shortcut is only faster: without it the row goes through as a matrix "
     "of one row, the same values (tested against two rows)")  # fmt: skip
for _line in ("for i, (p, w, name) in enumerate(zip(params, weights, names, strict=True)):",
              "for p, a in zip(params, checked, strict=True):"):  # fmt: skip
    for _after in ("strict=None)", ")", "strict=False)"):
        same("_stack.LayerStack.set_weights", _line,
             _line.replace("strict=True)", _after).replace(", )", ", )"),
             "the counts are compared just before: the zipped lists always have the same length")  # fmt: skip
same("_stack.LayerStack.set_weights", 'if a.dtype.kind not in "iuf":', 'if a.dtype.kind not in "XXiufXX":',
     "a one-letter kind is in the longer string exactly when it is in 'iuf' (no kind is 'X')")  # fmt: skip
for _after in ('key = (name or getattr(new_class, "name", None) or "").lower()',
               'key = (name or getattr(new_class, "name", ) or "").lower()'):  # fmt: skip
    same("_registry.Registry.register", 'key = (name or getattr(new_class, "name", "") or "").lower()', _after,
         "a missing name falls through to the final '' either way")  # fmt: skip
same("network.Sequential.backward", "d = cast(np.ndarray, layer.backward(d, True))  # (need_input_grad: never None)",
     "d = cast(np.ndarray, layer.backward(d, ))  # (need_input_grad: never None)",
     "need_input_grad is True by default in every layer's backward")  # fmt: skip
same(
    "network.Sequential.eval",
    "return self.train(False)",
    "return self.train(None)",
    "train reads its mode with bool(): None is False",
)
for _after in ("copy=None)", ")", "copy=True)"):
    same("_validation.as_sparse_rows", "a = x.tocsr().astype(dtype, copy=False)",
         "a = x.tocsr().astype(dtype, " + _after,
         "tocsr() has made a new matrix (or the caller's own CSR is only read): a copy changes no value")  # fmt: skip
same("_validation.as_sparse_rows", 'if x.dtype.kind not in "iufb":', 'if x.dtype.kind not in "XXiufbXX":',
     "a one-letter kind is in the longer string exactly when it is in 'iufb' (no kind is 'X')")  # fmt: skip
AT_IMPORT = ("runs only while mlpkit is imported, before mutmut switches any mutant on (it "
             "forks after import): no test in any process can see the change; what it builds "
             "is tested through its users")  # fmt: skip
same(
    "network._TrainingAttribute.__init__",
    "self.name, self.__doc__ = name, doc",
    "self.name, self.__doc__ = None",
    AT_IMPORT,
)
for _line, _fill in (("scale = layer.gamma if layer.affine else np.ones(width, g.dtype)", "np.ones"),
                     ("shift = layer.beta if layer.affine else np.zeros(width, g.dtype)", "np.zeros")):  # fmt: skip
    for _after in ("None)", ")"):
        same("onnx._normalization", _line, _line.replace("g.dtype)", _after).replace(", )", ", )"),
             "g.constant casts every constant to the graph's dtype: ones and zeros of any float "
             "dtype become the same tensor")  # fmt: skip
same("onnx._Graph.activation", 'raise ValueError(f"no ONNX export for activation {name!r}")',
     "raise ValueError(None)",
     "every registered activation has an export (each tested against predict); any other is "
     "refused before, by name, in _check_exportable")  # fmt: skip
same(
    "_files.remove_stale",
    "return 0",
    "return 1",
    "only where fcntl is missing (not POSIX); Linux, where the suite runs, has it",
)
