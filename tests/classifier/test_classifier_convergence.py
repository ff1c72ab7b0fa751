"""A fit that did not learn its own training set is detected, retried and reported."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from skbia import CNNClassifier
from skbia.classifier._convergence import attempt_seed, training_auc


def _tiny(**params):
    base = dict(arch="compact", filter_scale=1 / 16, scaling="minmax", min_pixel=-3,
                max_pixel=3, epochs=1, batch_size=16, run_eagerly=True, random_state=0)
    base.update(params)
    return CNNClassifier(**base)


@pytest.fixture(scope="module")
def noise_labels(blobs):
    """The blob images with labels that carry no information (a fit cannot learn them)."""
    X, _ = blobs
    y = np.r_[np.ones(10, int), np.zeros(40, int)]
    return X, np.random.default_rng(3).permutation(y)


def test_a_fit_that_cannot_learn_is_detected_retried_and_reported(noise_labels):
    X, y = noise_labels
    clf = _tiny(learning_rate=1e-9, min_training_auc=0.999, retries=2)
    with pytest.warns(ConvergenceWarning) as caught:
        clf.fit(X, y)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert len(messages) == 3
    assert "attempt 1 of 3" in messages[0] and "retraining from a new seed" in messages[0]
    assert "attempt 3 of 3" in messages[2] and "no retry left" in messages[2]
    assert "50 un-augmented training images" in messages[0]
    seeds = [a["random_state"] for a in clf.fit_attempts_]
    assert seeds[0] == 0 and len(set(seeds)) == 3
    assert seeds == [attempt_seed(0, k) for k in range(3)]
    aucs = [a["training_auc"] for a in clf.fit_attempts_]
    assert all(0.0 <= a < 0.999 for a in aucs)
    # the kept network is the best attempt, and its training AUC is what it scores
    assert clf.training_auc_ == max(aucs)
    scores = clf.predict_proba(X)[:, 1]
    assert roc_auc_score(y, scores) == pytest.approx(clf.training_auc_, abs=1e-6)


def test_retries_reproduce_with_the_same_random_state(noise_labels):
    X, y = noise_labels
    runs = []
    for _ in range(2):
        clf = _tiny(learning_rate=1e-9, min_training_auc=0.999, retries=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        runs.append((clf.fit_attempts_, clf.predict_proba(X)))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_a_fit_above_the_floor_is_not_retried(blobs):
    X, y = blobs
    clf = _tiny(min_training_auc=0.05, retries=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert len(clf.fit_attempts_) == 1
    assert clf.fit_attempts_[0]["random_state"] == 0
    assert 0.05 <= clf.training_auc_ <= 1.0


def test_without_a_floor_nothing_is_checked(blobs):
    X, y = blobs
    clf = _tiny().fit(X, y)
    assert clf.training_auc_ is None
    assert clf.fit_attempts_ == [{"random_state": 0, "training_auc": None}]


def test_zero_retries_warns_once_and_keeps_the_fit(noise_labels):
    X, y = noise_labels
    clf = _tiny(learning_rate=1e-9, min_training_auc=0.999, retries=0)
    with pytest.warns(ConvergenceWarning, match="attempt 1 of 1 .* no retry left"):
        clf.fit(X, y)
    assert len(clf.fit_attempts_) == 1


@pytest.mark.parametrize("params", [{"min_training_auc": 0.0}, {"min_training_auc": 1.5},
                                    {"min_training_auc": True}, {"retries": -1},
                                    {"retries": 1.5}])
def test_bad_settings_are_refused_before_training(blobs, params):
    X, y = blobs
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        _tiny(**params).fit(X, y)


def test_training_auc_of_binary_and_multiclass_outputs():
    labels = np.array([0, 0, 1, 1])
    sigmoid = np.array([[0.1], [0.2], [0.8], [0.9]])
    assert training_auc(sigmoid, labels, np.array([0, 1]), 1) == 1.0
    # the positive class is the first column's class: its probability is 1 - sigmoid
    assert training_auc(sigmoid, labels, np.array([0, 1]), 0) == 1.0
    softmax = np.eye(3)[[0, 1, 2, 2]] * 0.8 + 0.2 / 3
    assert training_auc(softmax, np.array([0, 1, 2, 2]), np.array([0, 1, 2]), None) == 1.0
    assert training_auc(sigmoid, np.zeros(4, int), np.array([0, 1]), 1) is None
