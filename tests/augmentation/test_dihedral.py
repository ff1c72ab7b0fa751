"""The dihedral option of ImageAugmenter: exact symmetries of the square."""

import math

import numpy as np
import pytest

from skbia import ImageAugmenter
from skbia.augmentation._dihedral import dihedral_view, random_dihedral


def _noise(n, height, width, channels, seed=0):
    return np.random.default_rng(seed).normal(size=(n, height, width, channels)).astype("float32")


def _views(image):
    """The 8 symmetries of an (H, H, C) image, built independently of the code under test."""
    turns = [np.rot90(image, k) for k in range(4)]
    return turns + [np.fliplr(t) for t in turns]


def _element(copy, source):
    """Index of the view of ``source`` that ``copy`` is exactly, or None."""
    return next((k for k, v in enumerate(_views(source)) if np.array_equal(copy, v)), None)


def _copies(X, y, augmenter):
    X_res, _ = augmenter.fit_resample(X, y)
    n_copies = augmenter.n_copies_
    sources = np.concatenate(
        [np.repeat(np.flatnonzero(y == c), n_copies[c.item()]) for c in augmenter.classes_]
    )
    return X_res[len(X) :], sources


@pytest.mark.parametrize("size", [15, 16])
def test_every_copy_is_exactly_one_of_the_eight_views_of_its_source(size):
    X = _noise(6, size, size, 3)
    y = np.array([1, 1, 0, 0, 0, 0])
    augmenter = ImageAugmenter(n_copies=40, n_copies_other=5, dihedral=True, random_state=0)
    copies, sources = _copies(X, y, augmenter)
    assert copies.shape == (80 + 20, size, size, 3) and copies.dtype == np.float32
    elements = [_element(copy, X[source]) for copy, source in zip(copies, sources, strict=True)]
    assert None not in elements
    assert set(elements) == set(range(8))  # P(an element missing in 100 draws) < 1e-5


def test_the_eight_elements_are_drawn_uniformly():
    images = np.broadcast_to(np.arange(9.0, dtype="float32").reshape(1, 3, 3, 1), (8000, 3, 3, 1))
    elements = random_dihedral(images.copy(), np.random.default_rng(0))
    frequencies = np.bincount(elements, minlength=8) / len(elements)
    np.testing.assert_allclose(frequencies, 1 / 8, atol=0.015)


def test_flux_and_every_pixel_value_are_conserved_exactly():
    X = _noise(4, 17, 17, 2) * 1e3
    y = np.array([1, 0, 0, 0])
    copies, sources = _copies(X, y, ImageAugmenter(n_copies=30, dihedral=True, random_state=1))
    for copy, source in zip(copies, sources, strict=True):
        np.testing.assert_array_equal(np.sort(copy, axis=None), np.sort(X[source], axis=None))
        assert math.fsum(copy.ravel().tolist()) == math.fsum(X[source].ravel().tolist())


def test_seeds_reproduce_and_different_seeds_differ():
    X, y = _noise(6, 12, 12, 1), np.array([1, 1, 0, 0, 0, 0])
    runs = [
        ImageAugmenter(n_copies=10, dihedral=True, random_state=seed).fit_resample(X, y)[0]
        for seed in (3, 3, 4)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_the_symmetry_is_applied_after_the_warp_from_its_own_stream():
    # the same seed gives the same warps with and without dihedral; each copy is then a
    # symmetry of the warped copy
    X, y = _noise(4, 14, 14, 3), np.array([1, 1, 0, 0])
    geometry = dict(n_copies=12, rotation=True, zoom_range=(0.9, 1.1), shift=2, random_state=5)
    warped, _ = _copies(X, y, ImageAugmenter(**geometry))
    turned, _ = _copies(X, y, ImageAugmenter(**geometry, dihedral=True))
    elements = [_element(t, w) for t, w in zip(turned, warped, strict=True)]
    assert None not in elements and len(set(elements)) > 1


def test_identical_channels_stay_identical_with_blending_and_cutouts():
    X = np.repeat(_noise(6, 13, 13, 1), 4, axis=3)
    y = np.array([1, 1, 1, 0, 0, 0])
    augmenter = ImageAugmenter(
        n_copies=4,
        n_copies_other=1,
        dihedral=True,
        blend_multiplier=1.0,
        mask_size=2,
        random_state=0,
    )
    X_res, y_res = augmenter.fit_resample(X, y)
    assert X_res.shape == (6 + 12 + 3, 13, 13, 4) and (y_res[6:] == [0] * 3 + [1] * 12).all()
    for c in range(1, 4):
        np.testing.assert_array_equal(X_res[..., 0], X_res[..., c])


def test_non_square_images_raise_an_error_naming_the_parameter_and_the_shape():
    X = np.zeros((4, 12, 16, 2), dtype="float32")
    with pytest.raises(ValueError, match=r"dihedral=True needs square images.*12x16"):
        ImageAugmenter(dihedral=True).fit_resample(X, [0, 0, 1, 1])
    assert len(ImageAugmenter(dihedral=False).fit_resample(X, [0, 0, 1, 1])[0]) == 6


def test_dihedral_view_matches_rot90_and_fliplr_and_the_views_are_distinct():
    images = _noise(3, 5, 5, 2)
    for element in range(8):
        expected = [_views(image)[element] for image in images]
        np.testing.assert_array_equal(dihedral_view(images, element), expected)
    assert len({dihedral_view(images, k).tobytes() for k in range(8)}) == 8
    with pytest.raises(ValueError, match="need square images; got 4x5"):
        random_dihedral(_noise(2, 4, 5, 1), np.random.default_rng(0))
