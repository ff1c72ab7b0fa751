"""Shared tiny data sets for the tests (generated, never read from disk)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def make_blobs(
    n_pos: int = 10, n_neg: int = 40, size: int = 16, n_bands: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return float32 noise images; positives (label 1) carry a bright central blob.

    The images are shuffled; pixel values lie roughly in [-4, 10].
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.0, size=(n_pos + n_neg, size, size, n_bands)).astype(np.float32)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    blob = (6.0 * np.exp(-(xx**2 + yy**2) / 8.0)).astype(np.float32)
    X[:n_pos] += blob[None, :, :, None]
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Imbalanced binary set: 10 positives (bright blob) and 40 negatives, 16x16x3."""
    return make_blobs()
