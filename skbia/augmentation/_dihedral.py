"""The symmetries of a square (the dihedral group D4) as exact pixel permutations.

The 8 elements are the 4 quarter turns, each optionally followed by a
left-right flip. They move whole pixels (no interpolation, no fill), so every
pixel value, and the total flux, is kept exactly.
"""

from __future__ import annotations

import numpy as np

#: Number of elements of D4.
N_ELEMENTS = 8


def dihedral_view(images: np.ndarray, element: int) -> np.ndarray:
    """Return one symmetry of a stack of square images.

    Parameters
    ----------
    images : ndarray of shape (n, H, H, ...)
        Images; the transform acts on axes 1 and 2.
    element : int
        Which of the 8 symmetries: ``element % 4`` counter-clockwise quarter
        turns (as :func:`numpy.rot90`), followed by a left-right flip when
        ``element >= 4``. 0 is the identity.

    Returns
    -------
    view : ndarray of shape (n, H, H, ...)
        A view of ``images`` (no copy).

    Raises
    ------
    ValueError
        If ``element`` is not an integer in 0..7, or the images are not a
        stack of square images.
    """
    if isinstance(element, bool) or not isinstance(element, int | np.integer) or not (
            0 <= element < 8):
        raise ValueError(f"element must be an integer from 0 to 7; got {element!r}.")
    shape = np.shape(images)
    if len(shape) < 3 or shape[1] != shape[2]:
        raise ValueError(
            "dihedral_view needs a stack of square images, shape (n, H, H, ...); got shape "
            f"{shape} (quarter turns would change a non-square image's shape)."
        )
    view = np.rot90(images, element % 4, axes=(1, 2))
    return view[:, :, ::-1] if element >= 4 else view


def random_dihedral(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Apply an independent, uniformly drawn symmetry of D4 to each image, in place.

    Parameters
    ----------
    images : ndarray of shape (n, H, H, C)
        Square images, modified in place.
    rng : numpy.random.Generator
        Source of randomness; one integer draw per image.

    Returns
    -------
    elements : ndarray of shape (n,), int64
        The element (see :func:`dihedral_view`) applied to each image.

    Raises
    ------
    ValueError
        If the images are not square.
    """
    height, width = images.shape[1:3]
    if height != width:
        raise ValueError(
            f"the symmetries of D4 need square images; got {height}x{width} pixel images."
        )
    elements = rng.integers(0, N_ELEMENTS, size=len(images))
    for element in range(1, N_ELEMENTS):
        rows = np.flatnonzero(elements == element)
        if rows.size:
            images[rows] = dihedral_view(images[rows], element)
    return elements
