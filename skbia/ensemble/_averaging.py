"""How the members' class probabilities become the ensemble's: a mean or a rank average."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

AVERAGES = ("mean", "rank")


def stack_member_proba(probas: Sequence[np.ndarray]) -> np.ndarray:
    """Stack the members' ``predict_proba`` outputs into one float64 array.

    Parameters
    ----------
    probas : sequence of ndarray of shape (n_images, n_classes)
        One array per member, in the order of the members.

    Returns
    -------
    stacked : ndarray of shape (n_members, n_images, n_classes)
        The same values as float64.

    Raises
    ------
    ValueError
        If the members' outputs differ in shape.
    """
    shapes = {np.shape(proba) for proba in probas}
    if len(shapes) != 1:
        raise ValueError(
            f"The members' predict_proba outputs differ in shape: {sorted(shapes)}."
        )
    return np.stack([np.asarray(proba, dtype=np.float64) for proba in probas])


def rank_scores(proba: np.ndarray) -> np.ndarray:
    """Replace each class column by the mid-rank percentile of its values.

    The score of image ``i`` in column ``c`` is ``(r - 0.5) / n``, where ``r``
    is the rank (1 for the lowest, ties sharing their average rank) of
    ``proba[i, c]`` among the ``n`` images, so scores lie in (0, 1) and one
    image alone scores 0.5. With two classes only the second column is ranked
    and the first is one minus it, so every row sums to one.

    Parameters
    ----------
    proba : ndarray of shape (n_images, n_classes)
        One member's class probabilities.

    Returns
    -------
    scores : ndarray of shape (n_images, n_classes)
        Rank scores, float64.
    """
    proba = np.asarray(proba, dtype=np.float64)
    n_images = len(proba)
    if n_images == 0:
        return proba.copy()
    if proba.shape[1] == 2:
        positive = (rankdata(proba[:, 1]) - 0.5) / n_images
        return np.column_stack([1.0 - positive, positive])
    return (rankdata(proba, axis=0) - 0.5) / n_images


def average_proba(stacked: np.ndarray, average: str) -> np.ndarray:
    """Combine the members' probabilities.

    Parameters
    ----------
    stacked : ndarray of shape (n_members, n_images, n_classes)
        The members' class probabilities (see :func:`stack_member_proba`).
    average : {"mean", "rank"}
        ``"mean"``: the mean of the probabilities. ``"rank"``: the mean of
        the members' rank scores (see :func:`rank_scores`).

    Returns
    -------
    combined : ndarray of shape (n_images, n_classes)
        float64.
    """
    if average == "mean":
        return stacked.mean(axis=0)
    if average == "rank":
        return np.mean([rank_scores(proba) for proba in stacked], axis=0)
    raise ValueError(f"average must be one of {AVERAGES}; got {average!r}.")
