"""CNNSearchCV on the real pipeline: ImageAugmenter + CNNClassifier on tiny images."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.exceptions import FitFailedWarning
from skopt.space import Categorical, Real

from skbia import CNNClassifier, ImageAugmenter
from skbia.tuning import CNNSearchCV, build_search_space

SIZE = 16


@pytest.fixture(scope="module")
def blobs():
    """Easy task: positives carry a bright blob at the centre, 12 of 48 images."""
    rng = np.random.default_rng(0)
    n_pos, n_neg = 12, 36
    X = rng.normal(0.0, 1.0, size=(n_pos + n_neg, SIZE, SIZE, 3)).astype(np.float32)
    yy, xx = np.mgrid[:SIZE, :SIZE] - (SIZE - 1) / 2
    X[:n_pos] += (6.0 * np.exp(-(xx**2 + yy**2) / 8.0))[None, :, :, None].astype(np.float32)
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    order = rng.permutation(len(y))
    return X[order], y[order]


def tiny_cnn(inputs, *, conv_activation="relu", conv_initializer="he_uniform", **kwargs):
    """One strided convolution: builds and trains in about a second."""
    x = keras.layers.Conv2D(
        4, 3, strides=2, activation=conv_activation, kernel_initializer=conv_initializer
    )(inputs)
    return keras.layers.Flatten()(x)


def tiny_pipeline(epochs: int = 3):
    return make_pipeline(
        ImageAugmenter(n_copies=1, horizontal=True, vertical=True, random_state=0),
        CNNClassifier(
            arch=tiny_cnn,
            normalize=True,
            min_pixel=-3.0,
            max_pixel=8.0,
            learning_rate=3e-2,
            epochs=epochs,
            batch_size=8,
            verbose=0,
            random_state=0,
        ),
    )


def test_search_across_stratified_folds_beats_chance_and_refits_full_epochs(blobs):
    X, y = blobs
    space = build_search_space(
        learning_rate=(1e-2, 5e-2),
        optimizers=["adam", "nadam"],
        losses=["binary_crossentropy"],
        activations=["relu"],
        initializers=["he_uniform"],
        batch_size=(8, 12),
    )
    search = CNNSearchCV(
        tiny_pipeline(epochs=6),
        space,
        n_iter=3,
        cv=3,
        scoring="roc_auc",
        trial_params={"cnnclassifier__epochs": 5},
        random_state=0,
    ).fit(X, y)
    assert search.n_splits_ == 3
    assert len(search.cv_results_["params"]) == 3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_score_ > 0.8
    # trials trained 5 epochs, the refit the classifier's own 6
    assert all(p["cnnclassifier__epochs"] == 5 for p in search.cv_results_["params"])
    final = search.best_estimator_[-1]
    assert final.epochs == 6 and len(final.history_["loss"]) == 6
    proba = search.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.all((proba >= 0) & (proba <= 1))


def test_trial_whose_loss_diverges_scores_error_score(blobs):
    X, y = blobs
    pipeline = tiny_pipeline(epochs=3).set_params(cnnclassifier__optimizer="sgd")
    space = {"cnnclassifier__learning_rate": Categorical([1e-2, 1e38])}
    search = CNNSearchCV(
        pipeline,
        space,
        n_iter=2,
        cv=3,
        scoring="accuracy",  # would quietly score a constant prediction
        refit=False,
        error_score=-1.0,
        optimizer_kwargs={"n_initial_points": 2, "initial_point_generator": "lhs"},
        random_state=0,
    )
    with pytest.warns(FitFailedWarning, match="Training diverged"):
        search.fit(X, y)
    rates = [p["cnnclassifier__learning_rate"] for p in search.cv_results_["params"]]
    scores = dict(zip(rates, search.cv_results_["mean_test_score"], strict=True))
    assert set(rates) == {1e-2, 1e38}
    assert scores[1e38] == -1.0
    assert 0.0 <= scores[1e-2] <= 1.0
    assert search.best_params_ == {"cnnclassifier__learning_rate": 1e-2}


def test_per_band_max_pixel_reaches_the_classifier(blobs):
    X, y = blobs
    space = build_search_space(
        augmenter=None,
        tune_augmentation=True,
        image_size=None,
        max_pixel=(5.0, 10.0),
        n_bands=3,
        optimizers=["adam"],
        batch_size=(16, 16),
    )
    space = {key: dim for key, dim in space.items() if "max_pixel" in key}
    space["cnnclassifier__learning_rate"] = Real(1e-3, 1e-2, prior="log-uniform")
    search = CNNSearchCV(
        tiny_pipeline(epochs=1), space, n_iter=1, cv=3, scoring="roc_auc", random_state=0
    ).fit(X, y)
    max_pixel = search.best_estimator_[-1].max_pixel
    assert len(max_pixel) == 3 and all(5.0 <= v <= 10.0 for v in max_pixel)
    assert max_pixel == search.best_params_["cnnclassifier__max_pixel"]


def test_unlimited_search_uses_the_real_alexnet_keywords():
    space = build_search_space(tune_model=True, limit_search=False, arch="alexnet")
    model_keys = {key.split("__model__")[1] for key in space if "__model__" in key}
    assert model_keys == {
        *(f"{knob}_{i}" for knob in ("filters", "kernel_size", "strides") for i in range(1, 6)),
        "pooling_1",
        "pooling_2",
        "pooling_5",
    }
    assert "cnnclassifier__regularizer" in space
