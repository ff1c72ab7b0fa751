"""Image blending: new images made by combining a few images of the same class."""

from __future__ import annotations

import numpy as np

BLENDING_FUNCTIONS = ("mean", "max", "min", "random")
_REDUCERS = {"mean": np.mean, "max": np.max, "min": np.min}
_CHUNK = 64


def choose_distinct(rng: np.random.Generator, pool_size: int, n: int, k: int) -> np.ndarray:
    """Draw ``n`` rows of ``k`` distinct indices from ``range(pool_size)``.

    Each row is a uniform random ``k``-subset (in random order), drawn
    without replacement by the classic "draw from the remaining, then skip the
    already chosen" construction, vectorized over rows.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    pool_size : int
        Number of candidates; must be at least ``k``.
    n : int
        Number of rows.
    k : int
        Indices per row.

    Returns
    -------
    indices : ndarray of shape (n, k), int64
    """
    if k > pool_size:
        raise ValueError(f"cannot choose {k} distinct images out of {pool_size}.")
    chosen = np.empty((n, k), dtype=np.int64)
    for j in range(k):
        draw = rng.integers(0, pool_size - j, size=n)
        for previous in np.sort(chosen[:, :j], axis=1).T:
            draw += draw >= previous
        chosen[:, j] = draw
    return chosen


def blend(
    pool: np.ndarray,
    n_out: int,
    rng: np.random.Generator,
    *,
    func: str = "mean",
    k: int = 2,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Make ``n_out`` images, each combining ``k`` distinct images of ``pool``.

    Parameters
    ----------
    pool : ndarray of shape (m, H, W, C), float32
        Images to draw from (one class).
    n_out : int
        Number of blended images.
    rng : numpy.random.Generator
        Source of randomness.
    func : {"mean", "max", "min", "random"}, default="mean"
        Pixel-wise combination; "random" picks one of the other three for
        each blended image.
    k : int, default=2
        Images per blend.
    out : ndarray of shape (n_out, H, W, C), float32, optional
        Where to write the result.

    Returns
    -------
    blended : ndarray of shape (n_out, H, W, C), float32
        ``out`` if given.
    """
    members = choose_distinct(rng, len(pool), n_out, k)
    if func == "random":
        funcs = rng.choice(list(_REDUCERS), size=n_out)
    else:
        funcs = np.full(n_out, func)
    if out is None:
        out = np.empty((n_out, *pool.shape[1:]), dtype=np.float32)
    for name, reducer in _REDUCERS.items():
        rows = np.flatnonzero(funcs == name)
        # In chunks, so that the stacked members stay small next to the output.
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            out[chunk] = reducer(pool[members[chunk]], axis=1)
    return out
