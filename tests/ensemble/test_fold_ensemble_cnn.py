"""FoldEnsembleClassifier with CNNClassifier members: validation, averaging, out-of-fold scores."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from skbia import CNNClassifier, FoldEnsembleClassifier


def test_members_validate_on_their_held_out_fold(blobs, cnn_ensemble):
    X, y = blobs
    assert len(cnn_ensemble.estimators_) == 3
    for member, (train, test) in zip(cnn_ensemble.estimators_, cnn_ensemble.fold_indices_,
                                     strict=True):
        assert isinstance(member, CNNClassifier)
        assert 1 <= len(member.history_["val_loss"]) <= 3
        # restore_best_weights keeps the best epoch's weights: evaluating them on the
        # held-out fold reproduces the best recorded val_loss
        best = min(member.history_["val_loss"])
        loss = member.model_.evaluate(X[test], y[test].reshape(-1, 1), verbose=0)[0]
        np.testing.assert_allclose(loss, best, rtol=1e-4)
        assert len(np.intersect1d(train, test)) == 0


def test_probability_is_the_mean_of_the_members(blobs, cnn_ensemble):
    X, _ = blobs
    members = [member.predict_proba(X).astype(np.float64) for member in cnn_ensemble.estimators_]
    proba = cnn_ensemble.predict_proba(X)
    np.testing.assert_array_equal(proba, np.mean(members, axis=0))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(cnn_ensemble.predict(X), np.argmax(proba, axis=1))


def test_oof_proba_is_each_members_prediction_of_its_held_out_fold(blobs, cnn_ensemble):
    X, y = blobs
    oof = cnn_ensemble.oof_proba_
    assert oof.shape == (len(y), 2) and np.isfinite(oof).all()
    for member, (_, test) in zip(cnn_ensemble.estimators_, cnn_ensemble.fold_indices_,
                                 strict=True):
        np.testing.assert_allclose(oof[test], member.predict_proba(X[test]), rtol=1e-5,
                                   atol=1e-7)
    assert 0 <= roc_auc_score(y, oof[:, 1]) <= 1


def test_pipeline_members_rank_average(blobs, pipeline_ensemble):
    X, _ = blobs
    assert [name for name, _ in pipeline_ensemble.estimators_[0].steps] == [
        "imageaugmenter", "cnnclassifier"]
    scores = pipeline_ensemble.predict_proba(X)[:, 1]
    # rank scores of 50 images: mean of two permutations of (0.5, 1.5, ..., 49.5) / 50
    assert np.isclose(scores.mean(), 0.5) and scores.min() > 0 and scores.max() < 1
    history = pipeline_ensemble.estimators_[0].steps[-1][1].history_
    assert "val_loss" in history


def test_positive_label_is_the_members_and_survives_save_load(blobs, tmp_path):
    from sklearn.exceptions import NotFittedError

    X, y = blobs
    labels = np.where(y == 1, "lens", "other")
    member = CNNClassifier(arch="compact", filter_scale=0.25, epochs=1, verbose=0,
                           random_state=0, positive_label="lens")
    ensemble = FoldEnsembleClassifier(member, n_folds=2, random_state=0).fit(X, labels)
    assert ensemble.positive_label_ == "lens"
    ensemble.save(tmp_path / "ensemble")
    assert FoldEnsembleClassifier.load(tmp_path / "ensemble").positive_label_ == "lens"
    with pytest.raises(NotFittedError):
        FoldEnsembleClassifier(member).positive_label_  # noqa: B018
