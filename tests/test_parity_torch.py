"""Parity with an independent implementation: PyTorch's autograd computes the same
outputs, losses and gradients as mlpkit's hand-written backward, layer by layer.
(torch is installed by the test environment; it is never a dependency of mlpkit.)"""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit

from .conftest import make_mlp, require

torch = require("torch", "pip install torch==2.13.0 (CPU)")
F = torch.nn.functional

TORCH_ACT = {
    "identity": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "elu": F.elu,
    "selu": F.selu,
    "softplus": F.softplus,
    "silu": F.silu,
    "gelu": lambda z: F.gelu(z, approximate="tanh"),
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_loss(name, out, logits, t):
    if name == "squared":
        return 0.5 * ((out - t) ** 2).sum(1).mean()
    if name == "mse":
        return F.mse_loss(out, t)
    if name == "mae":
        return F.l1_loss(out, t)
    if name == "huber":
        return F.huber_loss(out, t)
    if name == "cross_entropy":
        return F.cross_entropy(logits, t)
    return F.binary_cross_entropy_with_logits(logits, t)


@pytest.mark.parametrize("hidden", list(TORCH_ACT)[:-1])
@pytest.mark.parametrize(
    ("loss", "output"),
    [
        ("squared", "identity"),
        ("mse", "tanh"),
        ("mae", "identity"),
        ("huber", "softplus"),
        ("cross_entropy", "softmax"),
        ("binary_cross_entropy", "sigmoid"),
    ],
)
def test_gradients_match_pytorch_autograd(hidden, loss, output):
    rng = np.random.default_rng(0)
    net = make_mlp([5, 7, 6, 3], hidden=hidden, output=output, seed=1, dtype="float64")
    x = rng.normal(size=(9, 5)) * 2
    if loss == "cross_entropy":
        y = rng.integers(0, 3, 9)
        ty = torch.tensor(y)
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, (9, 3)).astype(float)
        ty = torch.tensor(y)
    else:
        y = rng.normal(size=(9, 3)) * 3
        ty = torch.tensor(y)

    tw = [torch.tensor(w, requires_grad=True) for w in net.get_weights()]
    h = torch.tensor(x, requires_grad=True)
    hx = h
    for i in range(3):
        z = h @ tw[2 * i] + tw[2 * i + 1]
        h = TORCH_ACT[hidden if i < 2 else output](z)
    value = torch_loss(loss, h, z, ty)
    value.backward()

    out = net.forward(x)
    np.testing.assert_allclose(out, h.detach().numpy(), rtol=1e-12, atol=1e-12)
    head = net.head(loss)  # the path training uses: fused where the pair allows it
    t = head.prepare_targets(y, 3, net.dtype, x.shape[0])
    ours, _, dx = net.loss_and_gradients(x, t, head, need_input_grad=True)
    assert ours == pytest.approx(value.item(), rel=1e-12)
    for g, tg in zip(net.gradients(), tw, strict=True):
        np.testing.assert_allclose(g, tg.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dx, hx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_training_trajectory_matches_pytorch():
    """Ten Adam steps of mini-batch training, same batches, same weights: same result."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    net = make_mlp([4, 8, 3], hidden="relu", output="softmax", seed=0, dtype="float64")
    tw = [torch.tensor(w, requires_grad=True) for w in net.get_weights()]
    opt = torch.optim.Adam(tw, lr=0.01)
    for start in range(0, 40, 8):
        xb, yb = torch.tensor(x[start : start + 8]), torch.tensor(y[start : start + 8])
        logits = torch.relu(xb @ tw[0] + tw[1]) @ tw[2] + tw[3]
        opt.zero_grad()
        F.cross_entropy(logits, yb).backward()
        opt.step()
    net.fit(
        x,
        y,
        optimizer=mlpkit.optimizers.Adam(lr=0.01),
        epochs=1,
        batch_size=8,
        shuffle=False,
        verbose=0,
    )
    for w, tw_ in zip(net.get_weights(), tw, strict=True):
        np.testing.assert_allclose(w, tw_.detach().numpy(), rtol=1e-10, atol=1e-12)
