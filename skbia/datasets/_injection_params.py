"""Validation of the settings of :func:`skbia.datasets.inject_lenses`, before any work.

Every physical setting is checked against the hosts (number of bands, stamp
size) and turned into one frozen :class:`InjectionSettings`; each error names
the parameter at fault.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import fft

from skbia.datasets._light import PSF_RADIUS_FWHM, kernel_transform, psf_kernel
from skbia.utils import check_positive_int, is_integer, is_real

__all__ = ["InjectionSettings", "check_centers", "check_hosts", "check_settings"]

# default source colours per number of bands: the band names used by _scenes
DEFAULT_BANDS = {1: ("r",), 3: ("g", "r", "i"), 4: ("g", "r", "i", "z")}
PSF_KINDS = ("moffat", "gaussian")
MAX_SHEAR = 0.5  # beyond this the lens mapping is no longer a galaxy-scale lens
_SERSIC_INDEX = (0.2, 10.0)  # what skbia.datasets._light.Sersic accepts


@dataclass(frozen=True)
class InjectionSettings:
    """Validated settings of one :func:`~skbia.datasets.inject_lenses` call.

    Ranges are ``(low, high)`` tuples; per-band values are arrays of length
    ``n_bands``. Units are those of :func:`~skbia.datasets.inject_lenses`.
    """

    shape: tuple[int, int, int]  # (height, width, bands) of the hosts
    pixel_scale: float
    zero_point: np.ndarray
    psf_fwhm: np.ndarray  # arcsec, given or measured on the kernels
    kernels: tuple[np.ndarray, ...]  # unit-sum, odd-sized, one per band
    margin: int  # padding (pixels) around the stamp: the kernels' reach, FFT-friendly
    einstein_radius: tuple[float, float]
    source_magnitude: tuple[float, float]
    source_colors: np.ndarray | None  # (bands, 2) ranges, or None for the default colours
    default_bands: tuple[str, ...] | None
    source_r_eff: tuple[float, float]
    source_sersic_index: tuple[float, float]
    source_axis_ratio: tuple[float, float]
    source_offset: tuple[float, float]
    n_clumps: tuple[int, int]
    mass_axis_ratio: tuple[float, float]
    shear: tuple[float, float]
    gain: np.ndarray | None
    min_snr: float
    min_magnification: float
    min_arc_separation: float
    max_attempts: int
    oversample: int

    @property
    def padded_shape(self) -> tuple[int, int]:
        """Rows and columns of the canvas the source is rendered on (stamp plus margin)."""
        height, width, _ = self.shape
        return height + 2 * self.margin, width + 2 * self.margin

    @property
    def min_einstein_radius(self) -> float:
        """Smallest Einstein radius (arcsec) that passes the arc-separation cut."""
        return self.min_arc_separation * float(np.min(self.psf_fwhm))

    def transforms(self) -> np.ndarray:
        """Return the kernels' real FFTs for the padded canvas, ``(bands, rows, cols // 2 + 1)``."""
        return np.stack([kernel_transform(k, self.padded_shape) for k in self.kernels])


def check_hosts(hosts) -> np.ndarray:
    """Return ``hosts`` as an ``(n, H, W, C)`` array of real numbers, or raise naming the problem.

    Parameters
    ----------
    hosts : array-like of shape (n, H, W, C)
        The host cutouts.

    Returns
    -------
    hosts : ndarray of shape (n, H, W, C)
        ``numpy.asarray(hosts)``: read only, never written to (each host is
        copied to float64 when it is used).

    Raises
    ------
    ValueError
        For another number of dimensions (a single ``(H, W, C)`` image
        included), no hosts, empty images, or non-finite pixels.
    TypeError
        For pixels that are not real numbers.
    """
    array = np.asarray(hosts)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"hosts must hold real numeric pixel values; got dtype {array.dtype}.")
    if array.ndim != 4:
        hint = (" A single image needs a leading axis: hosts[np.newaxis]."
                if array.ndim == 3 else "")
        raise ValueError(
            f"hosts must be a 4-d (n_images, height, width, bands) array; got ndim={array.ndim} "
            f"with shape {array.shape}.{hint}")
    if array.shape[0] == 0 or min(array.shape[1:]) == 0:
        raise ValueError(f"hosts holds no pixels (shape {array.shape}).")
    finite = np.isfinite(array).all(axis=(1, 2, 3))
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(
            f"hosts has non-finite pixels (NaN or inf) in {len(bad)} image(s), at indices "
            f"{bad[:10].tolist()}{' ...' if len(bad) > 10 else ''}; clean or drop them first.")
    return array


def check_centers(center, n_images: int, shape: tuple[int, int]) -> np.ndarray | None:
    """Return ``center`` as an ``(n, 2)`` array of (row, col) pixels inside the stamp, or None."""
    if center is None:
        return None
    values = np.asarray(center, dtype=float) if _numeric(center) else None
    if values is not None and values.shape == (2,):
        values = np.broadcast_to(values, (n_images, 2))
    if values is None or values.shape != (n_images, 2):
        raise ValueError(
            f"center must be None, one (row, col) pair or one pair per host (shape "
            f"({n_images}, 2)); got {_short(center)}.")
    height, width = shape
    inside = (np.isfinite(values).all(axis=1) & (values[:, 0] >= 0) & (values[:, 0] <= height - 1)
              & (values[:, 1] >= 0) & (values[:, 1] <= width - 1))
    if not inside.all():
        bad = np.flatnonzero(~inside)
        raise ValueError(
            f"center must lie inside the {height}x{width} pixel stamp (0 <= row <= {height - 1}, "
            f"0 <= col <= {width - 1}); hosts {bad[:10].tolist()} have {values[bad[0]].tolist()}"
            f"{' ...' if len(bad) > 1 else ''}.")
    return np.array(values, dtype=float)


def check_settings(shape: tuple[int, int, int], **params) -> InjectionSettings:
    """Validate every setting of :func:`~skbia.datasets.inject_lenses` against the hosts' shape.

    Parameters
    ----------
    shape : (int, int, int)
        Height, width and number of bands of the hosts.
    **params
        The keyword arguments of :func:`~skbia.datasets.inject_lenses` except
        ``hosts``, ``center``, ``random_state`` and ``return_metadata``.

    Returns
    -------
    settings : InjectionSettings

    Raises
    ------
    ValueError
        With the name of the parameter at fault.
    """
    height, width, n_bands = shape
    p = params
    pixel_scale = _number("pixel_scale", p["pixel_scale"], low=0.0, strict=True)
    zero_point = _per_band("zero_point", p["zero_point"], n_bands)
    kernels, fwhm = _psf(p, n_bands, pixel_scale)
    margin = _fast_margin(max(k.shape[0] // 2 for k in kernels), height, width)

    einstein_radius = _range("einstein_radius", p["einstein_radius"], low=0.0, strict=True)
    half_stamp = (min(height, width) - 1) / 2.0 * pixel_scale
    if einstein_radius[1] > half_stamp:
        raise ValueError(
            f"einstein_radius up to {einstein_radius[1]:g} arcsec "
            f"({einstein_radius[1] / pixel_scale:.1f} pixels at pixel_scale={pixel_scale:g} "
            f"arcsec/pixel) is larger than the stamp: the arcs of {height}x{width} pixel hosts "
            f"must lie within {half_stamp:.3g} arcsec of the centre. Use smaller Einstein radii "
            f"or larger cutouts.")
    min_arc_separation = _number("min_arc_separation", p["min_arc_separation"], low=0.0)
    needed = min_arc_separation * float(np.min(fwhm))
    if einstein_radius[1] < needed:
        raise ValueError(
            f"No Einstein radius in einstein_radius={einstein_radius} can pass the arc-separation "
            f"cut theta_E >= min_arc_separation x PSF FWHM = {min_arc_separation:g} x "
            f"{float(np.min(fwhm)):.3g} = {needed:.3g} arcsec; lower min_arc_separation or raise "
            f"einstein_radius.")

    colors, default_bands = _colors(p["source_colors"], n_bands)
    gain = None if p["gain"] is None else _per_band("gain", p["gain"], n_bands, low=0.0,
                                                    strict=True)
    return InjectionSettings(
        shape=(height, width, n_bands),
        pixel_scale=pixel_scale,
        zero_point=zero_point,
        psf_fwhm=fwhm,
        kernels=kernels,
        margin=int(margin),
        einstein_radius=einstein_radius,
        source_magnitude=_magnitude_range(p["source_magnitude"]),
        source_colors=colors,
        default_bands=default_bands,
        source_r_eff=_range("source_r_eff", p["source_r_eff"], low=0.0, strict=True),
        source_sersic_index=_range("source_sersic_index", p["source_sersic_index"],
                                   low=_SERSIC_INDEX[0], high=_SERSIC_INDEX[1]),
        source_axis_ratio=_range("source_axis_ratio", p["source_axis_ratio"], low=0.0,
                                 strict=True, high=1.0),
        source_offset=_range("source_offset", p["source_offset"], low=0.0),
        n_clumps=_count_range("n_clumps", p["n_clumps"]),
        mass_axis_ratio=_range("mass_axis_ratio", p["mass_axis_ratio"], low=0.0, strict=True,
                               high=1.0),
        shear=_range("shear", p["shear"], low=0.0, high=MAX_SHEAR),
        gain=gain,
        min_snr=_number("min_snr", p["min_snr"], low=0.0),
        min_magnification=_number("min_magnification", p["min_magnification"], low=0.0),
        min_arc_separation=min_arc_separation,
        max_attempts=check_positive_int("max_attempts", p["max_attempts"]),
        oversample=check_positive_int("oversample", p["oversample"]),
    )


# ----------------------------------------------------------------------------- PSF


def _psf(p: dict, n_bands: int, pixel_scale: float) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Return the per-band kernels (unit sum) and FWHM in arcsec."""
    if p["psf_kernels"] is not None:
        kernels = _kernels(p["psf_kernels"], n_bands)
        if p["psf_fwhm"] is None:
            fwhm = np.array([_measured_fwhm(k) for k in kernels]) * pixel_scale
        else:
            fwhm = _per_band("psf_fwhm", p["psf_fwhm"], n_bands, low=0.0, strict=True)
        return kernels, fwhm
    if p["psf"] not in PSF_KINDS:
        raise ValueError(f"psf must be 'moffat' or 'gaussian'; got {p['psf']!r}.")
    if p["psf_fwhm"] is None:
        raise ValueError("psf_fwhm (arcsec, one value or one per band) is required unless "
                         "psf_kernels are given.")
    fwhm = _per_band("psf_fwhm", p["psf_fwhm"], n_bands, low=0.0, strict=True)
    beta = _number("psf_beta", p["psf_beta"], low=1.0, strict=True)
    fwhm_px = fwhm / pixel_scale
    radius = max(1, math.ceil(PSF_RADIUS_FWHM * float(fwhm_px.max())))
    kernels = tuple(psf_kernel(p["psf"], float(f), beta=beta, radius=radius) for f in fwhm_px)
    return kernels, fwhm


def _kernels(value, n_bands: int) -> tuple[np.ndarray, ...]:
    """Check user PSF images: ``(k, k, C)`` or a sequence of C odd square images."""
    if isinstance(value, np.ndarray) and value.ndim == 3:
        if value.shape[2] != n_bands:
            raise ValueError(
                f"psf_kernels of shape {value.shape} has {value.shape[2]} band(s) in its last "
                f"axis; the hosts have {n_bands}.")
        images = [value[:, :, b] for b in range(n_bands)]
    elif isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        images = list(value)
        if len(images) != n_bands:
            raise ValueError(
                f"psf_kernels must hold one kernel per band ({n_bands}); got {len(images)}.")
    else:
        raise ValueError(f"psf_kernels must be an array (k, k, bands) or a list of one (k, k) "
                         f"kernel per band; got {_short(value)}.")
    out = []
    for band, image in enumerate(images):
        kernel = np.asarray(image)
        name = f"psf_kernels (band {band})"
        if kernel.dtype.kind not in "biuf" or kernel.ndim != 2:
            raise ValueError(f"{name} must be a 2-d array of numbers; got shape "
                             f"{getattr(kernel, 'shape', None)}, dtype {kernel.dtype}.")
        if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
            raise ValueError(f"{name} must be square with an odd side (its centre is a pixel); "
                             f"got shape {kernel.shape}.")
        kernel = kernel.astype(np.float64)
        total = kernel.sum()
        if not np.isfinite(kernel).all() or not total > 0:
            raise ValueError(f"{name} must be finite with a positive sum; got sum {total:g}.")
        out.append(kernel / total)
    return tuple(out)


def _fast_margin(radius: int, height: int, width: int) -> int:
    """Smallest margin >= ``radius`` (within 16 more) giving fast FFT lengths on both axes."""
    for margin in range(radius, radius + 17):
        if all(fft.next_fast_len(n + 2 * margin, real=True) == n + 2 * margin
               for n in (height, width)):
            return margin
    return radius


def _measured_fwhm(kernel: np.ndarray) -> float:
    """FWHM in pixels of a kernel: the diameter of the disc as large as its part above half max."""
    area = float(np.count_nonzero(kernel >= 0.5 * kernel.max()))
    return 2.0 * math.sqrt(area / math.pi)


# ----------------------------------------------------------------------------- numbers


def _numeric(value) -> bool:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return False
    return array.dtype.kind in "iuf" and not isinstance(value, str)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _number(name: str, value, *, low: float | None = None, strict: bool = False,
            high: float | None = None) -> float:
    if not is_real(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {_short(value)}.")
    value = float(value)
    if low is not None and (value <= low if strict else value < low):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {low:g}; got {value:g}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high:g}; got {value:g}.")
    return value


def _pair(name: str, value) -> tuple:
    if is_real(value):
        return value, value
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray) or len(value) != 2:
        raise ValueError(f"{name} must be a number or a (min, max) pair; got {_short(value)}.")
    return tuple(value)


def _range(name: str, value, *, low: float | None = None, strict: bool = False,
           high: float | None = None) -> tuple[float, float]:
    """Return ``(min, max)`` from a number or a pair, bounds checked, ``min <= max``."""
    lo, hi = _pair(name, value)
    lo = _number(f"{name} min", lo, low=low, strict=strict, high=high)
    hi = _number(f"{name} max", hi, low=low, strict=strict, high=high)
    if lo > hi:
        raise ValueError(f"{name} must be (min, max) with min <= max; got ({lo:g}, {hi:g}).")
    return lo, hi


def _magnitude_range(value) -> tuple[float, float]:
    """Like :func:`_range`, but ``inf`` (as both bounds) stands for a source without flux."""
    lo, hi = _pair("source_magnitude", value)
    if all(is_real(v) and v == math.inf for v in (lo, hi)):
        return math.inf, math.inf
    return _range("source_magnitude", (lo, hi))


def _count_range(name: str, value) -> tuple[int, int]:
    lo, hi = _pair(name, value)
    if not (is_integer(lo) and is_integer(hi)) or lo < 0 or lo > hi:
        raise ValueError(f"{name} must be a non-negative integer or a (min, max) pair of them "
                         f"with min <= max; got {_short(value)}.")
    return int(lo), int(hi)


def _per_band(name: str, value, n_bands: int, *, low: float | None = None,
              strict: bool = False) -> np.ndarray:
    """Return one number per band from a number or a sequence of ``n_bands`` numbers."""
    if is_real(value):
        value = [value] * n_bands
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray) \
            or np.ndim(value) != 1:
        raise ValueError(f"{name} must be a number or one number per band; got {_short(value)}.")
    if len(value) != n_bands:
        raise ValueError(f"{name} must have one value per band: the hosts have {n_bands} "
                         f"band(s), {name} has {len(value)}.")
    return np.array([_number(f"{name} (band {b})", v, low=low, strict=strict)
                     for b, v in enumerate(value)])


def _colors(value, n_bands: int) -> tuple[np.ndarray | None, tuple[str, ...] | None]:
    """Per-band colour ranges ``m_band - source_magnitude``, or the default (blue) colours."""
    if value is None:
        if n_bands not in DEFAULT_BANDS:
            raise ValueError(
                f"source_colors is needed for hosts with {n_bands} bands: the default colours "
                f"are those of blue star-forming galaxies in g, r, i (3 bands), g, r, i, z (4) "
                f"or r (1). Give one (min, max) range of m_band - source_magnitude per band.")
        return None, DEFAULT_BANDS[n_bands]
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray) \
            or len(value) != n_bands:
        raise ValueError(f"source_colors must give one (min, max) range (or number) per band "
                         f"({n_bands}); got {_short(value)}.")
    ranges = [_range(f"source_colors (band {b})", v) for b, v in enumerate(value)]
    return np.array(ranges, dtype=float), None
