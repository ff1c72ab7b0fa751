"""Random scenes (lens systems and other objects) and their rendering to noisy images.

A scene is a list of light components (Sersic galaxies, point-like stars) plus,
for a lens system, an SIE mass and a background Sersic source. Drawing a scene
only draws parameters; :func:`render_scene` turns them into a
background-subtracted, PSF-convolved, noisy multi-band image.

Magnitudes are AB-like: a component of magnitude ``m`` in a band has
``10**(-0.4 * (m - zero_point))`` counts in that band. Every component's colour
is drawn as ``g - r``, ``r - i`` and ``i - z`` around its r-band magnitude.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import fft

from skbia.datasets._lensing import LensModel, render_lensed_sersic
from skbia.datasets._light import (
    PSF_RADIUS_FWHM,
    Canvas,
    Sersic,
    add_point,
    convolve,
    kernel_transform,
    psf_kernel,
    render_sersic,
)
from skbia.datasets._noise import observe, sky_variance

__all__ = [
    "KNOWN_BANDS",
    "NEGATIVE_KINDS",
    "Scene",
    "Settings",
    "child_seed",
    "draw_scene",
    "render_scene",
]

KNOWN_BANDS = ("g", "r", "i", "z")
NEGATIVE_KINDS = ("elliptical", "disk", "pair", "companion")

_MOFFAT_BETA = 3.5
_ARCMIN2 = 3600.0  # arcsec^2 per arcmin^2
_FIELD_BORDER = 6.0  # arcsec


@dataclass(frozen=True)
class Settings:
    """Validated simulation settings shared by every scene of a data set.

    Ranges are ``(low, high)`` tuples; per-band values are arrays aligned with
    ``bands``. See :func:`skbia.datasets.make_lenses` for the meaning and units.
    """

    image_size: int
    pixel_scale: float
    bands: tuple[str, ...]
    einstein_radius: tuple[float, float]
    source_magnitude: tuple[float, float]
    lens_magnitude: tuple[float, float]
    psf: str
    psf_fwhm: np.ndarray
    zero_point: float
    sky_level: np.ndarray
    gain: np.ndarray
    read_noise: np.ndarray
    field_density: float
    background_residual: tuple[float, float]
    oversample: int
    noise: bool


@dataclass
class _Galaxy:
    shape: Sersic
    magnitudes: np.ndarray  # per band of Settings.bands


@dataclass
class _Star:
    x0: float
    y0: float
    magnitudes: np.ndarray


@dataclass
class Scene:
    """Parameters of one image.

    Attributes
    ----------
    kind : str
        "lens" or one of ``NEGATIVE_KINDS``.
    components : list
        Unlensed light: galaxies and stars (the lens galaxy first).
    lens : LensModel or None
        The mass of a lens system.
    source : _Galaxy or None
        The background source of a lens system (unlensed magnitudes).
    background : ndarray of shape (n_bands,) or None
        Residual of the sky subtraction (counts per pixel), added to the image.
    info : dict
        Summary values reported as metadata.
    """

    kind: str
    components: list = field(default_factory=list)
    lens: LensModel | None = None
    source: _Galaxy | None = None
    background: np.ndarray | None = None
    info: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- colours


def _magnitudes(r_mag: float, colours: tuple[float, float, float], bands) -> np.ndarray:
    g_r, r_i, i_z = colours
    table = {"g": r_mag + g_r, "r": r_mag, "i": r_mag - r_i, "z": r_mag - r_i - i_z}
    return np.array([table[band] for band in bands])


def _red_colours(rng: np.random.Generator) -> tuple[float, float, float]:
    """Colours of a massive early-type galaxy at z ~ 0.3-0.7."""
    return rng.uniform(1.5, 2.1), rng.uniform(0.7, 1.1), rng.uniform(0.3, 0.5)


def _blue_colours(rng: np.random.Generator) -> tuple[float, float, float]:
    """Colours of a star-forming galaxy (a typical lensed source)."""
    return rng.uniform(-0.1, 0.5), rng.uniform(-0.1, 0.4), rng.uniform(-0.1, 0.3)


def _disk_colours(rng: np.random.Generator) -> tuple[float, float, float]:
    return rng.uniform(0.4, 0.9), rng.uniform(0.2, 0.5), rng.uniform(0.1, 0.3)


def _power_law_magnitude(rng: np.random.Generator, low: float, high: float, slope: float) -> float:
    """Magnitude with number counts ``dN/dm ~ 10**(slope * m)`` on ``[low, high]``."""
    a, b = 10.0 ** (slope * low), 10.0 ** (slope * high)
    return math.log10(a + rng.uniform() * (b - a)) / slope


# ----------------------------------------------------------------------------- objects


def _elliptical(
    rng: np.random.Generator, settings: Settings, r_mag: float, x0: float, y0: float
) -> list[_Galaxy]:
    """Draw an early-type galaxy whose size follows its brightness.

    A de Vaucouleurs-like body, and for half of them a faint extended
    envelope of the same colour (the diffuse halo of group galaxies).
    """
    r_eff = 10.0 ** (math.log10(2.5) - 0.2 * (r_mag - 19.0) + rng.normal(0.0, 0.12))
    r_eff = float(np.clip(r_eff, 0.5, 8.0))
    q, phi = rng.uniform(0.6, 1.0), rng.uniform(0.0, math.pi)
    colours = _red_colours(rng)
    envelope_fraction = rng.uniform(0.2, 0.5) if rng.uniform() < 0.5 else 0.0
    body_mag = r_mag - 2.5 * math.log10(1.0 - envelope_fraction)
    parts = [_Galaxy(Sersic(x0, y0, r_eff=r_eff, n=rng.uniform(3.0, 5.0), q=q, phi=phi),
                     _magnitudes(body_mag, colours, settings.bands))]
    if envelope_fraction > 0:
        envelope = Sersic(x0, y0, r_eff=min(r_eff * rng.uniform(3.0, 6.0), 20.0),
                          n=rng.uniform(1.0, 2.0), q=min(q + 0.1, 1.0), phi=phi)
        envelope_mag = r_mag - 2.5 * math.log10(envelope_fraction)
        parts.append(_Galaxy(envelope, _magnitudes(envelope_mag, colours, settings.bands)))
    return parts


def _disk(
    rng: np.random.Generator, settings: Settings, r_mag: float, x0: float, y0: float
) -> list[_Galaxy]:
    """Draw an inclined exponential disk with an optional small red bulge."""
    r_eff = 10.0 ** (math.log10(2.0) - 0.2 * (r_mag - 19.0) + rng.normal(0.0, 0.12))
    r_eff = float(np.clip(r_eff, 0.5, 6.0))
    cos_i = rng.uniform()
    q = math.sqrt(cos_i**2 + 0.15**2 * (1.0 - cos_i**2))  # intrinsic thickness 0.15
    phi = rng.uniform(0.0, math.pi)
    bulge_fraction = rng.uniform(0.0, 0.4)
    disk_mag = r_mag - 2.5 * math.log10(1.0 - bulge_fraction)
    parts = [_Galaxy(Sersic(x0, y0, r_eff=r_eff, n=1.0, q=max(q, 0.15), phi=phi),
                     _magnitudes(disk_mag, _disk_colours(rng), settings.bands))]
    if bulge_fraction > 0.02:
        bulge_mag = r_mag - 2.5 * math.log10(bulge_fraction)
        bulge = Sersic(x0, y0, r_eff=max(0.25 * r_eff, 0.15), n=4.0, q=rng.uniform(0.7, 1.0),
                       phi=phi)
        parts.append(_Galaxy(bulge, _magnitudes(bulge_mag, _red_colours(rng), settings.bands)))
    return parts


def _blue_blob(
    rng: np.random.Generator, settings: Settings, r_mag: float, x0: float, y0: float,
    r_eff_range: tuple[float, float] = (0.1, 0.5),
) -> _Galaxy:
    """Draw a compact star-forming galaxy (a source, or an unlensed blue companion)."""
    r_eff = math.exp(rng.uniform(math.log(r_eff_range[0]), math.log(r_eff_range[1])))
    shape = Sersic(x0, y0, r_eff=r_eff, n=rng.uniform(0.5, 1.5), q=rng.uniform(0.4, 1.0),
                   phi=rng.uniform(0.0, math.pi))
    return _Galaxy(shape, _magnitudes(r_mag, _blue_colours(rng), settings.bands))


def _field(rng: np.random.Generator, settings: Settings, half_width: float) -> list:
    """Unrelated stars and galaxies spread uniformly over the (padded) field."""
    area = (2.0 * half_width) ** 2 / _ARCMIN2
    objects: list = []
    for _ in range(rng.poisson(settings.field_density * area)):
        x0, y0 = rng.uniform(-half_width, half_width, size=2)
        if rng.uniform() < 0.25:
            r_mag = _power_law_magnitude(rng, 17.5, 24.0, 0.15)
            colours = (rng.uniform(0.3, 1.6), rng.uniform(0.1, 0.8), rng.uniform(0.0, 0.4))
            objects.append(_Star(x0, y0, _magnitudes(r_mag, colours, settings.bands)))
            continue
        r_mag = _power_law_magnitude(rng, 18.5, 24.5, 0.35)
        r_eff = 10.0 ** (math.log10(0.8) - 0.15 * (r_mag - 21.0) + rng.normal(0.0, 0.15))
        shape = Sersic(x0, y0, r_eff=float(np.clip(r_eff, 0.1, 3.0)), n=rng.uniform(0.5, 4.0),
                       q=rng.uniform(0.3, 1.0), phi=rng.uniform(0.0, math.pi))
        if rng.uniform() < 0.4:
            colours = (rng.uniform(1.0, 1.8), rng.uniform(0.4, 0.9), rng.uniform(0.2, 0.5))
        else:
            colours = (rng.uniform(0.1, 0.8), rng.uniform(0.0, 0.5), rng.uniform(0.0, 0.3))
        objects.append(_Galaxy(shape, _magnitudes(r_mag, colours, settings.bands)))
    return objects


def _polar(rng: np.random.Generator, radius: float) -> tuple[float, float]:
    angle = rng.uniform(0.0, 2.0 * math.pi)
    return radius * math.cos(angle), radius * math.sin(angle)


# ----------------------------------------------------------------------------- scenes


def _margin_pixels(settings: Settings) -> int:
    """Return the padding around the image: the PSF's reach, so outside light spills in.

    It is at least the PSF kernel's half-size, which also makes the circular FFT
    convolution exact inside the image, and rounded up so that the padded side
    is a fast FFT length.
    """
    fwhm_px = np.max(settings.psf_fwhm) / settings.pixel_scale
    margin = int(math.ceil(PSF_RADIUS_FWHM * fwhm_px))
    side = settings.image_size + 2 * margin
    while fft.next_fast_len(side, real=True) != side:
        side += 2
    return (side - settings.image_size) // 2


def _field_half_width(settings: Settings) -> float:
    """Return the half-width (arcsec) of the square where field objects are placed.

    It reaches past the image by the padding of :func:`_margin_pixels` but at
    least ``_FIELD_BORDER`` arcsec, so that the scene drawn for a seed does not
    depend on the bands or the PSF (objects off the padded canvas are skipped).
    """
    margin = _margin_pixels(settings) * settings.pixel_scale
    return settings.image_size * settings.pixel_scale / 2.0 + max(margin, _FIELD_BORDER)


@functools.lru_cache(maxsize=16)
def _psf_transforms(kind: str, fwhm_px: tuple[float, ...], side: int) -> np.ndarray:
    """Return the FFTs of the per-band PSF kernels for a square canvas of ``side`` pixels."""
    radius = max(math.ceil(PSF_RADIUS_FWHM * f) for f in fwhm_px)
    return np.stack([
        kernel_transform(psf_kernel(kind, f, beta=_MOFFAT_BETA, radius=radius), (side, side))
        for f in fwhm_px
    ])


def child_seed(seed: np.random.SeedSequence, key: int) -> np.random.SeedSequence:
    """Return the ``key``-th child of ``seed``, the same on every call (unlike ``spawn``).

    Key 0 seeds the drawing of a scene's parameters, keys 1-3 its noise.
    """
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))


def _nan_info() -> dict:
    return {
        "einstein_radius": math.nan, "source_x": math.nan, "source_y": math.nan,
        "source_magnitude": math.nan, "source_r_eff": math.nan, "mass_q": math.nan,
        "shear": math.nan, "magnification": math.nan, "companion_separation": math.nan,
    }


def draw_scene(kind: str, rng: np.random.Generator, settings: Settings) -> Scene:
    """Draw the parameters of one image of the given kind.

    Parameters
    ----------
    kind : str
        "lens" or one of ``NEGATIVE_KINDS``.
    rng : numpy.random.Generator
        Source of randomness.
    settings : Settings
        Simulation settings.

    Returns
    -------
    scene : Scene
    """
    scene = Scene(kind)
    info = _nan_info()
    jitter = 0.5 * settings.pixel_scale
    x0, y0 = rng.uniform(-jitter, jitter, size=2)
    r_mag = rng.uniform(*settings.lens_magnitude)

    if kind == "disk":
        scene.components.extend(_disk(rng, settings, r_mag, x0, y0))
    else:
        central, *envelope = _elliptical(rng, settings, r_mag, x0, y0)
        scene.components.extend([central, *envelope])
        if kind == "lens":
            theta_e = rng.uniform(*settings.einstein_radius)
            light = central.shape
            shear, shear_angle = rng.uniform(0.0, 0.08), rng.uniform(0.0, math.pi)
            scene.lens = LensModel(
                theta_e=theta_e,
                q=float(np.clip(light.q + rng.normal(0.0, 0.1), 0.5, 1.0)),
                phi=light.phi + rng.normal(0.0, math.radians(10.0)),
                gamma1=shear * math.cos(2.0 * shear_angle),
                gamma2=shear * math.sin(2.0 * shear_angle),
                x0=x0, y0=y0,
            )
            # source inside ~0.6 theta_E: multiple images, arcs or a ring
            bx, by = _polar(rng, 0.6 * theta_e * math.sqrt(rng.uniform()))
            source_mag = rng.uniform(*settings.source_magnitude)
            scene.source = _blue_blob(rng, settings, source_mag, x0 + bx, y0 + by)
            info.update(einstein_radius=theta_e, source_x=bx, source_y=by,
                        source_magnitude=source_mag, source_r_eff=scene.source.shape.r_eff,
                        mass_q=scene.lens.q, shear=shear)
        elif kind == "pair":
            separation = rng.uniform(1.5, 4.0)
            sx, sy = _polar(rng, separation)
            second_mag = r_mag + rng.uniform(0.0, 2.0)
            if rng.uniform() < 0.6:
                scene.components.extend(_elliptical(rng, settings, second_mag, x0 + sx, y0 + sy))
            else:
                scene.components.extend(_disk(rng, settings, second_mag, x0 + sx, y0 + sy))
            info.update(companion_separation=separation)
        elif kind == "companion":
            n_blobs = 1 if rng.uniform() < 0.7 else 2
            separations = []
            for _ in range(n_blobs):
                separation = rng.uniform(*settings.einstein_radius) * rng.uniform(0.8, 1.3)
                sx, sy = _polar(rng, separation)
                blob_mag = rng.uniform(*settings.source_magnitude) - rng.uniform(1.0, 2.5)
                scene.components.append(
                    _blue_blob(rng, settings, blob_mag, x0 + sx, y0 + sy, (0.15, 0.6)))
                separations.append(separation)
            info.update(companion_separation=min(separations))
        elif kind != "elliptical":
            raise ValueError(f"Unknown kind of object {kind!r}.")

    field_objects = _field(rng, settings, _field_half_width(settings))
    scene.components.extend(field_objects)
    residual = rng.uniform(*settings.background_residual)
    scene.background = residual * np.sqrt(
        sky_variance(settings.sky_level, settings.gain, settings.read_noise))
    info.update(central_magnitude=r_mag, central_r_eff=scene.components[0].shape.r_eff,
                n_field=len(field_objects), background_residual=residual)
    scene.info = info
    return scene


def _fluxes(magnitudes: np.ndarray, zero_point: float) -> np.ndarray:
    return 10.0 ** (-0.4 * (magnitudes - zero_point))


def render_scene(
    scene: Scene,
    settings: Settings,
    seed: np.random.SeedSequence | None = None,
    *,
    include_source: bool = True,
    psf: bool = True,
) -> np.ndarray:
    """Render a scene to an image.

    Parameters
    ----------
    scene : Scene
        What to draw.
    settings : Settings
        Pixel scale, PSF, noise and sampling settings.
    seed : numpy.random.SeedSequence, optional
        Seeds the noise; required when ``settings.noise`` is true.
    include_source : bool, default=True
        Draw the lensed source (False gives the scene's no-source twin, with
        identical noise wherever the source has no light).
    psf : bool, default=True
        Convolve with the PSF (False: the pixel-sampled sky, for tests).

    Returns
    -------
    image : ndarray of shape (image_size, image_size, n_bands), float32
        Background-subtracted counts. ``scene.info["magnification"]`` is set for
        lens systems.
    """
    n_bands = len(settings.bands)
    margin = _margin_pixels(settings)
    side = settings.image_size + 2 * margin
    canvas = Canvas(side, side, settings.pixel_scale)
    model = np.zeros((n_bands, side, side))
    for component in scene.components:
        flux = _fluxes(component.magnitudes, settings.zero_point)
        if isinstance(component, _Star):
            add_point(model, canvas, component.x0, component.y0, flux)
            continue
        rendered = render_sersic(canvas, component.shape, oversample=1)
        if rendered is not None:
            (rows, cols), stamp = rendered
            model[:, rows, cols] += flux[:, None, None] * stamp

    source = None
    if scene.lens is not None and scene.source is not None:
        rendered = render_lensed_sersic(canvas, scene.lens, scene.source.shape,
                                        oversample=settings.oversample)
        magnification = 0.0
        if rendered is not None:
            (rows, cols), stamp = rendered
            magnification = float(stamp.sum())
            if include_source:
                flux = _fluxes(scene.source.magnitudes, settings.zero_point)
                source = np.zeros_like(model)
                source[:, rows, cols] = flux[:, None, None] * stamp
        scene.info["magnification"] = magnification

    if psf:
        fwhm_px = tuple(float(f) for f in settings.psf_fwhm / settings.pixel_scale)
        transforms = _psf_transforms(settings.psf, fwhm_px, side)
        if source is None:
            model = convolve(model, transforms)
        else:
            both = convolve(np.concatenate([model, source]),
                            np.concatenate([transforms, transforms]))
            model, source = both[:n_bands], both[n_bands:]
    crop = (slice(None), slice(margin, margin + settings.image_size),
            slice(margin, margin + settings.image_size))
    model = model[crop]
    source = None if source is None else source[crop]

    if settings.noise:
        if seed is None:
            raise ValueError("A seed is required to draw noise.")
        rngs = tuple(np.random.default_rng(child_seed(seed, k)) for k in (1, 2, 3))
        image = observe(model, source, sky_level=settings.sky_level, gain=settings.gain,
                        read_noise=settings.read_noise, rngs=rngs)
    else:
        image = model if source is None else model + source
    if scene.background is not None:
        image = image + scene.background[:, None, None]
    return np.ascontiguousarray(image.transpose(1, 2, 0), dtype=np.float32)
