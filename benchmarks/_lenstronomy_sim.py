"""A strong-lens image simulator built on lenstronomy, independent of ``skbia.datasets``.

The benchmarks train a recipe on one simulator and test it on another; this module is the
second simulator. Every image is a g, r, i cutout in counts (ADU) per pixel with the sky
subtracted and the noise kept, like a survey cutout that has not been normalised.

Usage (with ``benchmarks/`` on ``sys.path``)::

    from _lenstronomy_sim import SURVEYS, NEGATIVE_KINDS, simulate
    X, y, meta = simulate(200, 1000, survey="lsst-like", image_size=64, random_state=0)

Rendering
---------
The lens mass is a singular isothermal ellipsoid plus external shear (lenstronomy
``LensModel(["SIE", "SHEAR"])``); the light profiles are lenstronomy ``LightModel``
profiles (``SERSIC_ELLIPSE``, ``GAUSSIAN``), with one profile of our own, a Gaussian ring
``I(r) ~ exp(-(r_ell - R)^2 / 2 w^2)``, which lenstronomy does not have. Surface
brightness is evaluated on a grid supersampled 3 x 3 per pixel; the lensed source is
evaluated at the ray-shot source-plane positions (surface brightness is conserved). The
PSF is a Moffat profile built on the supersampled grid, given to lenstronomy as
``PSF(psf_type="PIXEL", point_source_supersampling_factor=3)``; lenstronomy's ``Numerics``
(the engine of ``ImageModel``) bins the supersampled image, convolves it with the
pixel-integrated kernel and paints the stars with the supersampled kernel. The three bands
of one image share the morphology of each component (only its colour differs), so every
profile is evaluated once and the band images are linear combinations of the profiles,
each convolved with its own band's PSF: three times cheaper than one ``ImageModel.image``
call per band, with the same numerics. Small components (field galaxies, clumps, rings)
are evaluated on a box around them only.

Every image draws its own PSF: the FWHM in each band is the survey median times a
lognormal factor (half of the scatter shared by the three bands, half per band; total
``seeing_scatter``, 10% on the ground), and one Moffat ``beta`` uniform in 2.5-4.5.

Noise: the expected electrons per pixel (light + sky, sky from the sky brightness, zero
point and exposure) get Poisson noise, then Gaussian read noise of
``read_noise * sqrt(n_exposures)`` electrons; the image is divided by the gain and the
true mean sky level is subtracted, so empty sky averages 0 with a standard deviation of
``Survey.noise_sigma``. No saturation, cosmic rays or masks.

Surveys
-------
Zero points are AB magnitudes that give 1 electron per second; images are in ADU
(electrons / gain). ``sigma`` is ``Survey.noise_sigma`` (ADU, empty pixel) and ``depth``
``Survey.depth``, the 5 sigma point-source depth for the median PSF (optimal PSF-weighted
photometry, Moffat beta = 3.5), both in g / r / i.

========== ===== ================= ================= ============== =========== ==============
survey     "/px  zero point        sky (mag/")       FWHM (")       exp. (s)    depth
========== ===== ================= ================= ============== =========== ==============
lsst-like  0.2   28.51 28.36 28.17 22.26 21.20 20.48 0.81 0.76 0.73 360 840 840 26.3 26.3 25.9
des-like   0.263 26.9 27.0 26.8    22.0 21.1 20.3    1.11 0.96 0.88 720 each    25.4 25.2 24.8
space-like 0.1   25.0 each         23.2 23.0 22.8    0.16 0.17 0.18 1200 each   26.4 26.4 26.3
========== ===== ================= ================= ============== =========== ==============

- ``lsst-like``: the zero points and dark-sky brightness of the LSST system (Rubin
  SMTN-002) with a delivered FWHM of ~0.75", as in a coadd of the better-seeing visits;
  12 / 28 / 28 visits of 30 s in g / r / i (about 1.5 years of the 10-year wide-fast-deep
  visits), 9 e- read noise, gain 1.7 e-/ADU; sigma 44 / 96 / 121 ADU.
- ``des-like``: the Dark Energy Survey wide field: DECam's 0.263"/px, Y3-like median
  seeing, CTIO sky, 8 tilings of 90 s, 7 e- read noise, gain 4 e-/ADU; the zero points
  are the LSST ones scaled down by the Blanco's smaller collecting area (approximate).
  The 10 sigma point-source depth, r = 24.5, is close to DES DR2's (24.4 in a 2"
  aperture); sigma 18 / 27 / 36 ADU.
- ``space-like``: a generic diffraction-limited survey (three bands standing in for a
  space survey's broad band): 0.1"/px, FWHM 0.16-0.18" with 3% scatter, a dark zodiacal
  sky, 4 exposures of 300 s with 10 e- effective read noise, so that read noise makes
  84% of the variance of an empty pixel; sigma 6.2 ADU. The point-source depth is that of
  a wide space survey such as Euclid's. At 0.1"/px a 64-pixel stamp is 6.4" across and
  arcs of Einstein radii above ~2.5" fall near or off its edge: use ``image_size=96`` or
  more for this survey.

Population
----------
Lenses: the deflector is a red early-type galaxy (Sersic n 3-5, axis ratio 0.55-1, LRG
colours of z ~ 0.3-0.7: g-r 1.2-1.8, r-i 0.4-0.6 rising together with a redshift proxy,
r = 19.6 - 5 log10(theta_E / 1.5") + 1.6 (z-proxy - 0.5) +- 0.35 mag, clipped to 17-22.5,
the Faber-Jackson scaling L ~ sigma^4 ~ theta_E^2; effective radius 1" at r = 19.6, 0.2
dex larger per magnitude brighter, +- 0.12 dex). The mass is an SIE with theta_E uniform
in 0.8-3.0", axis ratio within +- 0.07 and position angle within +- 10 degrees of the
light's, plus an external shear of strength uniform in 0-0.1. The source, at a
source-plane distance 0.6 theta_E sqrt(U) from the lens centre (uniform in area inside
0.6 theta_E, well inside the region that is multiply imaged), is a blue Sersic (n
0.5-1.5, r_eff 0.1-0.5" log-uniform, g-r 0-0.5, r-i -0.1-0.3) with 1-4 bluer Gaussian
star-forming clumps (sigma 0.04-0.1", 10-40% of the light) within about r_eff of its
centre; intrinsic (unlensed) r magnitude uniform in 22-25.5.

Negatives (``NEGATIVE_KINDS``; default fractions in ``DEFAULT_NEGATIVE_MIX``):

- ``red_galaxy``: a deflector drawn exactly like the lenses' (same magnitude, size,
  colour and shape distributions), with no source: the hardest and most common negative.
- ``elliptical``: other early types, r 17.5-22.5, r_eff 0.3-3", n 2.5-6, g-r 0.6-1.9.
- ``disk``: an inclined exponential disk plus a de Vaucouleurs-like bulge (B/T 0-0.5),
  disk bluer than the bulge, r 17.5-22, disk r_eff 1.1" at r = 19.5 (0.2 dex larger per
  magnitude brighter, +- 0.15 dex).
- ``spiral``: disk and bulge plus 2-4 logarithmic spiral arms (pitch 10-30 degrees) of
  diffuse light and blue star-forming clumps (30-55% of the light), seen at
  inclination, r 17.5-21.5, disk r_eff 1.5" at r = 19.5.
- ``ring``: a red core with a blue ring (radius 0.8-3", a Gaussian ring profile plus
  4-10 clumps along it), projected with axis ratio 0.5-1.
- ``companion``: a deflector-like red galaxy with 1-2 unlensed blue galaxies (r 21.5-25)
  at 1-3", randomly oriented.
- ``edge_on``: a deflector-like red galaxy with a thin (axis ratio 0.08-0.2) blue edge-on
  disk at 1-3", its major axis tangential (an arc mimic).
- ``merger``: two overlapping galaxies (0.3-1.5" apart) with 1-2 curved tidal tails of
  diffuse light and blue clumps.
- ``pair``: two well separated galaxies (1-3"), each an early type or a disk.

Every image, of any kind, gets field galaxies (a Poisson number from the counts
N(<r) = 30 x 10^(0.33 (r - 25)) per arcmin^2 between r = 18 and the survey depth + 1,
capped at 27, over the stamp plus a 1.5" margin; 60% blue disks, 40% red spheroids,
r_eff shrinking with magnitude), occasional stars (1.5 per arcmin^2 at r 17-25, point
sources with the image's PSF), and a centring jitter of the central object uniform in
+-2 px per axis.

Metadata
--------
``source_snr`` is the integrated S/N of the lensed source light alone in the r band:
with ``S`` the noiseless, PSF-convolved image of the lensed source and ``V`` the
per-pixel variance of the full image (sky, all the light, read noise), it is
``sum(S) / sqrt(sum(V))`` over the pixels where ``S > sqrt(V)`` (1 sigma); when no pixel
qualifies it is the largest per-pixel ``S / sqrt(V)`` (below 1). That threshold misses
faint, well resolved arcs (every pixel below 1 sigma, yet visible as a whole), common at
0.1"/px; ``source_snr_optimal = sqrt(sum(S^2 / V))`` over all pixels (the S/N of a
matched filter) does not. ``magnification`` is the lensed source flux inside the stamp
over the intrinsic source flux.

Determinism: image ``j`` of the shuffled output is drawn from
``np.random.SeedSequence([random_state, 1, j])`` and the order from
``SeedSequence([random_state, 0])``, so the output does not depend on ``n_jobs``.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from lenstronomy.Data.pixel_grid import PixelGrid
from lenstronomy.Data.psf import PSF
from lenstronomy.ImSim.Numerics.numerics import Numerics
from lenstronomy.LensModel.lens_model import LensModel
from lenstronomy.LightModel.light_model import LightModel
from lenstronomy.Util import param_util, util
from scipy.special import erf

__all__ = [
    "DEFAULT_NEGATIVE_MIX", "NEGATIVE_KINDS", "SURVEYS", "Survey", "simulate",
]

BANDS = ("g", "r", "i")
_ARCMIN2 = 3600.0  # arcsec^2 per arcmin^2


@dataclass(frozen=True)
class Survey:
    """Imaging settings of one survey, three bands (g, r, i).

    Parameters
    ----------
    name : str
        Key in :data:`SURVEYS`.
    pixel_scale : float
        Arcsec per pixel.
    zero_point : tuple of float
        Per band, the AB magnitude of a source giving 1 electron per second.
    seeing : tuple of float
        Per band, the median PSF FWHM in arcsec.
    sky_brightness : tuple of float
        Per band, the sky surface brightness in mag / arcsec^2.
    exposure : tuple of float
        Per band, the total exposure time in seconds.
    n_exposures : tuple of int
        Per band, the number of exposures (each adds read noise).
    read_noise : float
        Electrons per pixel per exposure.
    gain : float
        Electrons per ADU; images are in ADU (counts).
    seeing_scatter : float
        Lognormal scatter (natural log) of the per-image FWHM around the median.
    moffat_beta : tuple of float
        Range of the per-image Moffat ``beta``.
    supersampling : int
        Odd supersampling factor of the surface-brightness grid and the PSF kernel.
    bands : tuple of str
        Band names, in the order of the image's last axis.
    einstein_radius : tuple of float
        Range (arcsec) of the deflectors' Einstein radii, uniform; the lens-like
        red galaxies among the negatives are drawn from the same deflectors.
    """

    name: str
    pixel_scale: float
    zero_point: tuple[float, float, float]
    seeing: tuple[float, float, float]
    sky_brightness: tuple[float, float, float]
    exposure: tuple[float, float, float]
    n_exposures: tuple[int, int, int]
    read_noise: float
    gain: float
    seeing_scatter: float = 0.10
    moffat_beta: tuple[float, float] = (2.5, 4.5)
    supersampling: int = 3
    bands: tuple[str, str, str] = BANDS
    einstein_radius: tuple[float, float] = (0.8, 3.0)

    @property
    def psf_fwhm(self) -> np.ndarray:
        """Per-band median PSF FWHM in arcsec, shape (3,)."""
        return np.asarray(self.seeing, dtype=float)

    @property
    def counts_at_mag0(self) -> np.ndarray:
        """Per-band ADU collected in the total exposure from a magnitude-0 source."""
        zp = np.asarray(self.zero_point, dtype=float)
        return np.asarray(self.exposure, dtype=float) * 10.0 ** (0.4 * zp) / self.gain

    @property
    def sky_level(self) -> np.ndarray:
        """Per-band mean sky in ADU per pixel (subtracted from the images)."""
        sb = np.asarray(self.sky_brightness, dtype=float)
        return self.counts_at_mag0 * 10.0 ** (-0.4 * sb) * self.pixel_scale**2

    @property
    def read_variance(self) -> np.ndarray:
        """Per-band read-noise variance of a pixel in ADU^2."""
        return np.asarray(self.n_exposures, dtype=float) * self.read_noise**2 / self.gain**2

    @property
    def noise_sigma(self) -> np.ndarray:
        """Per-band noise of an empty sky pixel in ADU, shape (3,)."""
        return np.sqrt(self.sky_level / self.gain + self.read_variance)

    @property
    def depth(self) -> np.ndarray:
        """Per-band 5 sigma point-source depth (AB mag) for the median PSF, beta = 3.5."""
        beta = 3.5
        alpha = self.psf_fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0)) / self.pixel_scale
        n_eff = np.pi * alpha**2 * (2.0 * beta - 1.0) / (beta - 1.0) ** 2
        return -2.5 * np.log10(5.0 * self.noise_sigma * np.sqrt(n_eff) / self.counts_at_mag0)

    def counts(self, mag_r: float, colour: tuple[float, float]) -> np.ndarray:
        """ADU in g, r, i of a source of r magnitude ``mag_r`` and colours (g-r, r-i)."""
        mags = np.array([mag_r + colour[0], mag_r, mag_r - colour[1]])
        return self.counts_at_mag0 * 10.0 ** (-0.4 * mags)


SURVEYS: dict[str, Survey] = {
    # LSST system zero points and dark sky (Rubin SMTN-002); ~1.5 yr of WFD visits.
    "lsst-like": Survey(
        name="lsst-like", pixel_scale=0.2,
        zero_point=(28.51, 28.36, 28.17), seeing=(0.81, 0.76, 0.73),
        sky_brightness=(22.26, 21.20, 20.48),
        exposure=(360.0, 840.0, 840.0), n_exposures=(12, 28, 28),
        read_noise=9.0, gain=1.7, seeing_scatter=0.10,
    ),
    # DES wide: DECam pixels, Y3-like seeing, CTIO sky, 8 x 90 s tilings (DR2-like).
    "des-like": Survey(
        name="des-like", pixel_scale=0.263,
        zero_point=(26.9, 27.0, 26.8), seeing=(1.11, 0.96, 0.88),
        sky_brightness=(22.0, 21.1, 20.3),
        exposure=(720.0, 720.0, 720.0), n_exposures=(8, 8, 8),
        read_noise=7.0, gain=4.0, seeing_scatter=0.12,
    ),
    # Diffraction-limited, dark zodiacal sky, read-noise dominated short exposures.
    "space-like": Survey(
        name="space-like", pixel_scale=0.1,
        zero_point=(25.0, 25.0, 25.0), seeing=(0.16, 0.17, 0.18),
        sky_brightness=(23.2, 23.0, 22.8),
        exposure=(1200.0, 1200.0, 1200.0), n_exposures=(4, 4, 4),
        read_noise=10.0, gain=3.5, seeing_scatter=0.03,
    ),
}

NEGATIVE_KINDS: tuple[str, ...] = (
    "red_galaxy", "elliptical", "disk", "spiral", "ring", "companion", "edge_on",
    "merger", "pair",
)
DEFAULT_NEGATIVE_MIX: dict[str, float] = {
    "red_galaxy": 0.30, "elliptical": 0.14, "disk": 0.12, "spiral": 0.12, "ring": 0.06,
    "companion": 0.08, "edge_on": 0.07, "merger": 0.06, "pair": 0.05,
}

# population constants (see the module docstring)
THETA_E_RANGE = (0.8, 3.0)  # the default of Survey.einstein_radius
SOURCE_MAG_RANGE = (22.0, 25.5)
SOURCE_RADIUS_FRACTION = 0.6  # source-plane offset < 0.6 theta_E
JITTER_PX = 2.0
FIELD_BRIGHT, FIELD_FAINTEST = 18.0, 27.0
STAR_DENSITY, STAR_MAGS = 1.5, (17.0, 25.0)  # per arcmin^2
FIELD_MARGIN = 1.5  # arcsec around the stamp where field galaxies are placed


# --------------------------------------------------------------------------- scenes
@dataclass
class _Component:
    """One light profile: lenstronomy kwargs without ``amp``, total ADU per band."""

    profile: str  # "SERSIC_ELLIPSE", "GAUSSIAN" or "RING"
    params: dict[str, float]
    flux: np.ndarray  # (3,) total ADU in g, r, i (intrinsic, unlensed, for the source)
    lensed: bool = False
    extent: float | None = None  # arcsec half-size of the evaluation box; None: all


@dataclass
class _Scene:
    """Everything needed to render one image (picklable)."""

    kind: str
    survey: Survey
    image_size: int
    fwhm: np.ndarray  # (3,) arcsec
    beta: float
    components: list[_Component]
    stars: np.ndarray  # (k, 5): x, y (arcsec), ADU g, r, i
    noise_seed: np.random.SeedSequence
    kwargs_lens: list[dict[str, float]] | None = None
    einstein_radius: float = math.nan
    source_magnitude: float = math.nan
    deflector_magnitude: float = math.nan


Gen = np.random.Generator
Colour = tuple[float, float]  # (g-r, r-i)
Drawn = tuple[list[_Component], float]  # components, r magnitude of the central galaxy


def _ellipticity(phi: float, q: float) -> tuple[float, float]:
    e1, e2 = param_util.phi_q2_ellipticity(phi, q)
    return float(e1), float(e2)


def _sersic(survey: Survey, mag_r: float, colour: Colour, r_eff: float,
            n: float, q: float, phi: float, x: float, y: float, *, lensed: bool = False,
            boxed: bool = False) -> _Component:
    e1, e2 = _ellipticity(phi, q)
    extent = max(1.0, (4.0 + 2.5 * n) * r_eff / math.sqrt(q)) if boxed else None
    return _Component(
        "SERSIC_ELLIPSE",
        dict(R_sersic=r_eff, n_sersic=n, e1=e1, e2=e2, center_x=x, center_y=y),
        survey.counts(mag_r, colour), lensed, extent,
    )


def _gaussian(survey: Survey, mag_r: float, colour: Colour, sigma: float,
              x: float, y: float, *, lensed: bool = False) -> _Component:
    return _Component(
        "GAUSSIAN", dict(sigma=sigma, center_x=x, center_y=y), survey.counts(mag_r, colour),
        lensed, None if lensed else 5.0 * sigma,
    )


def _split_mag(mag_total: float, fractions: np.ndarray) -> np.ndarray:
    """Magnitudes of parts carrying ``fractions`` of the light of ``mag_total``."""
    return mag_total - 2.5 * np.log10(np.asarray(fractions))


def _blue_colour(rng: Gen, gr: Colour = (0.0, 0.5), ri: Colour = (-0.1, 0.3)) -> Colour:
    return (float(rng.uniform(*gr)), float(rng.uniform(*ri)))


def _draw_deflector(rng: Gen, survey: Survey, x: float, y: float,
                    ) -> tuple[_Component, float, float, float, float]:
    """A lens-like massive red galaxy; returns (component, theta_E, r mag, q, phi)."""
    theta_e = float(rng.uniform(*survey.einstein_radius))
    zproxy = float(rng.uniform())
    gr = float(np.clip(1.2 + 0.6 * zproxy + rng.normal(0, 0.05), 1.2, 1.8))
    ri = float(np.clip(0.4 + 0.2 * zproxy + rng.normal(0, 0.03), 0.4, 0.6))
    mag = 19.6 - 5.0 * math.log10(theta_e / 1.5) + 1.6 * (zproxy - 0.5) + rng.normal(0, 0.35)
    mag = float(np.clip(mag, 17.0, 22.5))
    r_eff = float(np.clip(10 ** (-0.2 * (mag - 19.6) + rng.normal(0, 0.12)), 0.35, 3.0))
    n = float(rng.uniform(3.0, 5.0))
    q = float(rng.uniform(0.55, 1.0))
    phi = float(rng.uniform(0, np.pi))
    comp = _sersic(survey, mag, (gr, ri), r_eff, n, q, phi, x, y)
    return comp, theta_e, mag, q, phi


def _draw_lens(rng: Gen, survey: Survey, x0: float, y0: float,
               ) -> tuple[list[_Component], list[dict[str, float]], float, float, float]:
    """Deflector + source: (components, kwargs_lens, theta_E, source mag, deflector mag)."""
    deflector, theta_e, mag, q, phi = _draw_deflector(rng, survey, x0, y0)
    q_m = float(np.clip(q + rng.normal(0, 0.07), 0.45, 1.0))
    phi_m = phi + float(rng.normal(0, np.radians(10.0)))
    e1, e2 = _ellipticity(phi_m, q_m)
    g1, g2 = param_util.shear_polar2cartesian(float(rng.uniform(0, np.pi)),
                                              float(rng.uniform(0, 0.1)))
    kwargs_lens = [
        dict(theta_E=theta_e, e1=e1, e2=e2, center_x=x0, center_y=y0),
        dict(gamma1=float(g1), gamma2=float(g2), ra_0=x0, dec_0=y0),
    ]
    # source, in the source plane
    rad = SOURCE_RADIUS_FRACTION * theta_e * math.sqrt(rng.uniform())
    ang = rng.uniform(0, 2 * np.pi)
    sx, sy = x0 + rad * math.cos(ang), y0 + rad * math.sin(ang)
    mag_src = float(rng.uniform(*SOURCE_MAG_RANGE))
    n_clumps = int(rng.integers(1, 5))
    f_clumps = float(rng.uniform(0.1, 0.4))
    fr = np.r_[1 - f_clumps, f_clumps * rng.dirichlet(np.ones(n_clumps))]
    mags = _split_mag(mag_src, fr)
    r_eff = float(np.exp(rng.uniform(np.log(0.1), np.log(0.5))))
    comps = [deflector, _sersic(
        survey, mags[0], _blue_colour(rng), r_eff, float(rng.uniform(0.5, 1.5)),
        float(rng.uniform(0.4, 1.0)), float(rng.uniform(0, np.pi)), sx, sy, lensed=True)]
    for m in mags[1:]:
        dx, dy = rng.normal(0, 0.7 * r_eff, 2)
        comps.append(_gaussian(survey, m, _blue_colour(rng, (-0.2, 0.2), (-0.2, 0.1)),
                               float(rng.uniform(0.04, 0.1)), sx + dx, sy + dy, lensed=True))
    return comps, kwargs_lens, theta_e, mag_src, mag


def _draw_red_galaxy(rng: Gen, survey: Survey, x0: float, y0: float) -> Drawn:
    deflector, _, mag, _, _ = _draw_deflector(rng, survey, x0, y0)
    return [deflector], mag


def _draw_elliptical(rng: Gen, survey: Survey, x0: float, y0: float,
                     mag_range: tuple[float, float] = (17.5, 22.5)) -> Drawn:
    mag = float(rng.uniform(*mag_range))
    t = float(rng.uniform())
    gr = 0.6 + 1.3 * t
    ri = 0.25 + 0.3 * t + float(rng.normal(0, 0.04))
    r_eff = float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
    comp = _sersic(survey, mag, (gr, ri), r_eff, float(rng.uniform(2.5, 6.0)),
                   float(rng.uniform(0.45, 1.0)), float(rng.uniform(0, np.pi)), x0, y0)
    return [comp], mag


def _inclined_q(cos_i: float, q0: float = 0.15) -> float:
    return math.sqrt(cos_i**2 + q0**2 * (1 - cos_i**2))


def _draw_disk(rng: Gen, survey: Survey, x0: float, y0: float,
               mag_range: tuple[float, float] = (17.5, 22.0),
               cos_i_range: tuple[float, float] = (0.0, 1.0), r_eff_19: float = 1.1,
               ) -> tuple[list[_Component], float, tuple[float, float, float]]:
    """Exponential disk + bulge; returns (components, r mag, (r_eff, q, phi))."""
    mag = float(rng.uniform(*mag_range))
    bt = float(rng.uniform(0.0, 0.5))
    # disk effective radius: r_eff_19 at r = 19.5, 0.2 dex larger per magnitude brighter
    r_d = float(np.clip(r_eff_19 * 10 ** (-0.2 * (mag - 19.5) + rng.normal(0, 0.15)),
                        0.3, 4.0))
    q = _inclined_q(float(rng.uniform(*cos_i_range)))
    phi = float(rng.uniform(0, np.pi))
    m_disk, m_bulge = _split_mag(mag, [1 - bt, max(bt, 1e-3)])
    comps = [_sersic(survey, m_disk, _blue_colour(rng, (0.3, 0.8), (0.1, 0.35)), r_d, 1.0, q,
                     phi, x0, y0)]
    if bt > 0.02:
        comps.append(_sersic(
            survey, m_bulge, _blue_colour(rng, (0.9, 1.5), (0.35, 0.5)),
            r_d * float(rng.uniform(0.1, 0.35)), float(rng.uniform(2.5, 4.0)),
            max(q, float(rng.uniform(0.7, 1.0))), phi, x0, y0))
    return comps, mag, (r_d, q, phi)


def _project(xd: np.ndarray, yd: np.ndarray, q: float, phi: float, x0: float, y0: float,
             ) -> tuple[np.ndarray, np.ndarray]:
    """Disk-plane positions -> sky (minor axis compressed by q, major axis at phi)."""
    c, s = math.cos(phi), math.sin(phi)
    return x0 + xd * c - q * yd * s, y0 + xd * s + q * yd * c


def _chain(survey: Survey, rng: Gen, xs: np.ndarray, ys: np.ndarray, mag_total: float,
           colour: Colour, sigmas: float | np.ndarray) -> list[_Component]:
    """Gaussians along a path sharing the light of ``mag_total`` equally."""
    mags = _split_mag(mag_total, np.full(len(xs), 1.0 / len(xs)))
    return [_gaussian(survey, m, colour, float(s), float(x), float(y))
            for m, s, x, y in zip(mags, np.broadcast_to(sigmas, len(xs)), xs, ys, strict=True)]


def _draw_spiral(rng: Gen, survey: Survey, x0: float, y0: float) -> Drawn:
    comps, mag, (r_d, q, phi) = _draw_disk(rng, survey, x0, y0, (17.5, 21.5), (0.4, 1.0),
                                           1.5)
    n_arms = int(rng.choice([2, 3, 4], p=[0.7, 0.2, 0.1]))
    pitch = np.radians(rng.uniform(10, 30))
    f_arms = float(rng.uniform(0.3, 0.55))
    f_clumpy = float(rng.uniform(0.2, 0.5))
    m_arm = _split_mag(mag, [f_arms / n_arms])[0]
    r_in, r_out = 0.3 * r_d, float(rng.uniform(1.5, 3.0)) * r_d
    theta_max = math.log(r_out / r_in) / math.tan(pitch)
    arm_colour = _blue_colour(rng, (0.1, 0.5), (0.0, 0.3))
    phase0 = rng.uniform(0, 2 * np.pi)
    for k in range(n_arms):
        phase = phase0 + 2 * np.pi * k / n_arms
        sig_d = float(rng.uniform(0.12, 0.25))
        length = (r_out - r_in) / math.sin(pitch)
        n_d = int(np.clip(math.ceil(length / sig_d), 6, 60))
        th = np.linspace(0, theta_max, n_d)
        rr = r_in * np.exp(th * math.tan(pitch))
        xs, ys = _project(rr * np.cos(th + phase), rr * np.sin(th + phase), q, phi, x0, y0)
        comps += _chain(survey, rng, xs, ys, _split_mag(m_arm, [1 - f_clumpy])[0],
                        arm_colour, sig_d)
        n_c = int(rng.integers(4, 13))
        th = rng.uniform(0, theta_max, n_c)
        rr = r_in * np.exp(th * math.tan(pitch)) * (1 + rng.normal(0, 0.05, n_c))
        xs, ys = _project(rr * np.cos(th + phase), rr * np.sin(th + phase), q, phi, x0, y0)
        mags = _split_mag(_split_mag(m_arm, [f_clumpy])[0], rng.dirichlet(np.ones(n_c)))
        for m, x, y in zip(mags, xs, ys, strict=True):
            comps.append(_gaussian(survey, m, _blue_colour(rng, (-0.1, 0.35), (-0.1, 0.2)),
                                   float(rng.uniform(0.05, 0.15)), float(x), float(y)))
    return comps, mag


def _draw_ring(rng: Gen, survey: Survey, x0: float, y0: float) -> Drawn:
    mag_core = float(rng.uniform(19.0, 22.0))
    core = _sersic(survey, mag_core, _blue_colour(rng, (1.0, 1.6), (0.35, 0.55)),
                   float(rng.uniform(0.2, 0.6)), float(rng.uniform(3.0, 4.0)),
                   float(rng.uniform(0.7, 1.0)), float(rng.uniform(0, np.pi)), x0, y0)
    radius = float(rng.uniform(0.8, 3.0))
    width = float(rng.uniform(0.08, 0.25))
    q = float(rng.uniform(0.5, 1.0))
    phi = float(rng.uniform(0, np.pi))
    mag_ring = mag_core + float(rng.uniform(-0.5, 2.0))
    f_clumps = float(rng.uniform(0.2, 0.6))
    m_smooth, m_clumps = _split_mag(mag_ring, [1 - f_clumps, f_clumps])
    colour = _blue_colour(rng, (0.0, 0.5), (-0.1, 0.25))
    comps = [core, _Component(
        "RING", dict(radius=radius, width=width, q=q, phi=phi, center_x=x0, center_y=y0),
        survey.counts(m_smooth, colour), False, radius + 5 * width)]
    n_c = int(rng.integers(4, 11))
    ang = rng.uniform(0, 2 * np.pi, n_c)
    rr = radius * (1 + rng.normal(0, 0.4 * width / radius, n_c))
    xs, ys = _project(rr * np.cos(ang), rr * np.sin(ang), q, phi, x0, y0)
    for m, x, y in zip(_split_mag(m_clumps, rng.dirichlet(np.ones(n_c))), xs, ys, strict=True):
        comps.append(_gaussian(survey, m, _blue_colour(rng, (-0.1, 0.3), (-0.1, 0.2)),
                               float(rng.uniform(0.05, 0.15)), float(x), float(y)))
    return comps, mag_core


def _draw_companion(rng: Gen, survey: Survey, x0: float, y0: float) -> Drawn:
    deflector, _, mag, _, _ = _draw_deflector(rng, survey, x0, y0)
    comps = [deflector]
    for _ in range(int(rng.integers(1, 3))):
        d, ang = float(rng.uniform(1.0, 3.0)), float(rng.uniform(0, 2 * np.pi))
        x, y = x0 + d * math.cos(ang), y0 + d * math.sin(ang)
        m = float(rng.uniform(21.5, 25.0))
        r_eff = float(rng.uniform(0.15, 0.5))
        n_cl = int(rng.integers(0, 3))
        fr = np.r_[1.0, rng.uniform(0.05, 0.2, n_cl)]
        mags = _split_mag(m, fr / fr.sum())
        comps.append(_sersic(survey, mags[0], _blue_colour(rng), r_eff,
                             float(rng.uniform(0.5, 1.5)), float(rng.uniform(0.3, 1.0)),
                             float(rng.uniform(0, np.pi)), x, y, boxed=True))
        for mc in mags[1:]:
            dx, dy = rng.normal(0, 0.6 * r_eff, 2)
            comps.append(_gaussian(survey, mc, _blue_colour(rng, (-0.2, 0.2), (-0.2, 0.1)),
                                   float(rng.uniform(0.05, 0.1)), x + dx, y + dy))
    return comps, mag


def _draw_edge_on(rng: Gen, survey: Survey, x0: float, y0: float) -> Drawn:
    deflector, _, mag, _, _ = _draw_deflector(rng, survey, x0, y0)
    d, ang = float(rng.uniform(1.0, 3.0)), float(rng.uniform(0, 2 * np.pi))
    x, y = x0 + d * math.cos(ang), y0 + d * math.sin(ang)
    phi = ang + np.pi / 2 + float(rng.normal(0, np.radians(8.0)))
    disk = _sersic(survey, float(rng.uniform(21.5, 24.5)), _blue_colour(rng, (0.1, 0.6)),
                   float(rng.uniform(0.3, 1.0)), 1.0, float(rng.uniform(0.08, 0.2)), phi,
                   x, y, boxed=True)
    return [deflector, disk], mag


def _galaxy_any(rng: Gen, survey: Survey, x: float, y: float, mag: float,
                ) -> list[_Component]:
    """An early type or a disk of total r magnitude ``mag`` (for mergers and pairs)."""
    if rng.uniform() < 0.5:
        comps, _ = _draw_elliptical(rng, survey, x, y, (mag, mag))
    else:
        comps, _, _ = _draw_disk(rng, survey, x, y, (mag, mag), (0.2, 1.0), 0.8)
    return comps


def _draw_merger(rng: Gen, survey: Survey, x0: float, y0: float) -> Drawn:
    mag_a = float(rng.uniform(18.0, 21.5))
    mag_b = mag_a + float(rng.uniform(0.0, 1.5))
    sep, ang = float(rng.uniform(0.3, 1.5)), float(rng.uniform(0, 2 * np.pi))
    xb, yb = x0 + sep * math.cos(ang), y0 + sep * math.sin(ang)
    comps = _galaxy_any(rng, survey, x0, y0, mag_a) + _galaxy_any(rng, survey, xb, yb, mag_b)
    f_tails = float(rng.uniform(0.05, 0.2))
    n_tails = int(rng.integers(1, 3))
    m_tail = _split_mag(mag_a, [f_tails / n_tails])[0]
    colour = _blue_colour(rng, (0.3, 0.8), (0.1, 0.35))
    for k in range(n_tails):
        xs0, ys0 = (x0, y0) if k == 0 else (xb, yb)
        length = float(rng.uniform(1.5, 4.0))
        start = float(rng.uniform(0, 2 * np.pi))
        curl = float(rng.uniform(0.5, 1.5)) * rng.choice([-1, 1])
        t = np.linspace(0.15, 1.0, 24)
        rr, th = length * t, start + curl * t
        xs, ys = xs0 + rr * np.cos(th), ys0 + rr * np.sin(th)
        comps += _chain(survey, rng, xs, ys, _split_mag(m_tail, [0.7])[0], colour,
                        0.15 + 0.25 * t)
        n_c = int(rng.integers(1, 4))
        idx = rng.integers(0, len(t), n_c)
        for m, i in zip(_split_mag(m_tail, 0.3 * rng.dirichlet(np.ones(n_c))), idx,
                        strict=True):
            comps.append(_gaussian(survey, m, _blue_colour(rng, (-0.1, 0.3), (-0.1, 0.2)),
                                   float(rng.uniform(0.05, 0.12)), float(xs[i]), float(ys[i])))
    return comps, mag_a


def _draw_pair(rng: Gen, survey: Survey, x0: float, y0: float) -> Drawn:
    mag_a = float(rng.uniform(18.0, 22.0))
    mag_b = float(rng.uniform(18.0, 22.5))
    sep, ang = float(rng.uniform(1.0, 3.0)), float(rng.uniform(0, 2 * np.pi))
    xb, yb = x0 + sep * math.cos(ang), y0 + sep * math.sin(ang)
    comps = _galaxy_any(rng, survey, x0, y0, mag_a)
    for c in _galaxy_any(rng, survey, xb, yb, mag_b):
        c.extent = max(1.0, 12.0 * c.params["R_sersic"])
        comps.append(c)
    return comps, mag_a


_KIND_DRAW = {
    "red_galaxy": _draw_red_galaxy,
    "elliptical": _draw_elliptical,
    "disk": lambda rng, s, x, y: _draw_disk(rng, s, x, y)[:2],
    "spiral": _draw_spiral,
    "ring": _draw_ring,
    "companion": _draw_companion,
    "edge_on": _draw_edge_on,
    "merger": _draw_merger,
    "pair": _draw_pair,
}


def _stamp_half(survey: Survey, image_size: int) -> float:
    return image_size * survey.pixel_scale / 2.0


def _draw_field(rng: Gen, survey: Survey, image_size: int,
                ) -> tuple[list[_Component], np.ndarray]:
    """Field galaxies (components) and stars (array (k, 5)) over the stamp."""
    half = _stamp_half(survey, image_size)
    area = (2 * (half + FIELD_MARGIN)) ** 2 / _ARCMIN2
    m_lim = min(FIELD_FAINTEST, float(survey.depth[1]) + 1.0)
    a = 0.33
    n_gal = rng.poisson(30.0 * 10 ** (a * (m_lim - 25.0)) * area)
    lo, hi = 10 ** (a * FIELD_BRIGHT), 10 ** (a * m_lim)
    comps = []
    for _ in range(n_gal):
        mag = math.log10(rng.uniform(lo, hi)) / a
        x, y = rng.uniform(-half - FIELD_MARGIN, half + FIELD_MARGIN, 2)
        r_eff = float(np.clip(0.6 * 10 ** (-0.15 * (mag - 22.0) + rng.normal(0, 0.2)),
                              0.06, 2.5))
        if rng.uniform() < 0.6:
            n, colour = float(rng.uniform(0.6, 1.5)), _blue_colour(rng, (0.0, 0.7), (0.0, 0.35))
        else:
            n, colour = float(rng.uniform(2.5, 4.5)), _blue_colour(rng, (0.7, 1.7), (0.3, 0.7))
        comps.append(_sersic(survey, mag, colour, r_eff, n, float(rng.uniform(0.3, 1.0)),
                             float(rng.uniform(0, np.pi)), float(x), float(y), boxed=True))
    n_star = rng.poisson(STAR_DENSITY * (2 * half) ** 2 / _ARCMIN2)
    stars = np.zeros((n_star, 5))
    b = 0.15  # dN/dm ~ 10^(0.15 m)
    lo, hi = 10 ** (b * STAR_MAGS[0]), 10 ** (b * STAR_MAGS[1])
    for k in range(n_star):
        mag = math.log10(rng.uniform(lo, hi)) / b
        gr = float(rng.uniform(0.3, 1.5))
        ri = float(rng.uniform(0.6, 1.5)) if gr > 1.3 else 0.45 * gr - 0.1 + rng.normal(0, 0.05)
        stars[k, :2] = rng.uniform(-half, half, 2)
        stars[k, 2:] = survey.counts(mag, (gr, ri))
    return comps, stars


def _draw_scene(kind: str, survey: Survey, image_size: int,
                seed: np.random.SeedSequence) -> _Scene:
    """Draw the scene of one image of ``kind`` from its own seed sequence."""
    scene_seed, noise_seed = seed.spawn(2)
    rng = np.random.default_rng(scene_seed)
    s = survey.seeing_scatter / math.sqrt(2.0)
    fwhm = survey.psf_fwhm * np.exp(rng.normal(0, s) + rng.normal(0, s, 3))
    beta = float(rng.uniform(*survey.moffat_beta))
    x0, y0 = rng.uniform(-JITTER_PX, JITTER_PX, 2) * survey.pixel_scale
    scene = _Scene(kind, survey, image_size, fwhm, beta, [], np.zeros((0, 5)), noise_seed)
    if kind == "lens":
        comps, scene.kwargs_lens, scene.einstein_radius, scene.source_magnitude, mag = (
            _draw_lens(rng, survey, x0, y0))
    elif kind in _KIND_DRAW:
        comps, mag = _KIND_DRAW[kind](rng, survey, x0, y0)
    else:
        raise ValueError(f"unknown kind {kind!r}; expected 'lens' or one of {NEGATIVE_KINDS}")
    scene.deflector_magnitude = float(mag)
    field_comps, scene.stars = _draw_field(rng, survey, image_size)
    scene.components = list(comps) + field_comps
    return scene


# --------------------------------------------------------------------------- rendering
@dataclass
class _Engine:
    """Grids and lenstronomy objects shared by all images of one (survey, size)."""

    pixel_grid: Any
    x: np.ndarray  # (N, N) supersampled coordinates, arcsec
    y: np.ndarray
    lens_model: Any
    light: dict[str, Any] = field(default_factory=dict)

    @property
    def step(self) -> float:
        return float(self.x[0, 1] - self.x[0, 0])

    def box(self, cx: float, cy: float,
            extent: float | None) -> tuple[slice, slice] | None:
        """Slices of the supersampled grid covering ``extent`` around (cx, cy)."""
        if extent is None:
            return slice(None), slice(None)
        n, step = self.x.shape[0], self.step
        j0 = max(0, math.floor((cx - extent - self.x[0, 0]) / step))
        j1 = min(n, math.ceil((cx + extent - self.x[0, 0]) / step) + 1)
        i0 = max(0, math.floor((cy - extent - self.y[0, 0]) / step))
        i1 = min(n, math.ceil((cy + extent - self.y[0, 0]) / step) + 1)
        if j0 >= j1 or i0 >= i1:
            return None
        return slice(i0, i1), slice(j0, j1)


@lru_cache(maxsize=16)
def _engine(survey: Survey, image_size: int) -> _Engine:
    ps, ss = survey.pixel_scale, survey.supersampling
    if ss % 2 != 1:
        raise ValueError("supersampling must be odd")
    c = (image_size - 1) / 2.0 * ps
    grid = PixelGrid(nx=image_size, ny=image_size, transform_pix2angle=np.eye(2) * ps,
                     ra_at_xy_0=-c, dec_at_xy_0=-c)
    x, y = Numerics(grid, PSF(psf_type="NONE"), supersampling_factor=ss).coordinates_evaluate
    light = {name: LightModel([name]) for name in ("SERSIC_ELLIPSE", "GAUSSIAN")}
    return _Engine(grid, util.array2image(x), util.array2image(y),
                   LensModel(["SIE", "SHEAR"]), light)


def _moffat_kernel(fwhm: float, beta: float, pixel_scale: float, ss: int) -> np.ndarray:
    """Normalised Moffat kernel sampled at ``ss`` x the pixel rate, odd size."""
    alpha = fwhm / (2.0 * math.sqrt(2.0 ** (1.0 / beta) - 1.0))
    half = max(4, math.ceil(4.5 * fwhm / pixel_scale))
    m = (2 * half + 1) * ss
    c = (np.arange(m) - (m - 1) / 2.0) * (pixel_scale / ss)
    k = (1.0 + (c[None, :] ** 2 + c[:, None] ** 2) / alpha**2) ** (-beta)
    return k / k.sum()


def _ring(x: np.ndarray, y: np.ndarray, radius: float, width: float, q: float, phi: float,
          center_x: float, center_y: float) -> np.ndarray:
    """Gaussian ring of unit total flux: exp(-(r_ell - R)^2 / 2 w^2), per arcsec^2."""
    c, s = math.cos(phi), math.sin(phi)
    dx, dy = x - center_x, y - center_y
    u, v = dx * c + dy * s, (-dx * s + dy * c) / q
    r = np.sqrt(u * u + v * v)
    total = 2 * np.pi * q * (
        width**2 * math.exp(-(radius**2) / (2 * width**2))
        + radius * width * math.sqrt(np.pi / 2) * (1 + erf(radius / (math.sqrt(2) * width))))
    return np.exp(-((r - radius) ** 2) / (2 * width**2)) / total


def _unit_profile(eng: _Engine, comp: _Component, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Surface brightness (per arcsec^2) of ``comp`` with unit total flux at (x, y)."""
    if comp.profile == "RING":
        return _ring(x, y, **comp.params)
    model = eng.light[comp.profile]
    norm = model.total_flux([comp.params], norm=True)[0]
    sb = model.surface_brightness(x.ravel(), y.ravel(), [dict(amp=1.0 / norm, **comp.params)])
    return np.asarray(sb).reshape(x.shape)


def _render(scene: _Scene, *, include_source: bool = True,
            noise: bool = True) -> tuple[np.ndarray, dict[str, float]]:
    """Render a scene: (H, W, 3) float32 ADU image (sky-subtracted) and measurements.

    ``include_source=False`` leaves out the lensed source (the rest, noise seed included,
    is unchanged); ``noise=False`` returns the expected image without noise. The dict
    holds ``source_snr``, ``source_snr_optimal`` and ``magnification`` (NaN without a
    lensed source).
    """
    survey, eng = scene.survey, _engine(scene.survey, scene.image_size)
    ps, ss = survey.pixel_scale, survey.supersampling
    planes = np.zeros((3,) + eng.x.shape)
    source_r = None
    beta_xy = None
    for comp in scene.components:
        if comp.lensed:
            if not include_source:
                continue
            if beta_xy is None:
                bx, by = eng.lens_model.ray_shooting(eng.x.ravel(), eng.y.ravel(),
                                                     scene.kwargs_lens)
                beta_xy = (np.reshape(bx, eng.x.shape), np.reshape(by, eng.x.shape))
            sb = _unit_profile(eng, comp, *beta_xy)
            planes += comp.flux[:, None, None] * sb
            source_r = comp.flux[1] * sb + (0.0 if source_r is None else source_r)
            continue
        p = comp.params
        sl = eng.box(p["center_x"], p["center_y"], comp.extent)
        if sl is None:
            continue
        sb = _unit_profile(eng, comp, eng.x[sl], eng.y[sl])
        planes[(slice(None),) + sl] += comp.flux[:, None, None] * sb

    n = scene.image_size
    model = np.empty((3, n, n))
    source_img = None
    for b in range(3):
        psf = PSF(psf_type="PIXEL",
                  kernel_point_source=_moffat_kernel(scene.fwhm[b], scene.beta, ps, ss),
                  point_source_supersampling_factor=ss)
        numerics = Numerics(eng.pixel_grid, psf, supersampling_factor=ss)
        model[b] = numerics.re_size_convolve(util.image2array(planes[b]))
        if len(scene.stars):
            model[b] += numerics.point_source_rendering(
                scene.stars[:, 0], scene.stars[:, 1], scene.stars[:, 2 + b])
        if b == 1 and source_r is not None:
            source_img = numerics.re_size_convolve(util.image2array(source_r))
    np.clip(model, 0.0, None, out=model)

    sky = survey.sky_level[:, None, None]
    gain = survey.gain
    info = {"source_snr": math.nan, "source_snr_optimal": math.nan, "magnification": math.nan}
    if source_img is not None:
        var_r = (model[1] + sky[1]) / gain + survey.read_variance[1]
        snr_pix = source_img / np.sqrt(var_r)
        mask = snr_pix > 1.0
        if mask.any():
            info["source_snr"] = float(source_img[mask].sum() / math.sqrt(var_r[mask].sum()))
        else:
            info["source_snr"] = float(snr_pix.max())
        info["source_snr_optimal"] = float(np.sqrt(np.sum(snr_pix**2)))
        intrinsic = sum(c.flux[1] for c in scene.components if c.lensed)
        info["magnification"] = float(source_r.sum() * (ps / ss) ** 2 / intrinsic)

    if noise:
        rng = np.random.default_rng(scene.noise_seed)
        electrons = rng.poisson((model + sky) * gain).astype(float)
        read_sigma = survey.read_noise * np.sqrt(np.asarray(survey.n_exposures, float))
        electrons += rng.normal(0.0, 1.0, model.shape) * read_sigma[:, None, None]
        model = electrons / gain - sky
    return np.moveaxis(model, 0, -1).astype(np.float32), info


# --------------------------------------------------------------------------- driver
def _apportion(n: int, mix: Mapping[str, float]) -> dict[str, int]:
    """Exact counts per kind (largest remainder; ties go to the earlier kind)."""
    kinds = [k for k in NEGATIVE_KINDS if mix.get(k, 0) > 0]
    weights = np.array([float(mix[k]) for k in kinds])
    share = n * weights / weights.sum()
    counts = np.floor(share + 1e-9).astype(int)
    rest = share - counts
    for i in sorted(range(len(kinds)), key=lambda i: (-rest[i], i))[: n - counts.sum()]:
        counts[i] += 1
    return {k: int(c) for k, c in zip(kinds, counts, strict=True)}


def _check_mix(mix: Mapping[str, float] | None) -> Mapping[str, float]:
    if mix is None:
        return DEFAULT_NEGATIVE_MIX
    unknown = set(mix) - set(NEGATIVE_KINDS)
    if unknown:
        raise ValueError(f"unknown negative kinds {sorted(unknown)}; use {NEGATIVE_KINDS}")
    if any(float(v) < 0 for v in mix.values()) or sum(float(v) for v in mix.values()) <= 0:
        raise ValueError("negative_mix needs non-negative weights with a positive sum")
    return mix


def _make_chunk(task: tuple) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Render images ``positions`` of ``kinds`` (worker entry point)."""
    kinds, positions, seed, survey, image_size, include_source = task
    X = np.empty((len(kinds), image_size, image_size, 3), dtype=np.float32)
    rows = []
    for k, (kind, pos) in enumerate(zip(kinds, positions, strict=True)):
        scene = _draw_scene(kind, survey, image_size, np.random.SeedSequence([seed, 1, pos]))
        X[k], info = _render(scene, include_source=include_source)
        rows.append({
            "kind": kind, "einstein_radius": scene.einstein_radius,
            "source_snr": info["source_snr"], "source_snr_optimal": info["source_snr_optimal"],
            "source_magnitude": scene.source_magnitude,
            "seeing": float(scene.fwhm[1]), "deflector_magnitude": scene.deflector_magnitude,
            "magnification": info["magnification"], "psf_beta": scene.beta,
        })
    return X, rows


def simulate(n_lenses: int, n_others: int, *, survey: str | Survey = "lsst-like",
             image_size: int = 64, random_state: int | None = 0, n_jobs: int | None = 1,
             negative_mix: Mapping[str, float] | None = None,
             einstein_radius: tuple[float, float] | None = None,
             _no_source: bool = False) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Simulate lenses and non-lenses with lenstronomy.

    Parameters
    ----------
    n_lenses, n_others : int
        Number of lens images (label 1) and of other images (label 0).
    survey : str or Survey, default "lsst-like"
        A key of :data:`SURVEYS` or a :class:`Survey`.
    image_size : int, default 64
        Side of the square images in pixels.
    random_state : int or None, default 0
        Seed; ``None`` draws fresh entropy.
    n_jobs : int or None, default 1
        Worker processes; ``-1`` or ``None`` uses every CPU. The result does not depend
        on it. Workers are started with the "spawn" method, so a script that uses
        ``n_jobs > 1`` must call this under ``if __name__ == "__main__":``.
    negative_mix : mapping of str to float, optional
        Relative weights of the negative kinds (default :data:`DEFAULT_NEGATIVE_MIX`);
        kinds left out get none. Counts are apportioned exactly (largest remainder).
    einstein_radius : (float, float), optional
        Range of the deflectors' Einstein radii in arcsec (default: the survey's,
        0.8-3.0"); it also sets the lens-like red galaxies among the negatives.
    _no_source : bool, default False
        Render the lenses without their lensed source (everything else, the noise seed
        included, unchanged); for tests.

    Returns
    -------
    X : ndarray of float32, shape (n, image_size, image_size, 3)
        g, r, i images in ADU per pixel, sky-subtracted, with noise; shuffled.
    y : ndarray of int, shape (n,)
        1 for lenses, 0 for the others.
    meta : dict of str to ndarray
        Per image: ``kind``, ``einstein_radius`` (arcsec), ``source_snr`` (r band),
        ``source_snr_optimal``, ``source_magnitude`` (intrinsic r), ``magnification``
        (these five NaN for non-lenses), ``seeing`` (r-band FWHM, arcsec), ``psf_beta``
        and ``deflector_magnitude`` (r magnitude of the central galaxy). See the module
        docstring for the definitions.
    """
    if isinstance(survey, str):
        if survey not in SURVEYS:
            raise ValueError(f"unknown survey {survey!r}; choose from {sorted(SURVEYS)}")
        survey = SURVEYS[survey]
    if einstein_radius is not None:
        low, high = (float(v) for v in einstein_radius)
        if not 0 < low <= high:
            raise ValueError(f"einstein_radius must be (low, high) with 0 < low <= high; got "
                             f"{einstein_radius!r}")
        survey = dataclasses.replace(survey, einstein_radius=(low, high))
    n_lenses, n_others, image_size = int(n_lenses), int(n_others), int(image_size)
    if n_lenses < 0 or n_others < 0:
        raise ValueError("n_lenses and n_others must be non-negative")
    if image_size < 16:
        raise ValueError("image_size must be at least 16")
    seed = np.random.SeedSequence().entropy if random_state is None else int(random_state)
    if seed < 0:
        raise ValueError("random_state must be a non-negative integer or None")
    counts = _apportion(n_others, _check_mix(negative_mix)) if n_others else {}
    kinds = ["lens"] * n_lenses + [k for k, c in counts.items() for _ in range(c)]
    order = np.random.default_rng(np.random.SeedSequence([seed, 0])).permutation(len(kinds))
    kinds = [kinds[i] for i in order]
    n = len(kinds)
    if n_jobs is None or n_jobs < 0:
        n_jobs = os.cpu_count() or 1
    n_jobs = max(1, min(int(n_jobs), n))

    bounds = np.linspace(0, n, min(n, 4 * n_jobs) + 1).astype(int) if n else [0, 0]
    tasks = [(kinds[a:b], list(range(a, b)), seed, survey, image_size, not _no_source)
             for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    if n_jobs == 1:
        results = [_make_chunk(t) for t in tasks]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            results = list(pool.map(_make_chunk, tasks))
    X = (np.concatenate([r[0] for r in results]) if results
         else np.zeros((0, image_size, image_size, 3), np.float32))
    rows = [row for r in results for row in r[1]]
    y = np.array([k == "lens" for k in kinds], dtype=int)
    keys = ("kind", "einstein_radius", "source_snr", "source_magnitude", "seeing",
            "deflector_magnitude", "magnification", "source_snr_optimal", "psf_beta")
    meta = {k: np.array([row[k] for row in rows], dtype=str if k == "kind" else float)
            for k in keys}
    return X, y, meta
