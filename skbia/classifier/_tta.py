"""Test-time augmentation: average a network's outputs over exact symmetric views.

A lens looks like a lens in any orientation, and a network trained on few
examples is not exactly invariant to quarter turns and flips. Averaging the
class probabilities over the views of each image removes that part of its
variance without changing what it learned. The views are exact pixel
permutations (no interpolation, no fill):

* ``"dihedral"``: the 8 symmetries of the square (4 quarter turns, each
  optionally flipped); needs square images.
* ``"flips"``: the identity, the left-right flip, the up-down flip and the
  half turn (works for any image shape).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from skbia.augmentation import N_DIHEDRAL_ELEMENTS, dihedral_view

#: Valid values of ``CNNClassifier(tta=...)`` besides None.
TTA_MODES: tuple[str, ...] = ("dihedral", "flips")

# the half-turn group: identity, left-right, up-down, both (elements of D4)
_FLIP_ELEMENTS = (0, 4, 6, 2)


def view_elements(tta: str | None) -> tuple[int, ...]:
    """Return the D4 elements (see :func:`skbia.augmentation.dihedral_view`) of a mode.

    Parameters
    ----------
    tta : {"dihedral", "flips"} or None
        The test-time augmentation mode; None is the identity alone.

    Returns
    -------
    elements : tuple of int
    """
    if tta is None:
        return (0,)
    if tta == "dihedral":
        return tuple(range(N_DIHEDRAL_ELEMENTS))
    if tta == "flips":
        return _FLIP_ELEMENTS
    raise ValueError(f"tta must be None or one of {TTA_MODES}; got {tta!r}.")


def check_tta_images(tta: str | None, shape: tuple[int, ...]) -> None:
    """Raise if the images of ``shape`` (n, H, W[, C]) cannot take the views of ``tta``."""
    if tta == "dihedral" and shape[1] != shape[2]:
        raise ValueError(
            "tta='dihedral' needs square images (quarter turns swap height and width); got "
            f"{shape[1]}x{shape[2]} pixel images. Use tta='flips' for other shapes."
        )


def average_over_views(
    predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray, tta: str | None
) -> np.ndarray:
    """Return the mean of ``predict`` over the views of ``images``.

    Parameters
    ----------
    predict : callable
        Maps a stack of images (n, H, W, C) to outputs (n, k).
    images : ndarray of shape (n, H, W, C)
        The images to score.
    tta : {"dihedral", "flips"} or None
        Which views; None calls ``predict`` once on ``images``.

    Returns
    -------
    outputs : ndarray of shape (n, k)
        The arithmetic mean of the outputs of every view (float64 sums of
        float32 outputs, returned as float32).
    """
    elements = view_elements(tta)
    if len(elements) == 1:
        return np.asarray(predict(images))
    check_tta_images(tta, images.shape)
    total = None
    for element in elements:
        view = np.ascontiguousarray(dihedral_view(images, element))
        output = np.asarray(predict(view), dtype=np.float64)
        total = output if total is None else total + output
    return (total / len(elements)).astype(np.float32)
