"""t-SNE wall time on every OpenMP thread vs one, after a Keras prediction in the same process.

``skbia.plot_tsne`` limits scikit-learn's t-SNE to one OpenMP thread for maps of
up to 1000 images: after a Keras backend has run, spinning OpenMP threads can
fight its thread pool for the cores. This prints, per number of images, the
median of N runs of ``TSNE(init="pca").fit_transform`` on 50-d features with
the default OpenMP threads and with one, and their ratio (one / default; below
1 means one thread is faster). A small network predicts once first, so that the
backend's threads exist as they do in ``plot_tsne``. Usage:
python benchmarks/tsne_threads.py [N]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3
SIZES = (40, 300, 1000, 3000)


def _timed(features: np.ndarray, threads: int | None) -> float:
    perplexity = min(30.0, (len(features) - 1) / 3)
    start = time.perf_counter()
    if threads is None:
        TSNE(perplexity=perplexity, init="pca", random_state=0).fit_transform(features)
    else:
        with threadpool_limits(limits=threads, user_api="openmp"):
            TSNE(perplexity=perplexity, init="pca", random_state=0).fit_transform(features)
    return time.perf_counter() - start


def main() -> None:
    inputs = keras.Input((32, 32, 3))
    hidden = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(hidden))
    keras.Model(inputs, outputs).predict(np.zeros((256, 32, 32, 3), "f4"), verbose=0)
    openmp = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"]
    print(f"backend {keras.backend.backend()}, OpenMP threads {openmp}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, median of {N}")
    print(f"{'images':>7} {'default s':>10} {'1 thread s':>11} {'1 / default':>12}")
    rng = np.random.default_rng(0)
    for n_images in SIZES:
        features = rng.normal(size=(n_images, 50)).astype("f4")
        default = statistics.median(_timed(features, None) for _ in range(N))
        one = statistics.median(_timed(features, 1) for _ in range(N))
        print(f"{n_images:7d} {default:10.2f} {one:11.2f} {one / default:12.2f}")


if __name__ == "__main__":
    main()
