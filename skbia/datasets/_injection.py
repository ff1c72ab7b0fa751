"""Synthetic strong lenses painted into real cutouts: :func:`inject_lenses`.

For each host image a background source (an elliptical Sersic galaxy with
optional compact clumps) is lensed by a singular isothermal ellipsoid with
external shear centred on the host's light, ray traced with sub-pixel
sampling, convolved with each band's PSF, optionally given photon noise, and
added to a copy of the host. Draws whose lensed source would not be
detectable are redrawn. The physics is that of :func:`skbia.datasets.make_lenses`
(``_lensing``, ``_light``); the settings are checked in ``_injection_params``,
one draw is made and measured in ``_injection_render``, and hosts are measured
and selected in ``_hosts``. The user guide page "Injecting lenses into real
images" describes the model and its limits.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from skbia.datasets._hosts import central_light
from skbia.datasets._injection_params import (
    InjectionSettings,
    check_centers,
    check_hosts,
    check_settings,
)
from skbia.datasets._injection_render import add_photon_noise, arc_to_lens_ratio, draw, render
from skbia.datasets._scenes import child_seed
from skbia.utils import estimate_background_noise, is_integer, seed_sequence

__all__ = ["INJECTION_METADATA_FIELDS", "inject_lenses"]

INJECTION_METADATA_FIELDS: tuple[str, ...] = (
    "host_index", "einstein_radius", "source_magnitude", "magnification", "source_snr",
    "arc_to_lens_flux_ratio", "center", "attempts", "source_x", "source_y", "source_r_eff",
    "n_clumps", "mass_q", "mass_angle", "shear",
)
"""Per-image keys of the metadata of :func:`inject_lenses` (``return_metadata=True``);
the dictionary also holds ``"rejected_fraction"``, ``"rejections"`` and ``"failed_hosts"``."""

#: A warning is given when more than this fraction of all draws fails the quality cut.
WARN_REJECTED_FRACTION = 0.5
_NOISE_BORDER = 10  # pixels of the border used for the host noise (at most a quarter side)


def inject_lenses(
    hosts,
    *,
    pixel_scale: float,
    zero_point: float | Sequence[float],
    psf_fwhm: float | Sequence[float] | None,
    psf: str = "moffat",
    psf_beta: float = 3.5,
    psf_kernels=None,
    einstein_radius: float | tuple[float, float] = (1.0, 3.0),
    source_magnitude: float | tuple[float, float] = (21.0, 23.5),
    source_colors: Sequence | None = None,
    source_r_eff: float | tuple[float, float] = (0.1, 0.5),
    source_sersic_index: float | tuple[float, float] = (0.5, 1.5),
    source_axis_ratio: float | tuple[float, float] = (0.4, 1.0),
    source_offset: float | tuple[float, float] = (0.0, 0.6),
    n_clumps: int | tuple[int, int] = (0, 3),
    mass_axis_ratio: float | tuple[float, float] = (0.5, 1.0),
    shear: float | tuple[float, float] = (0.0, 0.08),
    center=None,
    gain: float | Sequence[float] | None = None,
    min_snr: float = 20.0,
    min_magnification: float = 3.0,
    min_arc_separation: float = 0.5,
    max_attempts: int = 20,
    oversample: int = 4,
    n_jobs: int | None = None,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
    return_metadata: bool = False,
):
    """Paint ray-traced strong-lens arcs into real cutouts.

    Each host gets one background galaxy lensed by a singular isothermal
    ellipsoid (SIE) with external shear centred on the host's light, so that
    the host's central galaxy plays the lens. The lensed light is rendered
    with sub-pixel ray tracing, convolved with each band's PSF and added to a
    copy of the host (the host array is never modified). A draw whose source
    is not detectable (see the quality cut below) is redrawn.

    Parameters
    ----------
    hosts : array-like of shape (n, H, W, C)
        Background-subtracted cutouts in the user's flux units (counts, nJy,
        ...), bands in the last axis, ordered from short to long wavelength
        when the default ``source_colors`` are used. A single ``(H, W, C)``
        image is rejected (add a leading axis).
    pixel_scale : float
        Arcsec per pixel.
    zero_point : float or sequence of float
        Magnitude zero point per band (one value for all bands): the AB
        magnitude that gives 1 flux unit, so ``flux = 10**(-0.4 * (m - zero_point))``.
    psf_fwhm : float, sequence of float or None
        PSF full width at half maximum per band, arcsec (one value for all
        bands). May be None with ``psf_kernels``: it is then measured on the
        kernels (the diameter of the disc as large as the part above half
        maximum); it sets the arc-separation cut.
    psf : {"moffat", "gaussian"}, default="moffat"
        Analytic PSF profile (ignored with ``psf_kernels``).
    psf_beta : float, default=3.5
        Exponent of the Moffat profile ``(1 + (r/alpha)**2)**-beta``, > 1.
    psf_kernels : ndarray of shape (k, k, C), or sequence of C 2-d arrays, optional
        Pixel images of the PSF per band (e.g. from the survey's PSF model),
        square with an odd side, centred on the middle pixel, at the hosts'
        pixel scale; each is normalised to unit sum.
    einstein_radius : float or (float, float), default=(1.0, 3.0)
        Einstein radius in arcsec, uniform in ``(min, max)``. At most half the
        smaller stamp side.
    source_magnitude : float or (float, float), default=(21.0, 23.5)
        Unlensed AB magnitude of the source (all its light, clumps included),
        uniform in ``(min, max)``, in the band whose colour is 0 (r with the
        default colours). ``numpy.inf`` injects a source without flux (a null
        test).
    source_colors : sequence of C (float, float) ranges or numbers, optional
        Per band, the range of ``m_band - source_magnitude``, drawn uniformly
        and independently. Default: the blue star-forming colours of
        :func:`~skbia.datasets.make_lenses`'s sources (g-r in [-0.1, 0.5], r-i
        in [-0.1, 0.4], i-z in [-0.1, 0.3]) for hosts in g, r, i (3 bands),
        g, r, i, z (4) or r (1); other numbers of bands need it.
    source_r_eff : float or (float, float), default=(0.1, 0.5)
        Half-light radius of the source along its major axis, arcsec,
        log-uniform in ``(min, max)``.
    source_sersic_index : float or (float, float), default=(0.5, 1.5)
        Sersic index of the source, uniform, within [0.2, 10].
    source_axis_ratio : float or (float, float), default=(0.4, 1.0)
        Axis ratio of the source, uniform, in (0, 1].
    source_offset : float or (float, float), default=(0.0, 0.6)
        Distance of the source centre from the lens centre in units of the
        Einstein radius, drawn uniformly over the annulus (``< 1``: multiply
        imaged for a round lens).
    n_clumps : int or (int, int), default=(0, 3)
        Number of compact star-forming clumps (Sersic index 0.5, half-light
        radius 0.03-0.08 arcsec, each 5-15% of the source's light, scattered
        around the source centre by its half-light radius), uniform integers
        in ``[min, max]``. They share the source's colours.
    mass_axis_ratio : float or (float, float), default=(0.5, 1.0)
        Axis ratio ``q`` of the SIE mass, uniform, in (0, 1] (1: an SIS). Its
        major axis follows the host light's (from its second moments) within
        10 degrees (Gaussian scatter).
    shear : float or (float, float), default=(0.0, 0.08)
        External shear strength, uniform (in [0, 0.5]), random direction.
    center : (float, float) or array of shape (n, 2), optional
        Lens centre in pixels ``(row, col)``, one for all hosts or one per
        host. Default: the flux-weighted centroid of the summed bands inside
        the central disc of radius 15% of the smaller side (at least 3
        pixels), re-centred once; negative pixels get no weight.
    gain : float, sequence of float or None, default=None
        Electrons per flux unit per band. If given, the source's photons get
        Poisson noise, ``Poisson(gain * S) / gain`` (the host already has
        its own noise); None adds the expected flux without noise.
    min_snr : float, default=20.0
        Quality cut: the source's signal-to-noise ratio must reach this in at
        least one band. The S/N of band ``b`` is the optimal (matched-filter)
        one of the convolved source ``S``,
        ``sqrt(sum_i S_i**2 / (sigma_b**2 + S_i / gain_b))``, where
        ``sigma_b`` is the host's background noise, 1.4826 times the median
        absolute deviation of its border pixels
        (:func:`skbia.utils.estimate_background_noise`, a border of 10 pixels
        or a quarter of the side); the ``S / gain`` term only with ``gain``.
    min_magnification : float, default=3.0
        Quality cut: the total magnification (lensed flux on the padded stamp,
        before the PSF, over unlensed flux) must reach this.
    min_arc_separation : float, default=0.5
        Quality cut: the Einstein radius must be at least this times the PSF
        FWHM of the sharpest band, so the arcs are resolved from the lens
        galaxy (0.5, with 3 and 20 above, follow the detectability criteria
        of Collett 2015, ApJ 811, 20).
    max_attempts : int, default=20
        Draws per host before giving up on it.
    oversample : int, default=4
        Ray-traced samples per pixel along each axis (small sources and clumps
        get up to 8).
    n_jobs : int or None, default=None
        Threads injecting hosts in parallel (None: 1; -1: all cores). The
        result does not depend on it. The gain is modest (about 10% with 2
        threads for 100-pixel hosts: much of the per-host work is small NumPy
        calls that hold the GIL); one thread makes about 250-300 images/s.
    random_state : int, numpy Generator, RandomState or None, default=None
        Seed. Each host has its own stream (its position in ``hosts``), so
        an injection does not depend on the other hosts.
    return_metadata : bool, default=False
        Also return a dict of what was injected.

    Returns
    -------
    images : ndarray of shape (n_kept, H, W, C), float32
        Hosts plus lensed sources, in the hosts' order. Hosts that got no
        detectable source in ``max_attempts`` draws are dropped, with a
        ``UserWarning`` naming them (``n_kept = n`` otherwise).
    metadata : dict, only if ``return_metadata``
        One entry per returned image (in the same order) for each key of
        :data:`INJECTION_METADATA_FIELDS`: "host_index" (index into
        ``hosts``), "einstein_radius" (arcsec), "source_magnitude" (n_kept,
        C; unlensed AB magnitudes), "magnification", "source_snr" (n_kept, C),
        "arc_to_lens_flux_ratio" (lensed source flux over host flux, all
        bands, inside 2 Einstein radii of the centre; NaN if the host flux
        there is not positive), "center" (n_kept, 2; row, col pixels),
        "attempts" (draws made), "source_x" and "source_y" (unlensed source
        position relative to the lens centre, arcsec, x along columns),
        "source_r_eff" (arcsec), "n_clumps", "mass_q", "mass_angle" (radians
        from +x towards +y), "shear". Plus "rejected_fraction" (float: failed
        draws over all draws), "rejections" (dict: failed draws per cut,
        "arc_separation", "magnification", "snr") and "failed_hosts"
        (indices of the dropped hosts).

    Raises
    ------
    ValueError
        Before any work: hosts that are not 4-d or hold non-finite pixels,
        per-band values (``zero_point``, ``psf_fwhm``, ``gain``,
        ``source_colors``, ``psf_kernels``) whose length is not the number of
        bands, PSF kernels that are not square with an odd side or do not sum
        to a positive number, an Einstein radius larger than half the stamp
        or too small for ``min_arc_separation``, negative or inverted ranges,
        an unknown ``psf``, a ``center`` outside the stamp. After the draws:
        when no host at all got a detectable injection.
    TypeError
        For hosts that are not real numbers.

    Warns
    -----
    UserWarning
        When more than half of all draws fail the quality cut, and when hosts
        are dropped.

    See Also
    --------
    select_hosts : Choose the hosts (e.g. bright red central galaxies).
    skbia.augmentation.LensInjector : The same as a sampler inside a pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia.datasets import inject_lenses
    >>> hosts = np.random.default_rng(0).normal(0.0, 0.05, size=(4, 48, 48, 3))
    >>> images, meta = inject_lenses(hosts, pixel_scale=0.2, zero_point=27.0, psf_fwhm=0.8,
    ...                              einstein_radius=(1.0, 2.0), random_state=0,
    ...                              return_metadata=True)
    >>> images.shape, images.dtype, meta["host_index"].tolist()
    ((4, 48, 48, 3), dtype('float32'), [0, 1, 2, 3])
    >>> bool((meta["magnification"] >= 3).all())
    True
    """
    if not isinstance(return_metadata, bool | np.bool_):
        raise ValueError(f"return_metadata must be True or False; got {return_metadata!r}.")
    array = check_hosts(hosts)
    n, height, width, n_bands = array.shape
    settings = check_settings(
        (height, width, n_bands), pixel_scale=pixel_scale, zero_point=zero_point,
        psf_fwhm=psf_fwhm, psf=psf, psf_beta=psf_beta, psf_kernels=psf_kernels,
        einstein_radius=einstein_radius, source_magnitude=source_magnitude,
        source_colors=source_colors, source_r_eff=source_r_eff,
        source_sersic_index=source_sersic_index, source_axis_ratio=source_axis_ratio,
        source_offset=source_offset, n_clumps=n_clumps, mass_axis_ratio=mass_axis_ratio,
        shear=shear, gain=gain, min_snr=min_snr, min_magnification=min_magnification,
        min_arc_separation=min_arc_separation, max_attempts=max_attempts,
        oversample=oversample,
    )
    centers = check_centers(center, n, (height, width))
    workers = _n_workers(n_jobs, n)
    root = seed_sequence(random_state)

    border = max(1, min(_NOISE_BORDER, min(height, width) // 4))

    out = np.empty((n, height, width, n_bands), dtype=np.float32)
    context = _Context(array, out, settings, centers, border, root)
    if workers == 1:
        results = [context.inject(index) for index in range(n)]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:  # numpy releases the GIL
            results = list(pool.map(context.inject, range(n)))

    kept = [r for r in results if r.record is not None]
    failed = [r.index for r in results if r.record is None]
    records = [r.record for r in kept]
    rejections = {key: sum(r.rejections[key] for r in results) for key in _CUTS}
    n_draws = sum(r["attempts"] for r in records) + len(failed) * settings.max_attempts
    rejected_fraction = sum(rejections.values()) / n_draws
    summary = ", ".join(f"{v} by {k}" for k, v in rejections.items() if v)
    if not kept:
        raise ValueError(
            f"No host got a detectable injection in max_attempts={settings.max_attempts} draws "
            f"each (rejected: {summary}). Lower min_snr={settings.min_snr:g}, "
            f"min_magnification={settings.min_magnification:g} or min_arc_separation="
            f"{settings.min_arc_separation:g}, or use brighter sources (smaller "
            f"source_magnitude) or larger Einstein radii.")
    if rejected_fraction > WARN_REJECTED_FRACTION:
        warnings.warn(
            f"{rejected_fraction:.0%} of the injection draws failed the quality cut ({summary}): "
            f"the injected population is shaped by the cut more than by the drawn ranges. "
            f"Check zero_point, the noise of the hosts and source_magnitude.",
            UserWarning, stacklevel=2)
    if failed:
        warnings.warn(
            f"{len(failed)} host(s) got no detectable injection in {settings.max_attempts} "
            f"draws and were dropped: indices {failed[:20]}{' ...' if len(failed) > 20 else ''}.",
            UserWarning, stacklevel=2)
    images = out[[r.index for r in kept]] if failed else out
    if not return_metadata:
        return images
    return images, _metadata(records, rejected_fraction, rejections, failed, n_bands)


_CUTS = ("arc_separation", "magnification", "snr")


def _n_workers(n_jobs, n: int) -> int:
    if n_jobs is None:
        return 1
    if not is_integer(n_jobs) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None, a positive integer or -1 for all cores; got "
                         f"{n_jobs!r}.")
    cores = os.cpu_count() or 1
    workers = int(n_jobs) if n_jobs > 0 else max(1, cores + 1 + int(n_jobs))
    return max(1, min(workers, n))


@dataclass
class _Result:
    index: int
    record: dict | None  # None if the host got no detectable injection
    rejections: dict


@dataclass
class _Context:
    """What every host's injection needs; :meth:`inject` handles one host."""

    hosts: np.ndarray
    out: np.ndarray  # (n, H, W, C) float32, written host by host
    settings: InjectionSettings
    centers: np.ndarray | None  # (n, 2) given by the user, or None: the light centroid
    border: int
    root: np.random.SeedSequence

    def __post_init__(self) -> None:
        self.transforms = self.settings.transforms()

    def inject(self, index: int) -> _Result:
        """Draw until the quality cut passes (or ``max_attempts``), then add the source."""
        settings = self.settings
        host = self.hosts[index].astype(np.float64)  # a copy: the input is never written
        noise = estimate_background_noise(host[None], border=self.border)
        light = central_light(host[None])
        rows_pad, cols_pad = settings.padded_shape
        row, col = light["center"][0] if self.centers is None else self.centers[index]
        x0 = (col + settings.margin - (cols_pad - 1) / 2.0) * settings.pixel_scale
        y0 = (row + settings.margin - (rows_pad - 1) / 2.0) * settings.pixel_scale
        seed = np.random.SeedSequence(self.root.entropy, spawn_key=(*self.root.spawn_key, index))
        rejections = dict.fromkeys(_CUTS, 0)
        for attempt in range(settings.max_attempts):
            attempt_seed = child_seed(seed, attempt)
            rng = np.random.default_rng(child_seed(attempt_seed, 0))
            d = draw(rng, settings, x0, y0, float(light["angle"][0]))
            if d.lens.theta_e < settings.min_einstein_radius:
                rejections["arc_separation"] += 1
                continue
            result = render(d, settings, self.transforms, noise)
            if result.magnification < settings.min_magnification:
                rejections["magnification"] += 1
                continue
            if not (result.snr >= settings.min_snr).any():
                rejections["snr"] += 1
                continue
            break
        else:
            return _Result(index, None, rejections)
        source = result.source
        if settings.gain is not None:
            noise_rng = np.random.default_rng(child_seed(attempt_seed, 1))
            source = add_photon_noise(source, settings.gain, noise_rng)
        self.out[index] = host + source.transpose(1, 2, 0)
        record = _record(index, d, result, (float(row), float(col)), attempt + 1, host, settings)
        return _Result(index, record, rejections)


def _record(index, d, result, center, attempts, host, settings) -> dict:
    theta_e_px = d.lens.theta_e / settings.pixel_scale
    return {
        "host_index": index,
        "einstein_radius": d.lens.theta_e,
        "source_magnitude": d.magnitudes,
        "magnification": result.magnification,
        "source_snr": result.snr,
        "arc_to_lens_flux_ratio": arc_to_lens_ratio(result.source, host.transpose(2, 0, 1),
                                                    center, theta_e_px),
        "center": center,
        "attempts": attempts,
        "source_x": d.source_offset[0],
        "source_y": d.source_offset[1],
        "source_r_eff": d.components[0].r_eff,
        "n_clumps": len(d.components) - 1,
        "mass_q": d.lens.q,
        "mass_angle": math.remainder(d.lens.phi, math.pi) % math.pi,
        "shear": d.lens.gamma,
    }


def _metadata(records, rejected_fraction, rejections, failed, n_bands) -> dict:
    integer = {"host_index", "attempts", "n_clumps"}
    meta: dict = {}
    for key in INJECTION_METADATA_FIELDS:
        values = [r[key] for r in records]
        meta[key] = np.array(values, dtype=np.int64 if key in integer else float)
    meta["source_magnitude"] = meta["source_magnitude"].reshape(len(records), n_bands)
    meta["source_snr"] = meta["source_snr"].reshape(len(records), n_bands)
    meta["center"] = meta["center"].reshape(len(records), 2)
    meta["rejected_fraction"] = float(rejected_fraction)
    meta["rejections"] = dict(rejections)
    meta["failed_hosts"] = np.array(failed, dtype=np.int64)
    return meta
