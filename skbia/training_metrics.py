"""Training metrics reported by skbia models (pyBIA's accuracy and F1 score)."""

from __future__ import annotations

import keras

__all__ = ["get_metrics"]


def get_metrics(n_classes: int) -> list[keras.metrics.Metric]:
    """Return the metrics a model with ``n_classes`` classes is compiled with.

    Binary models (one sigmoid output, labels of shape (n, 1)) get
    ``binary_accuracy`` and ``f1_score`` (F1 of the positive class at
    threshold 0.5), so the training history has the keys ``loss``,
    ``binary_accuracy``, ``f1_score`` and their ``val_`` forms, as in pyBIA.
    Multi-class models (softmax output, one-hot labels) get ``accuracy`` and
    ``f1_score`` (macro-averaged over classes, prediction = arg max).

    Parameters
    ----------
    n_classes : int
        Number of classes (at least 2).

    Returns
    -------
    metrics : list of keras.metrics.Metric
        New metric objects (a fresh list on every call).

    Raises
    ------
    ValueError
        If ``n_classes`` is not an integer >= 2.
    """
    if isinstance(n_classes, bool) or int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}.")
    if n_classes == 2:
        return [
            keras.metrics.BinaryAccuracy(name="binary_accuracy"),
            keras.metrics.F1Score(average="micro", threshold=0.5, name="f1_score"),
        ]
    return [
        keras.metrics.CategoricalAccuracy(name="accuracy"),
        keras.metrics.F1Score(average="macro", name="f1_score"),
    ]
