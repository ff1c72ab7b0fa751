"""FoldEnsembleClassifier with a recording stand-in member: folds, validation, averaging."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skbia import FoldEnsembleClassifier, ImageAugmenter


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers what it was trained and validated on; image ids live in pixel [0, 0, 0].

    ``predict_proba`` gives 0.9 to images it trained on and, to the others, a
    value below 0.5 that depends on the image and on this member's training set.
    """

    def __init__(self, fail_without=None, scale=1.0):
        self.fail_without = fail_without
        self.scale = scale

    def fit(self, X, y, validation_data=None):
        ids = ids_of(X)
        if self.fail_without is not None and self.fail_without not in ids:
            raise ValueError("image missing")
        self.classes_ = np.unique(y)
        self.train_ids_, self.train_y_ = ids, np.asarray(y)
        self.validation_ = validation_data
        self.fingerprint_ = (ids.sum() % 997) / 997
        return self

    def predict_proba(self, X):
        ids = ids_of(X)
        unseen = 0.49 * ((0.618 * ids + self.fingerprint_) % 1.0) * self.scale
        positive = np.where(np.isin(ids, self.train_ids_), 0.9, unseen)
        return np.column_stack([1 - positive, positive])


class NoValidation(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))


def ids_of(X):
    return np.asarray(X)[:, 0, 0, 0].astype(int)


@pytest.fixture(scope="module")
def data(blobs):
    X, y = blobs
    X = X.copy()
    X[:, 0, 0, 0] = np.arange(len(X))  # the recorder reads the image id here
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return FoldEnsembleClassifier(Recorder(), n_folds=5, random_state=0).fit(X, y)


def test_is_a_classifier_on_image_arrays():
    ensemble = FoldEnsembleClassifier(Recorder())
    assert is_classifier(ensemble)
    tags = ensemble.__sklearn_tags__()
    assert tags.estimator_type == "classifier" and tags.target_tags.required
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array


def test_one_member_per_stratified_fold(data, fitted):
    X, y = data
    assert len(fitted.estimators_) == len(fitted.fold_indices_) == 5
    held = np.concatenate([test for _, test in fitted.fold_indices_])
    np.testing.assert_array_equal(np.sort(held), np.arange(len(y)))  # a partition
    for member, (train, test) in zip(fitted.estimators_, fitted.fold_indices_, strict=True):
        assert len(test) == 10 and y[test].sum() == 2  # 10 positives / 40 negatives in 5 folds
        np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(len(y)))
        np.testing.assert_array_equal(member.train_ids_, train)  # trained on exactly X[train]
        np.testing.assert_array_equal(member.train_y_, y[train])
    np.testing.assert_array_equal(fitted.classes_, [0, 1])
    assert fitted.n_classes_ == 2


def test_folds_follow_random_state_and_shuffle(data, fitted):
    X, y = data
    expected = StratifiedKFold(5, shuffle=True, random_state=0).split(X[:, 0, 0, 0], y)
    for (train, test), (expected_train, expected_test) in zip(fitted.fold_indices_, expected,
                                                              strict=True):
        np.testing.assert_array_equal(train, expected_train)
        np.testing.assert_array_equal(test, expected_test)
    other = FoldEnsembleClassifier(Recorder(), random_state=1).fit(X, y)
    assert any(not np.array_equal(a[1], b[1])
               for a, b in zip(fitted.fold_indices_, other.fold_indices_, strict=True))
    unshuffled = FoldEnsembleClassifier(Recorder(), shuffle=False, random_state=3).fit(X, y)
    plain = StratifiedKFold(5).split(X[:, 0, 0, 0], y)
    for (_, test), (_, expected_test) in zip(unshuffled.fold_indices_, plain, strict=True):
        np.testing.assert_array_equal(test, expected_test)


def test_each_member_validates_on_its_held_out_fold(data, fitted):
    X, y = data
    for member, (_, test) in zip(fitted.estimators_, fitted.fold_indices_, strict=True):
        X_val, y_val = member.validation_
        np.testing.assert_array_equal(ids_of(X_val), test)
        np.testing.assert_array_equal(X_val, X[test])
        np.testing.assert_array_equal(y_val, y[test])


def test_validation_none_gives_no_validation_data(data):
    X, y = data
    ensemble = FoldEnsembleClassifier(Recorder(), n_folds=2, validation=None).fit(X, y)
    assert all(member.validation_ is None for member in ensemble.estimators_)
    # an estimator without validation_data in fit works without validation
    FoldEnsembleClassifier(NoValidation(), n_folds=2, validation=None).fit(X, y)


def test_pipeline_member_gets_validation_through_the_last_step(data):
    X, y = data
    pipeline = make_imb_pipeline(ImageAugmenter(n_copies=1, random_state=0), Recorder())
    ensemble = FoldEnsembleClassifier(pipeline, n_folds=3, random_state=0).fit(X, y)
    for member, (train, test) in zip(ensemble.estimators_, ensemble.fold_indices_, strict=True):
        recorder = member.steps[-1][1]
        X_val, y_val = recorder.validation_
        np.testing.assert_array_equal(ids_of(X_val), test)  # raw held-out images, not augmented
        np.testing.assert_array_equal(y_val, y[test])
        assert len(recorder.train_ids_) > len(train)  # the training part was augmented
        assert set(recorder.train_ids_) == set(train)


def test_oof_proba_comes_from_the_member_that_did_not_see_the_image(data, fitted):
    X, y = data
    oof = fitted.oof_proba_
    assert oof.shape == (len(y), 2) and np.isfinite(oof).all()
    assert np.all(oof[:, 1] < 0.5)  # the recorder gives 0.9 to images it trained on
    fingerprints = {member.fingerprint_ for member in fitted.estimators_}
    assert len(fingerprints) == 5  # members are distinguishable by their outputs
    for member, (_, test) in zip(fitted.estimators_, fitted.fold_indices_, strict=True):
        np.testing.assert_array_equal(oof[test], member.predict_proba(X[test]))


def test_mean_average_is_exactly_the_mean_of_the_members(data, fitted):
    X, _ = data
    members = np.stack([m.predict_proba(X).astype(np.float64) for m in fitted.estimators_])
    np.testing.assert_array_equal(fitted.member_proba(X), members)
    np.testing.assert_array_equal(fitted.predict_proba(X), np.mean(members, axis=0))
    proba = fitted.predict_proba(X)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[np.argmax(proba, axis=1)])


def test_rank_average_formula(data):
    X, y = data
    ensemble = FoldEnsembleClassifier(Recorder(), n_folds=2, average="rank", random_state=0)
    ensemble.fit(X, y)
    ensemble.estimators_[1].set_params(scale=0.2)  # a member with compressed scores
    X_new = X[:13].copy()
    X_new[:, 0, 0, 0] = 1000 + np.arange(13)  # images no member trained on
    expected = np.mean(
        [(rankdata(m.predict_proba(X_new)[:, 1]) - 0.5) / len(X_new)
         for m in ensemble.estimators_],
        axis=0,
    )
    proba = ensemble.predict_proba(X_new)
    np.testing.assert_allclose(proba[:, 1], expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(proba[:, 0], 1 - expected, rtol=0, atol=1e-15)
    assert 0 < proba.min() and proba.max() < 1
    # predict decides by the mean probability, not by the batch-relative rank scores
    mean = ensemble.member_proba(X_new).mean(axis=0)
    assert np.all(mean[:, 1] < 0.5)
    np.testing.assert_array_equal(ensemble.predict(X_new), np.zeros(13))
    assert (proba[:, 1] > 0.5).sum() == 6
    np.testing.assert_array_equal(ensemble.predict_proba(X_new[:1]), [[0.5, 0.5]])


def test_rank_average_multiclass_ranks_each_column(blobs):
    X, _ = blobs
    X = X.copy()
    X[:, 0, 0, 0] = np.arange(len(X))
    y = np.arange(len(X)) % 3
    ensemble = FoldEnsembleClassifier(NoValidation(), n_folds=2, average="rank",
                                      validation=None).fit(X, y)
    proba = ensemble.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba, 0.5)  # all ties: every image has the middle rank


def test_member_failure_names_the_fold(data):
    X, y = data
    ensemble = FoldEnsembleClassifier(Recorder(fail_without=7), n_folds=5, random_state=0)
    folds = StratifiedKFold(5, shuffle=True, random_state=0).split(X[:, 0, 0, 0], y)
    failing = next(k for k, (_, test) in enumerate(folds, start=1) if 7 in test)
    with pytest.raises(ValueError, match=rf"Member {failing} of 5 .*fold {failing}.*image missing"):
        ensemble.fit(X, y)
    assert not hasattr(ensemble, "estimators_")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_folds": 1}, "n_folds"),
        ({"n_folds": 2.0}, "n_folds"),
        ({"n_folds": True}, "n_folds"),
        ({"average": "median"}, "average"),
        ({"validation": "split"}, "validation"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"random_state": -1}, "random_state"),
        ({"verbose": -1}, "verbose"),
        ({"estimator": object()}, "estimator"),
    ],
)
def test_bad_parameters_raise_before_training(data, params, match):
    X, y = data
    estimator = params.pop("estimator", Recorder(fail_without=-5))  # would fail if trained
    with pytest.raises(ValueError, match=match):
        FoldEnsembleClassifier(estimator, **params).fit(X, y)


def test_bad_data_and_routes_raise_before_training(data):
    X, y = data
    never = Recorder(fail_without=-5)
    with pytest.raises(ValueError, match=r"needs at least 11 images of every class, .*; "
                                         r"class 1 has \d+\."):
        FoldEnsembleClassifier(never, n_folds=11).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent lengths"):
        FoldEnsembleClassifier(never).fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least 2"):
        FoldEnsembleClassifier(never).fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="takes no validation_data"):
        FoldEnsembleClassifier(NoValidation()).fit(X, y)
    transformer = make_pipeline(FunctionTransformer(), never)
    with pytest.raises(ValueError, match="'functiontransformer'.*transform images"):
        FoldEnsembleClassifier(transformer).fit(X, y)


def test_clone_and_nested_params(data):
    ensemble = FoldEnsembleClassifier(Recorder(scale=0.5), n_folds=3, average="rank")
    assert ensemble.get_params()["estimator__scale"] == 0.5
    ensemble.set_params(estimator__scale=0.25, n_folds=4)
    assert ensemble.estimator.scale == 0.25 and ensemble.n_folds == 4
    copy = clone(ensemble)
    assert copy.estimator is not ensemble.estimator
    assert copy.get_params()["estimator__scale"] == 0.25 and copy.average == "rank"


def test_pickle_and_joblib_round_trip(data, fitted, tmp_path):
    X, _ = data
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(again.oof_proba_, fitted.oof_proba_)
    joblib.dump(fitted, tmp_path / "e.joblib")
    loaded = joblib.load(tmp_path / "e.joblib")
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_save_refuses_members_that_are_not_cnn_classifiers(fitted, tmp_path):
    with pytest.raises(TypeError, match="joblib.dump"):
        fitted.save(tmp_path / "ensemble")
    assert not (tmp_path / "ensemble" / "ensemble.json").exists()
