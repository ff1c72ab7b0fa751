"""Random circular cutouts: discs of pixels set to zero in every channel."""

from __future__ import annotations

import numpy as np


def disc_offsets(radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column offsets of the pixels within ``radius`` of a pixel centre.

    Parameters
    ----------
    radius : int
        Disc radius in pixels; a pixel belongs to the disc when
        ``dy**2 + dx**2 <= radius**2``.

    Returns
    -------
    dy, dx : ndarray of shape (k,), int64
    """
    dy, dx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    inside = dy * dy + dx * dx <= radius * radius
    return dy[inside], dx[inside]


def apply_cutouts(
    images: np.ndarray, rng: np.random.Generator, *, radius: int, num_masks: int
) -> np.ndarray:
    """Zero ``num_masks`` random discs of ``radius`` in each image, in place.

    Disc centres are integer pixels drawn uniformly so that the whole disc
    lies inside the image (rows ``radius .. H - radius - 1``, likewise columns);
    discs of one image may overlap.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C), C-contiguous
        Images, modified in place.
    rng : numpy.random.Generator
        Source of randomness.
    radius : int
        Disc radius in pixels; ``2 * radius < min(H, W)``.
    num_masks : int
        Discs per image.

    Returns
    -------
    centres : ndarray of shape (n, num_masks, 2), int64
        The (row, column) centre of every disc.
    """
    n, height, width = images.shape[:3]
    rows = rng.integers(radius, height - radius, size=(n, num_masks))
    cols = rng.integers(radius, width - radius, size=(n, num_masks))
    dy, dx = disc_offsets(radius)
    # Flat pixel indices of every disc pixel; assigning through them zeroes all channels.
    pixels = images.reshape(n * height * width, -1, copy=False)  # a view, never a copy
    first_pixel = (np.arange(n) * (height * width))[:, None, None]
    pixels[(first_pixel + (rows[..., None] + dy) * width + cols[..., None] + dx).ravel()] = 0.0
    return np.stack([rows, cols], axis=-1)
