"""Did a fit learn its own training set? The check after training, and the retry seeds.

A network trained on a few dozen positives can end training without having
learned them: in the lens-finder benchmark some seeds left a network whose
scores ranked its own training lenses barely above chance (training ROC AUC
0.77 against 0.97-0.99 for the other seeds). Nothing in the training loss
says so, because the loss is computed in training mode on augmented batches.
The check scores the *un-augmented* training images with the trained network
in inference mode (one view, no test-time augmentation) and compares the ROC
AUC with a floor (``CNNClassifier(min_training_auc=...)``). Below it, the fit
is retrained from a new seed, up to ``retries`` times, and the best attempt
is kept; every failed attempt is reported in a
:class:`~sklearn.exceptions.ConvergenceWarning` naming what was measured.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = ["attempt_seed", "report_attempt", "training_auc"]


def attempt_seed(seed: int | None, attempt: int) -> int | None:
    """Return the seed of training attempt ``attempt`` (0 is the first, with ``seed`` itself).

    Parameters
    ----------
    seed : int or None
        The seed of ``random_state``; None stays None (every attempt is unseeded).
    attempt : int
        0 for the first attempt, 1, 2, ... for the retries.

    Returns
    -------
    seed : int or None
        ``seed`` for the first attempt; for a retry a seed derived from
        ``(seed, attempt)``, so that a seeded fit with retries reproduces.
    """
    if seed is None or attempt == 0:
        return seed
    return int(np.random.SeedSequence([seed, attempt]).generate_state(1)[0])


def training_auc(outputs: np.ndarray, labels: np.ndarray, classes: np.ndarray,
                 positive_label: Any) -> float | None:
    """Return the ROC AUC of a network's outputs on its own training images.

    Parameters
    ----------
    outputs : ndarray of shape (n_images, 1) or (n_images, n_classes)
        The model's outputs (sigmoid or softmax), one view per image.
    labels : ndarray of shape (n_images,)
        The training labels, as given to ``fit``.
    classes : ndarray of shape (n_classes,)
        The classifier's classes (the softmax column order).
    positive_label : label or None
        The positive class of a binary problem.

    Returns
    -------
    auc : float or None
        Binary: the ROC AUC of the positive class's probability. More classes:
        the macro one-vs-rest ROC AUC. None when a class is missing from
        ``labels`` (the AUC is undefined).
    """
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    present = np.unique(labels)
    if len(present) < 2 or len(present) != len(classes):
        return None
    outputs = np.asarray(outputs, dtype=np.float64)
    if len(classes) == 2:
        score = outputs[:, -1] if outputs.shape[1] == 1 else outputs[:, 1]
        if positive_label is not None and positive_label != classes[-1]:
            score = 1.0 - score
        positive = labels == (classes[-1] if positive_label is None else positive_label)
        return float(roc_auc_score(positive, score))
    return float(roc_auc_score(labels, outputs, multi_class="ovr", labels=list(classes)))


def report_attempt(attempt: int, n_attempts: int, auc: float, floor: float, n_images: int,
                   *, retrying: bool, best: float | None = None) -> None:
    """Warn that a training attempt did not learn its training set.

    Parameters
    ----------
    attempt : int
        0-based number of the attempt that failed.
    n_attempts : int
        Attempts allowed in all (``retries + 1``).
    auc : float
        Its ROC AUC on the un-augmented training images.
    floor : float
        ``min_training_auc``.
    n_images : int
        Number of training images scored.
    retrying : bool
        Whether another attempt follows.
    best : float or None
        Without a retry: the best attempt's AUC, which is kept.
    """
    seen = (f"training attempt {attempt + 1} of {n_attempts} did not learn its own training "
            f"set: the trained network's ROC AUC on the {n_images} un-augmented training "
            f"images is {auc:.3f}, below min_training_auc={floor}")
    if retrying:
        message = f"{seen}; retraining from a new seed."
    else:
        message = (f"{seen}; no retry left, keeping the best attempt (training ROC AUC "
                   f"{best:.3f}). Its scores are not reliable: try more epochs, another "
                   "learning_rate, more retries, or check the labels and the pixel scaling.")
    warnings.warn(message[0].upper() + message[1:], ConvergenceWarning, stacklevel=4)
