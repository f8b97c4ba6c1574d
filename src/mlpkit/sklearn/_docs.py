"""The Parameters sections of the estimators' docstrings, written once: the classifier
and the regressor share all but a few, in scikit-learn's own order and meaning."""

from __future__ import annotations

__all__ = ["parameters_section", "with_parameters"]

_SHARED = {
    "hidden_layer_sizes": ("tuple of int, default (100,)", "The widths of the hidden layers."),
    "activation": (
        'str, default "relu"',
        'The hidden activation: scikit-learn\'s "identity", "logistic", "tanh", "relu", or any mlpkit activation name.',  # noqa: E501
    ),
    "solver": (
        '{"adam", "sgd", "lbfgs"}, default "adam"',
        "The optimizer; L-BFGS runs over the packed parameters in full batches.",
    ),
    "alpha": (
        "float, default 1e-4",
        "The L2 penalty's strength, divided by the batch's size as scikit-learn does.",
    ),
    "batch_size": (
        'int or "auto", default "auto"',
        '"auto" is min(200, n_samples); lbfgs ignores it.',
    ),
    "learning_rate": (
        '{"constant", "invscaling", "adaptive"}, default "constant"',
        "sgd's schedule.",
    ),
    "learning_rate_init": ("float, default 1e-3", "The initial learning rate (adam, sgd)."),
    "power_t": ("float, default 0.5", 'The exponent of "invscaling".'),
    "max_iter": ("int, default 200", "Epochs (adam, sgd) or iterations (lbfgs)."),
    "shuffle": ("bool, default True", "Reshuffle the rows every epoch."),
    "random_state": (
        "int, RandomState or None",
        "Seeds the weights, shuffling, dropout and the validation split.",
    ),
    "tol": ("float, default 1e-4", "The improvement under which an epoch does not count."),
    "verbose": ("bool, default False", "Print the loss of each epoch."),
    "warm_start": ("bool, default False", "Continue from the last fit's weights."),
    "momentum": ("float, default 0.9", "sgd's momentum."),
    "nesterovs_momentum": ("bool, default True", "sgd's Nesterov momentum."),
    "early_stopping": (
        "bool, default False",
        "Hold out ``validation_fraction`` and stop when its score stops improving.",
    ),
    "validation_fraction": (
        "float, default 0.1",
        "The held-out fraction (stratified for a classifier).",
    ),
    "beta_1": ("float, default 0.9", "adam's β1."),
    "beta_2": ("float, default 0.999", "adam's β2."),
    "epsilon": ("float, default 1e-8", "adam's ε."),
    "n_iter_no_change": ("int, default 10", "Epochs without ``tol`` improvement before stopping."),
    "max_fun": ("int, default 15000", "lbfgs's most loss evaluations."),
    "dropout": ("float, default 0.0", "mlpkit's: a Dropout after every hidden layer (adam, sgd)."),
    "batch_norm": (
        "bool, default False",
        "mlpkit's: a BatchNorm in every hidden layer (adam, sgd).",
    ),
    "class_weight": (
        'dict or "balanced", optional',
        "mlpkit's: weights of the classes in the loss.",
    ),
    "callbacks": (
        "list of Callback, optional",
        "mlpkit's: callbacks of each fit (EarlyStopping, say).",
    ),
    "strategy": (
        "DataParallel, optional",
        "mlpkit's: train in step across the processes of ``mpiexec``.",
    ),
    "n_components": ("int, default 2", "The bottleneck's width: the codes' dimension."),
    "latent_activation": ('str, default "identity"', "The bottleneck's activation."),
    "output_activation": (
        'str, default "auto"',
        '"auto" follows the data: sigmoid and cross-entropy for values in [0, 1], identity and mse otherwise.',
    ),
    "noise": (
        "float, default 0.0",
        "Gaussian noise on the inputs in training (a denoising autoencoder).",
    ),
    "loss": ('{"squared_error", "poisson"}, default "squared_error"', "The regressor's loss."),
}


def parameters_section(names: list[str], indent: str = "    ") -> str:
    """A numpydoc Parameters section for ``names`` (the estimator's signature order),
    indented as a class docstring's body is."""
    lines = ["", "Parameters", "----------"]
    for name in names:
        kind, text = _SHARED[name]
        lines += [f"{name} : {kind}", f"    {text}"]
    return "\n".join(indent + line if line else line for line in lines) + "\n"


def with_parameters(cls: type) -> None:
    """Put the Parameters section of ``cls``'s signature into its docstring, before its
    Examples (numpydoc's order)."""
    import inspect

    doc = (cls.__doc__ or "").rstrip()
    section = parameters_section(list(inspect.signature(cls).parameters))
    head, marker, examples = doc.partition("\n    Examples\n    --------")
    cls.__doc__ = head.rstrip() + "\n" + section + (marker + examples + "\n" if marker else "")
