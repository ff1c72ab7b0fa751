"""LensInjector: lenses painted into the training fold's negatives, labelled positive."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from skbia import ImageAugmenter, LensInjector
from skbia.datasets import select_hosts

# 32-pixel stamps of 0.2 arcsec: Einstein radii up to 3 arcsec fit
PHYSICS = dict(pixel_scale=0.2, zero_point=25.0, psf_fwhm=0.6, einstein_radius=(1.0, 2.0))


def _data(n_pos=4, n_neg=20, size=32, seed=0):
    """Noise images with a red central galaxy in the negatives; pixel [0, 0, 0] is an ID."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 0.05, size=(n_pos + n_neg, size, size, 3))
    rows, cols = np.indices((size, size))
    blob = np.exp(-((rows - (size - 1) / 2) ** 2 + (cols - (size - 1) / 2) ** 2) / 8.0)
    brightness = rng.uniform(0.5, 5.0, size=len(X))
    X += brightness[:, None, None, None] * blob[None, :, :, None] * np.array([0.3, 0.6, 1.0])
    X[:, 0, 0, 0] = np.arange(len(X))  # a unique ID, far from any arc
    y = np.array([1] * n_pos + [0] * n_neg)
    return X.astype(np.float32), y


def test_appends_injected_negatives_labelled_positive_after_the_originals():
    X, y = _data()
    injector = LensInjector(n_injected=8, **PHYSICS, random_state=0)
    X_res, y_res = injector.fit_resample(X, y)
    assert X_res.shape == (len(X) + 8, *X.shape[1:]) and X_res.dtype == np.float32
    np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(y_res, np.r_[y, np.ones(8, int)])
    hosts = injector.host_indices_
    assert len(hosts) == 8 == len(set(hosts.tolist()))  # enough negatives: no repeats
    assert (y[hosts] == 0).all()
    added = X_res[len(X):].astype(float) - X[hosts]
    assert (added >= 0).all() and (added.sum(axis=(1, 2, 3)) > 0).all()
    meta = injector.injection_metadata_
    assert meta["host_index"].tolist() == hosts.tolist()
    assert injector.rejected_fraction_ == meta["rejected_fraction"]
    assert injector.positive_label_ == 1 and injector.n_injected_ == 8


def test_ratio_zero_and_more_injections_than_negatives():
    X, y = _data(n_pos=2, n_neg=6)
    injector = LensInjector(n_injected=0.5, **PHYSICS, random_state=0)
    assert len(injector.fit_resample(X, y)[0]) == len(X) + 3  # round(0.5 * 6)
    X_same, y_same = LensInjector(n_injected=0, **PHYSICS).fit_resample(X, y)
    np.testing.assert_array_equal(X_same, X)
    np.testing.assert_array_equal(y_same, y)
    many = LensInjector(n_injected=15, **PHYSICS, random_state=0)
    _, y_res = many.fit_resample(X, y)
    assert (y_res == 1).sum() == 2 + 15 and (y[many.host_indices_] == 0).all()


def test_same_fold_same_images_other_folds_and_seeds_other_images():
    X, y = _data()
    injector = LensInjector(n_injected=5, **PHYSICS, random_state=0)
    first, _ = injector.fit_resample(X, y)
    again, _ = clone(injector).fit_resample(X, y)
    np.testing.assert_array_equal(again, first)
    unpickled, _ = pickle.loads(pickle.dumps(injector)).fit_resample(X, y)
    np.testing.assert_array_equal(unpickled, first)
    other_fold, _ = injector.fit_resample(X[1:], y[1:])
    assert not np.array_equal(other_fold[-5:], first[-5:])
    other_seed, _ = clone(injector).set_params(random_state=1).fit_resample(X, y)
    assert not np.array_equal(other_seed[-5:], first[-5:])


def test_bright_red_hosts_are_selected_among_the_negatives():
    X, y = _data(n_neg=30)
    injector = LensInjector(n_injected=4, hosts="bright_red_centre", **PHYSICS, random_state=0)
    injector.fit_resample(X, y)
    negatives = np.flatnonzero(y == 0)
    allowed = negatives[select_hosts(X[negatives], "bright_red_centre")]
    assert len(allowed) < len(negatives)
    assert set(injector.host_indices_.tolist()) <= set(allowed.tolist())


def test_positive_label_for_other_labels():
    X, y = _data()
    labels = np.where(y == 1, "lens", "other")
    with pytest.raises(ValueError, match="positive_label"):
        LensInjector(**PHYSICS).fit(X, labels)
    injector = LensInjector(n_injected=3, positive_label="lens", **PHYSICS, random_state=0)
    _, y_res = injector.fit_resample(X, labels)
    assert y_res[-3:].tolist() == ["lens"] * 3 and (labels[injector.host_indices_] == "other").all()


def test_errors_name_the_parameter_before_any_work():
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="n_injected"):
        LensInjector(n_injected=-1).fit_resample(X, y)
    with pytest.raises(InvalidParameterError, match="hosts"):
        LensInjector(hosts="brightest").fit(X, y)
    with pytest.raises(ValueError, match="psf_fwhm must have one value per band"):
        LensInjector(**{**PHYSICS, "psf_fwhm": [0.6, 0.7]}).fit_resample(X, y)
    with pytest.raises(ValueError, match="larger than the stamp"):
        LensInjector(**{**PHYSICS, "einstein_radius": 5.0}).fit_resample(X, y)
    with pytest.raises(ValueError, match="at least 2"):
        LensInjector(**PHYSICS).fit(X[:4], y[:4])  # only positives: nothing to paint into
    with pytest.raises(ValueError, match="LensInjector needs one class label per image"):
        LensInjector(**PHYSICS).fit(X, np.eye(2)[y])


def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


class _RecordingInjector(LensInjector):
    """LensInjector that records the IDs (pixel [0, 0, 0]) of the hosts it painted into."""

    host_ids: list = []

    def fit_resample(self, X, y):
        result = super().fit_resample(X, y)
        type(self).host_ids.append(np.asarray(X)[self.host_indices_, 0, 0, 0].astype(int))
        return result


def _check_no_held_out_host(pipe, X, y, cv):
    _RecordingInjector.host_ids = []
    scores = cross_val_score(pipe, X, y, cv=cv, scoring="roc_auc")
    assert np.isfinite(scores).all()
    folds = list(cv.split(X, y))
    assert len(_RecordingInjector.host_ids) == len(folds)
    held_out_hosts = 0
    for ids, (train, test) in zip(_RecordingInjector.host_ids, folds, strict=True):
        assert len(ids) > 0 and set(ids.tolist()) <= set(train.tolist())
        assert (y[ids] == 0).all()
        held_out_hosts += len(set(ids.tolist()) & set(test.tolist()))
    assert held_out_hosts == 0


def test_cross_validation_never_paints_into_held_out_images():
    X, y = _data(n_pos=6, n_neg=24)
    pipe = make_pipeline(
        _RecordingInjector(n_injected=1.0, **PHYSICS, random_state=0),
        ImageAugmenter(n_copies=1, horizontal=True, random_state=0),
        FunctionTransformer(_flatten),
        LogisticRegression(max_iter=200),
    )
    _check_no_held_out_host(pipe, X, y, StratifiedKFold(3, shuffle=True, random_state=0))


@pytest.mark.slow  # about 20 s: Keras and three tiny networks
def test_cnn_pipeline_with_injector_and_augmenter_in_cross_validation():
    from skbia import CNNClassifier  # imports Keras

    X, y = _data(n_pos=6, n_neg=24)
    pipe = make_pipeline(
        _RecordingInjector(n_injected=6, **PHYSICS, random_state=0),
        ImageAugmenter(n_copies=1, horizontal=True, random_state=0),
        CNNClassifier(arch="alexnet", image_size=24, filter_scale=1 / 16, max_pixel=10,
                      epochs=1, batch_size=16, random_state=0),
    )
    _check_no_held_out_host(pipe, X, y, StratifiedKFold(3, shuffle=True, random_state=0))
    assert clone(pipe).get_params()["_recordinginjector__n_injected"] == 6
