"""One injection: draw a lens and a clumpy source, ray-trace, convolve, measure, add noise.

The physics is that of the simulator: :class:`~skbia.datasets._lensing.LensModel`
(SIE plus external shear) and :func:`~skbia.datasets._lensing.ray_trace`,
Sersic light (:func:`~skbia.datasets._light.sersic_profile`), per-band PSFs
(:func:`~skbia.datasets._light.convolve`). :func:`render_lensed_components`
is :func:`~skbia.datasets._lensing.render_lensed_sersic` for several
Sersic components at once: it traces the pixel centres once and applies the
same rigorous pruning bound to each component, so its result equals the sum
of ``render_lensed_sersic`` over the components.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft

from skbia.datasets._injection_params import InjectionSettings
from skbia.datasets._lensing import LensModel, image_plane_radius, ray_trace
from skbia.datasets._light import (
    TRUNCATION,
    Canvas,
    Sersic,
    oversample_for,
    sersic_profile,
    sersic_unit_amplitude,
)
from skbia.datasets._scenes import _blue_colours, _magnitudes

__all__ = [
    "Draw", "Rendered", "add_photon_noise", "arc_to_lens_ratio", "draw", "render",
    "render_lensed_components",
]

# compact star-forming clumps: fraction of the source's light each, size (arcsec), shape
CLUMP_FRACTION = (0.05, 0.15)
CLUMP_R_EFF = (0.03, 0.08)
CLUMP_INDEX = 0.5
CLUMP_AXIS_RATIO = (0.7, 1.0)
# scatter of the mass position angle around the light's (as in make_lenses)
MASS_ANGLE_SCATTER = math.radians(10.0)
# the arc-to-lens flux ratio is measured inside this many Einstein radii of the centre
RATIO_RADIUS = 2.0


@dataclass(frozen=True)
class Draw:
    """Parameters of one attempted injection (angles in arcsec relative to the lens)."""

    lens: LensModel
    components: tuple[Sersic, ...]  # the source body first, then its clumps
    weights: np.ndarray  # fraction of the source's light in each component (sums to 1)
    magnitudes: np.ndarray  # unlensed, per band (inf: no flux)
    source_offset: tuple[float, float]  # source centre minus lens centre, arcsec


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def draw(rng: np.random.Generator, settings: InjectionSettings, x0: float, y0: float,
         light_angle: float) -> Draw:
    """Draw the lens (centred on ``(x0, y0)`` arcsec) and the source of one attempt."""
    theta_e = rng.uniform(*settings.einstein_radius)
    shear, shear_angle = rng.uniform(*settings.shear), rng.uniform(0.0, math.pi)
    lens = LensModel(
        theta_e=theta_e,
        q=rng.uniform(*settings.mass_axis_ratio),
        phi=light_angle + rng.normal(0.0, MASS_ANGLE_SCATTER),
        gamma1=shear * math.cos(2.0 * shear_angle),
        gamma2=shear * math.sin(2.0 * shear_angle),
        x0=x0, y0=y0,
    )
    lo, hi = settings.source_offset
    distance = theta_e * math.sqrt(rng.uniform(lo * lo, hi * hi))  # uniform over the annulus
    angle = rng.uniform(0.0, 2.0 * math.pi)
    sx, sy = x0 + distance * math.cos(angle), y0 + distance * math.sin(angle)
    body = Sersic(sx, sy, r_eff=_log_uniform(rng, *settings.source_r_eff),
                  n=rng.uniform(*settings.source_sersic_index),
                  q=rng.uniform(*settings.source_axis_ratio), phi=rng.uniform(0.0, math.pi))
    magnitude = rng.uniform(*settings.source_magnitude) if math.isfinite(
        settings.source_magnitude[0]) else math.inf
    if settings.source_colors is None:
        magnitudes = _magnitudes(magnitude, _blue_colours(rng), settings.default_bands)
    else:
        magnitudes = magnitude + rng.uniform(settings.source_colors[:, 0],
                                             settings.source_colors[:, 1])
    components, fractions = [body], []
    for _ in range(rng.integers(settings.n_clumps[0], settings.n_clumps[1] + 1)):
        cx, cy = rng.normal(0.0, body.r_eff, size=2)
        components.append(Sersic(sx + cx, sy + cy,
                                 r_eff=min(_log_uniform(rng, *CLUMP_R_EFF), body.r_eff),
                                 n=CLUMP_INDEX, q=rng.uniform(*CLUMP_AXIS_RATIO),
                                 phi=rng.uniform(0.0, math.pi)))
        fractions.append(rng.uniform(*CLUMP_FRACTION))
    weights = np.array([1.0 - sum(fractions), *fractions])
    return Draw(lens, tuple(components), weights, np.asarray(magnitudes, dtype=float),
                (sx - x0, sy - y0))


def render_lensed_components(
    canvas: Canvas, lens: LensModel, components: tuple[Sersic, ...], weights: np.ndarray,
    *, oversample: int = 4,
) -> np.ndarray:
    """Flux per pixel of the lensed images of Sersic components of total flux ``weights``.

    Equal to ``sum(w * render_lensed_sersic(canvas, lens, c, oversample=oversample))``
    placed on the canvas (see :func:`skbia.datasets._lensing.render_lensed_sersic`
    for the sampling and the pruning bound), but the pixel centres are traced once.

    Parameters
    ----------
    canvas : Canvas
        The pixel grid.
    lens : LensModel
        The lens.
    components : tuple of Sersic
        The source's components, in source-plane arcsec.
    weights : ndarray of shape (len(components),)
        Unlensed flux of each component.
    oversample : int, default=4
        Minimum samples per pixel along each axis (small components get up to 8).

    Returns
    -------
    image : ndarray of shape (canvas.n_rows, canvas.n_cols)
        Its sum is the lensed flux inside the canvas: the magnification times
        ``weights.sum()`` when every image of the source lands on the canvas.
    """
    image = np.zeros((canvas.n_rows, canvas.n_cols))
    reach = max(image_plane_radius(lens, math.hypot(c.x0 - lens.x0, c.y0 - lens.y0),
                                   TRUNCATION * c.r_eff) for c in components)
    where = canvas.box(lens.x0, lens.y0, reach)
    if where is None:
        return image
    rows, cols = where
    x, y = np.broadcast_arrays(*canvas.coordinates(rows, cols, 1))
    beta_x, beta_y = ray_trace(x, y, lens)
    half = canvas.pixel_scale / 2.0
    nearest = np.hypot(np.maximum(np.abs(x - lens.x0) - half, 0.0),
                       np.maximum(np.abs(y - lens.y0) - half, 0.0))
    with np.errstate(divide="ignore"):
        stretch = 1.0 + lens.gamma + lens.theta_e / (math.sqrt(lens.q) * nearest)
    slack = stretch * half * math.sqrt(2.0)
    block = image[rows, cols]  # a view: filled in place
    for shape, weight in zip(components, weights, strict=True):
        distance = np.hypot(beta_x - shape.x0, beta_y - shape.y0) - slack
        active = np.nonzero(distance <= TRUNCATION * shape.r_eff)
        if not active[0].size or weight == 0:
            continue
        step = oversample_for(shape, canvas.pixel_scale, oversample)
        offsets = ((np.arange(step) + 0.5) / step - 0.5) * canvas.pixel_scale
        xs, ys = np.broadcast_arrays(x[active][:, None, None] + offsets[None, None, :],
                                     y[active][:, None, None] + offsets[None, :, None])
        bx, by = ray_trace(xs, ys, lens)
        amplitude = (sersic_unit_amplitude(shape.r_eff, shape.n, shape.q)
                     * canvas.pixel_scale**2 * weight)
        block[active] += sersic_profile(bx, by, shape, amplitude).mean(axis=(1, 2))
    return image


@dataclass
class Rendered:
    """The convolved source of one attempt, cropped to the stamp, and its measurements."""

    source: np.ndarray  # (bands, H, W), expected flux, >= 0
    magnification: float
    snr: np.ndarray  # (bands,)
    flux: np.ndarray  # unlensed flux per band


def render(d: Draw, settings: InjectionSettings, transforms: np.ndarray,
           noise: np.ndarray) -> Rendered:
    """Ray-trace, convolve and crop the source of ``d``, and measure its S/N per band.

    The S/N of band ``b`` is the optimal (matched-filter) one,
    ``sqrt(sum_i S_i**2 / (noise_b**2 + S_i / gain_b))`` over the stamp's pixels,
    with the source's own photon noise only when a gain is given.
    """
    rows, cols = settings.padded_shape
    canvas = Canvas(rows, cols, settings.pixel_scale)
    unit = render_lensed_components(canvas, d.lens, d.components, d.weights,
                                    oversample=settings.oversample)
    magnification = float(unit.sum())
    flux = np.where(np.isfinite(d.magnitudes),
                    10.0 ** (-0.4 * (d.magnitudes - settings.zero_point)), 0.0)
    convolved = fft.irfft2(fft.rfft2(unit)[None] * transforms, s=(rows, cols))
    m = settings.margin
    height, width, _ = settings.shape
    source = np.clip(convolved[:, m:m + height, m:m + width], 0.0, None) * flux[:, None, None]
    variance = (noise**2)[:, None, None]
    if settings.gain is not None:
        variance = variance + source / settings.gain[:, None, None]
    snr = np.sqrt((source * source / variance).sum(axis=(1, 2)))
    return Rendered(source, magnification, snr, flux)


def add_photon_noise(source: np.ndarray, gain: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw the source's photons: ``Poisson(gain * source) / gain`` per band."""
    g = gain[:, None, None]
    return rng.poisson(g * source) / g


def arc_to_lens_ratio(source: np.ndarray, host: np.ndarray, center: tuple[float, float],
                      theta_e_px: float) -> float:
    """Lensed source flux over host flux, all bands, inside ``RATIO_RADIUS`` theta_E."""
    height, width = source.shape[1:]
    rr, cc = np.ogrid[:height, :width]
    inside = (rr - center[0]) ** 2 + (cc - center[1]) ** 2 <= (RATIO_RADIUS * theta_e_px) ** 2
    host_flux = float(host[:, inside].sum())
    return float(source[:, inside].sum()) / host_flux if host_flux > 0 else math.nan
