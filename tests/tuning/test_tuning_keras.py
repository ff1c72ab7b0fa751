"""CNNSearchCV with real Keras models: diverging trials, parallel TensorFlow workers."""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold
from skopt.space import Categorical

from skbia.tuning import CNNSearchCV

keras = pytest.importorskip("keras")
scikeras_wrappers = pytest.importorskip("scikeras.wrappers")


def _build(meta, learning_rate=1e-3):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="binary_crossentropy")
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 6)).astype(np.float32)
    y = (X[:, 0] > 0.3).astype(int)
    return X, y


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="PyTorch's binary cross-entropy clamps its logarithms at -100: the "
                           "loss of this rate stays finite, no trial diverges")
@pytest.mark.parametrize("scoring", ["accuracy", ["accuracy", "balanced_accuracy"]])
def test_diverged_trial_scores_error_score(data, scoring):
    X, y = data
    classifier = scikeras_wrappers.KerasClassifier(_build, epochs=3, verbose=0, random_state=0)
    search = CNNSearchCV(
        classifier,
        {"model__learning_rate": Categorical([1e-2, 1e12])},
        n_iter=2,
        cv=StratifiedKFold(3),
        scoring=scoring,
        refit="accuracy" if isinstance(scoring, list) else True,
        error_score=-1.0,
        optimizer_kwargs={"n_initial_points": 2, "initial_point_generator": "lhs"},
        random_state=0,
    )
    with pytest.warns(UserWarning, match="Training diverged"):
        search.fit(X, y)
    rates = [p["model__learning_rate"] for p in search.cv_results_["params"]]
    assert sorted(rates) == [1e-2, 1e12]
    diverged = rates.index(1e12)
    names = scoring if isinstance(scoring, list) else ["score"]
    for name in names:
        scores = search.cv_results_[f"mean_test_{name}"]
        assert scores[diverged] == -1.0  # accuracy alone would have scored a real number
        assert scores[1 - diverged] > 0.0
    assert search.best_params_ == {"model__learning_rate": 1e-2}
    # the diverged network really predicts NaN: the guard is what caught it
    assert np.isfinite(search.best_estimator_.predict_proba(X)).all()


class ThreadReportingClassifier(scikeras_wrappers.KerasClassifier):
    """Scores the TensorFlow thread limit of the worker process it was fitted in."""

    def score(self, X, y, **kwargs):
        return float(os.environ.get("TF_NUM_INTRAOP_THREADS", -1))


def test_parallel_trials_with_tensorflow_in_worker_processes(data):
    X, y = data
    # TensorFlow is already running in this process when the workers start
    scikeras_wrappers.KerasClassifier(_build, epochs=1, verbose=0, random_state=0).fit(X, y)
    classifier = ThreadReportingClassifier(_build, epochs=2, verbose=0, random_state=0)
    search = CNNSearchCV(
        classifier,
        {"model__learning_rate": Categorical([1e-3, 1e-2])},
        n_iter=2,
        n_points=2,
        n_jobs=2,
        cv=StratifiedKFold(2),
        random_state=0,
    ).fit(X, y)
    results = search.cv_results_
    threads = np.r_[results["split0_test_score"], results["split1_test_score"]]
    np.testing.assert_array_equal(threads, max(1, os.cpu_count() // 2))
    assert len(search.cv_results_["params"]) == 2
