"""How much of a Bayesian search's wall time is spent outside model training?

Runs a CNNSearchCV of ``--n-iter`` trials (default 10) over an
ImageAugmenter + CNNClassifier pipeline on generated images, in one process,
and times from inside: every ``CNNClassifier.fit`` (training, including model
building and graph tracing), every ``ImageAugmenter.fit_resample``
(augmentation) and every ``predict_proba`` (scoring). The rest of the wall
time is the search's own overhead: skopt's surrogate fitting and acquisition,
cloning, cross-validation splits, data copies, result bookkeeping.

    python benchmarks/search_overhead.py            # 10 trials, 3 folds
    python benchmarks/search_overhead.py --n-iter 20 --image-size 32
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

import numpy as np  # noqa: E402
from imblearn.pipeline import Pipeline  # noqa: E402
from skopt.space import Categorical, Real  # noqa: E402

from skbia import CNNClassifier, ImageAugmenter  # noqa: E402
from skbia.tuning import CNNSearchCV, search_summary  # noqa: E402

TIMES: dict[str, list[float]] = {"train": [], "augment": [], "predict": [], "optimizer": []}


@contextlib.contextmanager
def timed(part: str):
    """Add the wall time of the ``with`` block to ``TIMES[part]``, even if it raises."""
    start = time.perf_counter()
    try:
        yield
    finally:
        TIMES[part].append(time.perf_counter() - start)


class TimedCNNClassifier(CNNClassifier):
    """CNNClassifier that records how long each fit and predict_proba take."""

    def fit(self, X, y, **kwargs):
        with timed("train"):
            return super().fit(X, y, **kwargs)

    def predict_proba(self, X, **kwargs):
        with timed("predict"):
            return super().predict_proba(X, **kwargs)


class TimedImageAugmenter(ImageAugmenter):
    """ImageAugmenter that records how long each fit_resample takes."""

    def fit_resample(self, X, y, **kwargs):
        with timed("augment"):
            return super().fit_resample(X, y, **kwargs)


class TimedSearch(CNNSearchCV):
    """CNNSearchCV that records the time spent in skopt's ask and tell (surrogate model)."""

    def _make_optimizer(self, params_space):
        optimizer = super()._make_optimizer(params_space)
        ask = optimizer.ask

        def timed_ask(*args, **kwargs):
            with timed("optimizer"):
                return ask(*args, **kwargs)

        optimizer.ask = timed_ask
        return optimizer

    def _tell(self, optimizer, points, scores):
        with timed("optimizer"):
            return super()._tell(optimizer, points, scores)


def make_blobs(n_pos: int, n_neg: int, size: int, seed: int = 0):
    """Noise images; positives carry a faint Gaussian blob near the centre."""
    rng = np.random.default_rng(seed)
    n = n_pos + n_neg
    X = rng.normal(10.0, 3.0, size=(n, size, size, 3)).astype(np.float32)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    blob = np.exp(-(xx**2 + yy**2) / (2 * (size / 10) ** 2))
    X[:n_pos] += (8.0 * blob)[None, :, :, None]
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    order = rng.permutation(n)
    return X[order], y[order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=10)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--n-pos", type=int, default=20)
    parser.add_argument("--n-neg", type=int, default=200)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--filter-scale", type=float, default=0.125)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    X, y = make_blobs(args.n_pos, args.n_neg, args.image_size)
    crop = args.image_size - 4
    augmenter = TimedImageAugmenter(n_copies=args.copies, horizontal=True, vertical=True,
                                    rotation=True, random_state=0)
    classifier = TimedCNNClassifier(arch="alexnet", image_size=crop,
                                    filter_scale=args.filter_scale, normalize=True, min_pixel=0,
                                    max_pixel=40, epochs=args.epochs, batch_size=32, verbose=0,
                                    random_state=0)
    pipe = Pipeline([("imageaugmenter", augmenter), ("cnnclassifier", classifier)])
    space = {
        "cnnclassifier__learning_rate": Real(1e-4, 1e-2, prior="log-uniform"),
        "cnnclassifier__optimizer": Categorical(["adam", "rmsprop", "nadam"]),
        "cnnclassifier__dense_activation": Categorical(["relu", "elu", "tanh"]),
        "cnnclassifier__batch_size": Categorical([16, 32, 64]),
    }
    search = TimedSearch(pipe, space, n_iter=args.n_iter, cv=args.cv, scoring="roc_auc",
                         random_state=0, optimizer_kwargs={"n_initial_points": 5})
    start = time.perf_counter()
    search.fit(X, y)
    wall = time.perf_counter() - start

    train, augment, predict, optim = (
        sum(TIMES[k]) for k in ("train", "augment", "predict", "optimizer")
    )
    rest = wall - train - augment - predict - optim
    print(search_summary(search, top=3))
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print(f"data: {len(X)} images {args.image_size}x{args.image_size}x3, "
          f"{args.copies} copies per positive, crop {crop}, {args.epochs} epochs, "
          f"filter_scale {args.filter_scale}")
    print(f"search: {args.n_iter} trials x {args.cv} folds + refit "
          f"({len(TIMES['train'])} fits), 5 random then GP-guided")
    print()
    print(f"{'part':<38}{'seconds':>9}{'share':>8}")
    rows = [
        ("wall time of search.fit", wall),
        ("  CNNClassifier.fit (training)", train),
        ("  ImageAugmenter.fit_resample", augment),
        ("  predict_proba (scoring)", predict),
        ("  skopt ask + tell (surrogate)", optim),
        ("  everything else", rest),
    ]
    for name, seconds in rows:
        print(f"{name:<38}{seconds:>9.2f}{seconds / wall:>8.1%}")
    outside = wall - train
    print()
    print(f"outside model training: {outside:.2f} s = {outside / wall:.1%} of wall time "
          f"(target < 10%: {'met' if outside / wall < 0.10 else 'NOT met'})")
    machinery = optim + rest
    print(f"search machinery (optimizer + everything else): {machinery:.2f} s = "
          f"{machinery / wall:.1%}")
    print(f"fit time per trial fold, first 3 vs last 3 fits: "
          f"{np.mean(TIMES['train'][:3]):.2f} s vs {np.mean(TIMES['train'][-4:-1]):.2f} s")


if __name__ == "__main__":
    main()
