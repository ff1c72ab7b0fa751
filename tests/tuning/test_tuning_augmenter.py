"""The augmentation part of the search space drives the real ImageAugmenter."""

from __future__ import annotations

import numpy as np
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer
from skopt.space import Real

from skbia import ImageAugmenter
from skbia.tuning import CNNSearchCV, build_search_space


def _flatten(X):
    return X.reshape(len(X), -1)


def test_every_augmentation_dimension_is_a_valid_augmenter_parameter():
    rng = np.random.default_rng(0)
    size = 12
    X = rng.normal(size=(36, size, size, 2)).astype(np.float32)
    y = np.r_[np.ones(9, int), np.zeros(27, int)]
    X[y == 1, 4:8, 4:8] += 3.0
    pipe = make_pipeline(
        ImageAugmenter(horizontal=True, random_state=0),
        FunctionTransformer(_flatten),
        LogisticRegression(max_iter=200),
    )
    space = build_search_space(
        tune_augmentation=True,
        n_copies=(1, 3),
        n_copies_other=(0, 1),
        max_shift=2,
        blend_max=2.0,
        blend_other=(0.0, 1.0),
        max_mask_size=2,
        max_num_masks=2,
    )
    space = {key: dim for key, dim in space.items() if key.startswith("imageaugmenter__")}
    assert len(space) == 7
    space["logisticregression__C"] = Real(1e-2, 1.0, prior="log-uniform")
    search = CNNSearchCV(
        pipe, space, n_iter=4, cv=3, scoring="roc_auc", error_score="raise", random_state=0
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    augmenter = search.best_estimator_[0]
    for key, value in search.best_params_.items():
        if key.startswith("imageaugmenter__"):
            assert getattr(augmenter, key.split("__")[1]) == value
    assert 1 <= augmenter.n_copies <= 3 and 0 <= augmenter.shift <= 2
