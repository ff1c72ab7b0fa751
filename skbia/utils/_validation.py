"""Validation of image arrays and labels shared by every skbia estimator.

scikit-learn's and imbalanced-learn's own validators reject 4-d arrays, so
skbia validates images itself. Every check raises an error that names the
problem; nothing is silently changed except the documented conversion of
pixel values to native-endian ``float32``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.utils.multiclass import type_of_target

from skbia.utils._checks import is_real

_MAX_LISTED = 10


def _list_indices(indices: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in indices[:_MAX_LISTED])
    more = len(indices) - _MAX_LISTED
    return f"[{shown}{', ...' if more > 0 else ''}]"


def check_images(
    X,
    *,
    name: str = "X",
    fill_value: float | None = None,
    n_channels: int | None = None,
    min_size: int | Sequence[int] | None = None,
    min_size_name: str = "image_size",
) -> np.ndarray:
    """Validate a stack of images and return it as native ``float32`` (n, H, W, C).

    Parameters
    ----------
    X : array-like of shape (n, H, W) or (n, H, W, C)
        Images, any real dtype and byte order (e.g. big-endian ``>f4`` from FITS).
        A 3-d array means single-channel images.
    name : str, default="X"
        Name used in error messages.
    fill_value : float or None, default=None
        If None, NaN or infinite pixels raise ``ValueError`` naming the
        offending images. If a finite number, such pixels are replaced by it
        in the returned copy (the caller's array is never modified).
    n_channels : int or None, default=None
        If given, the number of channels the images must have.
    min_size : int, (int, int) or None, default=None
        If given, the minimum height and width of the images.
    min_size_name : str, default="image_size"
        Name of the parameter that asked for ``min_size``, for the error message.

    Returns
    -------
    images : ndarray of shape (n, H, W, C), dtype float32
        The validated images. It is the input itself when that already was a
        native float32 4-d array without non-finite pixels.

    Raises
    ------
    ValueError
        Wrong number of dimensions, no images, channel mismatch, images smaller
        than ``min_size``, non-finite pixels without ``fill_value``, or a
        ``fill_value`` that is not a finite number.
    TypeError
        Non-numeric (object, string, complex) pixel values.
    """
    check_fill_value(fill_value)
    array = np.asarray(X)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numeric pixel values; got dtype {array.dtype}."
        )
    if array.ndim == 3:
        array = array[..., np.newaxis]
    elif array.ndim != 4:
        raise ValueError(
            f"{name} must be a 3-d (n_images, height, width) or 4-d "
            f"(n_images, height, width, channels) array; got ndim={array.ndim} "
            f"with shape {array.shape}."
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} contains no images (shape {array.shape}).")
    if min(array.shape[1:]) == 0:
        raise ValueError(f"{name} has an empty image dimension (shape {array.shape}).")
    if n_channels is not None and array.shape[-1] != n_channels:
        raise ValueError(
            f"{name} has {array.shape[-1]} channel(s) but {n_channels} were expected "
            f"(the number of channels seen during fit)."
        )
    if min_size is not None:
        min_h, min_w = (min_size, min_size) if np.isscalar(min_size) else tuple(min_size)
        height, width = array.shape[1:3]
        if height < min_h or width < min_w:
            raise ValueError(
                f"{name} holds {height}x{width} pixel images, smaller than "
                f"{min_size_name}={min_size}; the crop cannot be larger than the image."
            )

    images = array.astype(np.float32, copy=False)
    finite = np.isfinite(images).all(axis=(1, 2, 3))
    if not finite.all():
        bad = np.flatnonzero(~finite)
        if fill_value is None:
            raise ValueError(
                f"{name} has non-finite pixels (NaN or inf) in {len(bad)} of "
                f"{len(images)} images, at indices {_list_indices(bad)}. Clean or mask "
                f"them, or pass fill_value=<number> to replace them explicitly."
            )
        images = np.where(np.isfinite(images), images, np.float32(fill_value))
    return images


def check_fill_value(fill_value) -> None:
    """Check that a ``fill_value`` for missing pixels is None or a finite float32 number.

    Parameters
    ----------
    fill_value : float or None
        The replacement for NaN and infinite pixels.

    Raises
    ------
    ValueError
        If ``fill_value`` is NaN, infinite, beyond float32's range, or not a
        real number (replacing NaN by NaN would change nothing silently).
    """
    if fill_value is None:
        return
    if not is_real(fill_value):
        raise ValueError(f"fill_value must be a finite number or None; got {fill_value!r}.")
    if not np.isfinite(fill_value) or abs(float(fill_value)) > float(np.finfo(np.float32).max):
        raise ValueError(f"fill_value must be a finite number within float32's range (the "
                         f"pixels are float32); got {fill_value!r}.")


def check_labels(y, n_samples: int, *, min_classes: int = 2) -> np.ndarray:
    """Validate class labels for ``n_samples`` images.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels of any type scikit-learn accepts.
    n_samples : int
        Number of images the labels belong to.
    min_classes : int, default=2
        The minimum number of distinct classes.

    Returns
    -------
    labels : ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        If ``y`` is not 1-d, its length differs from ``n_samples``, it holds
        missing values or continuous (non-integral float) values, or it has
        fewer than ``min_classes`` classes.
    """
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.ravel()
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-d (one label per image); got shape {labels.shape}.")
    if len(labels) != n_samples:
        raise ValueError(
            f"X and y have inconsistent lengths: {n_samples} images but {len(labels)} labels."
        )
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise ValueError("y contains NaN or infinite labels.")
    if labels.dtype.kind in "fc" and type_of_target(labels) == "continuous":
        shown = ", ".join(f"{v:g}" for v in labels[:3])
        raise ValueError(
            f"Unknown label type: y looks continuous ({shown}, ...); a classifier needs "
            "class labels (integers, strings or booleans, or floats with integral values)."
        )
    classes = np.unique(labels)
    if len(classes) < min_classes:
        raise ValueError(
            f"y has {len(classes)} class(es) ({', '.join(map(str, classes))}); "
            f"at least {min_classes} are needed to train a classifier."
        )
    return labels


def check_training_finite(history) -> None:
    """Raise when the last training loss recorded in a Keras history is NaN or infinite.

    A network whose loss diverged keeps non-finite weights and predicts NaN or
    one constant probability without complaint; it must not look usable.

    Parameters
    ----------
    history : mapping or None
        A Keras/scikeras ``history_`` (metric name -> values per epoch).
        Anything without a ``"loss"`` entry passes.

    Raises
    ------
    FloatingPointError
        If the last recorded training loss is not finite.
    """
    if not isinstance(history, Mapping):
        return
    losses = np.asarray(history.get("loss", ()), dtype=float)
    if losses.size and not np.isfinite(losses[-1]):
        raise FloatingPointError(
            f"Training diverged: the training loss became {losses[-1]} in epoch "
            f"{losses.size}, so the network's weights are no longer finite. Lower "
            "learning_rate, pick another optimizer, or check the pixel scaling "
            "(normalize, min_pixel, max_pixel)."
        )


def check_binary_scores(y_true, y_score, pos_label) -> tuple[np.ndarray, np.ndarray]:
    """Validate binary labels and scores and return (0/1 positives, float scores).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels, containing both ``pos_label`` and at least one other label.
    y_score : array-like of shape (n,)
        Finite scores, higher meaning more likely positive.
    pos_label : object
        The label of the positive class.

    Returns
    -------
    positive : ndarray of shape (n,), int
        1 where ``y_true == pos_label``, else 0.
    y_score : ndarray of shape (n,), float

    Raises
    ------
    TypeError
        If ``y_score`` holds non-numeric or complex values (a float conversion
        would drop an imaginary part).
    ValueError
        If ``y_true`` holds NaN or continuous (non-integer float) values, such
        as scores passed in the place of labels; if either array is not 1-d,
        their lengths differ, a score is not finite, or only one class is
        present.
    """
    y_score = np.asarray(y_score)
    if y_score.dtype.kind not in "biuf":
        raise TypeError(
            f"y_score must hold real numbers (one score per image); got dtype {y_score.dtype}."
        )
    y_true = np.asarray(y_true)
    if y_true.dtype.kind == "f" and y_true.size:
        if not np.isfinite(y_true).all():
            raise ValueError(
                f"y_true contains {int((~np.isfinite(y_true)).sum())} NaN or infinite labels."
            )
        if not np.all(y_true == np.round(y_true)):
            raise ValueError(
                "y_true holds non-integer numbers, not class labels (continuous values such as "
                "scores): pass the true class of each image as y_true and the scores as y_score."
            )
    y_score = np.asarray(y_score, dtype=float)
    if y_true.ndim != 1 or y_score.ndim != 1:
        raise ValueError(
            f"y_true and y_score must be 1-d; got shapes {y_true.shape} and {y_score.shape}."
        )
    if len(y_true) != len(y_score):
        raise ValueError(
            f"y_true and y_score have inconsistent lengths: {len(y_true)} and {len(y_score)}."
        )
    if not np.isfinite(y_score).all():
        raise ValueError("y_score contains NaN or infinite scores.")
    positive = y_true == pos_label
    if positive.all() or not positive.any():
        raise ValueError(
            f"y_true must contain both positives (pos_label={pos_label!r}) and negatives; "
            f"got {int(positive.sum())} positives among {len(y_true)} labels."
        )
    return positive.astype(int), y_score
