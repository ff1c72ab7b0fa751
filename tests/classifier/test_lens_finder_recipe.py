"""make_lens_finder: the crop from the physics, the ensemble by default, the training check."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skbia import CNNClassifier, lens_finder_image_size, make_lens_finder
from skbia.classifier import LENS_FINDER_MEMBERS
from skbia.ensemble import FoldEnsembleClassifier


@pytest.mark.parametrize(
    ("pixel_scale", "radius", "fwhm", "tolerance", "expected"),
    [
        # (3 + 0.8 / 2 + 0.25) / 0.2 + 3 = 21.25 -> 2 * 22 = 44
        (0.2, (0.8, 3.0), 0.8, 3, 44),
        # (3 + 1.55 / 2 + 0.25) / 0.263 + 3 = 18.3 -> 38
        (0.263, 3.0, [1.5, 1.55, 1.2], 3, 38),
        # (1.6 + 0.18 / 2 + 0.25) / 0.1 + 3 = 22.4 -> 46
        (0.1, (0.4, 1.6), [0.16, 0.17, 0.18], 3, 46),
        # (1 + 0.5 / 2 + 0.25) / 0.5 + 0 = 3 exactly -> 6
        (0.5, 1.0, 0.5, 0, 6),
        # (2 + 1.5 / 2 + 0.25) / 0.25 + 2 = 14 exactly -> 28
        (0.25, 2.0, 1.5, 2, 28),
    ],
)
def test_the_crop_rule_gives_the_documented_size(pixel_scale, radius, fwhm, tolerance,
                                                 expected):
    side = lens_finder_image_size(pixel_scale, radius, fwhm, tolerance)
    assert side == expected
    assert side % 2 == 0
    high = radius if np.ndim(radius) == 0 else radius[1]
    half = (high + np.max(fwhm) / 2 + 0.25) / pixel_scale + tolerance
    assert side / 2 >= half > side / 2 - 1  # it holds the ring, and no more than it must


def test_the_crop_grows_with_the_radius_and_the_seeing_and_shrinks_with_the_pixels():
    base = lens_finder_image_size(0.2, 2.0, 0.8)
    assert lens_finder_image_size(0.2, 3.0, 0.8) > base
    assert lens_finder_image_size(0.2, 2.0, 1.6) > base
    assert lens_finder_image_size(0.4, 2.0, 0.8) < base


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pixel_scale": 0}, "pixel_scale must be a positive number"),
        ({"pixel_scale": math.nan}, "pixel_scale must be a positive number"),
        ({"pixel_scale": 0.2, "einstein_radius": (3.0, 1.0)}, "low <= high"),
        ({"pixel_scale": 0.2, "einstein_radius": "big"}, "einstein_radius must be"),
        ({"pixel_scale": 0.2, "psf_fwhm": []}, "psf_fwhm must be"),
        ({"pixel_scale": 0.2, "psf_fwhm": [1.0, -1.0]}, "psf_fwhm must be a positive"),
        ({"pixel_scale": 0.2, "centring_tolerance": 1.5}, "centring_tolerance"),
        ({"pixel_scale": 0.2, "centring_tolerance": -1}, "centring_tolerance"),
    ],
)
def test_the_crop_rule_refuses_nonsense(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lens_finder_image_size(**kwargs)


def test_the_recipe_is_a_fold_ensemble_of_the_recommended_network_by_default():
    finder = make_lens_finder(pixel_scale=0.263, einstein_radius=3.0, psf_fwhm=1.5,
                              random_state=7)
    assert isinstance(finder, FoldEnsembleClassifier)
    assert finder.n_folds == LENS_FINDER_MEMBERS == 5
    assert finder.validation is None and finder.random_state == 7
    member = finder.estimator
    assert isinstance(member, CNNClassifier)
    assert member.image_size == lens_finder_image_size(0.263, 3.0, 1.5) == 38
    assert (member.arch, member.scaling, member.tta) == ("compact", "asinh", "dihedral")
    assert member.min_training_auc == 0.9 and member.retries == 2
    assert member.random_state == 7
    clone(finder)  # a scikit-learn estimator all the way down


def test_one_member_is_one_classifier_and_overrides_win():
    clf = make_lens_finder(n_members=1, pixel_scale=0.1, einstein_radius=1.0, psf_fwhm=0.2,
                           image_size=64, epochs=3)
    assert isinstance(clf, CNNClassifier)
    assert clf.image_size == 64 and clf.epochs == 3
    # without a pixel scale the crop is sized for 0.2"/px, 3" and 1" seeing
    assert make_lens_finder(n_members=1).image_size == lens_finder_image_size(0.2) == 44


@pytest.mark.parametrize("n_members", [0, -2, 2.5, True, "5"])
def test_bad_member_counts_are_refused(n_members):
    with pytest.raises(ValueError, match="n_members must be a whole number"):
        make_lens_finder(n_members=n_members)


def test_the_ensembles_probability_is_the_mean_of_its_members(blobs):
    X, y = blobs
    finder = make_lens_finder(n_members=3, image_size=16, epochs=1, filter_scale=1 / 16,
                              batch_size=16, run_eagerly=True, retries=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        finder.fit(X, y)
    members = np.stack([member.predict_proba(X) for member in finder.estimators_])
    np.testing.assert_allclose(finder.predict_proba(X), members.mean(axis=0), rtol=1e-6)
    assert len({id(m) for m in finder.estimators_}) == 3
    # each member checked its own training fold
    for member, (train, _) in zip(finder.estimators_, finder.fold_indices_, strict=True):
        assert member.fit_attempts_ and member.training_auc_ is not None
        assert len(train) == len(y) - len(y) // 3 or len(train) == len(y) - len(y) // 3 - 1
