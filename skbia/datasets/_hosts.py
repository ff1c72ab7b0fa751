"""The light of host cutouts: centroid, orientation, brightness and colour of the centre.

All measurements use the *central region* of an image: the disc of radius
``CENTRAL_FRACTION`` of the smaller image side (at least ``MIN_CENTRAL_RADIUS``
pixels) around the image centre, re-centred once on the first centroid.
Negative pixels (noise of background-subtracted data) get zero weight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["HOST_METHODS", "central_light", "select_hosts"]

CENTRAL_FRACTION = 0.15
MIN_CENTRAL_RADIUS = 3.0
HOST_METHODS = ("all", "bright_red_centre")


def _central_radius(height: int, width: int) -> float:
    return max(MIN_CENTRAL_RADIUS, CENTRAL_FRACTION * min(height, width))


def central_light(images: np.ndarray) -> dict[str, np.ndarray]:
    """Measure the central object of each image.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C)
        Background-subtracted images.

    Returns
    -------
    light : dict of str to ndarray
        ``"center"`` (n, 2): flux-weighted centroid (row, col) of the summed
        bands inside the central region (the image centre when that region
        holds no positive flux); ``"angle"`` (n,): position angle of the
        light's major axis from its second moments, radians from +x (columns)
        towards +y (rows); ``"flux"`` (n, C): flux per band inside the
        central region (negative pixels included, so that noise averages out).
    """
    n, height, width, _ = images.shape
    radius = _central_radius(height, width)
    # the discs lie within 2 radii of the image centre (the centroid moves by < 1 radius)
    reach = math.ceil(2 * radius) + 1
    r0, c0 = max(0, (height - 1) // 2 - reach), max(0, (width - 1) // 2 - reach)
    crop = images[:, r0:min(height, (height - 1) // 2 + reach + 2),
                  c0:min(width, (width - 1) // 2 + reach + 2)].astype(np.float64)
    rows = np.arange(r0, r0 + crop.shape[1], dtype=float)[:, None]
    cols = np.arange(c0, c0 + crop.shape[2], dtype=float)[None, :]
    weights = np.clip(crop.sum(axis=3), 0.0, None)
    centre = np.tile([(height - 1) / 2.0, (width - 1) / 2.0], (n, 1))
    for _ in range(2):  # centroid in the central disc, then in the disc around that centroid
        w = weights * _disc(centre, rows, cols, radius)
        total = w.sum(axis=(1, 2))
        found = total > 0
        safe = np.where(found, total, 1.0)
        new = np.stack([(w * rows).sum(axis=(1, 2)) / safe, (w * cols).sum(axis=(1, 2)) / safe], 1)
        centre = np.where(found[:, None], new, centre)
    inside = _disc(centre, rows, cols, radius)
    w = weights * inside
    total = np.maximum(w.sum(axis=(1, 2)), np.finfo(float).tiny)
    dr = rows[None] - centre[:, 0, None, None]
    dc = cols[None] - centre[:, 1, None, None]
    m_rr = (w * dr * dr).sum(axis=(1, 2)) / total
    m_cc = (w * dc * dc).sum(axis=(1, 2)) / total
    m_rc = (w * dr * dc).sum(axis=(1, 2)) / total
    angle = 0.5 * np.arctan2(2.0 * m_rc, m_cc - m_rr)
    flux = np.einsum("nhwc,nhw->nc", crop, inside.astype(crop.dtype))
    return {"center": centre, "angle": angle, "flux": flux}


def _disc(centre: np.ndarray, rows: np.ndarray, cols: np.ndarray, radius: float) -> np.ndarray:
    dr = rows[None] - centre[:, 0, None, None]
    dc = cols[None] - centre[:, 1, None, None]
    return (dr * dr + dc * dc) <= radius * radius


def select_hosts(
    images,
    method: str | Sequence[int] | np.ndarray = "bright_red_centre",
    *,
    brightness_quantile: float = 0.5,
    color_quantile: float = 0.5,
) -> np.ndarray:
    """Choose the images to paint lenses into; return their indices.

    Parameters
    ----------
    images : array-like of shape (n, H, W, C)
        Candidate host cutouts, background subtracted, bands ordered from
        short to long wavelength (e.g. g, r, i). Never pass known lenses.
    method : {"all", "bright_red_centre"}, boolean mask or sequence of int, \
default="bright_red_centre"
        ``"all"``: every image. A boolean mask of length ``n`` or a list of
        indices: those images. ``"bright_red_centre"``: images whose central
        object is bright and red, like the massive early-type galaxies that
        make most galaxy-scale lenses. The central flux ``F`` (all bands
        summed, inside the central disc of radius 15% of the smaller image
        side around the light centroid) must be at least the
        ``brightness_quantile`` quantile of ``F`` over the set, and (with two
        or more bands) the colour ``-2.5 log10(F_first / F_last)`` of the
        central disc (first = bluest band, last = reddest) at least the
        ``color_quantile`` quantile of the colours over the set. Images with
        non-positive central flux in the first or last band are never chosen.
        Thresholds are relative to the set, so they need no calibration.
    brightness_quantile : float, default=0.5
        Quantile in [0, 1] of the central-flux cut of ``"bright_red_centre"``.
    color_quantile : float, default=0.5
        Quantile in [0, 1] of the colour cut of ``"bright_red_centre"``.

    Returns
    -------
    indices : ndarray of int
        Sorted indices into ``images``, without repeats.

    Raises
    ------
    ValueError
        For images that are not 4-d or hold non-finite pixels, an unknown
        ``method``, a mask of the wrong length, indices out of range, or
        quantiles outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from skbia.datasets import select_hosts
    >>> images = np.random.default_rng(0).normal(size=(6, 32, 32, 3))
    >>> select_hosts(images, [4, 1, 4]).tolist()
    [1, 4]
    >>> len(select_hosts(images, "all"))
    6
    """
    from skbia.datasets._injection_params import check_hosts

    array = check_hosts(images)
    n = len(array)
    if isinstance(method, str):
        if method == "all":
            return np.arange(n)
        if method != "bright_red_centre":
            raise ValueError(f"method must be one of {list(HOST_METHODS)}, a boolean mask or a "
                             f"list of indices; got {method!r}.")
        return _bright_red(array, brightness_quantile, color_quantile)
    chosen = np.asarray(method)
    if chosen.dtype == bool:
        if chosen.shape != (n,):
            raise ValueError(f"A boolean mask method must have one entry per image ({n}); got "
                             f"shape {chosen.shape}.")
        return np.flatnonzero(chosen)
    if chosen.ndim != 1 or (chosen.size and chosen.dtype.kind not in "iu"):
        raise ValueError(f"method must be 'all', 'bright_red_centre', a boolean mask or a "
                         f"1-d list of integer indices; got {method!r}.")
    if chosen.size and (chosen.min() < -n or chosen.max() >= n):
        raise ValueError(f"Host indices must lie in [0, {n}); got {chosen.tolist()[:10]}.")
    return np.unique(np.where(chosen < 0, chosen + n, chosen)).astype(np.intp)


def _bright_red(images: np.ndarray, brightness_quantile: float, color_quantile: float):
    for name, q in (("brightness_quantile", brightness_quantile),
                    ("color_quantile", color_quantile)):
        if isinstance(q, bool) or not isinstance(q, int | float) or not 0 <= q <= 1:
            raise ValueError(f"{name} must be a number in [0, 1]; got {q!r}.")
    flux = central_light(images)["flux"]
    total = flux.sum(axis=1)
    keep = total >= np.quantile(total, brightness_quantile)
    if flux.shape[1] >= 2:
        blue, red = flux[:, 0], flux[:, -1]
        positive = (blue > 0) & (red > 0)
        color = np.full(len(flux), -math.inf)
        color[positive] = -2.5 * np.log10(blue[positive] / red[positive])
        if positive.any():
            keep &= positive & (color >= np.quantile(color[positive], color_quantile))
        else:
            keep[:] = False
    return np.flatnonzero(keep)
