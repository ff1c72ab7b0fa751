"""A diverged network never looks usable: a late blow-up raises, NaN is never a score."""

from __future__ import annotations

import numpy as np
import pytest

from skbia import CNNClassifier


def _alexnet(**params):
    settings = dict(arch="alexnet", filter_scale=1 / 32, min_pixel=-3, max_pixel=8, epochs=2,
                    batch_size=64, random_state=0, verbose=0)
    return CNNClassifier(**{**settings, **params})


def test_a_blow_up_in_the_last_update_raises_although_the_logged_loss_is_finite(blobs):
    X, y = blobs
    clf = _alexnet(optimizer="sgd", learning_rate=1e4)  # one batch per epoch
    with pytest.raises(FloatingPointError, match="last update of epoch 2"):
        clf.fit(X, y)
    assert np.isfinite(clf.history_["loss"]).all()  # the case the loss guard cannot see


def test_predict_proba_and_score_refuse_nan_outputs(blobs):
    X, y = blobs
    clf = _alexnet(epochs=1).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    kernel = clf.model_.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))
    with pytest.raises(FloatingPointError, match=r"NaN or infinity for 50 of 50 images"):
        clf.predict_proba(X)
    with pytest.raises(FloatingPointError):
        clf.predict(X)
    with pytest.raises(FloatingPointError):
        clf.score(X, y)
