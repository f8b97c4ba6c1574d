"""The public names ../shared/DESIGN.md promises other code, with their signatures."""

from __future__ import annotations

import inspect

import numpy as np

import mlpkit


def params(obj) -> list[str]:
    return list(inspect.signature(obj).parameters)


def test_names_and_signatures():
    assert params(mlpkit.Sequential)[:2] == ["layers", "seed"]
    assert params(mlpkit.Dense)[:4] == ["in_features", "out_features", "activation", "init"]
    for name in ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "Softplus", "Softmax", "Identity"):
        assert isinstance(getattr(mlpkit, name)(), mlpkit.Layer)
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "softmax", "identity"):
        assert mlpkit.Dense(2, 2, name).activation.name == name
    fit = params(mlpkit.Sequential.fit)
    assert fit[1:] == [
        "x",
        "y",
        "loss",
        "optimizer",
        "epochs",
        "batch_size",
        "shuffle",
        "validation_data",
        "validation_split",
        "callbacks",
        "metrics",
        "class_weight",
        "sample_weight",
        "verbose",
        "strategy",
        "step",
        "shuffle_buffer",
    ]
    # arguments after x, y keyword-only (the third wave), with a hint for Keras's order
    kinds = inspect.signature(mlpkit.Sequential.fit).parameters
    assert all(kinds[k].kind is inspect.Parameter.KEYWORD_ONLY for k in fit[3:])
    net = mlpkit.Sequential([mlpkit.Dense(2, 1)])
    try:
        net.fit(np.zeros((4, 2)), np.zeros((4, 1)), 32, 10)
    except TypeError as exc:
        assert "write fit(x, y, batch_size=32, epochs=10)" in str(exc)
    else:
        raise AssertionError("a positional batch_size was taken")
    for monitor in (mlpkit.callbacks.EarlyStopping, mlpkit.callbacks.ReduceLROnPlateau):
        assert params(monitor)[0] == "monitor"
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(
            inspect.signature(monitor).parameters.values())[1:])  # fmt: skip
    assert isinstance(mlpkit.fast_paths, mlpkit.fast.FastPaths)
    # the second wave's names
    assert params(mlpkit.BatchNorm) == ["num_features", "momentum", "eps", "affine"]
    assert params(mlpkit.LayerNorm) == ["num_features", "eps", "affine"]
    assert all(
        callable(getattr(mlpkit, f"register_{k}")) for k in ("activation", "loss", "initializer")
    )
    from mlpkit.distributed import DataParallel

    assert params(DataParallel)[0] == "sharded" and DataParallel().size == 1
    assert params(mlpkit.Sequential.add) == ["self", "layer"]
    assert callable(mlpkit.Sequential.train) and callable(mlpkit.Sequential.eval)
    assert params(mlpkit.optimizers.SGD)[:5] == [
        "lr",
        "momentum",
        "dampening",
        "nesterov",
        "weight_decay",
    ]
    assert params(mlpkit.optimizers.RMSprop)[:3] == ["lr", "alpha", "eps"]
    assert params(mlpkit.optimizers.Adam)[:4] == ["lr", "betas", "eps", "weight_decay"]
    assert {"AdamW", "Adagrad"} <= set(dir(mlpkit.optimizers))
    assert params(mlpkit.gradcheck)[:4] == ["model", "x", "y", "loss"]
    assert params(mlpkit.trace)[:4] == ["model", "x", "y", "loss"]
    assert params(mlpkit.save) == ["model", "path"] and params(mlpkit.load) == ["path"]
    assert issubclass(mlpkit.LoadError, ValueError)
    assert "seed" in params(mlpkit.Autoencoder)
    assert params(mlpkit.explorer.write_html)[:5] == [
        "autoencoder",
        "path",
        "samples",
        "labels",
        "image_shape",
    ]
    assert {"MLPClassifier", "MLPRegressor", "AutoencoderTransformer"} <= set(dir(mlpkit.sklearn))
    assert params(mlpkit.onnx.export)[:2] == ["model", "path"]


def test_weights_gradients_and_losses_contract(rng):
    net = mlpkit.Sequential([mlpkit.Dense(3, 4, "tanh"), mlpkit.Dense(4, 2)], seed=0)
    x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    loss = mlpkit.losses.get("mse")
    out = net.forward(x)
    dx = net.backward(loss.gradient(out, t))
    assert dx.shape == x.shape
    assert (
        [g.shape for g in net.gradients()]
        == [w.shape for w in net.get_weights()]
        == [(3, 4), (4,), (4, 2), (2,)]
    )
    assert isinstance(loss(out, t), float) and isinstance(loss.loss(out, t), float)
    assert np.isclose(mlpkit.losses.get("squared")(out, t), 0.5 * np.sum((out - t) ** 2) / 5)


def test_the_package_has_no_import_cycle():
    """No module imports, directly or through others, one that imports it back — counting
    imports inside functions and under TYPE_CHECKING (the layering of the README map)."""
    import ast
    from pathlib import Path

    root = Path(mlpkit.__file__).parent
    modules = {
        ".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"): p
        for p in root.rglob("*.py")
    }
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                hits = [target] + [f"{target}.{a.name}" for a in node.names]
                graph[name] |= {h for h in hits if h in modules and h not in (name, "mlpkit")}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(m for m in graph if reaches(m, m, {m}))
    assert not cycles, f"modules in an import cycle: {cycles}"
