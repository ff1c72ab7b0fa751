"""Detector noise: sky background, photon (Poisson) noise and read noise.

Images are modelled in data units ("counts"); a detector with ``gain``
electrons per count records ``Poisson(gain * (model + sky))`` electrons plus
Gaussian read noise of ``read_noise`` electrons per pixel. The returned image is
converted back to counts and background subtracted (the known sky level is
removed), so empty sky has mean 0 and variance
``sky / gain + (read_noise / gain)**2`` counts^2.

Because a sum of independent Poisson variables is Poisson, the photons of the
lensed source are drawn separately from those of everything else: an image
with a source and the same scene without it, drawn from the same random
streams, differ only where the source has light.
"""

from __future__ import annotations

import numpy as np

__all__ = ["observe", "sky_variance"]


def sky_variance(sky_level: np.ndarray, gain: np.ndarray, read_noise: np.ndarray) -> np.ndarray:
    """Variance of a background-subtracted empty-sky pixel, in counts^2.

    Parameters
    ----------
    sky_level : array-like
        Sky counts per pixel (per band).
    gain : array-like
        Electrons per count.
    read_noise : array-like
        Read noise in electrons per pixel.

    Returns
    -------
    variance : ndarray
        ``sky_level / gain + (read_noise / gain)**2``.
    """
    sky = np.asarray(sky_level, dtype=float)
    gain = np.asarray(gain, dtype=float)
    read = np.asarray(read_noise, dtype=float)
    return sky / gain + (read / gain) ** 2


def observe(
    model: np.ndarray,
    source: np.ndarray | None,
    *,
    sky_level: np.ndarray,
    gain: np.ndarray,
    read_noise: np.ndarray,
    rngs: tuple[np.random.Generator, np.random.Generator, np.random.Generator],
) -> np.ndarray:
    """Draw a background-subtracted noisy image from noise-free models.

    Parameters
    ----------
    model : ndarray of shape (n_bands, n_rows, n_cols)
        Expected counts of everything except the lensed source (>= 0).
    source : ndarray of the same shape, or None
        Expected counts of the lensed source (>= 0).
    sky_level, gain, read_noise : ndarray of shape (n_bands,)
        Per-band sky counts per pixel, electrons per count, read noise in electrons.
    rngs : tuple of 3 numpy Generators
        Streams for the photons of ``model`` plus sky, those of ``source``, and
        the read noise.

    Returns
    -------
    image : ndarray of shape (n_bands, n_rows, n_cols), float64
        ``(electrons) / gain - sky_level``.
    """
    per_band = (slice(None), None, None)
    gain_b = gain[per_band]
    sky_b = sky_level[per_band]
    rng_model, rng_source, rng_read = rngs
    electrons = rng_model.poisson(gain_b * (np.clip(model, 0.0, None) + sky_b)).astype(float)
    if source is not None:
        electrons += rng_source.poisson(gain_b * np.clip(source, 0.0, None))
    electrons += rng_read.standard_normal(model.shape) * read_noise[per_band]
    return electrons / gain_b - sky_b
