import numpy as np
import pytest

from skbia.utils import estimate_background_noise

SIGMAS = np.array([0.5, 2.0, 30.0])


def _noise(shape=(40, 48, 48, 3), sigmas=SIGMAS, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * sigmas).astype("float32")


def _add_central_source(images, peak, width=4.0):
    n, height, width_px, _ = images.shape
    yy, xx = np.mgrid[:height, :width_px]
    r2 = (yy - (height - 1) / 2) ** 2 + (xx - (width_px - 1) / 2) ** 2
    source = np.exp(-r2 / (2 * width**2))  # a Gaussian galaxy of `width` px sigma
    return images + (source[None, :, :, None] * peak).astype("float32")


def test_gaussian_noise_of_known_sigma_per_band():
    noise = estimate_background_noise(_noise())
    assert noise.shape == (3,) and noise.dtype == np.float64
    np.testing.assert_allclose(noise, SIGMAS, rtol=0.05)


def test_bright_central_source_does_not_inflate_the_estimate():
    # a 64-px cutout with a galaxy core at 10^4 sigma, brighter than the noise out to 17 px
    images = _noise(shape=(40, 64, 64, 3))
    bright = _add_central_source(images, peak=1e4 * SIGMAS)
    noise = estimate_background_noise(bright, border=10)
    np.testing.assert_allclose(noise, SIGMAS, rtol=0.05)
    np.testing.assert_allclose(noise, estimate_background_noise(images, border=10), rtol=1e-3)
    # on all pixels the source inflates the standard deviation, and even the MAD
    assert np.all(bright.reshape(-1, 3).std(axis=0) > 100 * SIGMAS)
    assert np.all(estimate_background_noise(bright, border=None) > 1.2 * SIGMAS)


def test_a_few_bright_border_pixels_are_ignored():
    images = _noise()
    images[:, 0, :5, :] = 1e6  # a bright neighbour cut by the border in every image
    np.testing.assert_allclose(estimate_background_noise(images), SIGMAS, rtol=0.05)


def test_image_to_image_sky_offsets_do_not_inflate_the_estimate():
    images = _noise()
    offsets = np.random.default_rng(1).uniform(-100, 100, size=(len(images), 1, 1, 3))
    noise = estimate_background_noise(images + offsets.astype("float32"))
    np.testing.assert_allclose(noise, SIGMAS, rtol=0.05)


def test_only_the_border_is_used():
    # noise of 1 in a 5-px frame, noise of 100 inside it
    images = _noise(shape=(30, 40, 40, 1), sigmas=np.array([100.0]))
    frame = np.zeros((40, 40), dtype=bool)
    frame[:5] = frame[-5:] = True
    frame[:, :5] = frame[:, -5:] = True
    images[:, frame, :] /= 100
    assert estimate_background_noise(images, border=5)[0] == pytest.approx(1.0, rel=0.05)
    assert estimate_background_noise(images, border=None)[0] > 10


def test_tiny_images_fall_back_to_all_pixels():
    images = _noise(shape=(400, 6, 6, 3))
    # a 3-px border covers a 6-px image: all pixels, the same as border=None
    np.testing.assert_array_equal(
        estimate_background_noise(images, border=3), estimate_background_noise(images, border=None)
    )
    np.testing.assert_allclose(estimate_background_noise(images, border=10), SIGMAS, rtol=0.05)


def test_three_dimensional_input_is_one_band():
    images = _noise(shape=(20, 32, 32, 1), sigmas=np.array([3.0]))
    np.testing.assert_array_equal(
        estimate_background_noise(images[..., 0]), estimate_background_noise(images)
    )


def test_never_zero():
    # more than half of the border is exactly 0 (zero padding): falls back to all pixels
    images = _noise(shape=(10, 20, 20, 1), sigmas=np.array([2.0]))
    padded = np.zeros((10, 40, 40, 1), dtype="float32")
    padded[:, 10:30, 10:30] = images
    noise = estimate_background_noise(padded, border=10)
    assert 0 < noise[0] < 2.0
    # constant bands: the floor, relative to the constant value
    constant = np.zeros((3, 8, 8, 2), dtype="float32")
    constant[..., 1] = -5.0
    noise = estimate_background_noise(constant, floor=1e-4)
    np.testing.assert_allclose(noise, [1e-4, 5e-4])
    assert np.all(noise > 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"border": 0}, ValueError, "border must be a positive integer"),
        ({"border": 2.5}, ValueError, "border must be a positive integer"),
        ({"border": True}, ValueError, "border must be a positive integer"),
        ({"floor": 0.0}, ValueError, "floor must be a finite positive number"),
        ({"floor": np.inf}, ValueError, "floor must be a finite positive number"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        estimate_background_noise(_noise(shape=(2, 8, 8, 1), sigmas=1.0), **kwargs)


def test_bad_images():
    with pytest.raises(ValueError, match="non-finite"):
        estimate_background_noise(np.full((2, 8, 8, 1), np.nan))
    with pytest.raises(ValueError, match="4-d"):
        estimate_background_noise(np.zeros((8, 8)))
    with pytest.raises(TypeError, match="real numeric"):
        estimate_background_noise(np.full((2, 8, 8, 1), "a"))
