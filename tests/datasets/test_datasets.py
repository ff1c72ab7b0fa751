"""make_lenses: shapes, labels, seeds, metadata, validation, and what the images contain."""

import subprocess
import sys
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from skbia.datasets import DEFAULT_OTHER_MIX, METADATA_FIELDS, make_lenses
from skbia.datasets._make_lenses import _settings
from skbia.datasets._noise import sky_variance
from skbia.datasets._scenes import child_seed, draw_scene, render_scene

SMALL = dict(image_size=32)


def _small_settings(**changes):
    params = dict(image_size=48, pixel_scale=0.263, bands=("g", "r", "i"),
                  einstein_radius=(1.0, 2.0), source_magnitude=(21.0, 22.0),
                  lens_magnitude=(18.5, 20.0), psf="moffat", psf_fwhm=None, sky_level=None,
                  gain=30.0, read_noise=5.0, zero_point=30.0, field_density=40.0,
                  background_residual=(0.0, 1.2), oversample=4, noise=True)
    params.update(changes)
    return _settings(**params)


# ----------------------------------------------------------------------------- output


def test_shapes_dtypes_and_exact_label_counts():
    X, y = make_lenses(3, 9, random_state=0, **SMALL)
    assert X.shape == (12, 32, 32, 3)
    assert X.dtype == np.float32
    assert y.dtype.kind == "i"
    assert y.shape == (12,)
    assert Counter(y.tolist()) == {1: 3, 0: 9}
    assert np.isfinite(X).all()


def test_bands_choose_and_order_the_channels():
    X, _ = make_lenses(1, 1, bands=("i", "z"), random_state=0, **SMALL)
    assert X.shape == (2, 32, 32, 2)
    X_gri, _ = make_lenses(1, 1, bands=("g", "r", "i"), noise=False, random_state=0, **SMALL)
    X_ig, _ = make_lenses(1, 1, bands=("i", "g"), noise=False, random_state=0, **SMALL)
    # same scene, channels picked by name; the galaxies are redder in i than g
    np.testing.assert_allclose(X_ig[..., 0], X_gri[..., 2], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(X_ig[..., 1], X_gri[..., 0], rtol=1e-5, atol=1e-5)


def test_only_one_class_is_allowed():
    X, y = make_lenses(0, 4, random_state=0, **SMALL)
    assert X.shape[0] == 4 and not y.any()
    X, y = make_lenses(2, 0, random_state=0, **SMALL)
    assert X.shape[0] == 2 and y.all()


def test_int_seed_reproduces_and_different_seeds_differ():
    a = make_lenses(2, 4, random_state=7, **SMALL)
    b = make_lenses(2, 4, random_state=7, **SMALL)
    c = make_lenses(2, 4, random_state=8, **SMALL)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_generator_and_random_state_seeds_reproduce():
    for make_rng in (np.random.default_rng, np.random.RandomState):
        a, _ = make_lenses(1, 2, random_state=make_rng(3), **SMALL)
        b, _ = make_lenses(1, 2, random_state=make_rng(3), **SMALL)
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(3)
    first, _ = make_lenses(1, 2, random_state=rng, **SMALL)
    second, _ = make_lenses(1, 2, random_state=rng, **SMALL)  # the generator advanced
    assert not np.array_equal(first, second)


def test_numpy_integer_counts_and_seeds_work_like_python_ints():
    a = make_lenses(np.int64(1), np.int32(2), random_state=np.int64(7), **SMALL)
    b = make_lenses(1, 2, random_state=7, **SMALL)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_shuffle_false_puts_lenses_first_and_shuffling_permutes_the_same_images():
    X, y, meta = make_lenses(3, 8, shuffle=False, random_state=1, return_metadata=True, **SMALL)
    assert y.tolist() == [1] * 3 + [0] * 8
    Xs, ys, meta_s = make_lenses(3, 8, random_state=1, return_metadata=True, **SMALL)
    assert not np.array_equal(ys, y)
    # every shuffled image is one of the ordered images, with its own metadata
    for image, magnitude in zip(Xs, meta_s["central_magnitude"], strict=True):
        match = np.flatnonzero((X == image).all(axis=(1, 2, 3)))
        assert len(match) == 1
        assert meta["central_magnitude"][match[0]] == magnitude


def test_metadata_columns_and_their_consistency():
    n_lenses, n_others = 4, 20
    X, y, meta = make_lenses(n_lenses, n_others, random_state=2, return_metadata=True,
                             einstein_radius=(1.2, 1.8), **SMALL)
    assert set(meta) == set(METADATA_FIELDS)
    assert all(len(values) == len(y) for values in meta.values())
    np.testing.assert_array_equal(meta["label"], y)
    np.testing.assert_array_equal(meta["kind"] == "lens", y == 1)
    lens = y == 1
    assert np.all((meta["einstein_radius"][lens] >= 1.2) & (meta["einstein_radius"][lens] <= 1.8))
    assert np.isnan(meta["einstein_radius"][~lens]).all()
    assert np.all(meta["magnification"][lens] > 1.0)
    # sources lie within 0.6 Einstein radii of the lens centre: multiply imaged
    radius = np.hypot(meta["source_x"][lens], meta["source_y"][lens])
    assert np.all(radius <= 0.6 * meta["einstein_radius"][lens] + 1e-12)
    kinds = Counter(meta["kind"][~lens].tolist())
    expected = {k: round(v * n_others) for k, v in DEFAULT_OTHER_MIX.items()}
    assert kinds == expected  # 0.4, 0.2, 0.15 and 0.25 of 20 are whole numbers
    assert meta["n_field"].dtype.kind == "i"


def test_other_mix_apportions_exact_counts():
    _, _, meta = make_lenses(0, 7, other_mix={"disk": 1, "pair": 2, "elliptical": 0},
                             random_state=0, return_metadata=True, **SMALL)
    # shares 7/3 and 14/3: floors 2 + 4, the larger remainder (pair: 2/3) gets the last one
    assert Counter(meta["kind"].tolist()) == {"disk": 2, "pair": 5}


# ----------------------------------------------------------------------------- content


def test_noise_free_images_are_non_negative_expected_counts():
    X, _ = make_lenses(2, 4, noise=False, background_residual=0.0, random_state=0, **SMALL)
    assert X.min() >= -1e-3  # FFT round-off only
    assert X.max() > 10.0


def test_empty_sky_has_the_requested_noise_variance():
    # a central galaxy far too faint to matter, no field objects: pure sky noise
    sky, gain, read = (1.0, 3.0, 8.0), 4.0, (2.0, 6.0, 3.0)
    X, _ = make_lenses(0, 6, image_size=100, lens_magnitude=60.0, field_density=0.0,
                       other_mix={"elliptical": 1.0}, background_residual=0.0, sky_level=sky,
                       gain=gain, read_noise=read, random_state=0)
    expected = sky_variance(np.array(sky), gain, np.array(read))
    n = X[..., 0].size
    np.testing.assert_allclose(X.var(axis=(0, 1, 2)), expected, rtol=5 * np.sqrt(2.5 / n))
    assert np.all(np.abs(X.mean(axis=(0, 1, 2))) < 5 * np.sqrt(expected / n))


def test_background_residual_is_in_units_of_the_sky_noise():
    X, _, meta = make_lenses(0, 2, image_size=64, lens_magnitude=60.0, field_density=0.0,
                             other_mix={"elliptical": 1.0}, background_residual=(2.0, 2.0),
                             random_state=0, return_metadata=True)
    sigma = np.sqrt(sky_variance(np.array([2.0, 4.0, 6.5]), 30.0, 5.0))
    np.testing.assert_allclose(meta["background_residual"], 2.0)
    np.testing.assert_allclose(X.mean(axis=(0, 1, 2)), 2.0 * sigma, rtol=0.02)


@pytest.mark.parametrize("seed", range(3))
def test_a_lens_differs_from_its_no_source_twin_only_where_the_arcs_are(seed):
    settings = _small_settings()
    image_seed = np.random.SeedSequence(seed)
    scene = draw_scene("lens", np.random.default_rng(child_seed(image_seed, 0)), settings)
    with_source = render_scene(scene, settings, image_seed)
    twin = render_scene(scene, settings, image_seed, include_source=False)
    clean = replace(settings, noise=False)
    arcs = render_scene(scene, clean) - render_scene(scene, clean, include_source=False)
    differs = with_source != twin
    assert differs.any()
    # every changed pixel holds source light (expected counts above a photon's worth)
    gain = settings.gain[None, None, :]
    assert np.all(arcs[differs] * np.broadcast_to(gain, arcs.shape)[differs] > 1e-6)
    # and most of the arc light is where the pixels changed
    assert arcs[differs].sum() > 0.9 * arcs.sum()


def test_lens_galaxies_are_red_and_sources_blue():
    settings = _small_settings(noise=False, field_density=0.0, background_residual=(0.0, 0.0))
    for seed in range(4):
        scene = draw_scene("lens", np.random.default_rng(seed), settings)
        full = render_scene(scene, settings)
        lens_only = render_scene(scene, settings, include_source=False)
        arcs = full - lens_only
        g_over_i_lens = lens_only[..., 0].sum() / lens_only[..., 2].sum()
        g_over_i_arcs = arcs[..., 0].sum() / arcs[..., 2].sum()
        assert g_over_i_lens < 0.3 < g_over_i_arcs


def test_pixel_values_resemble_background_subtracted_survey_cutouts():
    X, _ = make_lenses(4, 36, random_state=0)
    medians = np.median(X, axis=(0, 1, 2))
    p99 = np.percentile(X, 99, axis=(0, 1, 2))
    # sky-dominated medians of order the noise, bright but unsaturated cores
    assert np.all((medians > 0.0) & (medians < 3.0))
    assert np.all((p99 > 10.0) & (p99 < 1000.0))
    assert medians[0] < medians[1] < medians[2]  # red galaxies, noisier redder sky


def test_importing_the_module_does_not_import_tensorflow():
    code = ("import sys, skbia.datasets; "
            "sys.exit(int(any(m in sys.modules for m in ('tensorflow', 'keras'))))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_lenses=-1), "n_lenses must be a non-negative integer"),
    (dict(n_others=2.5), "n_others must be a non-negative integer"),
    (dict(n_lenses=True), "n_lenses must be a non-negative integer"),
    (dict(n_others=np.bool_(True)), "n_others must be a non-negative integer"),
    (dict(oversample=np.bool_(True)), "oversample must be a non-negative integer"),
    (dict(n_lenses=0, n_others=0), "at least 1"),
    (dict(image_size=8), "image_size must be at least 16"),
    (dict(pixel_scale=0), "pixel_scale must be > 0"),
    (dict(einstein_radius=(2.0, 1.0)), r"min <= max; got \(2.0, 1.0\)"),
    (dict(einstein_radius=(0.0, 1.0)), "einstein_radius min must be > 0"),
    (dict(einstein_radius=(1.0, 2.0, 3.0)), r"number or a \(min, max\) pair"),
    (dict(source_magnitude=(24.0, 22.0)), "source_magnitude must be"),
    (dict(lens_magnitude=float("nan")), "lens_magnitude min must be finite"),
    (dict(bands="gri"), "sequence of band names"),
    (dict(bands=("g", "u")), r"Unknown band\(s\) \['u'\]"),
    (dict(bands=("g", "g")), "must not repeat"),
    (dict(bands=()), "at least one band"),
    (dict(psf="airy"), "psf must be 'moffat' or 'gaussian'"),
    (dict(psf_fwhm=(1.0, 1.0)), r"psf_fwhm must be a number or one value per band \(3"),
    (dict(psf_fwhm=-1.0), r"psf_fwhm \(g\) must be > 0"),
    (dict(sky_level=-1.0), r"sky_level \(g\) must be >= 0"),
    (dict(gain=0.0), r"gain \(g\) must be > 0"),
    (dict(read_noise=-2.0), r"read_noise \(g\) must be >= 0"),
    (dict(field_density=-1.0), "field_density must be >= 0"),
    (dict(oversample=0), "oversample must be at least 1"),
    (dict(other_mix={"spiral": 1.0}), r"Unknown kind\(s\) of other objects \['spiral'\]"),
    (dict(other_mix={"disk": 0.0}), "at least one positive proportion"),
    (dict(other_mix={"disk": -1.0}), "must be >= 0"),
    (dict(random_state="seed"), "random_state must be None, an int"),
    (dict(random_state=-3), "random_state must be a non-negative integer"),
    (dict(random_state=True), "random_state must be None, an int"),
    (dict(pixel_scale=np.bool_(True)), "pixel_scale must be a number"),
    (dict(shuffle="yes"), "shuffle must be True or False"),
    (dict(noise=1), "noise must be True or False"),
])
def test_bad_parameters_raise_clear_errors(kwargs, message):
    params = dict(n_lenses=1, n_others=1, image_size=16)
    params.update(kwargs)
    with pytest.raises(ValueError, match=message):
        make_lenses(**params)
