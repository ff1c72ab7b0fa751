"""Simulated multi-band images of strong gravitational lenses and other galaxies.

:func:`make_lenses` returns a labelled image set shaped like real survey
cutouts of lens candidates: background-subtracted but not normalized counts in
the g, r and i bands (by default), with lens systems (label 1) among isolated
ellipticals, disks, close pairs and ellipticals with blue companions (label 0).
Only numpy and scipy are used; nothing is downloaded.

The physical model (lens equation, SIE mass with external shear, Sersic light,
PSF, noise) and its limits are described in the user guide page "Simulated
lens data sets".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from skbia.datasets._scenes import (
    KNOWN_BANDS,
    NEGATIVE_KINDS,
    Settings,
    child_seed,
    draw_scene,
    render_scene,
)
from skbia.utils import check_count, is_real, seed_sequence

__all__ = ["DEFAULT_OTHER_MIX", "METADATA_FIELDS", "make_lenses"]

DEFAULT_OTHER_MIX: Mapping[str, float] = MappingProxyType(
    {"elliptical": 0.4, "disk": 0.2, "pair": 0.15, "companion": 0.25}
)
"""Default proportions of the kinds of negative images (label 0): 0.4 "elliptical",
0.2 "disk", 0.15 "pair" and 0.25 "companion"."""

# per-band defaults (arcsec FWHM, sky counts per pixel)
_PSF_FWHM = {"g": 1.5, "r": 1.55, "i": 1.2, "z": 1.15}
_SKY_LEVEL = {"g": 2.0, "r": 4.0, "i": 6.5, "z": 9.0}
_MIN_IMAGE_SIZE = 16

METADATA_FIELDS: tuple[str, ...] = (
    "kind", "label", "einstein_radius", "source_x", "source_y", "source_magnitude",
    "source_r_eff", "magnification", "mass_q", "shear", "central_magnitude", "central_r_eff",
    "companion_separation", "n_field", "background_residual",
)
"""Keys of the metadata dictionary returned with ``return_metadata=True``."""


def make_lenses(
    n_lenses: int = 20,
    n_others: int = 500,
    *,
    image_size: int = 100,
    pixel_scale: float = 0.263,
    bands: Sequence[str] = ("g", "r", "i"),
    einstein_radius: float | tuple[float, float] = (1.0, 3.0),
    source_magnitude: float | tuple[float, float] = (21.0, 23.5),
    lens_magnitude: float | tuple[float, float] = (17.5, 22.0),
    other_mix: Mapping[str, float] | None = None,
    psf: str = "moffat",
    psf_fwhm: float | Sequence[float] | None = None,
    sky_level: float | Sequence[float] | None = None,
    gain: float | Sequence[float] = 30.0,
    read_noise: float | Sequence[float] = 5.0,
    zero_point: float = 30.0,
    field_density: float = 40.0,
    background_residual: float | tuple[float, float] = (0.0, 1.2),
    oversample: int = 4,
    noise: bool = True,
    shuffle: bool = True,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
    return_metadata: bool = False,
):
    """Simulate multi-band images of strong-lens systems and other objects.

    Each lens system is a red elliptical galaxy (Sersic light) whose singular
    isothermal ellipsoid mass with external shear bends the light of a bluer
    background Sersic galaxy into arcs, multiple images or a ring (ray traced
    through the lens equation with sub-pixel sampling). Every image also holds
    unrelated field stars and galaxies, is convolved with a per-band PSF and
    gets sky, photon and read noise; the sky level is then subtracted. Values
    are counts, not normalized.

    Parameters
    ----------
    n_lenses : int, default=20
        Number of lens systems (label 1).
    n_others : int, default=500
        Number of other objects (label 0), split between the kinds of
        ``other_mix``.
    image_size : int, default=100
        Height and width of the images in pixels (at least 16).
    pixel_scale : float, default=0.263
        Arcsec per pixel.
    bands : sequence of str, default=("g", "r", "i")
        Bands, in the order of the last axis of ``X``; any of "g", "r", "i", "z".
    einstein_radius : float or (float, float), default=(1.0, 3.0)
        Einstein radius of the lenses in arcsec, drawn uniformly from
        ``(min, max)`` (a single number fixes it). Smaller radii put the arcs
        inside the glare of the lens galaxy: a harder problem.
    source_magnitude : float or (float, float), default=(21.0, 23.5)
        Unlensed r-band magnitude of the background sources, uniform in
        ``(min, max)``. Fainter sources (larger magnitudes) make a harder
        problem; lensing brightens them by the magnification (typically 3-20).
    lens_magnitude : float or (float, float), default=(17.5, 22.0)
        r-band magnitude of the central galaxy of every image (lens galaxy,
        elliptical, disk, or the brighter member of a pair), uniform in
        ``(min, max)``.
    other_mix : mapping of str to float, optional
        Relative numbers of the kinds of other objects: "elliptical" (the lens
        galaxies without a source), "disk" (inclined exponential disks with a
        small bulge), "pair" (an elliptical with a close neighbour galaxy) and
        "companion" (an elliptical with one or two unlensed blue galaxies at
        arc-like distances). Missing kinds get 0. Default
        :data:`DEFAULT_OTHER_MIX`. Counts are apportioned exactly (largest
        remainders), not drawn at random.
    psf : {"moffat", "gaussian"}, default="moffat"
        PSF profile (the Moffat one has exponent beta = 3.5).
    psf_fwhm : float or sequence of float, optional
        PSF FWHM in arcsec, one for all bands or one per band. Default 1.5,
        1.55, 1.2, 1.15 arcsec for g, r, i, z (the seeing of the example
        lens candidates of pyBIA's tutorial).
    sky_level : float or sequence of float, optional
        Sky counts per pixel before subtraction (sets the background noise),
        one for all bands or one per band. Default 2.0, 4.0, 6.5, 9.0 for g,
        r, i, z.
    gain : float or sequence of float, default=30.0
        Electrons per count (photon noise: a pixel with ``c`` expected counts
        has variance ``c / gain``).
    read_noise : float or sequence of float, default=5.0
        Read noise in electrons per pixel.
    zero_point : float, default=30.0
        Magnitude of a source giving one count: ``counts = 10**(-0.4 (m - zero_point))``.
    field_density : float, default=40.0
        Mean number of unrelated stars and galaxies per square arcminute.
    background_residual : float or (float, float), default=(0.0, 1.2)
        Residual of imperfect sky subtraction: a constant added to each image,
        uniform in ``(min, max)`` times each band's sky noise (so real-like
        cutouts have slightly positive empty sky). ``0`` subtracts the sky exactly.
    oversample : int, default=4
        Ray-traced samples per pixel along each axis (at least 1; smaller
        sources get up to 8).
    noise : bool, default=True
        Add sky, photon and read noise. False returns the expected counts.
    shuffle : bool, default=True
        Shuffle the images. If False, lenses come first, then the other kinds
        in the order of ``other_mix``.
    random_state : int, numpy Generator, RandomState or None, default=None
        Seed for reproducible output. A Generator or RandomState is advanced.
    return_metadata : bool, default=False
        Also return the metadata of every image.

    Returns
    -------
    X : ndarray of shape (n_lenses + n_others, image_size, image_size, len(bands)), float32
        Background-subtracted images in counts.
    y : ndarray of shape (n_lenses + n_others,), int
        1 for lens systems, 0 for others.
    metadata : dict of str to ndarray, only if ``return_metadata``
        One array of length ``n_lenses + n_others`` per key of
        :data:`METADATA_FIELDS` (a ``pandas.DataFrame(metadata)`` is a
        table): "kind" (str), "label", "einstein_radius" (arcsec),
        "source_x" and "source_y" (unlensed source position relative to the
        lens centre, arcsec), "source_magnitude" (unlensed, r band),
        "source_r_eff" (arcsec), "magnification" (lensed over unlensed
        source flux), "mass_q" (SIE axis ratio), "shear" (external shear),
        "central_magnitude" (r band) and "central_r_eff" (arcsec) of the
        central galaxy, "companion_separation" (arcsec, pairs and companions;
        the nearest blob), "n_field" (number of field objects),
        "background_residual" (in units of the sky noise). Values that do
        not apply to a kind are NaN.

    Raises
    ------
    ValueError
        Negative or non-integer counts, no images at all, image_size below 16,
        inverted or non-positive ranges, ``bands`` that is not a sequence of
        known band names, ``other_mix`` that is not a mapping of known kinds,
        an unknown PSF, or a per-band value of the wrong length.

    Examples
    --------
    >>> from skbia.datasets import make_lenses
    >>> X, y = make_lenses(n_lenses=4, n_others=12, image_size=32, random_state=0)
    >>> X.shape, X.dtype, int(y.sum())
    ((16, 32, 32, 3), dtype('float32'), 4)
    """
    n_lenses = check_count("n_lenses", n_lenses)
    n_others = check_count("n_others", n_others)
    if n_lenses + n_others == 0:
        raise ValueError("n_lenses + n_others must be at least 1; both are 0.")
    for name, flag in (("noise", noise), ("shuffle", shuffle), ("return_metadata",
                                                                 return_metadata)):
        if not isinstance(flag, bool | np.bool_):
            raise ValueError(f"{name} must be True or False; got {flag!r}.")
    settings = _settings(
        image_size=image_size, pixel_scale=pixel_scale, bands=bands,
        einstein_radius=einstein_radius, source_magnitude=source_magnitude,
        lens_magnitude=lens_magnitude, psf=psf, psf_fwhm=psf_fwhm, sky_level=sky_level,
        gain=gain, read_noise=read_noise, zero_point=zero_point, field_density=field_density,
        background_residual=background_residual, oversample=oversample, noise=noise,
    )
    kinds = ["lens"] * n_lenses + _apportion(n_others, _check_mix(other_mix))
    root = seed_sequence(random_state)

    n_images = len(kinds)
    X = np.empty((n_images, settings.image_size, settings.image_size, len(settings.bands)),
                 dtype=np.float32)
    infos = []
    for index, kind in enumerate(kinds):
        seed = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 0, index))
        scene = draw_scene(kind, np.random.default_rng(child_seed(seed, 0)), settings)
        X[index] = render_scene(scene, settings, seed)
        infos.append(scene.info)
    y = np.array([kind == "lens" for kind in kinds], dtype=np.int64)

    order = np.arange(n_images)
    if shuffle:
        shuffle_seed = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1))
        order = np.random.default_rng(shuffle_seed).permutation(n_images)
        X, y = X[order], y[order]
    if not return_metadata:
        return X, y
    metadata = {"kind": np.array(kinds)[order], "label": y.copy()}
    for key in METADATA_FIELDS[2:]:
        dtype = np.int64 if key == "n_field" else float
        metadata[key] = np.array([infos[i][key] for i in order], dtype=dtype)
    return X, y, metadata


# ----------------------------------------------------------------------------- validation


def _check_number(name: str, value, *, minimum: float | None = None,
                  strict: bool = False) -> float:
    if not is_real(value):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}.")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}; got {value}.")
    return value


def _check_range(name: str, value, *, minimum: float | None = None,
                 strict: bool = False) -> tuple[float, float]:
    """Return a (low, high) range from a number or a pair, with low <= high."""
    if is_real(value):
        low = high = value
    else:
        try:
            low, high = value
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be a number or a (min, max) pair; got {value!r}.") from None
    low = _check_number(f"{name} min", low, minimum=minimum, strict=strict)
    high = _check_number(f"{name} max", high, minimum=minimum, strict=strict)
    if low > high:
        raise ValueError(f"{name} must be (min, max) with min <= max; got ({low}, {high}).")
    return low, high


def _check_bands(bands) -> tuple[str, ...]:
    if isinstance(bands, str):
        raise ValueError(
            f"bands must be a sequence of band names such as ('g', 'r', 'i'); got the "
            f"string {bands!r}.")
    if not isinstance(bands, Sequence | np.ndarray):
        raise ValueError(
            f"bands must be a sequence of band names such as ('g', 'r', 'i'); got {bands!r}.")
    bands = tuple(bands)
    if not bands:
        raise ValueError("bands must name at least one band.")
    unknown = [b for b in bands if b not in KNOWN_BANDS]
    if unknown:
        raise ValueError(f"Unknown band(s) {unknown}; choose from {list(KNOWN_BANDS)}.")
    if len(set(bands)) != len(bands):
        raise ValueError(f"bands must not repeat a band; got {bands}.")
    return bands


def _per_band(name: str, value, bands: tuple[str, ...], default: Mapping[str, float] | None,
              *, minimum: float, strict: bool) -> np.ndarray:
    if value is None:
        value = [default[b] for b in bands]
    if is_real(value):
        value = [value] * len(bands)
    values = list(value) if isinstance(value, Sequence | np.ndarray) else None
    if values is None or len(values) != len(bands):
        raise ValueError(
            f"{name} must be a number or one value per band ({len(bands)} for {bands}); "
            f"got {value!r}.")
    return np.array([_check_number(f"{name} ({band})", v, minimum=minimum, strict=strict)
                     for band, v in zip(bands, values, strict=True)])


def _settings(*, image_size, pixel_scale, bands, einstein_radius, source_magnitude,
              lens_magnitude, psf, psf_fwhm, sky_level, gain, read_noise, zero_point,
              field_density, background_residual, oversample, noise) -> Settings:
    size = check_count("image_size", image_size)
    if size < _MIN_IMAGE_SIZE:
        raise ValueError(f"image_size must be at least {_MIN_IMAGE_SIZE} pixels; got {size}.")
    oversample = check_count("oversample", oversample)
    if oversample < 1:
        raise ValueError(f"oversample must be at least 1; got {oversample}.")
    if psf not in ("moffat", "gaussian"):
        raise ValueError(f"psf must be 'moffat' or 'gaussian'; got {psf!r}.")
    bands = _check_bands(bands)
    return Settings(
        image_size=size,
        pixel_scale=_check_number("pixel_scale", pixel_scale, minimum=0, strict=True),
        bands=bands,
        einstein_radius=_check_range("einstein_radius", einstein_radius, minimum=0,
                                     strict=True),
        source_magnitude=_check_range("source_magnitude", source_magnitude),
        lens_magnitude=_check_range("lens_magnitude", lens_magnitude),
        psf=psf,
        psf_fwhm=_per_band("psf_fwhm", psf_fwhm, bands, _PSF_FWHM, minimum=0, strict=True),
        zero_point=_check_number("zero_point", zero_point),
        sky_level=_per_band("sky_level", sky_level, bands, _SKY_LEVEL, minimum=0,
                            strict=False),
        gain=_per_band("gain", gain, bands, None, minimum=0, strict=True),
        read_noise=_per_band("read_noise", read_noise, bands, None, minimum=0, strict=False),
        field_density=_check_number("field_density", field_density, minimum=0),
        background_residual=_check_range("background_residual", background_residual),
        oversample=oversample,
        noise=bool(noise),
    )


def _check_mix(other_mix) -> dict[str, float]:
    if other_mix is not None and not isinstance(other_mix, Mapping):
        raise ValueError(
            "other_mix must be a mapping of kind -> proportion such as {'elliptical': 0.6, "
            f"'disk': 0.4}}; got {other_mix!r}.")
    mix = dict(DEFAULT_OTHER_MIX if other_mix is None else other_mix)
    unknown = [kind for kind in mix if kind not in NEGATIVE_KINDS]
    if unknown:
        raise ValueError(
            f"Unknown kind(s) of other objects {unknown} in other_mix; choose from "
            f"{list(NEGATIVE_KINDS)}.")
    weights = {kind: _check_number(f"other_mix[{kind!r}]", w, minimum=0)
               for kind, w in mix.items()}
    if sum(weights.values()) <= 0:
        raise ValueError(f"other_mix needs at least one positive proportion; got {mix}.")
    return weights


def _apportion(total: int, weights: Mapping[str, float]) -> list[str]:
    """Split ``total`` between kinds in proportion to ``weights`` (largest remainders)."""
    kinds = list(weights)
    shares = np.array([weights[k] for k in kinds], dtype=float)
    shares = total * shares / shares.sum()
    counts = np.floor(shares).astype(int)
    remainder = total - counts.sum()
    # ties go to the kind listed first (stable sort)
    counts[np.argsort(-(shares - counts), kind="stable")[:remainder]] += 1
    return [kind for kind, count in zip(kinds, counts, strict=True) for _ in range(count)]
