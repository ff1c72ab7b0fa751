"""Plots of images and results.

Every function returns a :class:`matplotlib.figure.Figure` built without
:mod:`matplotlib.pyplot`, so it works with any backend (including the
non-interactive Agg backend of servers), needs no ``plt.show()``, and leaves no
global figure behind. Save it with ``fig.savefig(path)``; in a notebook it is
shown when it is the value of a cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure, SubFigure

__all__ = ["plot_images"]

_SCALINGS = ("robust", "asinh", "linear")
_ROBUST_PERCENTILES = (0.5, 99.5)
_ASINH_Q = 8.0  # softening of the asinh stretch (Lupton et al. 2004's Q)


def plot_images(
    images,
    labels=None,
    *,
    band: int | None = None,
    rgb_bands: Sequence[int] = (2, 1, 0),
    scaling: str = "robust",
    vmin: float | Sequence[float] | None = None,
    vmax: float | Sequence[float] | None = None,
    ncols: int = 5,
    cmap: str = "gray",
    origin: str = "lower",
    title: str | None = None,
    panel_size: float = 2.0,
    figure: Figure | SubFigure | None = None,
) -> Figure | SubFigure:
    """Show images in a grid, one band in grey or three bands as a colour composite.

    Parameters
    ----------
    images : array-like of shape (n, H, W), (n, H, W, C) or (H, W)
        Images, e.g. the output of :meth:`ImageAugmenter.fit_resample`. NaN
        pixels are allowed and shown in black (grey images: the colour map's
        "bad" colour). Pass a slice to show a subset.
    labels : array-like of shape (n,), optional
        Shown above each image.
    band : int, optional
        Show this band in grey (with ``cmap``). By default single-band images
        are shown in grey and images with three or more bands as colour.
    rgb_bands : sequence of 3 int, default=(2, 1, 0)
        Bands shown as red, green, blue. The default suits bands stored from
        short to long wavelength (g, r, i -> blue, green, red).
    scaling : {"robust", "asinh", "linear"}, default="robust"
        How pixel values become brightness, per image:

        - "robust": linear between the 0.5th and 99.5th percentile of each
          band (so a few bright pixels do not hide faint structure);
        - "asinh": each band is put on a common scale (0 at its median, the
          sky; 1 at its 99.5th percentile), then the mean of the bands gets a
          Lupton et al. (2004) arcsinh stretch and every band of a pixel is
          multiplied by the same factor, which keeps the pixel's colour; faint
          blue arcs stay visible next to bright red galaxies;
        - "linear": linear between each band's minimum and maximum.
    vmin, vmax : float or sequence of float, optional
        Override the lower / upper limits (one value, or one per shown band)
        for every image: the values shown black and at full brightness; for
        "asinh" the sky level and the value where the stretch reaches 1.
    ncols : int, default=5
        Images per row.
    cmap : str, default="gray"
        Colour map of single-band images.
    origin : {"lower", "upper"}, default="lower"
        Where row 0 is drawn: "lower" is the astronomical (FITS) convention.
    title : str, optional
        Title of the whole figure.
    panel_size : float, default=2.0
        Width and height of each image in inches (new figures only).
    figure : matplotlib Figure or SubFigure, optional
        Draw into this (e.g. a subfigure of a larger figure) instead of a new one.

    Returns
    -------
    figure : matplotlib.figure.Figure or SubFigure
        The figure drawn into.

    Raises
    ------
    TypeError
        If ``images`` holds non-numeric or complex values.
    ValueError
        If ``images`` is not one stack of same-shaped images with no empty
        dimension, ``labels`` does not hold one label per image, a band index
        is out of range, ``vmin`` or ``vmax`` is not one finite number or one
        per shown band, ``vmin`` is not below ``vmax``, or ``scaling``,
        ``ncols``, ``origin`` or ``panel_size`` is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia import plot_images
    >>> images = np.random.default_rng(0).normal(size=(6, 32, 32, 3))
    >>> fig = plot_images(images, labels=[1, 1, 0, 0, 0, 0], scaling="asinh", ncols=3)
    >>> len(fig.axes)
    6
    """
    stack = _as_stack(images)
    shown = _shown_bands(stack.shape[-1], band, rgb_bands)
    if scaling not in _SCALINGS:
        raise ValueError(
            f"scaling must be one of {', '.join(map(repr, _SCALINGS))}; got {scaling!r}."
        )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(stack),):
            raise ValueError(
                f"labels must hold one label per image ({len(stack)}); got shape {labels.shape}."
            )
    if not isinstance(ncols, int | np.integer) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer; got {ncols!r}.")
    if origin not in ("lower", "upper"):
        raise ValueError(f'origin must be "lower" or "upper"; got {origin!r}.')
    from skbia.utils import is_real

    if not is_real(panel_size) or not 0 < float(panel_size) < float("inf"):
        raise ValueError(f"panel_size must be a positive number of inches; got {panel_size!r}.")
    lower = _limit("vmin", vmin, len(shown))
    upper = _limit("vmax", vmax, len(shown))
    if lower is not None and upper is not None and not np.all(lower < upper):
        raise ValueError(
            f"vmin must be below vmax for every shown band; got vmin={vmin!r}, vmax={vmax!r}."
        )

    ncols = min(int(ncols), len(stack))
    nrows = -(-len(stack) // ncols)
    if figure is None:
        figure = Figure(
            figsize=(panel_size * ncols, panel_size * nrows + 0.3 * bool(title)),
            layout="constrained",
        )
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i >= len(stack):
            continue
        pixels = _scaled(stack[i][..., shown], scaling, lower, upper)
        if len(shown) == 1:
            ax.imshow(
                pixels[..., 0], cmap=cmap, vmin=0, vmax=1, origin=origin, interpolation="nearest"
            )
        else:
            ax.imshow(np.nan_to_num(pixels, nan=0.0), origin=origin, interpolation="nearest")
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize="small")
    if title:
        figure.suptitle(title)
    return figure


def _as_stack(images) -> np.ndarray:
    """Images as a float (n, H, W, C) array; a 2-d array is one image."""
    try:
        stack = np.asarray(images)
    except ValueError:  # a ragged list (numpy refuses inhomogeneous shapes)
        raise ValueError(
            "images must be one array of same-shaped images, (n, H, W), (n, H, W, C) or "
            "(H, W); got a sequence of differently shaped images."
        ) from None
    if stack.dtype == object or stack.dtype.kind not in "biuf":
        raise TypeError(f"images must hold real numeric pixel values; got dtype {stack.dtype}.")
    if stack.ndim == 2:
        stack = stack[None]
    if stack.ndim == 3:
        stack = stack[..., None]
    if stack.ndim != 4 or 0 in stack.shape:
        raise ValueError(
            f"images must be an (n, H, W), (n, H, W, C) or (H, W) array with no empty "
            f"dimension; got shape {np.shape(images)}."
        )
    return stack.astype(np.float64)


def _shown_bands(channels: int, band: int | None, rgb_bands: Sequence[int]) -> list[int]:
    """Return the one band or the three bands to show."""
    if band is not None:
        if not isinstance(band, int | np.integer) or not -channels <= band < channels:
            raise ValueError(f"band={band!r} is not a band of {channels}-band images.")
        return [int(band) % channels]
    if channels == 1:
        return [0]
    if channels == 2:
        raise ValueError("images have 2 bands: pass band=0 or band=1 to show one of them.")
    bands = list(rgb_bands)
    if len(bands) != 3 or not all(isinstance(b, int | np.integer) for b in bands):
        raise ValueError(f"rgb_bands must be three band indices; got {rgb_bands!r}.")
    if not all(-channels <= b < channels for b in bands):
        raise ValueError(
            f"rgb_bands={tuple(rgb_bands)!r} names bands that {channels}-band images do not have."
        )
    return [int(b) % channels for b in bands]


def _limit(name: str, value, n_bands: int) -> np.ndarray | None:
    """Return a user limit as one value per shown band, or None."""
    if value is None:
        return None
    try:
        limit = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        limit = None  # not numbers
    if limit is not None and limit.ndim == 0:
        limit = np.full(n_bands, float(limit))
    if limit is None or limit.shape != (n_bands,) or not np.isfinite(limit).all():
        raise ValueError(
            f"{name} must be one finite number or one per shown band ({n_bands}); got {value!r}."
        )
    return limit


def _scaled(image: np.ndarray, scaling: str, lower, upper) -> np.ndarray:
    """Map one (H, W, k) image to brightness in [0, 1] (NaN stays NaN)."""
    finite = np.isfinite(image)
    if not finite.any():
        return np.full(image.shape, np.nan)
    if scaling == "linear":
        low = np.nanmin(image, axis=(0, 1)) if lower is None else lower
        high = np.nanmax(image, axis=(0, 1)) if upper is None else upper
    else:
        pct = np.nanpercentile(
            image,
            [50.0 if scaling == "asinh" else _ROBUST_PERCENTILES[0], _ROBUST_PERCENTILES[1]],
            axis=(0, 1),
        )
        low = pct[0] if lower is None else lower
        high = pct[1] if upper is None else upper
    span = np.where(high > low, high - low, 1.0)
    if scaling != "asinh":
        return np.clip((image - low) / span, 0.0, 1.0)
    # Lupton et al. (2004): stretch the mean intensity of the (per-band normalized) bands and
    # scale every band of a pixel by the same factor, which keeps the pixel's hue.
    above = np.clip(image - low, 0.0, None) / span
    intensity = above.mean(axis=2, keepdims=True)
    stretch = np.arcsinh(_ASINH_Q * intensity) / np.arcsinh(_ASINH_Q)
    with np.errstate(invalid="ignore", divide="ignore"):
        rgb = np.where(intensity > 0, above * stretch / intensity, 0.0)
    peak = np.nanmax(rgb, axis=2, keepdims=True)
    rgb = np.where(peak > 1.0, rgb / np.where(peak > 1.0, peak, 1.0), rgb)  # keep the hue
    return np.where(finite, rgb, np.nan)
