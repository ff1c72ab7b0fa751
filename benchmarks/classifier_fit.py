"""CNNClassifier costs: import time, fitting with and without a seed, graph vs eager mode.

Prints three tables:

1. ``import skbia`` wall time (TensorFlow is not imported) against a bare interpreter
   and against ``import tensorflow``.
2. Training time of a slim AlexNet on simulated-size images with ``random_state=None``
   and with a seed (which also turns on TensorFlow's deterministic ops during fit),
   after a warm-up fit; prediction throughput.
3. A tiny fit (the size of the tests) in graph mode (the default) and with
   ``run_eagerly=True``: for tiny data the graph tracing of every new model dominates.

Run: ``python benchmarks/classifier_fit.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def _wall(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_table(repeats: int) -> None:
    check = subprocess.run(
        [sys.executable, "-c", "import sys, skbia; print('tensorflow' in sys.modules)"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    importtime = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import skbia"],
        check=True, capture_output=True, text=True,
    ).stderr.splitlines()
    own = [line for line in importtime if line.rstrip().endswith("| skbia")]
    cumulative_us = int(own[-1].split("|")[1]) if own else -1
    print(f"import skbia: tensorflow imported = {check}; -X importtime cumulative "
          f"{cumulative_us / 1000:.1f} ms")
    print(f"{'command (median wall time of ' + str(repeats) + ')':<44} {'seconds':>8}")
    for label, code in [
        ("python -c pass", "pass"),
        ("python -c 'import skbia'", "import skbia"),
        ("python -c 'from skbia import CNNClassifier'", "from skbia import CNNClassifier"),
        ("python -c 'import tensorflow'", "import tensorflow"),
    ]:
        print(f"{label:<44} {_wall(code, repeats):8.2f}")


def _images(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 5, size=(n, size, size, 3)).astype(np.float32)
    y = (np.arange(n) % 5 == 0).astype(int)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    X[y == 1] += (40 * np.exp(-(xx**2 + yy**2) / 30))[None, :, :, None].astype(np.float32)
    return X, y


def fit_table(repeats: int) -> None:
    from skbia import CNNClassifier

    X, y = _images(300, 64)
    X_new, _ = _images(1000, 64, seed=1)
    params = dict(arch="alexnet", filter_scale=0.25, image_size=48, min_pixel=0,
                  max_pixel=50, epochs=3, batch_size=32)
    CNNClassifier(**{**params, "epochs": 1}).fit(X[:64], y[:64])  # warm-up: TensorFlow start-up
    print("\nAlexNet (filter_scale=0.25), 300 images 64x64x3 cropped to 48, 3 epochs, "
          "batch 32")
    print(f"{'random_state':<28} {'fit s (median)':>15} {'images/s':>9} "
          f"{'predict 1000 s':>15}")
    for label, seed in [("None", None), ("0 (deterministic ops)", 0)]:
        fits, predicts = [], []
        for _ in range(repeats):
            clf = CNNClassifier(**params, random_state=seed)
            start = time.perf_counter()
            clf.fit(X, y)
            fits.append(time.perf_counter() - start)
            start = time.perf_counter()
            clf.predict_proba(X_new)
            predicts.append(time.perf_counter() - start)
        fit = statistics.median(fits)
        print(f"{label:<28} {fit:15.2f} {3 * len(X) / fit:9.0f} "
              f"{statistics.median(predicts):15.2f}")


def eager_table(repeats: int) -> None:
    from skbia import CNNClassifier

    X, y = _images(50, 16)
    print("\nTiny fit: AlexNet (filter_scale=1/32), 50 images 16x16x3, 1 epoch, batch 16, "
          "+ predict")
    print(f"{'mode':<12} {'fit + predict s (median)':>25}")
    for label, eager in [("graph", False), ("eager", True)]:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            clf = CNNClassifier(arch="alexnet", filter_scale=1 / 32, min_pixel=-15, max_pixel=40,
                                epochs=1, batch_size=16, random_state=0, run_eagerly=eager)
            clf.fit(X, y).predict_proba(X)
            times.append(time.perf_counter() - start)
        print(f"{label:<12} {statistics.median(times):25.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    import_table(args.repeats)
    fit_table(args.repeats)
    eager_table(args.repeats)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
