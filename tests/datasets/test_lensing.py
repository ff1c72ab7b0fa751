"""Physics of the simulator: lens equation, SIE deflection, Sersic light, PSF, noise."""

import math

import numpy as np
import pytest
from scipy import ndimage, special

from skbia.datasets._lensing import (
    LensModel,
    image_plane_radius,
    max_deflection,
    ray_trace,
    render_lensed_sersic,
    sie_convergence,
    sie_deflection,
)
from skbia.datasets._light import (
    TRUNCATION,
    Canvas,
    Sersic,
    add_point,
    convolve,
    kernel_transform,
    psf_kernel,
    render_sersic,
    sersic_b,
    sersic_profile,
    sersic_unit_amplitude,
)
from skbia.datasets._noise import observe, sky_variance

# ----------------------------------------------------------------------------- mass model


@pytest.mark.parametrize("q, phi", [(1.0, 0.0), (0.8, 0.3), (0.5, 2.0)])
def test_convergence_is_half_the_divergence_of_the_deflection(q, phi):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, size=(2, 50))
    h = 1e-6
    theta_e, x0, y0 = 1.3, 0.1, -0.2
    ax_plus, _ = sie_deflection(x + h, y, theta_e, q, phi, x0, y0)
    ax_minus, _ = sie_deflection(x - h, y, theta_e, q, phi, x0, y0)
    _, ay_plus = sie_deflection(x, y + h, theta_e, q, phi, x0, y0)
    _, ay_minus = sie_deflection(x, y - h, theta_e, q, phi, x0, y0)
    divergence = (ax_plus - ax_minus + ay_plus - ay_minus) / (2 * h)
    np.testing.assert_allclose(divergence / 2, sie_convergence(x, y, theta_e, q, phi, x0, y0),
                               rtol=1e-5)


@pytest.mark.parametrize("q", [1.0, 0.7, 0.4])
def test_mean_convergence_inside_the_einstein_ellipse_is_one(q):
    # Gauss: the flux of alpha through a closed curve is twice the enclosed mass
    theta_e, phi = 1.7, 0.6
    t = np.linspace(0, 2 * np.pi, 20001)[:-1]
    # ellipse q x'^2 + y'^2 / q = theta_e^2, area pi theta_e^2
    xp, yp = theta_e / np.sqrt(q) * np.cos(t), theta_e * np.sqrt(q) * np.sin(t)
    x = np.cos(phi) * xp - np.sin(phi) * yp
    y = np.sin(phi) * xp + np.cos(phi) * yp
    ax, ay = sie_deflection(x, y, theta_e, q, phi)
    dx, dy = np.gradient(x, t), np.gradient(y, t)  # outward normal is (dy, -dx)
    flux = np.sum(ax * dy - ay * dx) * (t[1] - t[0])
    assert flux / 2 / (np.pi * theta_e**2) == pytest.approx(1.0, rel=1e-6)


def test_sis_deflection_has_the_einstein_radius_everywhere_and_the_sie_tends_to_it():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-3, 3, size=(2, 100))
    ax, ay = sie_deflection(x, y, 1.1, 1.0)
    np.testing.assert_allclose(np.hypot(ax, ay), 1.1)
    np.testing.assert_allclose(ax / ay, x / y)  # radial
    near = np.stack(sie_deflection(x, y, 1.1, 1 - 1e-5, 0.4))
    np.testing.assert_allclose(near, np.stack([ax, ay]), atol=1e-4)


def test_deflection_is_finite_at_the_centre_and_bounded_by_max_deflection():
    assert np.isfinite(sie_deflection(np.array([0.0]), np.array([0.0]), 1.0, 0.6)).all()
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-5, 5, size=(2, 20000))
    for q in (1.0, 0.7, 0.3):
        ax, ay = sie_deflection(x, y, 2.0, q, 1.0)
        assert np.hypot(ax, ay).max() <= max_deflection(2.0, q) + 1e-12


def test_external_shear_stretches_along_its_axis():
    lens = LensModel(theta_e=0.0, gamma1=0.1)
    bx, by = ray_trace(np.array([1.0, 0.0]), np.array([0.0, 1.0]), lens)
    np.testing.assert_allclose(bx, [0.9, 0.0])
    np.testing.assert_allclose(by, [0.0, 1.1])


def test_every_image_lies_inside_the_image_plane_radius():
    lens = LensModel(theta_e=1.5, q=0.5, phi=0.3, gamma1=0.05, gamma2=-0.06, x0=0.2, y0=-0.1)
    source_x, source_y, extent = 0.6, 0.4, 0.8
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-8, 8, size=(2, 400000))
    bx, by = ray_trace(x, y, lens)
    hit = np.hypot(bx - source_x, by - source_y) <= extent
    assert hit.sum() > 1000
    distance = math.hypot(source_x - lens.x0, source_y - lens.y0)
    radius = image_plane_radius(lens, distance, extent)
    assert np.hypot(x[hit] - lens.x0, y[hit] - lens.y0).max() <= radius


def test_invalid_mass_parameters_are_rejected():
    with pytest.raises(ValueError, match="axis ratio q"):
        sie_deflection(np.zeros(1), np.zeros(1), 1.0, 0.0)
    with pytest.raises(ValueError, match="Einstein radius"):
        sie_deflection(np.zeros(1), np.zeros(1), -1.0)


# ----------------------------------------------------------------------------- lensed light


def _on_canvas(canvas: Canvas, rendered) -> np.ndarray:
    (rows, cols), stamp = rendered
    image = np.zeros((canvas.n_rows, canvas.n_cols))
    image[rows, cols] = stamp
    return image


def _peaks(image: np.ndarray, canvas: Canvas) -> np.ndarray:
    """Flux-weighted centroids (x, y in arcsec) of the separate bright regions."""
    labels, n = ndimage.label(image > 0.05 * image.max())
    rows, cols = np.array(ndimage.center_of_mass(image, labels, range(1, n + 1))).T
    row0, col0 = canvas.center
    return np.column_stack([(cols - col0), (rows - row0)]) * canvas.pixel_scale


def test_point_source_behind_an_sis_has_two_images_twice_the_einstein_radius_apart():
    theta_e, beta = 1.2, np.array([0.3, 0.2])
    canvas = Canvas(360, 360, 0.01)
    source = Sersic(beta[0], beta[1], r_eff=0.01, n=1.0)
    image = _on_canvas(canvas, render_lensed_sersic(canvas, LensModel(theta_e), source,
                                                    oversample=2))
    peaks = _peaks(image, canvas)
    assert len(peaks) == 2
    assert np.linalg.norm(peaks[0] - peaks[1]) == pytest.approx(2 * theta_e, abs=0.01)
    # SIS images lie on the line through the source, at |beta| + theta_E and |beta| - theta_E
    unit = beta / np.linalg.norm(beta)
    expected = [unit * (np.linalg.norm(beta) + theta_e), unit * (np.linalg.norm(beta) - theta_e)]
    for point in expected:
        assert np.min(np.linalg.norm(peaks - point, axis=1)) < 0.01


def test_small_source_behind_an_sis_is_magnified_by_two_theta_e_over_beta():
    theta_e, beta = 1.0, 0.4
    canvas = Canvas(300, 300, 0.01)
    source = Sersic(beta, 0.0, r_eff=0.01, n=1.0)
    _, stamp = render_lensed_sersic(canvas, LensModel(theta_e), source, oversample=2)
    assert stamp.sum() == pytest.approx(2 * theta_e / beta, rel=0.01)


def test_lensing_conserves_surface_brightness():
    lens = LensModel(theta_e=1.0, q=0.7, phi=0.5, gamma1=0.03, gamma2=0.02)
    source = Sersic(0.15, -0.1, r_eff=0.3, n=1.5, q=0.6, phi=1.0)
    canvas = Canvas(80, 80, 0.05)
    (rows, cols), stamp = render_lensed_sersic(canvas, lens, source, oversample=1)
    x, y = np.broadcast_arrays(*canvas.coordinates(rows, cols, 1))
    amplitude = sersic_unit_amplitude(source.r_eff, source.n, source.q)
    expected = sersic_profile(*ray_trace(x, y, lens), source, amplitude)
    area = canvas.pixel_scale**2
    np.testing.assert_allclose(stamp / area, expected, rtol=1e-12, atol=1e-300)
    # images are brighter in total (magnified) but never in surface brightness
    central = amplitude * math.exp(sersic_b(source.n))
    assert stamp.sum() > 2.0
    assert stamp.max() / area <= central
    assert stamp.max() / area > 0.5 * central  # the source centre is imaged


@pytest.mark.parametrize("seed", range(4))
def test_pruned_ray_tracing_equals_tracing_the_whole_box(seed):
    rng = np.random.default_rng(seed)
    lens = LensModel(theta_e=rng.uniform(0.5, 2.5), q=rng.uniform(0.4, 1.0),
                     phi=rng.uniform(0, np.pi), gamma1=rng.uniform(-0.08, 0.08),
                     gamma2=rng.uniform(-0.08, 0.08), x0=rng.uniform(-0.2, 0.2))
    source = Sersic(*rng.uniform(-1, 1, size=2), r_eff=rng.uniform(0.05, 0.4),
                    n=rng.uniform(0.5, 2), q=rng.uniform(0.4, 1), phi=rng.uniform(0, np.pi))
    canvas = Canvas(64, 64, 0.263)
    pruned = render_lensed_sersic(canvas, lens, source, oversample=3)
    full = render_lensed_sersic(canvas, lens, source, oversample=3, prune=False)
    assert pruned[0] == full[0]
    assert full[1].sum() > 0
    np.testing.assert_allclose(pruned[1], full[1], rtol=1e-10, atol=1e-15)


# ----------------------------------------------------------------------------- Sersic light


@pytest.mark.parametrize("n, q", [(0.5, 1.0), (1.0, 0.4), (4.0, 0.8)])
def test_rendered_sersic_holds_unit_flux_and_half_of_it_within_r_eff(n, q):
    canvas = Canvas(161, 161, 0.05)
    shape = Sersic(0.013, -0.02, r_eff=0.4, n=n, q=q, phi=0.7)
    (rows, cols), stamp = render_sersic(canvas, shape, oversample=2)
    assert stamp.sum() == pytest.approx(1.0, rel=2e-3)
    # light inside the effective ellipse: half of the untruncated total
    x, y = np.broadcast_arrays(*canvas.coordinates(rows, cols, 1))
    xp = np.cos(0.7) * (x - shape.x0) + np.sin(0.7) * (y - shape.y0)
    yp = (-np.sin(0.7) * (x - shape.x0) + np.cos(0.7) * (y - shape.y0)) / q
    inside = stamp[np.hypot(xp, yp) < shape.r_eff].sum()
    truncated = special.gammainc(2 * n, sersic_b(n) * TRUNCATION ** (1 / n))
    assert inside * truncated == pytest.approx(0.5, abs=0.02)


def test_sersic_b_makes_r_eff_the_half_light_radius():
    for n in (0.5, 1.0, 2.5, 4.0, 8.0):
        assert special.gammainc(2 * n, sersic_b(n)) == pytest.approx(0.5)
    assert sersic_b(4.0) == pytest.approx(7.669, abs=1e-3)  # de Vaucouleurs


def test_sersic_parameters_are_validated():
    with pytest.raises(ValueError, match="effective radius"):
        Sersic(0, 0, r_eff=0.0, n=1.0)
    with pytest.raises(ValueError, match="axis ratio"):
        Sersic(0, 0, r_eff=1.0, n=1.0, q=1.5)


def test_point_source_flux_is_shared_between_four_pixels():
    canvas = Canvas(10, 10, 1.0)
    image = np.zeros((2, 10, 10))
    add_point(image, canvas, 0.25, -0.5, np.array([1.0, 3.0]))
    np.testing.assert_allclose(image.sum(axis=(1, 2)), [1.0, 3.0])
    assert np.count_nonzero(image[0]) == 2  # y = -0.5 px falls on a pixel centre row


# ----------------------------------------------------------------------------- PSF


@pytest.mark.parametrize("kind", ["gaussian", "moffat"])
def test_psf_kernel_is_normalized_with_the_requested_fwhm(kind):
    kernel = psf_kernel(kind, 12.0)
    assert kernel.shape == (73, 73)
    assert kernel.sum() == pytest.approx(1.0)
    row = kernel[36]
    above = np.flatnonzero(row >= row.max() / 2)
    # half maximum crossing by linear interpolation on both sides
    left = above[0] - (row[above[0]] - row.max() / 2) / (row[above[0]] - row[above[0] - 1])
    right = above[-1] + (row[above[-1]] - row.max() / 2) / (row[above[-1]] - row[above[-1] + 1])
    assert right - left == pytest.approx(12.0, rel=0.02)


def test_fft_convolution_places_the_kernel_on_a_point():
    kernel = psf_kernel("moffat", 3.0)
    radius = kernel.shape[0] // 2
    image = np.zeros((1, 40, 48))
    image[0, 20, 30] = 2.0
    out = convolve(image, kernel_transform(kernel, (40, 48))[None])
    np.testing.assert_allclose(out[0, 20 - radius:21 + radius, 30 - radius:31 + radius],
                               2.0 * kernel, atol=1e-12)
    assert out.sum() == pytest.approx(2.0)


def test_psf_parameters_are_validated():
    with pytest.raises(ValueError, match="Unknown PSF"):
        psf_kernel("airy", 2.0)
    with pytest.raises(ValueError, match="FWHM"):
        psf_kernel("gaussian", 0.0)


# ----------------------------------------------------------------------------- noise


def test_empty_sky_noise_has_the_poisson_plus_read_variance():
    sky, gain, read = np.array([2.0, 4.0, 6.5]), np.array([30.0, 30.0, 10.0]), np.array([5.0] * 3)
    shape = (3, 250, 250)
    rngs = tuple(np.random.default_rng(k) for k in range(3))
    image = observe(np.zeros(shape), None, sky_level=sky, gain=gain, read_noise=read, rngs=rngs)
    expected = sky_variance(sky, gain, read)
    n = shape[1] * shape[2]
    # 5-sigma tolerances: var of a sample variance ~ 2 sigma^4 / n (plus small excess kurtosis)
    np.testing.assert_allclose(image.var(axis=(1, 2)), expected, rtol=5 * math.sqrt(2.5 / n))
    assert np.all(np.abs(image.mean(axis=(1, 2))) < 5 * np.sqrt(expected / n))


def test_photon_noise_grows_with_the_signal():
    shape = (1, 200, 200)
    rngs = tuple(np.random.default_rng(k) for k in range(3))
    signal = np.full(shape, 300.0)
    image = observe(signal, None, sky_level=np.array([2.0]), gain=np.array([3.0]),
                    read_noise=np.array([0.0]), rngs=rngs)
    assert image.mean() == pytest.approx(300.0, abs=0.1)
    assert image.var() == pytest.approx(302.0 / 3.0, rel=0.05)
