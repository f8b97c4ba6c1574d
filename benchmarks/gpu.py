"""mlpkit on a GPU against PyTorch CUDA (and JAX on the GPU), with the device's GEMM floor.

    python benchmarks/gpu.py                      # on a machine with a CUDA GPU
    python benchmarks/gpu.py --device cpu --tiny  # the suite's smoke run, on CPU tensors

It finds what the machine has — CuPy (``pip install 'mlpkit[cupy]'``) and/or PyTorch built
for CUDA, JAX with its CUDA plugin — and trains the same networks with each, float32,
Adam(lr=1e-3), softmax cross-entropy, fresh shuffled batches every epoch:

* mnist-shaped 784-256-128-10 on 60,000 rows, batches of 128 and of 1,024;
* wide 4096-4096-4096-10 on 16,384 rows, batches of 1,024.

mlpkit runs twice when it can: on CuPy arrays and on CUDA tensors (its array API path:
the same hand-written backprop, the parameters on the device). For each workload it
prints seconds per epoch (the median of the epochs after a warm-up, the device
synchronised at each epoch's end), the GEMM floor — one epoch of the same matrix
products alone, on the same device — and the ratios. The goals (README): mlpkit on CuPy
within 1.2x of PyTorch CUDA on the mnist-shaped net, and at least 70% of the GEMM floor
on the wide one. Without a GPU it says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import mlpkit
from mlpkit import Dense


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    rows: int
    batch: int


FULL = [
    Workload("mnist-shaped", (784, 256, 128, 10), 60_000, 128),
    Workload("mnist-shaped", (784, 256, 128, 10), 60_000, 1024),
    Workload("wide", (4096, 4096, 4096, 10), 16_384, 1024),
]
TINY = [
    Workload("mnist-shaped (tiny)", (24, 16, 8, 4), 512, 32),
    Workload("wide (tiny)", (64, 64, 64, 4), 256, 64),
]


# -- the libraries on the device ------------------------------------------------------------
class Device:
    """One array library on one device: data placement and synchronisation."""

    def __init__(self, library: str, device: str) -> None:
        self.library, self.device = library, device
        if library == "cupy":
            import cupy

            self.module = cupy
        else:
            import torch

            self.module = torch

    def put(self, a: np.ndarray) -> object:
        if self.library == "cupy":
            return self.module.asarray(a)
        return self.module.from_numpy(np.ascontiguousarray(a)).to(self.device)

    def sync(self) -> None:
        if self.library == "cupy":
            self.module.cuda.Device().synchronize()
        elif self.device.startswith("cuda"):
            self.module.cuda.synchronize()


def find_devices(device: str) -> list[Device]:
    """CuPy on CUDA and PyTorch on ``device``, where installed and working."""
    found = []
    if device == "cuda":
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                found.append(Device("cupy", "cuda"))
        except Exception:  # not installed, or no driver
            pass
    try:
        import torch

        if device == "cpu" or torch.cuda.is_available():
            found.append(Device("torch", device))
    except ImportError:
        pass
    return found


def data(w: Workload) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(w.rows, w.sizes[0])).astype(np.float32)
    y = rng.integers(0, w.sizes[-1], w.rows).astype(np.int64)
    return x, y


def mlpkit_net(w: Workload) -> mlpkit.Sequential:
    hidden = [Dense(a, b, "relu") for a, b in zip(w.sizes[:-2], w.sizes[1:-1], strict=True)]
    return mlpkit.Sequential([*hidden, Dense(w.sizes[-2], w.sizes[-1], "softmax")], seed=0)


def timed(epoch: Callable[[], object], sync: Callable[[], None], epochs: int) -> float:
    """Median seconds per epoch after one warm-up epoch."""
    times = []
    for _ in range(epochs + 1):
        sync()
        began = time.perf_counter()
        epoch()
        sync()
        times.append(time.perf_counter() - began)
    return statistics.median(times[1:])


def mlpkit_epoch(w: Workload, dev: Device) -> Callable[[], object]:
    x, y = data(w)
    xd, yd = dev.put(x), dev.put(y)
    net = mlpkit_net(w)
    net.fit(xd, yd, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=1e-3), epochs=0,
            verbose=0)  # fmt: skip
    assert net.backend == dev.library, net.backend
    return lambda: net.fit(xd, yd, epochs=1, batch_size=w.batch, verbose=0)


def torch_epoch(w: Workload, dev: Device) -> Callable[[], object]:
    import torch

    weights = mlpkit_net(w).get_weights()  # the same initial weights
    mods: list = []
    for i in range(0, len(weights), 2):
        lin = torch.nn.Linear(*weights[i].shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(weights[i].T.copy()))
            lin.bias.copy_(torch.from_numpy(weights[i + 1]))
        mods += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*mods[:-1]).to(dev.device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = data(w)
    xd, yd = torch.from_numpy(x).to(dev.device), torch.from_numpy(y).to(dev.device)

    def epoch() -> None:
        order = torch.randperm(len(xd), device=dev.device)
        for lo in range(0, len(xd), w.batch):
            rows = order[lo : lo + w.batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xd[rows]), yd[rows]).backward()
            opt.step()

    return epoch


def jax_epoch(w: Workload) -> Callable[[], object] | None:
    """JAX's jit-compiled step with optax's Adam (benchmarks/run.py's, the data on the
    device once), on JAX's GPU when it has one."""
    os.environ.setdefault("JAX_PLATFORMS", "cuda")
    try:
        import jax

        if not any(d.platform == "gpu" for d in jax.devices()):
            return None
    except Exception:  # not installed, or no CUDA plugin
        return None
    import run as cpu_benchmark  # benchmarks/run.py, beside this file

    x, y = data(w)
    workload = cpu_benchmark.Workload(w.name, w.rows, list(w.sizes), w.batch)
    return cpu_benchmark.jax_epoch(workload, x, y)


def gemm_floor(w: Workload, dev: Device) -> Callable[[], object]:
    """One epoch's matrix products alone (forward, weight gradients, input gradients),
    on the device, into preallocated outputs."""
    xp = dev.module
    full, rest = divmod(w.rows, w.batch)
    plans = []
    for rows, count in ((w.batch, full), (rest, 1 if rest else 0)):
        if not count:
            continue
        acts = [dev.put(np.ones((rows, k), np.float32)) for k in w.sizes]
        weights = [
            dev.put(np.ones((a, b), np.float32) * 0.01)
            for a, b in zip(w.sizes[:-1], w.sizes[1:], strict=True)
        ]
        grads = [dev.put(np.empty(tuple(wt.shape), np.float32)) for wt in weights]
        dx = [dev.put(np.empty((rows, a), np.float32)) for a in w.sizes[:-1]]
        plans.append((count, acts, weights, grads, dx))

    def epoch() -> None:
        for count, acts, weights, grads, dx in plans:
            for _ in range(count):
                for i, wt in enumerate(weights):
                    xp.matmul(acts[i], wt, out=acts[i + 1])
                for i in range(len(weights) - 1, -1, -1):
                    xp.matmul(acts[i].T, acts[i + 1], out=grads[i])
                    if i > 0:
                        xp.matmul(acts[i + 1], weights[i].T, out=dx[i])

    return epoch


def run(workloads: list[Workload], devices: list[Device], epochs: int) -> list[dict[str, object]]:
    rows = []
    for w in workloads:
        result: dict[str, object] = {"workload": w}
        for dev in devices:
            result[f"mlpkit on {dev.library}"] = timed(mlpkit_epoch(w, dev), dev.sync, epochs)
        torch_dev = next((d for d in devices if d.library == "torch"), None)
        if torch_dev is not None:
            result["pytorch"] = timed(torch_epoch(w, torch_dev), torch_dev.sync, epochs)
        jax_run = jax_epoch(w) if devices[0].device == "cuda" else None
        if jax_run is not None:
            result["jax"] = timed(jax_run, lambda: None, epochs)
        floor_dev = next((d for d in devices if d.library == "cupy"), devices[0])
        result["gemm floor"] = timed(gemm_floor(w, floor_dev), floor_dev.sync, epochs)
        rows.append(result)
        print(line(result), flush=True)
    return rows


def line(result: dict[str, object]) -> str:
    w = result["workload"]
    assert isinstance(w, Workload)
    parts = [f"{w.name} {'-'.join(map(str, w.sizes))}, batch {w.batch}:"]
    times = {k: v for k, v in result.items() if k != "workload"}
    parts += [f"{k} {v:.4f} s/epoch" for k, v in times.items()]  # type: ignore[str-format]
    floor = times["gemm floor"]
    for k, v in times.items():
        if k.startswith("mlpkit"):
            ratios = [f"GEMM floor / {k} = {floor / v:.0%}"]  # type: ignore[operator]
            if "pytorch" in times:
                ratios.append(f"{k} / pytorch = {v / times['pytorch']:.2f}")  # type: ignore[operator]
            if "jax" in times:
                ratios.append(f"{k} / jax = {v / times['jax']:.2f}")  # type: ignore[operator]
            parts.append("; ".join(ratios))
    return "\n  ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--device",
        choices=["cuda", "cpu"],
        default="cuda",
        help="cpu: the smoke run on CPU tensors (no GPU needed)",
    )
    parser.add_argument("--tiny", action="store_true", help="small sizes (the smoke run)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after the warm-up")
    args = parser.parse_args(argv)
    devices = find_devices(args.device)
    if not devices:
        print(
            "no GPU: benchmarks/gpu.py needs a CUDA device with CuPy (pip install "
            "'mlpkit[cupy]') or a CUDA build of PyTorch; none was found here "
            "(python benchmarks/gpu.py --device cpu --tiny runs it on CPU tensors)",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    names = ", ".join(f"{d.library} ({d.device})" for d in devices)
    print(f"mlpkit {mlpkit.__version__} on {names}; median of {args.epochs} epochs after a warm-up")
    run(TINY if args.tiny else FULL, devices, max(1, args.epochs))
    print("goals: mlpkit on CuPy within 1.2x of PyTorch CUDA on mnist-shaped; "
          "GEMM floor / mlpkit >= 70% on wide")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
