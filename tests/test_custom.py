"""A user's own activation, loss and initialiser: written in a few lines, registered,
trained, gradient-checked, saved and loaded in a fresh process — and plain functions
refused with what to write instead."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense

# What a user writes (also run in a fresh process below, so it is kept as text).
USER_CODE = textwrap.dedent(
    """
    import numpy as np
    import mlpkit

    @mlpkit.register_activation
    class Mish(mlpkit.activations.Activation):
        '''f(z) = z tanh(softplus(z))'''
        name = "mish"

        def forward(self, z):
            return z * np.tanh(np.logaddexp(0.0, z))

        def derivative(self, z, a=None):
            t, s = np.tanh(np.logaddexp(0.0, z)), mlpkit.activations.sigmoid(z)
            return t + z * (1.0 - t * t) * s

    @mlpkit.register_loss
    class Focal(mlpkit.losses.CrossEntropy):
        '''l = −Σ_k t_k (1 − p_k)^γ log p_k (Lin et al.), on softmax probabilities'''
        name = "focal"

        def __init__(self, gamma=2.0):
            super().__init__()
            self.gamma = float(gamma)

        def get_config(self):
            return {"gamma": self.gamma}

        def _rows(self, p, t):
            return np.eye(p.shape[1], dtype=p.dtype)[t] if t.ndim == 1 else t

        def sample_losses(self, p, t):
            q = np.clip(p, 1e-12, 1.0)
            return -np.sum(self._rows(p, t) * (1 - q) ** self.gamma * np.log(q), axis=1)

        def sample_gradients(self, p, t):
            q, g = np.clip(p, 1e-12, 1.0), self.gamma
            dq = (1 - q) ** g / q - g * (1 - q) ** (g - 1) * np.log(q)
            return -self._rows(p, t) * dq
    """
)


@pytest.fixture(autouse=True)
def user_pieces():
    """The user's Mish and Focal, registered for each test (conftest restores the tables)."""
    exec(compile(USER_CODE, "user_code", "exec"), {})


def _xy(rng):
    x = rng.normal(size=(60, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(int)


def test_a_registered_activation_and_loss_train_gradcheck_save_and_load(tmp_path, rng):
    x, y = _xy(rng)
    net = mlpkit.Sequential([Dense(2, 8, "mish"), Dense(8, 2, "softmax")], seed=0)
    h = net.fit(x, y, loss=mlpkit.losses.get("focal", gamma=1.5), epochs=60, batch_size=10,
                optimizer=mlpkit.optimizers.Adam(lr=0.05), metrics=["accuracy"], verbose=0)  # fmt: skip
    assert h["accuracy"][-1] > 0.8 and h["loss"][-1] < h["loss"][0]
    assert net.head().loss.name == "focal" and not net.head().fused  # composed chain rule
    assert mlpkit.gradcheck(net, x[:6], y[:6]).passed
    path = net.save(tmp_path / "custom.mlpk")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", net.predict(x))
    script = USER_CODE + textwrap.dedent(
        f"""
        net = mlpkit.load({str(path)!r})
        assert net.loss.name == "focal" and net.loss.gamma == 1.5
        assert net.layers[0].activation.name == "mish"
        x = np.load({str(tmp_path / "x.npy")!r})
        np.testing.assert_array_equal(net.predict(x), np.load({str(tmp_path / "expected.npy")!r}))
        print("same predictions")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "same predictions" in done.stdout


def test_loading_an_unregistered_name_says_how_to_register_and_runs_nothing(tmp_path, rng):
    net = mlpkit.Sequential([Dense(2, 3, "mish"), Dense(3, 1)], seed=0)
    path = net.save(tmp_path / "m.mlpk")
    script = f"import mlpkit; mlpkit.load({str(path)!r})"  # a process that never defined Mish
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "LoadError" in last and "unknown activation 'mish'" in last
    assert "mlpkit.register_activation(TheClass) before loading" in last


def test_gradcheck_catches_a_wrong_derivative_and_names_the_layer(rng):
    class Sloppy(mlpkit.activations.Activation):
        name = "sloppy"

        def forward(self, z):
            return np.tanh(z)

        def derivative(self, z, a=None):
            return 1.0 - np.tanh(z) ** 2 * 0.9  # wrong

    net = mlpkit.Sequential([Dense(2, 4, "tanh"), Dense(4, 3, Sloppy()), Dense(3, 1)], seed=1)
    report = mlpkit.gradcheck(net, rng.normal(size=(5, 2)), rng.normal(size=5))
    assert not report.passed
    assert "layer1.W" in report.failures and "layer2.W" not in report.failures
    assert "the error enters at layer1.b, in Dense(in_features=4, out_features=3" in str(report)


def test_plain_functions_are_refused_with_what_to_write():
    with pytest.raises(
        TypeError,
        match=r"activation 'tanh' is a plain function: .*exact derivative.*subclass mlpkit.activations.Activation",
    ):
        Dense(2, 3, activation=np.tanh)

    def myloss(p, t):
        return float(np.mean((p - t) ** 2))

    net = mlpkit.Sequential([Dense(2, 1)], seed=0)
    with pytest.raises(
        TypeError,
        match=r"loss 'myloss' is a plain function: .*sample_losses\(p, t\) and sample_gradients",
    ):
        net.fit(np.ones((4, 2)), np.ones(4), loss=myloss, verbose=0)

    def zeros(shape, rng, dtype):
        return np.zeros(shape, dtype)

    with pytest.raises(
        TypeError,
        match=r"initializer 'zeros' is a plain function: subclass mlpkit.initializers.Initializer",
    ):
        Dense(2, 3, init=zeros)


def test_registry_rules():
    class Softsign(mlpkit.activations.Activation):
        name = "softsign"

        def forward(self, z):
            return z / (1 + np.abs(z))

        def derivative(self, z, a=None):
            return 1 / (1 + np.abs(z)) ** 2

    assert mlpkit.register_activation(Softsign) is Softsign  # a decorator returns the class
    assert "softsign" in mlpkit.activations.names()
    assert isinstance(Dense(2, 2, "softsign").activation, Softsign)

    class Impostor(mlpkit.activations.Activation):
        name = "relu"

    with pytest.raises(
        ValueError, match="activation name 'relu' is taken by mlpkit.activations.ReLU"
    ):
        mlpkit.register_activation(Impostor)
    with pytest.raises(TypeError, match="register a subclass of mlpkit.losses.Loss"):
        mlpkit.register_loss(Softsign)

    class Nameless(mlpkit.losses.Loss):
        pass

    with pytest.raises(ValueError, match="needs a class attribute `name`"):
        mlpkit.register_loss(Nameless)

    @mlpkit.register_initializer
    class Ones(mlpkit.initializers.Initializer):
        name = "ones"

        def __call__(self, shape, rng, dtype="float32"):
            return np.ones(shape, dtype)

    net = mlpkit.Sequential([Dense(2, 3, init="ones")], seed=0)
    np.testing.assert_array_equal(net.get_weights()[0], np.ones((2, 3)))
