"""scikit-learn's stopping and learning-rate rules, as an mlpkit callback."""

from __future__ import annotations

import math
from typing import Any

from ..callbacks import Callback

__all__ = ["SklearnSchedule"]


class SklearnSchedule(Callback):
    """scikit-learn's stopping and learning-rate rules, run at each epoch end:

    * training-loss mode: an epoch counts as "no improvement" when its loss is not below
      the best loss minus ``tol``; early_stopping mode: when the validation score is not
      above the best score plus ``tol`` (the best weights are kept and restored);
    * after more than ``n_iter_no_change`` such epochs: stop — or, for
      ``solver="sgd", learning_rate="adaptive"``, divide the learning rate by 5 and go
      on until it falls below 1e-6;
    * ``learning_rate="invscaling"``: lr = learning_rate_init / t^power_t, t the number
      of samples seen.
    """

    def __init__(self, estimator: Any, n_train: int, validation: tuple[Any, Any] | None) -> None:
        self.est, self.n_train, self.validation = estimator, n_train, validation

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        est, logs = self.est, logs or {}
        est.n_iter_ += 1
        est.t_ += self.n_train
        loss = float(logs["loss"])
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if "val_loss" in logs:
            est.validation_loss_curve_.append(float(logs["val_loss"]))
        if self.validation is not None:
            # a diverged epoch (TerminateOnNaN ended it) scores nan, as scikit-learn's does
            score = est._validation_score(*self.validation) if math.isfinite(loss) else math.nan
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_weights = self.model.snapshot()
        else:
            if loss > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            est.best_loss_ = min(est.best_loss_, loss)
        opt = self.model.optimizer
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            opt.lr = est.learning_rate_init / (est.t_ + 1) ** est.power_t
        if est._no_improvement_count > est.n_iter_no_change:
            if est.solver == "sgd" and est.learning_rate == "adaptive" and opt.lr > 1e-6:
                opt.lr /= 5.0
                est._no_improvement_count = 0
            else:
                est._stopped_early = True
                self.model.stop_training = True
