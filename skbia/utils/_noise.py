"""Robust estimate of the background noise of each band of a stack of images."""

from __future__ import annotations

import numpy as np

from skbia.utils._checks import check_positive_int, is_real
from skbia.utils._validation import check_images

#: Ratio of the standard deviation to the median absolute deviation of a Gaussian.
MAD_TO_SIGMA = 1.4826


def _border_mask(height: int, width: int, border: int | None) -> np.ndarray:
    """Boolean (height, width) mask of the pixels within ``border`` pixels of an edge."""
    if border is None or 2 * border >= min(height, width):
        return np.ones((height, width), dtype=bool)
    mask = np.zeros((height, width), dtype=bool)
    mask[:border, :] = mask[-border:, :] = True
    mask[:, :border] = mask[:, -border:] = True
    return mask


#: Fewest pixels per image for which deviations are taken from each image's own median.
MIN_PIXELS_PER_IMAGE = 50


def _mad_sigma(pixels: np.ndarray) -> np.ndarray:
    """1.4826 x the median absolute deviation per band of (n_images, n_pixels, C) pixels.

    Deviations are taken from each image's own median in that band (from the
    median of all images when an image has fewer than ``MIN_PIXELS_PER_IMAGE``
    pixels, where its own median would bias the estimate low), then the
    median is taken over all images' deviations together.
    """
    if pixels.shape[1] >= MIN_PIXELS_PER_IMAGE:
        centre = np.median(pixels, axis=1, keepdims=True)
    else:
        centre = np.median(pixels, axis=(0, 1), keepdims=True)
    deviations = np.abs(pixels - centre)
    return MAD_TO_SIGMA * np.median(deviations.reshape(-1, pixels.shape[-1]), axis=0)


def estimate_background_noise(
    X, *, border: int | None = 10, floor: float = 1e-6
) -> np.ndarray:
    """Estimate the background noise of each band from the image borders.

    The noise of band ``b`` is ``1.4826 * MAD``, the median absolute
    deviation of the border pixels of band ``b`` of all images scaled to the
    standard deviation of Gaussian noise. Deviations are measured from each
    image's own median border value in that band, so image-to-image changes
    of the sky level do not inflate the estimate (from the median of all
    images when an image has fewer than 50 such pixels, where its own median
    would bias the estimate low). Centred objects (a lens
    galaxy and its arcs) mostly fall outside the border, and the median
    ignores the few bright pixels that do fall in it: up to half of the
    pixels can belong to sources before the estimate breaks down.

    Parameters
    ----------
    X : array-like of shape (n_images, height, width) or (n_images, height, width, bands)
        Training images (validated by :func:`skbia.utils.check_images`; NaN
        or infinite pixels raise). They should be background subtracted.
    border : int or None, default=10
        Width in pixels of the frame along the four edges whose pixels are
        used. When an image side is at most ``2 * border`` pixels (tiny
        images), the frame would cover the whole image and all pixels are
        used; None always uses all pixels.
    floor : float, default=1e-6
        The estimate of a constant band, relative to its absolute pixel
        value, so the result is never 0 (see Notes).

    Returns
    -------
    noise : ndarray of shape (bands,), dtype float64
        One positive noise estimate per band, in pixel units; suitable as
        the ``softening`` of :func:`skbia.architectures.layers.build_preprocessing`.

    Raises
    ------
    ValueError
        If the images are invalid, ``border`` is not a positive integer or
        None, or ``floor`` is not a positive finite number.
    TypeError
        If the pixel values are not real numbers.

    Notes
    -----
    When more than half of the selected pixels of a band share one value
    (zero-padded borders, noise-free simulations), the MAD is 0. The
    estimate then falls back to the MAD of all pixels of that band, then to
    their standard deviation. Only a band whose pixels all share one value
    ``c`` has a standard deviation of 0; its estimate is ``floor * |c|``
    (``floor`` itself when ``c = 0``). The result is therefore always
    positive and finite.

    The images are converted to ``float32`` by the validation; the
    statistics are computed in ``float64``.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia.utils import estimate_background_noise
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(0.0, [1.0, 5.0], size=(50, 40, 40, 2))
    >>> np.round(estimate_background_noise(X), 1).tolist()
    [1.0, 5.0]
    """
    if border is not None:
        border = check_positive_int("border", border)
    if not is_real(floor) or not (np.isfinite(floor) and floor > 0):
        raise ValueError(f"floor must be a finite positive number; got {floor!r}.")
    images = check_images(X, name="X")
    n_images, height, width, n_bands = images.shape
    mask = _border_mask(height, width, border)
    noise = _mad_sigma(images[:, mask, :].astype(np.float64))
    all_pixels = images.reshape(n_images, height * width, n_bands)
    for band in np.flatnonzero(~(noise > 0)):
        values = all_pixels[..., band : band + 1].astype(np.float64)
        noise[band] = _mad_sigma(values)[0]
        if not noise[band] > 0:
            noise[band] = float(np.std(values))
        if not noise[band] > 0:  # a constant band
            peak = float(np.abs(values).max())
            noise[band] = floor * (peak if peak > 0 else 1.0)
    return noise
