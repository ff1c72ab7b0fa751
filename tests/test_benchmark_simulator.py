"""Tests of the lenstronomy-based benchmark simulator (benchmarks/_lenstronomy_sim.py)."""

from __future__ import annotations

import copy
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = [
    pytest.mark.slow,
    # lenstronomy's FFT convolution calls numpy.fft with the pre-2.0 signature
    pytest.mark.filterwarnings("ignore:`axes` should not be `None`:DeprecationWarning"),
]

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
META_KEYS = ("kind", "einstein_radius", "source_snr", "source_magnitude", "seeing",
             "deflector_magnitude")


@pytest.fixture(scope="module")
def sim():
    pytest.importorskip("lenstronomy")
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("_lenstronomy_sim")


@pytest.fixture(scope="module")
def small(sim):
    return sim.simulate(8, 24, survey="lsst-like", image_size=64, random_state=11)


def _assert_same(a, b):
    Xa, ya, ma = a
    Xb, yb, mb = b
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)
    assert ma.keys() == mb.keys()
    for key in ma:
        np.testing.assert_array_equal(ma[key], mb[key])


def _border(n: int, width: int = 4) -> np.ndarray:
    mask = np.zeros((n, n), dtype=bool)
    mask[:width] = mask[-width:] = True
    mask[:, :width] = mask[:, -width:] = True
    return mask


def _robust(values: np.ndarray) -> tuple[float, float]:
    med = float(np.median(values))
    return med, 1.4826 * float(np.median(np.abs(values - med)))


def test_shapes_labels_and_metadata(sim, small):
    X, y, meta = small
    assert X.shape == (32, 64, 64, 3) and X.dtype == np.float32
    assert np.isfinite(X).all()
    assert np.issubdtype(y.dtype, np.integer) and y.sum() == 8 and set(y) == {0, 1}
    assert not y[:8].all(), "images must be shuffled"
    for key in META_KEYS:
        assert len(meta[key]) == 32, key
    lens = y == 1
    np.testing.assert_array_equal(meta["kind"] == "lens", lens)
    assert set(meta["kind"][~lens]) <= set(sim.NEGATIVE_KINDS)
    te = meta["einstein_radius"]
    assert np.all((te[lens] >= 0.8) & (te[lens] <= 3.0))
    for key in ("einstein_radius", "source_snr", "source_magnitude"):
        assert np.isnan(meta[key][~lens]).all(), key
        assert np.isfinite(meta[key][lens]).all(), key
    assert np.all(meta["source_snr"][lens] > 0)
    assert np.all((meta["source_magnitude"][lens] >= 22) & (meta["source_magnitude"][lens] <= 25.5))
    seeing = meta["seeing"]
    assert np.all((seeing > 0.76 * 0.6) & (seeing < 0.76 * 1.6))
    assert seeing.std() > 0, "every image draws its own PSF"
    assert np.isfinite(meta["deflector_magnitude"]).all()


def test_deterministic_per_seed_and_n_jobs(sim, small):
    _assert_same(small, sim.simulate(8, 24, survey="lsst-like", image_size=64, random_state=11))
    _assert_same(small, sim.simulate(8, 24, survey="lsst-like", image_size=64, random_state=11,
                                     n_jobs=2))
    X2, _, meta2 = sim.simulate(8, 24, survey="lsst-like", image_size=64, random_state=12)
    assert not np.array_equal(small[0], X2)
    assert not np.array_equal(small[2]["seeing"], meta2["seeing"])


@pytest.mark.parametrize("name", ["lsst-like", "des-like", "space-like"])
def test_empty_sky_matches_noise_sigma(sim, name):
    survey = sim.SURVEYS[name]
    pixels = []
    for i in range(5):
        scene = sim._draw_scene("disk", survey, 64, np.random.SeedSequence([3, i]))
        scene.components, scene.stars = [], np.zeros((0, 5))
        pixels.append(sim._render(scene)[0].reshape(-1, 3))
    pixels = np.concatenate(pixels)
    sigma = survey.noise_sigma
    assert sigma.shape == (3,)
    np.testing.assert_allclose(pixels.mean(axis=0), 0.0, atol=float(sigma.max()) * 0.03)
    np.testing.assert_allclose(pixels.std(axis=0), sigma, rtol=0.03)


@pytest.mark.parametrize("name", ["lsst-like", "des-like", "space-like"])
def test_border_pixels_are_sky(sim, name):
    """Stamp borders hold sky noise plus a little real galaxy light (faint field galaxies).

    Median and MAD are robust to the sources; neighbour differences cancel smooth light.
    """
    survey = sim.SURVEYS[name]
    X, _, _ = sim.simulate(0, 24, survey=name, image_size=96, random_state=4,
                           negative_mix={"disk": 1, "spiral": 1, "ring": 1})
    border = X[:, _border(96), :]
    for b in range(3):
        med, sig = _robust(border[..., b].ravel())
        assert abs(med) < 0.2 * survey.noise_sigma[b], (b, med)
        assert sig == pytest.approx(survey.noise_sigma[b], rel=0.1)
    X, _, _ = sim.simulate(4, 20, survey=name, image_size=64, random_state=4)
    diff = (X[:, :4, 1:, :] - X[:, :4, :-1, :]) / np.sqrt(2)  # bottom border rows
    for b in range(3):
        _, sig = _robust(diff[..., b].ravel())
        assert sig == pytest.approx(survey.noise_sigma[b], rel=0.05)


def test_survey_settings(sim):
    assert {"lsst-like", "des-like", "space-like"} <= set(sim.SURVEYS)
    lsst, des, space = (sim.SURVEYS[k] for k in ("lsst-like", "des-like", "space-like"))
    assert (lsst.pixel_scale, des.pixel_scale, space.pixel_scale) == (0.2, 0.263, 0.1)
    assert np.all((lsst.psf_fwhm >= 0.7) & (lsst.psf_fwhm <= 0.85))
    assert np.all((space.psf_fwhm >= 0.15) & (space.psf_fwhm <= 0.2))
    assert np.all(des.depth < lsst.depth), "des-like is shallower"
    assert np.all(space.read_variance > 0.5 * space.noise_sigma**2), "read-noise dominated"
    assert np.all(lsst.read_variance < 0.5 * lsst.noise_sigma**2)
    with pytest.raises(AttributeError):
        lsst.pixel_scale = 0.1


def _lens_scenes(sim, n, survey="lsst-like"):
    return [sim._draw_scene("lens", sim.SURVEYS[survey], 64, np.random.SeedSequence([9, i]))
            for i in range(n)]


def test_lensed_source_adds_blue_flux(sim):
    for scene in _lens_scenes(sim, 8):
        full, info = sim._render(scene, noise=False)
        bare, bare_info = sim._render(scene, include_source=False, noise=False)
        source = full.astype(float) - bare
        assert np.isnan(bare_info["source_snr"]) and info["source_snr"] > 0
        assert np.all(source.sum(axis=(0, 1)) > 0)
        assert source.min() > -1e-3 * source.max()
        deflector = bare.astype(float).sum(axis=(0, 1))
        assert source[..., 0].sum() / source[..., 1].sum() > deflector[0] / deflector[1]
        # bookkeeping: intrinsic source flux is the catalogued magnitude
        lensed = [c for c in scene.components if c.lensed]
        intrinsic = sum(c.flux[1] for c in lensed)
        expected = scene.survey.counts_at_mag0[1] * 10 ** (-0.4 * scene.source_magnitude)
        assert intrinsic == pytest.approx(expected, rel=1e-9)
        assert info["magnification"] > 1.5


def test_no_source_option(sim):
    args = dict(survey="lsst-like", image_size=48, random_state=5)
    X, y, meta = sim.simulate(6, 6, **args)
    X0, y0, _ = sim.simulate(6, 6, _no_source=True, **args)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(X[y == 0], X0[y == 0])
    diff = (X[y == 1].astype(float) - X0[y == 1]).sum(axis=(1, 2, 3))
    assert np.all(diff[meta["source_snr"][y == 1] > 30] > 0)


def test_einstein_ring_radius(sim):
    """A source on the optical axis is imaged into a ring at about theta_E."""
    scenes = [s for s in _lens_scenes(sim, 8) if s.einstein_radius > 1.2][:4]
    assert len(scenes) >= 3
    for scene in scenes:  # (the PSF pushes the mean radius of small rings outwards)
        lens = scene.kwargs_lens[0]
        scene = copy.deepcopy(scene)
        for c in scene.components:
            if c.lensed:
                c.params["center_x"], c.params["center_y"] = lens["center_x"], lens["center_y"]
        full, _ = sim._render(scene, noise=False)
        bare, _ = sim._render(scene, include_source=False, noise=False)
        src = (full.astype(float) - bare)[..., 1]
        n, ps = 64, scene.survey.pixel_scale
        c = (np.arange(n) - (n - 1) / 2) * ps
        r = np.hypot(c[None, :] - lens["center_x"], c[:, None] - lens["center_y"])
        radius = np.sum(src * r) / np.sum(src)
        assert radius == pytest.approx(scene.einstein_radius, rel=0.12)


def test_kind_counts_follow_the_mix(sim):
    _, y, meta = sim.simulate(0, 100, image_size=24, random_state=2)
    assert y.sum() == 0
    kinds, counts = np.unique(meta["kind"], return_counts=True)
    got = dict(zip(kinds, counts, strict=True))
    assert got == {k: round(100 * p) for k, p in sim.DEFAULT_NEGATIVE_MIX.items()}
    assert set(sim.DEFAULT_NEGATIVE_MIX) == set(sim.NEGATIVE_KINDS)
    assert sum(sim.DEFAULT_NEGATIVE_MIX.values()) == pytest.approx(1.0)

    _, _, meta = sim.simulate(1, 9, image_size=24, random_state=2,
                              negative_mix={"ring": 2, "pair": 1})
    kinds, counts = np.unique(meta["kind"], return_counts=True)
    assert dict(zip(kinds, counts, strict=True)) == {"lens": 1, "ring": 6, "pair": 3}

    got = sim._apportion(7, sim.DEFAULT_NEGATIVE_MIX)
    assert sum(got.values()) == 7
    assert all(abs(got.get(k, 0) - 7 * p) < 1 for k, p in sim.DEFAULT_NEGATIVE_MIX.items())


def test_psf_kernel_and_star_flux(sim):
    kernel = sim._moffat_kernel(0.76, 3.0, 0.2, 3)
    assert kernel.shape[0] % 2 == 1 and kernel.sum() == pytest.approx(1.0)
    row = kernel[kernel.shape[0] // 2]
    x = (np.arange(row.size) - row.size // 2) * 0.2 / 3
    right = x >= 0
    half = np.interp(0.5 * row.max(), row[right][::-1], x[right][::-1])
    assert 2 * half == pytest.approx(0.76, rel=0.03)

    survey = sim.SURVEYS["lsst-like"]
    scene = sim._draw_scene("disk", survey, 64, np.random.SeedSequence([1]))
    scene.components = []
    flux = survey.counts(20.0, (0.5, 0.2))
    scene.stars = np.array([[0.1, -0.3, *flux]])
    image, _ = sim._render(scene, noise=False)
    np.testing.assert_allclose(image.sum(axis=(0, 1)), flux, rtol=0.01)


def test_bad_arguments(sim):
    with pytest.raises(ValueError, match="survey"):
        sim.simulate(1, 1, survey="hubble")
    with pytest.raises(ValueError):
        sim.simulate(-1, 1)
    with pytest.raises(ValueError, match="kinds"):
        sim.simulate(1, 2, negative_mix={"quasar": 1.0})
    X, y, meta = sim.simulate(0, 0)
    assert X.shape == (0, 64, 64, 3) and y.shape == (0,) and meta["kind"].shape == (0,)
