"""Loading a saved model once per process, and scoring one chunk of images with it."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["cached_model", "load_model", "model_input_shape", "score_columns", "score_chunk"]

# (resolved path, modification time) -> loaded model; one per process (a Dask worker's too)
_CACHE: dict[tuple[str, float], Any] = {}
_CACHE_LOCK = threading.Lock()
# how many models this process has loaded (read by the tests through Client.run)
LOADS = {"count": 0}


def load_model(path: str | Path) -> Any:
    """Load a saved model: a ``.keras`` file, or a folder holding a saved ensemble.

    Parameters
    ----------
    path : str or Path
        Written by :meth:`skbia.CNNClassifier.save` (a file) or
        :meth:`skbia.ensemble.FoldEnsembleClassifier.save` (a folder).

    Returns
    -------
    model : CNNClassifier or FoldEnsembleClassifier
        Fitted.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Model not found: {path}")
    LOADS["count"] += 1
    if path.is_dir():
        from skbia.ensemble import FoldEnsembleClassifier

        return FoldEnsembleClassifier.load(path)
    from skbia import CNNClassifier

    return CNNClassifier.load(path)


def cached_model(path: str | Path, batch_size: int) -> Any:
    """Return the model saved at ``path``, loaded at most once per process and file version.

    Parameters
    ----------
    path : str or Path
        The saved model.
    batch_size : int
        Images per forward pass, set on the model (and every member).

    Returns
    -------
    model : CNNClassifier or FoldEnsembleClassifier
    """
    resolved = Path(path).resolve()
    key = (str(resolved), os.stat(resolved).st_mtime)
    with _CACHE_LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = _CACHE[key] = load_model(resolved)
    set_batch_size(model, batch_size)
    return model


def set_batch_size(model: Any, batch_size: int) -> None:
    """Set the forward-pass batch size of a classifier or of every member of an ensemble."""
    for member in getattr(model, "estimators_", None) or [model]:
        member.set_params(batch_size=batch_size)


def model_input_shape(model: Any) -> tuple[int, ...] | None:
    """Return the ``(height, width, bands)`` the model was trained on, or None if unknown."""
    members = getattr(model, "estimators_", None)
    classifier = members[0] if members else model
    shape = tuple(getattr(classifier, "input_shape_", ()) or ())
    return shape if len(shape) == 3 else None


def check_streamable(model: Any) -> None:
    """Refuse a rank-averaged ensemble, whose scores are ranks among all the images at once.

    Raises
    ------
    ValueError
        If the model averages its members by rank.
    """
    if getattr(model, "average", "mean") == "rank":
        raise ValueError(
            "The ensemble averages its members by rank, and ranks are among all the images at "
            "once, so it cannot score a stream of chunks; save it with average='mean' (or "
            "score one file at a time without streaming options)."
        )


def score_columns(model: Any) -> tuple[list[str], int | None]:
    """Return the score column names and, for binary models, the positive column.

    Binary models get one ``score_<positive>`` column (the probability of
    the positive class: ``positive_label_``, or the last class for older
    models); multi-class models one ``proba_<class>`` column per class.

    Parameters
    ----------
    model : CNNClassifier or FoldEnsembleClassifier
        Fitted.

    Returns
    -------
    names : list of str
        Score columns.
    positive : int or None
        Binary models: the column of ``predict_proba`` that is scored; None otherwise.
    """
    classes = list(model.classes_)
    if len(classes) == 2:
        positive = getattr(model, "positive_label_", None)
        positive = classes[-1] if positive is None else positive
        return [f"score_{positive}"], classes.index(positive)
    return [f"proba_{c}" for c in classes], None


def score_chunk(model: Any, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score one chunk of validated images.

    Parameters
    ----------
    model : CNNClassifier or FoldEnsembleClassifier
        Fitted, mean-averaged if an ensemble.
    images : ndarray of shape (n, height, width, bands), float32
        Finite pixels.

    Returns
    -------
    proba : ndarray of shape (n, n_classes)
        Probabilities in the column order of ``model.classes_``.
    predicted : ndarray of shape (n,)
        The most probable class of each image.
    """
    proba = np.asarray(model.predict_proba(images), dtype=np.float64)
    classes = np.asarray(model.classes_)
    return proba, classes[np.argmax(proba, axis=1)]
