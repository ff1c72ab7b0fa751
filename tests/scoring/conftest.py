"""A tiny saved model and tiny image files for the scoring tests."""

from __future__ import annotations

import numpy as np
import pytest


def make_blobs(n_pos: int = 10, n_neg: int = 40, size: int = 16, seed: int = 0):
    """Noise images in 3 bands; positives (label 1) carry a bright central blob."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.0, size=(n_pos + n_neg, size, size, 3)).astype(np.float32)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    X[:n_pos] += (6.0 * np.exp(-(xx**2 + yy**2) / 8.0)).astype(np.float32)[None, :, :, None]
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.fixture(scope="session")
def scoring_data(tmp_path_factory):
    """A saved 16x16x3 binary model, and its 50 training images split over two .npy files."""
    from skbia import CNNClassifier

    folder = tmp_path_factory.mktemp("scoring")
    X, y = make_blobs()
    model = CNNClassifier(arch="compact", filter_scale=1 / 32, epochs=1, random_state=0,
                          verbose=0)
    model.fit(X, y)
    model.save(folder / "model.keras")
    np.save(folder / "a.npy", X[:30])
    np.save(folder / "b.npy", X[30:])
    return folder, X


class CountingModel:
    """A loaded model that records the size of every ``predict_proba`` call.

    With ``stop_after`` it raises ``KeyboardInterrupt`` on that call (an interrupted run).
    """

    def __init__(self, model, stop_after: int | None = None) -> None:
        self._model = model
        self.calls: list[int] = []
        self.stop_after = stop_after

    def predict_proba(self, X):
        if self.stop_after is not None and len(self.calls) == self.stop_after:
            raise KeyboardInterrupt
        self.calls.append(len(X))
        return self._model.predict_proba(X)

    def __getattr__(self, name):
        return getattr(self._model, name)
