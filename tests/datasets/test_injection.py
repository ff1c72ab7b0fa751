"""Tests of skbia.datasets.inject_lenses and select_hosts: physics, cuts, seeds, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from skbia.datasets import INJECTION_METADATA_FIELDS, inject_lenses, select_hosts
from skbia.datasets._injection_render import render_lensed_components
from skbia.datasets._lensing import LensModel, render_lensed_sersic
from skbia.datasets._light import Canvas, Sersic

DELTA = np.ones((1, 1, 3))  # a PSF that is one pixel: no blurring
# every draw passes the quality cut
NO_CUT = dict(min_snr=0.0, min_magnification=0.0, min_arc_separation=0.0)
BASE = dict(pixel_scale=0.1, zero_point=25.0, psf_fwhm=0.4, einstein_radius=(1.0, 1.5))


def _hosts(n=3, size=40, noise=0.01, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(0.0, noise, size=(n, size, size, 3)).astype(dtype)


def _sis(**extra):
    """Round mass, no shear, no clumps."""
    return dict(mass_axis_ratio=1.0, shear=0.0, n_clumps=0, **extra)


# ----------------------------------------------------------------------------- physics


def test_zero_flux_source_leaves_hosts_exactly_unchanged():
    hosts = _hosts()
    hosts[:, :5] = 0.0  # exact zeros stay zero too
    for gain in (None, 5.0):
        images = inject_lenses(hosts, **BASE, source_magnitude=np.inf, gain=gain,
                               random_state=0, **NO_CUT)
        assert images.dtype == np.float32
        np.testing.assert_array_equal(images, hosts)


def test_added_flux_is_unlensed_flux_times_magnification_and_non_negative():
    """Without PSF (a one-pixel kernel) the added flux is F_band * mu, to float32 rounding.

    The source sits at half the Einstein radius behind an SIS, whose total magnification
    for a point source is 2 theta_E / beta = 4; a source of r_eff 0.05 arcsec (much
    smaller than beta = 0.75 arcsec) changes it by well under 1% (finite-size terms go as
    (r_eff / beta)**2), and sub-pixel sampling noise is below 0.5%: hence the 2%.
    """
    hosts = _hosts(n=4, size=64)
    images, meta = inject_lenses(
        hosts, pixel_scale=0.1, zero_point=25.0, psf_fwhm=0.3, psf_kernels=DELTA,
        einstein_radius=1.5, source_offset=0.5, source_r_eff=0.05, source_sersic_index=1.0,
        **_sis(), random_state=1, return_metadata=True, **NO_CUT)
    added = images.astype(np.float64) - hosts
    assert (added >= 0).all()  # rounding is monotonic: host + S >= host
    flux = 10.0 ** (-0.4 * (meta["source_magnitude"] - 25.0))
    expected = flux * meta["magnification"][:, None]
    # float32 rounding of ~4000 pixels of |value| <~ 10 each: far below 1e-4 of the total
    np.testing.assert_allclose(added.sum(axis=(1, 2)), expected, rtol=1e-4)
    np.testing.assert_allclose(meta["magnification"], 4.0, rtol=0.02)


def test_point_source_behind_sis_makes_a_ring_at_the_einstein_radius():
    hosts = np.zeros((1, 48, 48, 3), dtype=np.float32)
    theta_e, pixel_scale, centre = 1.5, 0.1, (24.0, 23.0)
    images = inject_lenses(
        hosts, pixel_scale=pixel_scale, zero_point=25.0, psf_fwhm=0.3, psf_kernels=DELTA,
        einstein_radius=theta_e, source_offset=0.0, source_r_eff=0.03, **_sis(),
        center=centre, random_state=0, **NO_CUT)
    image = images[0].sum(axis=-1)
    rows, cols = np.indices(image.shape)
    radius = np.rint(np.hypot(rows - centre[0], cols - centre[1])).astype(int)
    profile = np.bincount(radius.ravel(), image.ravel()) / np.bincount(radius.ravel())
    assert abs(int(np.argmax(profile)) - theta_e / pixel_scale) <= 1
    # a ring, not arcs: every quadrant holds a quarter of the light within 10%
    quadrants = [image[:24, :23].sum(), image[:24, 23:].sum(), image[24:, :23].sum(),
                 image[24:, 23:].sum()]
    np.testing.assert_allclose(np.array(quadrants) / image.sum(), 0.25, atol=0.025)


@pytest.mark.parametrize("psf", ["gaussian", "moffat"])
def test_psf_convolution_preserves_flux(psf):
    """The same draws with and without the PSF hold the same flux (arcs far from the edges)."""
    hosts = np.zeros((3, 48, 48, 3), dtype=np.float32)
    settings = dict(pixel_scale=0.1, zero_point=25.0, einstein_radius=(0.8, 1.0),
                    random_state=3, **NO_CUT)
    sharp = inject_lenses(hosts, psf_fwhm=0.4, psf_kernels=DELTA, **settings)
    blurred = inject_lenses(hosts, psf_fwhm=[0.4, 0.5, 0.3], psf=psf, **settings)
    assert not np.allclose(sharp, blurred)
    np.testing.assert_allclose(blurred.sum(axis=(1, 2)), sharp.sum(axis=(1, 2)), rtol=5e-3)


def test_user_kernels_are_normalised_and_match_the_analytic_psf():
    from skbia.datasets._light import psf_kernel

    hosts = np.zeros((2, 40, 40, 3), dtype=np.float32)
    kernel = psf_kernel("gaussian", 4.0, radius=12)
    settings = dict(pixel_scale=0.1, zero_point=25.0, einstein_radius=1.2, random_state=0,
                    **NO_CUT)
    analytic = inject_lenses(hosts, psf="gaussian", psf_fwhm=0.4, **settings)
    given = inject_lenses(hosts, psf_fwhm=None, psf_kernels=[7.0 * kernel] * 3, **settings)
    np.testing.assert_allclose(given, analytic, rtol=1e-5, atol=1e-6 * analytic.max())


def test_combined_rendering_equals_sum_of_render_lensed_sersic():
    canvas = Canvas(50, 60, 0.15)
    lens = LensModel(1.4, q=0.7, phi=0.4, gamma1=0.03, gamma2=-0.02, x0=0.1, y0=-0.2)
    parts = (Sersic(0.4, 0.1, 0.3, 1.0, 0.6, 0.2), Sersic(0.5, 0.0, 0.05, 0.5, 0.9, 1.0))
    weights = np.array([0.8, 0.2])
    expected = np.zeros((50, 60))
    for part, weight in zip(parts, weights, strict=True):
        (rows, cols), stamp = render_lensed_sersic(canvas, lens, part, oversample=4)
        expected[rows, cols] += weight * stamp
    combined = render_lensed_components(canvas, lens, parts, weights, oversample=4)
    np.testing.assert_allclose(combined, expected, rtol=1e-12, atol=1e-15)


def test_lens_centre_follows_the_host_light():
    size = 40
    rows, cols = np.indices((size, size))
    blob = np.exp(-((rows - 17.3) ** 2 + (cols - 22.6) ** 2) / (2 * 2.0**2))
    hosts = np.repeat(blob[None, :, :, None], 3, axis=3) + _hosts(1, size, noise=0.001)
    settings = {**BASE, "einstein_radius": 1.0}
    _, meta = inject_lenses(hosts, **settings, random_state=0, return_metadata=True, **NO_CUT)
    np.testing.assert_allclose(meta["center"][0], [17.3, 22.6], atol=0.15)
    _, given = inject_lenses(hosts, **settings, center=(20, 21), random_state=0,
                             return_metadata=True, **NO_CUT)
    assert given["center"].tolist() == [[20.0, 21.0]]


def test_photon_noise_has_the_variance_of_the_source_electrons():
    hosts = np.zeros((2, 48, 48, 3), dtype=np.float32)
    settings = dict(**{**BASE, "einstein_radius": 1.5}, source_magnitude=16.0, random_state=0,
                    **NO_CUT)
    expected = inject_lenses(hosts, **settings).astype(float)
    gain = 2.0
    noisy = inject_lenses(hosts, gain=gain, **settings).astype(float)
    bright = expected > 20.0
    pulls = (noisy - expected)[bright] / np.sqrt(expected[bright] / gain)
    assert bright.sum() > 500
    assert abs(pulls.mean()) < 0.1 and abs(pulls.std() - 1.0) < 0.1


# ------------------------------------------------------------------------ seeds, hosts


def test_same_seed_same_images_other_seed_other_images_and_jobs_do_not_matter():
    hosts = _hosts(n=4)
    first = inject_lenses(hosts, **BASE, random_state=5, **NO_CUT)
    np.testing.assert_array_equal(inject_lenses(hosts, **BASE, random_state=5, **NO_CUT), first)
    np.testing.assert_array_equal(
        inject_lenses(hosts, **BASE, random_state=5, n_jobs=2, **NO_CUT), first)
    other = inject_lenses(hosts, **BASE, random_state=6, **NO_CUT)
    assert not np.array_equal(other, first)
    # each host has its own stream: the first two hosts do not depend on the others
    np.testing.assert_array_equal(inject_lenses(hosts[:2], **BASE, random_state=5, **NO_CUT),
                                  first[:2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_hosts_are_never_modified(dtype):
    hosts = (_hosts(n=2, noise=10.0) if dtype is np.int16 else _hosts(n=2)).astype(dtype)
    before = hosts.copy()
    hosts.flags.writeable = False  # a read-only input works too
    images = inject_lenses(hosts, **BASE, gain=3.0, random_state=0, **NO_CUT)
    np.testing.assert_array_equal(hosts, before)
    assert images.dtype == np.float32 and not np.shares_memory(images, hosts)


def test_metadata_shapes_and_ranges():
    hosts = _hosts(n=5, size=48, noise=0.02)
    rows, cols = np.indices((48, 48))
    hosts += 5 * np.exp(-((rows - 23.5) ** 2 + (cols - 23.5) ** 2) / 18.0)[None, :, :, None]
    settings = {**BASE, "einstein_radius": (1.0, 2.0)}
    images, meta = inject_lenses(hosts, **settings,
                                 source_magnitude=(21.0, 22.0), min_snr=10.0,
                                 min_magnification=2.0, random_state=0, return_metadata=True)
    n = len(images)
    assert n == 5
    assert set(INJECTION_METADATA_FIELDS) | {"rejected_fraction", "rejections",
                                             "failed_hosts"} == set(meta)
    for key in INJECTION_METADATA_FIELDS:
        expected = {"source_magnitude": (n, 3), "source_snr": (n, 3), "center": (n, 2)}
        assert meta[key].shape == expected.get(key, (n,)), key
    assert meta["host_index"].tolist() == [0, 1, 2, 3, 4]
    assert ((meta["einstein_radius"] >= 1.0) & (meta["einstein_radius"] <= 2.0)).all()
    assert (meta["magnification"] >= 2.0).all()
    assert (meta["source_snr"].max(axis=1) >= 10.0).all()
    r_mag = meta["source_magnitude"][:, 1]  # r band: the reference of the default colours
    assert ((r_mag >= 21.0) & (r_mag <= 22.0)).all()
    g_r = meta["source_magnitude"][:, 0] - r_mag
    assert ((g_r >= -0.1) & (g_r <= 0.5)).all()
    assert (meta["attempts"] >= 1).all() and ((meta["n_clumps"] >= 0)
                                              & (meta["n_clumps"] <= 3)).all()
    assert ((meta["mass_q"] >= 0.5) & (meta["mass_q"] <= 1.0)).all()
    assert ((meta["shear"] >= 0) & (meta["shear"] <= 0.08 + 1e-12)).all()
    assert ((meta["mass_angle"] >= 0) & (meta["mass_angle"] < math.pi)).all()
    offset = np.hypot(meta["source_x"], meta["source_y"]) / meta["einstein_radius"]
    assert (offset <= 0.6 + 1e-9).all()
    assert (meta["arc_to_lens_flux_ratio"] > 0).all()
    assert 0.0 <= meta["rejected_fraction"] < 1.0
    assert meta["failed_hosts"].shape == (0,)
    assert np.abs(meta["center"] - 23.5).max() < 0.5


@pytest.mark.filterwarnings("ignore:.*failed the quality cut:UserWarning")
def test_quality_cut_drops_hosts_that_are_too_noisy_and_reports_them():
    hosts = _hosts(n=4, size=40, noise=0.01)
    hosts[[1, 3]] *= 1e5  # nothing can be detected on these
    with pytest.warns(UserWarning, match=r"dropped: indices \[1, 3\]"):
        images, meta = inject_lenses(hosts, **BASE, source_magnitude=22.0, min_snr=20.0,
                                     max_attempts=3, random_state=0, return_metadata=True)
    assert len(images) == 2 and meta["host_index"].tolist() == [0, 2]
    assert meta["failed_hosts"].tolist() == [1, 3]
    assert meta["rejections"]["snr"] >= 6 and meta["rejected_fraction"] >= 6 / 8
    np.testing.assert_array_equal(images[1] - hosts[2] >= 0, True)


def test_rejections_over_half_warn_and_none_detectable_raises():
    hosts = _hosts(n=2)
    with pytest.warns(UserWarning, match="failed the quality cut"):
        _, meta = inject_lenses(hosts, **{**BASE, "einstein_radius": (0.1, 1.0)},
                                min_arc_separation=2.0, random_state=0, return_metadata=True,
                                min_snr=0.0, min_magnification=0.0)
    assert meta["rejections"]["arc_separation"] > 0
    assert (meta["einstein_radius"] >= 0.8).all()
    with pytest.raises(ValueError, match="No host got a detectable injection"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inject_lenses(hosts, **BASE, source_magnitude=35.0, max_attempts=2)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("hosts", "kwargs", "match"),
    [
        (np.zeros((40, 40, 3)), {}, r"4-d .*hosts\[np.newaxis\]"),
        (np.zeros((2, 40, 40)), {}, "4-d"),
        (np.zeros((0, 40, 40, 3)), {}, "no pixels"),
        ("nan", {}, "non-finite pixels .* indices \\[1\\]"),
        (None, {"psf_fwhm": [0.4, 0.5]}, "psf_fwhm must have one value per band"),
        (None, {"zero_point": [25.0, 25.0]}, "zero_point must have one value per band"),
        (None, {"gain": [1.0] * 4}, "gain must have one value per band"),
        (None, {"psf_kernels": [np.ones((3, 3))] * 2}, "one kernel per band"),
        (None, {"psf_kernels": np.ones((3, 3, 2))}, "psf_kernels .* 2 band"),
        (None, {"psf_kernels": np.ones((4, 4, 3))}, "odd side"),
        (None, {"psf_kernels": np.zeros((3, 3, 3))}, "positive sum"),
        (None, {"einstein_radius": (1.0, 2.0)}, "larger than the stamp"),
        (None, {"einstein_radius": (2.0, 1.0)}, "min <= max"),
        (None, {"einstein_radius": -1.0}, "einstein_radius min must be > 0"),
        (None, {"source_r_eff": (0.0, 0.2)}, "source_r_eff min must be > 0"),
        (None, {"shear": (0.0, 0.9)}, "shear max must be <= 0.5"),
        (None, {"n_clumps": (2, 1)}, "n_clumps"),
        (None, {"psf": "airy"}, "psf must be 'moffat' or 'gaussian'"),
        (None, {"psf_fwhm": None}, "psf_fwhm .* is required"),
        (None, {"pixel_scale": 0.0}, "pixel_scale must be > 0"),
        (None, {"center": (50.0, 3.0)}, "center must lie inside"),
        (None, {"center": np.zeros((3, 2))}, "center must be None"),
        (None, {"source_colors": [(0, 0)] * 2}, "source_colors"),
        (None, {"min_arc_separation": 10.0}, "arc-separation cut"),
        (None, {"max_attempts": 0}, "max_attempts"),
        (None, {"n_jobs": 0}, "n_jobs"),
    ],
)
def test_invalid_input_raises_a_clear_error(hosts, kwargs, match):
    if hosts is None:
        hosts = _hosts(n=2)
    elif isinstance(hosts, str):
        hosts = _hosts(n=2)
        hosts[1, 3, 4, 0] = np.nan
    settings = {**BASE, **kwargs}
    with pytest.raises(ValueError, match=match):
        inject_lenses(hosts, **settings)


def test_other_numbers_of_bands_need_source_colors():
    hosts = np.zeros((1, 40, 40, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="source_colors is needed for hosts with 2 bands"):
        inject_lenses(hosts, **BASE)
    images = inject_lenses(hosts, **BASE, source_colors=[(0.2, 0.3), 0.0], random_state=0,
                           **NO_CUT)
    assert images.shape == (1, 40, 40, 2) and images.sum() > 0


# -------------------------------------------------------------------------- select_hosts


def test_select_hosts_methods():
    rng = np.random.default_rng(0)
    images = rng.normal(0.0, 0.01, size=(8, 32, 32, 3))
    rows, cols = np.indices((32, 32))
    blob = np.exp(-((rows - 15.5) ** 2 + (cols - 15.5) ** 2) / 8.0)
    red, blue = np.array([0.2, 0.6, 1.0]), np.array([1.0, 0.6, 0.2])
    for i, (scale, colour) in enumerate([(10, red), (10, blue), (1, red), (10, red)]):
        images[i] += scale * blob[:, :, None] * colour
    # the 40% brightest, then the redder half of those with flux in both end bands
    assert select_hosts(images, "bright_red_centre", brightness_quantile=0.6).tolist() == [0, 3]
    assert 2 in select_hosts(images, "bright_red_centre")  # the median lets the faint one in
    assert select_hosts(images, "all").tolist() == list(range(8))
    assert select_hosts(images, np.arange(8) % 2 == 0).tolist() == [0, 2, 4, 6]
    assert select_hosts(images, [5, -1, 5]).tolist() == [5, 7]
    with pytest.raises(ValueError, match="method must be one of"):
        select_hosts(images, "brightest")
    with pytest.raises(ValueError, match="one entry per image"):
        select_hosts(images, np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="indices must lie"):
        select_hosts(images, [8])
    with pytest.raises(ValueError, match="brightness_quantile"):
        select_hosts(images, brightness_quantile=1.5)
