"""Light profiles (Sersic, point sources), pixel sampling and point-spread functions.

Coordinates follow :mod:`skbia.datasets._lensing`: arcsec, ``x`` along columns, ``y``
along rows, position angles from +x towards +y. A :class:`Canvas` ties these
angles to the pixels of an image whose centre is the origin.

Profiles are rendered as *pixel-averaged* surface brightness times the pixel
area, i.e. flux per pixel, by averaging ``oversample x oversample`` samples
inside every pixel; a small box around the centre of profiles with ``n >= 2`` is
sampled more finely still, because such Sersic profiles are cusped there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft, special

__all__ = [
    "Canvas",
    "Sersic",
    "add_point",
    "block_mean",
    "convolve",
    "kernel_transform",
    "oversample_for",
    "psf_kernel",
    "render_sersic",
    "sersic_b",
    "sersic_profile",
    "sersic_unit_amplitude",
]

# Sersic profiles are cut at this many effective radii (along the major axis)
TRUNCATION = 8.0
# side (in pixels) of the box around a cusped profile's centre sampled more finely
_CORE_PIXELS = 5
_CORE_OVERSAMPLE = 10
_CUSPED_INDEX = 2.0
# finest sampling used for small profiles: samples per effective radius
_SAMPLES_PER_R_EFF = 3.0
_MAX_OVERSAMPLE = 8
# PSF kernels extend to this many FWHM from their centre
PSF_RADIUS_FWHM = 3.0
_PSF_OVERSAMPLE = 5


@dataclass(frozen=True)
class Canvas:
    """A pixel grid whose centre is the origin of the sky coordinates.

    Attributes
    ----------
    n_rows, n_cols : int
        Size in pixels.
    pixel_scale : float
        Arcsec per pixel.
    """

    n_rows: int
    n_cols: int
    pixel_scale: float

    @property
    def center(self) -> tuple[float, float]:
        """Pixel coordinates ``(row, col)`` of the origin (the grid's centre)."""
        return (self.n_rows - 1) / 2.0, (self.n_cols - 1) / 2.0

    def to_pixels(self, x: float, y: float) -> tuple[float, float]:
        """Pixel coordinates ``(row, col)`` of the sky position ``(x, y)`` in arcsec."""
        row0, col0 = self.center
        return row0 + y / self.pixel_scale, col0 + x / self.pixel_scale

    def coordinates(
        self, rows: slice, cols: slice, oversample: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sky positions of the sub-pixel samples inside a block of pixels.

        Parameters
        ----------
        rows, cols : slice
            The block (steps of 1).
        oversample : int, default=1
            Samples per pixel along each axis, placed at the centres of an
            ``oversample x oversample`` sub-grid.

        Returns
        -------
        x, y : ndarray of shape (1, n_cols * oversample) and (n_rows * oversample, 1)
            Arcsec; they broadcast to the full sample grid.
        """
        row0, col0 = self.center
        offsets = (np.arange(oversample) + 0.5) / oversample - 0.5
        col_pos = (np.arange(cols.start, cols.stop)[:, None] + offsets).ravel()
        row_pos = (np.arange(rows.start, rows.stop)[:, None] + offsets).ravel()
        x = (col_pos - col0) * self.pixel_scale
        y = (row_pos - row0) * self.pixel_scale
        return x[None, :], y[:, None]

    def box(self, x: float, y: float, radius: float) -> tuple[slice, slice] | None:
        """Pixels within ``radius`` arcsec (in x and y) of ``(x, y)``, clipped to the grid.

        Returns None when the box misses the grid.
        """
        row, col = self.to_pixels(x, y)
        half = radius / self.pixel_scale
        r0, r1 = max(math.floor(row - half), 0), min(math.ceil(row + half) + 1, self.n_rows)
        c0, c1 = max(math.floor(col - half), 0), min(math.ceil(col + half) + 1, self.n_cols)
        if r0 >= r1 or c0 >= c1:
            return None
        return slice(r0, r1), slice(c0, c1)


@dataclass(frozen=True)
class Sersic:
    """Shape of an elliptical Sersic profile.

    Attributes
    ----------
    x0, y0 : float
        Centre in arcsec.
    r_eff : float
        Effective (half-light) radius along the major axis, arcsec.
    n : float
        Sersic index (1: exponential disk, 4: de Vaucouleurs).
    q : float
        Axis ratio, 0 < q <= 1.
    phi : float
        Position angle of the major axis, radians.
    """

    x0: float
    y0: float
    r_eff: float
    n: float
    q: float = 1.0
    phi: float = 0.0

    def __post_init__(self) -> None:
        if not self.r_eff > 0:
            raise ValueError(f"The Sersic effective radius must be > 0; got {self.r_eff}.")
        if not 0.2 <= self.n <= 10:
            raise ValueError(f"The Sersic index must be in [0.2, 10]; got {self.n}.")
        if not 0 < self.q <= 1:
            raise ValueError(f"The Sersic axis ratio must be in (0, 1]; got {self.q}.")


def sersic_b(n: float) -> float:
    """Return the constant ``b_n`` that makes ``r_eff`` the half-light radius.

    Solves ``P(2n, b_n) = 1/2`` exactly with the inverse regularized incomplete
    gamma function (no series approximation).
    """
    return float(special.gammaincinv(2.0 * n, 0.5))


def sersic_unit_amplitude(r_eff: float, n: float, q: float) -> float:
    """Surface brightness at ``r_eff`` (per arcsec^2) of a profile whose total flux is 1.

    The total is the flux inside the truncation ellipse (``TRUNCATION`` effective
    radii), so a rendered profile holds exactly its nominal flux.
    """
    b = sersic_b(n)
    inside = special.gammainc(2.0 * n, b * TRUNCATION ** (1.0 / n))
    log_total = (
        math.log(2.0 * math.pi * n * q * r_eff * r_eff)
        + b
        + special.gammaln(2.0 * n)
        - 2.0 * n * math.log(b)
    )
    return 1.0 / (math.exp(log_total) * inside)


def sersic_profile(x: np.ndarray, y: np.ndarray, shape: Sersic, amplitude: float) -> np.ndarray:
    """Surface brightness of a Sersic profile at sky positions ``(x, y)``.

    Parameters
    ----------
    x, y : ndarray
        Arcsec (broadcastable).
    shape : Sersic
        The profile.
    amplitude : float
        Surface brightness at the effective radius.

    Returns
    -------
    brightness : ndarray
        ``amplitude * exp(-b_n ((r / r_eff)^(1/n) - 1))`` with the elliptical
        radius ``r = sqrt(x'^2 + (y'/q)^2)``; zero beyond ``TRUNCATION * r_eff``.
    """
    cos, sin = math.cos(shape.phi), math.sin(shape.phi)
    dx, dy = np.subtract(x, shape.x0), np.subtract(y, shape.y0)
    xp = cos * dx + sin * dy
    yp = (-sin * dx + cos * dy) / shape.q
    scaled_sq = (xp * xp + yp * yp) / (shape.r_eff * shape.r_eff)
    b = sersic_b(shape.n)
    brightness = amplitude * np.exp(b - b * scaled_sq ** (0.5 / shape.n))
    brightness[scaled_sq > TRUNCATION * TRUNCATION] = 0.0
    return brightness


def block_mean(samples: np.ndarray, oversample: int) -> np.ndarray:
    """Average ``oversample x oversample`` blocks of the last two axes."""
    if oversample == 1:
        return samples
    *lead, n_rows, n_cols = samples.shape
    blocks = samples.reshape(*lead, n_rows // oversample, oversample, n_cols // oversample,
                             oversample)
    return blocks.mean(axis=(-3, -1))


def oversample_for(shape: Sersic, pixel_scale: float, oversample: int) -> int:
    """Choose samples per pixel so that small profiles get a few per effective radius."""
    needed = math.ceil(_SAMPLES_PER_R_EFF * pixel_scale / shape.r_eff)
    return int(min(max(oversample, needed), max(oversample, _MAX_OVERSAMPLE)))


def render_sersic(
    canvas: Canvas, shape: Sersic, *, oversample: int = 1
) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """Flux per pixel of a Sersic profile of total flux 1.

    Parameters
    ----------
    canvas : Canvas
        The pixel grid.
    shape : Sersic
        The profile.
    oversample : int, default=1
        Minimum samples per pixel along each axis; profiles smaller than a few
        pixels get more (up to 8), and the central 5 x 5 pixels of profiles with
        ``n >= 2`` (cusped) get 10.

    Returns
    -------
    (rows, cols), stamp : (slice, slice), ndarray
        The block of the canvas the truncated profile covers and its flux per
        pixel there; None when the profile lies entirely outside the canvas.
    """
    where = canvas.box(shape.x0, shape.y0, TRUNCATION * shape.r_eff)
    if where is None:
        return None
    rows, cols = where
    area = canvas.pixel_scale**2
    amplitude = sersic_unit_amplitude(shape.r_eff, shape.n, shape.q) * area
    step = oversample_for(shape, canvas.pixel_scale, oversample)
    x, y = canvas.coordinates(rows, cols, step)
    stamp = block_mean(sersic_profile(x, y, shape, amplitude), step)

    # finer sampling of the cusp: the core box, clipped to the stamp
    row, col = canvas.to_pixels(shape.x0, shape.y0)
    half = _CORE_PIXELS // 2
    r0, c0 = max(round(row) - half, rows.start), max(round(col) - half, cols.start)
    r1 = min(round(row) + half + 1, rows.stop)
    c1 = min(round(col) + half + 1, cols.stop)
    if shape.n >= _CUSPED_INDEX and r0 < r1 and c0 < c1 and _CORE_OVERSAMPLE > step:
        xc, yc = canvas.coordinates(slice(r0, r1), slice(c0, c1), _CORE_OVERSAMPLE)
        core = block_mean(sersic_profile(xc, yc, shape, amplitude), _CORE_OVERSAMPLE)
        stamp[r0 - rows.start:r1 - rows.start, c0 - cols.start:c1 - cols.start] = core
    return (rows, cols), stamp


def add_point(image: np.ndarray, canvas: Canvas, x: float, y: float, flux: np.ndarray) -> None:
    """Add a point source to ``image`` (bands first), sharing its flux bilinearly.

    Parameters
    ----------
    image : ndarray of shape (n_bands, n_rows, n_cols)
        Modified in place.
    canvas : Canvas
        The grid of ``image``.
    x, y : float
        Position in arcsec.
    flux : ndarray of shape (n_bands,)
        Flux per band. Parts that fall outside the grid are dropped.
    """
    row, col = canvas.to_pixels(x, y)
    r0, c0 = math.floor(row), math.floor(col)
    fr, fc = row - r0, col - c0
    for dr, wr in ((0, 1.0 - fr), (1, fr)):
        for dc, wc in ((0, 1.0 - fc), (1, fc)):
            r, c = r0 + dr, c0 + dc
            if 0 <= r < canvas.n_rows and 0 <= c < canvas.n_cols:
                image[:, r, c] += flux * (wr * wc)


def psf_kernel(
    kind: str, fwhm: float, *, beta: float = 3.5, radius: int | None = None
) -> np.ndarray:
    """Return a normalized, pixel-integrated PSF image.

    Parameters
    ----------
    kind : {"moffat", "gaussian"}
        Profile: Gaussian, or Moffat ``(1 + (r/alpha)^2)^-beta``.
    fwhm : float
        Full width at half maximum in pixels.
    beta : float, default=3.5
        Moffat exponent (ignored for a Gaussian).
    radius : int, optional
        Half-size of the kernel in pixels; default ``ceil(3 * fwhm)``.

    Returns
    -------
    kernel : ndarray of shape (2 * radius + 1, 2 * radius + 1)
        Sums to 1.
    """
    if not fwhm > 0:
        raise ValueError(f"The PSF FWHM must be > 0; got {fwhm}.")
    if radius is None:
        radius = math.ceil(PSF_RADIUS_FWHM * fwhm)
    offsets = (np.arange(_PSF_OVERSAMPLE) + 0.5) / _PSF_OVERSAMPLE - 0.5
    pos = (np.arange(-radius, radius + 1)[:, None] + offsets).ravel()
    r_sq = pos[:, None] ** 2 + pos[None, :] ** 2
    if kind == "gaussian":
        sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        samples = np.exp(-0.5 * r_sq / sigma**2)
    elif kind == "moffat":
        alpha = fwhm / (2.0 * math.sqrt(2.0 ** (1.0 / beta) - 1.0))
        samples = (1.0 + r_sq / alpha**2) ** -beta
    else:
        raise ValueError(f"Unknown PSF kind {kind!r}; use 'moffat' or 'gaussian'.")
    kernel = block_mean(samples, _PSF_OVERSAMPLE)
    return kernel / kernel.sum()


def kernel_transform(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Return the real FFT of an odd-sized kernel centred on pixel (0, 0) of ``shape``.

    Multiplying an image's ``scipy.fft.rfft2`` by it convolves the image
    circularly; the result is exact (no wrap-around) at pixels at least the
    kernel's half-size away from the edges.
    """
    radius = kernel.shape[0] // 2
    padded = np.zeros(shape)
    padded[: kernel.shape[0], : kernel.shape[1]] = kernel
    return fft.rfft2(np.roll(padded, (-radius, -radius), axis=(0, 1)))


def convolve(images: np.ndarray, transforms: np.ndarray) -> np.ndarray:
    """Convolve each image with its kernel, given as :func:`kernel_transform`.

    Parameters
    ----------
    images : ndarray of shape (k, n_rows, n_cols)
        Images, e.g. one per band.
    transforms : ndarray of shape (k, n_rows, n_cols // 2 + 1) or (1, ...)
        Kernel transforms for ``(n_rows, n_cols)``, one per image or one for all.

    Returns
    -------
    convolved : ndarray of shape (k, n_rows, n_cols)
        Circular convolution: exact away from the edges (see :func:`kernel_transform`).
    """
    shape = images.shape[-2:]
    return fft.irfft2(fft.rfft2(images) * transforms, s=shape)
