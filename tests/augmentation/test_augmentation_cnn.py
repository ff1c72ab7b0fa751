"""ImageAugmenter in front of CNNClassifier: only training folds are augmented."""

import numpy as np
from imblearn.pipeline import make_pipeline
from sklearn.model_selection import StratifiedKFold, cross_validate

from skbia import CNNClassifier, ImageAugmenter


class _CountingCNN(CNNClassifier):
    """CNNClassifier that records how many images it is fitted and scored on."""

    fit_sizes: list = []
    predict_sizes: list = []

    def fit(self, X, y, **kwargs):
        type(self).fit_sizes.append(len(X))
        return super().fit(X, y, **kwargs)

    def predict_proba(self, X, **kwargs):
        type(self).predict_sizes.append(len(X))
        return super().predict_proba(X, **kwargs)


def test_cnn_pipeline_is_fitted_on_augmented_folds_and_scored_on_raw_ones():
    rng = np.random.default_rng(0)
    X = rng.normal(10, 3, size=(18, 16, 16, 3)).astype("float32")
    y = np.array([1] * 6 + [0] * 12)
    _CountingCNN.fit_sizes, _CountingCNN.predict_sizes = [], []
    pipe = make_pipeline(
        ImageAugmenter(n_copies=2, horizontal=True, rotation="90", random_state=0),
        _CountingCNN(
            arch="alexnet",
            image_size=12,
            filter_scale=1 / 16,
            max_pixel=30,
            epochs=1,
            batch_size=8,
            random_state=0,
        ),
    )
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    result = cross_validate(pipe, X, y, cv=cv, scoring="roc_auc", return_estimator=True)
    assert np.isfinite(result["test_score"]).all()
    # each training fold: 3 positives + 2 x 3 copies, 6 others -> 15; held-out: 9 raw images
    assert _CountingCNN.fit_sizes == [15, 15]
    assert _CountingCNN.predict_sizes == [9, 9]
    for fitted in result["estimator"]:
        assert len(fitted[-1].history_["loss"]) == 1
