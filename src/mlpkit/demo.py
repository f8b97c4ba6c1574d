"""The main job behind ``make demo``: ``python -m mlpkit.demo``.

1. Seed 001's XOR network (2-2-1, sigmoid, squared loss) trained by batch gradient
   descent from a random start, then its forward/backward trace table.
2. An MLP classifier on the bundled 8×8 handwritten digits, with a progress bar,
   and its test accuracy.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import Dense, Sequential, optimizers, trace
from .datasets import load_digits, train_test_split, xor


def run_xor(seed: int = 0, epochs: int = 5000) -> Sequential:
    x, y = xor()
    net = Sequential([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=seed)
    print("== XOR: seed 001's 2-2-1 sigmoid network, squared loss, batch gradient descent ==")
    started = time.perf_counter()
    history = net.fit(x, y, loss="squared", optimizer=optimizers.SGD(lr=2.0), epochs=epochs,
                      batch_size=None, verbose=0)  # fmt: skip
    took = time.perf_counter() - started
    print(
        f"{epochs} epochs in {took:.2f}s: loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.6f}"
    )
    predictions = [round(float(v), 3) for v in net.predict(x).ravel()]
    print(f"predictions {predictions}  targets {y.tolist()}\n")
    print(trace(net, x, y, loss="squared"))
    return net


def run_digits(seed: int = 0, epochs: int = 50, verbose: int = 1) -> float:
    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
    print("\n== Digits: 64-256-128-10 ReLU/softmax MLP, Adam, cross-entropy ==")
    print(
        f"train {x_train.shape[0]} images, test {x_test.shape[0]} images, 8x8 pixels scaled to [0, 1]"
    )
    net = Sequential(
        [Dense(64, 256, "relu"), Dense(256, 128, "relu"), Dense(128, 10, "softmax")], seed=seed
    )
    net.summary()
    net.fit(x_train, y_train, loss="cross_entropy", optimizer=optimizers.Adam(lr=1e-3),
            epochs=epochs, batch_size=32, metrics=["accuracy"], verbose=verbose)  # fmt: skip
    result = net.evaluate(x_test, y_test)
    print(f"test accuracy: {result['accuracy']:.2%}  (test loss {result['loss']:.4f})")
    return result["accuracy"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlpkit.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--fast", action="store_true", help="fewer epochs (for tests)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    run_xor(seed=args.seed, epochs=1500 if args.fast else 5000)
    run_digits(seed=args.seed, epochs=3 if args.fast else 50, verbose=0 if args.fast else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
