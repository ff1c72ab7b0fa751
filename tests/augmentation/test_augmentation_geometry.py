"""Geometry, cutouts and blending of ImageAugmenter: exactness and invariants."""

import numpy as np
import pytest
from scipy import ndimage

from skbia import ImageAugmenter
from skbia.augmentation._blending import blend, choose_distinct
from skbia.augmentation._cutouts import apply_cutouts, disc_offsets
from skbia.augmentation._geometry import channel_groups, inverse_maps, warp_images


def _noise(n, height, width, channels, seed=0):
    return np.random.default_rng(seed).normal(size=(n, height, width, channels)).astype("float32")


def _gaussian_source(size, sigma, channels=3, centre=None):
    """One image with a Gaussian source, exactly zero beyond 4 sigma."""
    yy, xx = np.mgrid[:size, :size].astype(float)
    cy, cx = ((size - 1) / 2, (size - 1) / 2) if centre is None else centre
    r2 = (yy - cy) ** 2 + (xx - cx) ** 2
    source = np.where(r2 <= (4 * sigma) ** 2, np.exp(-r2 / (2 * sigma**2)), 0.0)
    return np.repeat(source[None, :, :, None], channels, axis=3).astype("float32")


def _copies(X, y, augmenter):
    """Fit-resample and return (copies, source index of each copy), one class augmented."""
    X_res, _ = augmenter.fit_resample(X, y)
    positive = np.flatnonzero(y == augmenter.positive_label_)
    sources = np.repeat(positive, augmenter.n_copies_[augmenter.positive_label_])
    return X_res[len(X) :], sources


def _dihedral(image):
    """The 8 flips/quarter turns of an (H, W, C) square image."""
    turns = [np.rot90(image, k, axes=(0, 1)) for k in range(4)]
    return turns + [t[:, ::-1] for t in turns]


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_flips_and_quarter_turns_are_exact_pixel_permutations(interpolation):
    X = _noise(6, 15, 15, 3)
    y = np.array([1, 1, 1, 0, 0, 0])
    augmenter = ImageAugmenter(
        n_copies=12,
        horizontal=True,
        vertical=True,
        rotation="90",
        interpolation=interpolation,
        random_state=0,
    )
    copies, sources = _copies(X, y, augmenter)
    assert len(copies) == 36
    seen = set()
    for copy, source in zip(copies, sources, strict=True):
        matches = [k for k, t in enumerate(_dihedral(X[source])) if np.array_equal(copy, t)]
        assert matches, "a copy is not an exact flip/rotation of its source"
        seen.add(matches[0])
    assert len(seen) >= 6  # the draws really vary


def test_integer_shift_is_exact_and_conserves_flux():
    X = _gaussian_source(31, sigma=2.0)
    X = np.concatenate([X, X])
    y = np.array([1, 0])
    augmenter = ImageAugmenter(n_copies=20, shift=(4, 6), fill="constant", random_state=0)
    copies, _ = _copies(X, y, augmenter)
    flux = X[0].sum()
    np.testing.assert_allclose(copies.sum(axis=(1, 2, 3)), flux, rtol=1e-6)
    for copy in copies:
        # the shifted peak lies within the allowed window and the profile is unchanged
        row, col = np.unravel_index(np.argmax(copy[..., 0]), copy.shape[:2])
        dy, dx = row - 15, col - 15
        assert abs(dy) <= 4 and abs(dx) <= 6
        np.testing.assert_array_equal(copy, np.roll(X[0], (dy, dx), axis=(0, 1)))


def test_rotation_conserves_flux_within_interpolation_tolerance():
    X = np.concatenate([_gaussian_source(32, sigma=2.5)] * 2)
    y = np.array([1, 0])
    augmenter = ImageAugmenter(n_copies=16, rotation=True, shift=3, fill="constant", random_state=1)
    copies, _ = _copies(X, y, augmenter)
    np.testing.assert_allclose(copies.sum(axis=(1, 2, 3)), X[0].sum(), rtol=5e-3)


def test_zoom_above_one_enlarges_the_content():
    X = np.concatenate([_gaussian_source(41, sigma=2.5)] * 2)
    y = np.array([1, 0])
    augmenter = ImageAugmenter(n_copies=3, zoom_range=(1.5, 1.5), fill="constant", random_state=0)
    copies, _ = _copies(X, y, augmenter)
    # a zoom z scales lengths by z, so the flux of a 2-d source by z**2
    np.testing.assert_allclose(copies.sum(axis=(1, 2, 3)), 1.5**2 * X[0].sum(), rtol=5e-3)


@pytest.mark.parametrize("shape", [(24, 24), (25, 25), (20, 31)])
def test_geometry_keeps_a_centred_source_centred(shape):
    height, width = shape
    yy, xx = np.mgrid[:height, :width].astype(float)
    source = np.exp(-((yy - (height - 1) / 2) ** 2 + (xx - (width - 1) / 2) ** 2) / 8.0)
    X = np.repeat(source[None, :, :, None], 2, axis=0).astype("float32")
    y = np.array([1, 0])
    augmenter = ImageAugmenter(
        n_copies=10,
        horizontal=True,
        vertical=True,
        rotation=True,
        zoom_range=(0.8, 1.25),
        skew_angle=15,
        fill="constant",
        random_state=0,
    )
    copies, _ = _copies(X, y, augmenter)
    weights = copies[..., 0]
    total = weights.sum(axis=(1, 2))
    np.testing.assert_allclose((weights * yy).sum(axis=(1, 2)) / total, (height - 1) / 2, atol=0.02)
    np.testing.assert_allclose((weights * xx).sum(axis=(1, 2)) / total, (width - 1) / 2, atol=0.02)


def test_identical_channels_stay_identical_through_every_step():
    band = _noise(8, 20, 20, 1)
    X = np.repeat(band, 3, axis=3)
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    augmenter = ImageAugmenter(
        n_copies=5,
        n_copies_other=2,
        shift=3,
        horizontal=True,
        vertical=True,
        rotation=True,
        zoom_range=(0.9, 1.1),
        skew_angle=10,
        blend_multiplier=1.5,
        blend_other=1,
        blending_func="random",
        mask_size=2,
        num_masks=3,
        random_state=0,
    )
    X_res, _ = augmenter.fit_resample(X, y)
    assert len(X_res) == 8 + 22 + 10
    np.testing.assert_array_equal(X_res[..., 0], X_res[..., 1])
    np.testing.assert_array_equal(X_res[..., 0], X_res[..., 2])


@pytest.mark.parametrize("channels", [1, 2, 5, 6, 9])
def test_each_band_is_warped_with_the_same_matrix(channels):
    X = _noise(3, 18, 22, channels)
    rng = np.random.default_rng(0)
    linear = rng.normal(size=(4, 2, 2)) * 0.2 + np.eye(2)
    maps = inverse_maps(linear, rng.uniform(-3, 3, size=(4, 2)), 18, 22)
    sources = np.array([0, 2, 1, 2])
    warped = warp_images(X, sources, maps, fill="reflect")
    assert warped.shape == (4, 18, 22, channels) and warped.dtype == np.float32
    for c in range(channels):
        alone = warp_images(np.ascontiguousarray(X[..., c : c + 1]), sources, maps, fill="reflect")
        np.testing.assert_array_equal(warped[..., c : c + 1], alone)


def test_channel_groups_cover_all_bands_without_two_channel_calls():
    for channels in range(1, 14):
        groups = channel_groups(channels)
        sizes = [g.stop - g.start for g in groups]
        assert set(sizes) <= {1, 3, 4}
        assert groups[0].start == 0 and groups[-1].stop == channels
        assert all(a.stop == b.start for a, b in zip(groups[:-1], groups[1:], strict=True))


@pytest.mark.parametrize(
    ("fill", "scipy_mode"),
    [
        ("constant", "constant"),
        ("nearest", "nearest"),
        ("reflect", "reflect"),
        ("mirror", "mirror"),
        ("wrap", "grid-wrap"),
    ],
)
@pytest.mark.parametrize("shift", [(3, -5), (-7, 2)])
def test_fill_modes_match_scipy_ndimage(fill, scipy_mode, shift):
    X = _noise(1, 8, 10, 2)
    dy, dx = shift
    maps = inverse_maps(np.eye(2)[None], np.array([[dx, dy]], float), 8, 10)
    warped = warp_images(X, np.array([0]), maps, fill=fill, fill_value=2.5)
    expected = ndimage.shift(X[0], (dy, dx, 0), order=1, mode=scipy_mode, cval=2.5)
    np.testing.assert_allclose(warped[0], expected, atol=1e-6)


def test_scipy_legacy_wrap_differs_from_ours():
    # scipy's "wrap" overlaps the first and last pixel (period W - 1); ours tiles (period W).
    X = np.arange(5, dtype="float32").reshape(1, 1, 5, 1)
    maps = inverse_maps(np.eye(2)[None], np.array([[2.0, 0.0]]), 1, 5)
    ours = warp_images(X, np.array([0]), maps, fill="wrap")[0, 0, :, 0]
    np.testing.assert_array_equal(ours, [3, 4, 0, 1, 2])
    assert not np.array_equal(ours, ndimage.shift(X[0, 0, :, 0], 2, order=1, mode="wrap"))


@pytest.mark.parametrize(("radius", "pixels"), [(1, 5), (2, 13), (3, 29), (5, 81)])
def test_disc_has_the_lattice_point_count_of_a_circle(radius, pixels):
    dy, dx = disc_offsets(radius)
    assert len(dy) == pixels
    assert np.all(dy**2 + dx**2 <= radius**2)


def test_cutout_zeroes_exactly_one_disc_and_nothing_else():
    X = (
        np.ones((4, 21, 23, 2), dtype="float32")
        * np.arange(1, 5, dtype="float32")[:, None, None, None]
    )
    y = np.array([1, 1, 0, 0])
    augmenter = ImageAugmenter(
        n_copies=6, n_copies_other=6, mask_size=3, num_masks=1, random_state=0
    )
    X_res, _ = augmenter.fit_resample(X, y)
    np.testing.assert_array_equal(X_res[:4], X)  # originals untouched
    yy, xx = np.mgrid[:21, :23]
    for copy in X_res[4:]:
        zero = copy == 0
        np.testing.assert_array_equal(zero[..., 0], zero[..., 1])
        rows, cols = np.nonzero(zero[..., 0])
        cy, cx = rows.mean(), cols.mean()
        assert cy == int(cy) and cx == int(cx)
        assert 3 <= cy <= 21 - 4 and 3 <= cx <= 23 - 4
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= 9
        np.testing.assert_array_equal(zero[..., 0], disc)
        assert np.unique(copy[~zero]).size == 1  # every other pixel keeps its value


def test_cutout_centres_cover_the_whole_allowed_range():
    images = np.ones((400, 12, 16, 1), dtype="float32")
    centres = apply_cutouts(images, np.random.default_rng(0), radius=2, num_masks=3)
    assert centres[..., 0].min() == 2 and centres[..., 0].max() == 12 - 3
    assert centres[..., 1].min() == 2 and centres[..., 1].max() == 16 - 3


@pytest.mark.parametrize(("func", "reduce"), [("mean", np.mean), ("max", np.max), ("min", np.min)])
def test_blend_of_two_images_is_their_pixelwise_combination(func, reduce):
    X = _noise(4, 12, 12, 3)
    y = np.array([1, 1, 0, 0])
    augmenter = ImageAugmenter(
        n_copies=1,
        n_copies_other=1,
        blend_multiplier=2,
        blend_other=1,
        blending_func=func,
        random_state=0,
    )
    X_res, y_res = augmenter.fit_resample(X, y)
    # positive: 2 copies -> floor(2 * 2) = 4 blends; other: 2 copies -> 2 blends
    np.testing.assert_array_equal(y_res[4:], [0, 0, 1, 1, 1, 1])
    for blended, pair in [(X_res[4:6], X[2:4]), (X_res[6:], X[:2])]:
        np.testing.assert_allclose(
            blended, np.repeat(reduce(pair, axis=0)[None], len(blended), 0), rtol=1e-6
        )


def test_random_blending_uses_one_of_the_three_functions_per_image():
    pool = _noise(3, 8, 8, 2)
    out = blend(pool, 60, np.random.default_rng(0), func="random", k=3)
    candidates = [f(pool, axis=0) for f in (np.mean, np.max, np.min)]
    used = [next(i for i, c in enumerate(candidates) if np.allclose(image, c)) for image in out]
    assert set(used) == {0, 1, 2}


def test_choose_distinct_draws_distinct_uniform_subsets():
    rows = choose_distinct(np.random.default_rng(0), 5, 20000, 3)
    assert rows.shape == (20000, 3) and rows.min() == 0 and rows.max() == 4
    assert all(len(set(r)) == 3 for r in rows[:2000])
    counts = np.bincount(rows.ravel(), minlength=5) / rows.size
    np.testing.assert_allclose(counts, 0.2, atol=0.01)
    full = choose_distinct(np.random.default_rng(1), 4, 50, 4)
    np.testing.assert_array_equal(np.sort(full, axis=1), np.tile(np.arange(4), (50, 1)))
    with pytest.raises(ValueError, match="cannot choose 4 distinct images out of 3"):
        choose_distinct(np.random.default_rng(0), 3, 1, 4)


@pytest.mark.parametrize("fill", ["constant", "nearest", "reflect", "mirror", "wrap"])
def test_pixel_moves_match_opencv_nearest_for_every_fill_mode(fill):
    from skbia.augmentation._geometry import pixel_permutation_maps

    images = _noise(2, 9, 11, 3)
    quarter = np.array([[0.0, -1.0], [1.0, 0.0]])
    flip = np.array([[-1.0, 0.0], [0.0, 1.0]])
    linear = np.stack([np.eye(2), flip, np.eye(2) * -1, np.eye(2)])
    shifts = np.array([[3.0, -2.0], [-4.0, 5.0], [1.0, 1.0], [0.0, 0.0]])
    maps = inverse_maps(linear, shifts, 9, 11)
    square = _noise(1, 9, 9, 3, seed=1)
    turned = inverse_maps(quarter[None], np.array([[2.0, 0.0]]), 9, 9)
    assert pixel_permutation_maps(maps).all() and pixel_permutation_maps(turned).all()
    sources = np.array([0, 1, 0, 1])
    exact = warp_images(images, sources, maps, fill=fill, fill_value=-7.0)
    exact_turned = warp_images(square, np.array([0]), turned, fill=fill, fill_value=-7.0)
    # OpenCV's nearest-neighbour warp of the same maps, one call per image
    import cv2

    from skbia.augmentation._geometry import FILL_MODES

    for out, source, matrix, image in [
        *zip(exact, sources, maps, [images] * 4, strict=True),
        (exact_turned[0], 0, turned[0], square),
    ]:
        reference = cv2.warpAffine(
            image[source],
            matrix,
            image.shape[2:0:-1],
            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
            borderMode=FILL_MODES[fill],
            borderValue=(-7.0,) * 4,
        )
        np.testing.assert_array_equal(out, reference)


def test_non_integer_maps_are_not_treated_as_pixel_moves():
    from skbia.augmentation._geometry import pixel_permutation_maps

    linear = np.stack([np.eye(2), np.eye(2) * 1.1, np.eye(2)])
    shifts = np.array([[0.5, 0.0], [0.0, 0.0], [2.0, 3.0]])
    np.testing.assert_array_equal(
        pixel_permutation_maps(inverse_maps(linear, shifts, 8, 8)), [False, False, True]
    )
