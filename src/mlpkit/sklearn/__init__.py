"""scikit-learn estimators: swap ``from sklearn.neural_network import MLPClassifier``
for ``from mlpkit.sklearn import MLPClassifier`` and the same code runs.

The constructors take scikit-learn's parameters with their meanings — solver, alpha
(L2 strength divided by the batch's total sample weight, as scikit-learn does),
batch_size="auto" = min(200, n), learning_rate schedules, tol / n_iter_no_change,
early_stopping on a held-out validation_fraction, warm_start, partial_fit — and add what
scikit-learn's maintainers declined: any mlpkit activation ("gelu", "elu", ...),
``dropout``, ``batch_norm``, ``class_weight``, mlpkit ``callbacks``, per-epoch validation curves
(``validation_loss_curve_`` and the full ``history_``), and ``strategy``
(``mlpkit.distributed.DataParallel()`` under ``mpiexec``: adam/sgd train data-parallel;
lbfgs evaluates each rank's share and all-reduces the loss and gradient before the same
L-BFGS step everywhere).

Computation follows the input dtype like scikit-learn's (float32 stays float32,
everything else becomes float64) and weights and biases are initialised the way
scikit-learn does it. Differences worth knowing: Adam adds ε to the bias-corrected √v̂
(PyTorch's rule) where scikit-learn adds it before the correction; the random streams
differ, so the same random_state gives a different (equally good) model. Sparse input
(CSR/CSC) is used sparsely: the first layer multiplies it without densifying.

Needs scikit-learn: ``pip install scikit-learn``.
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("mlpkit.sklearn needs scikit-learn: pip install 'mlpkit[sklearn]'") from exc

from .classifier import MLPClassifier
from .regressor import MLPRegressor
from .transformer import AutoencoderTransformer

__all__ = ["AutoencoderTransformer", "MLPClassifier", "MLPRegressor"]
