"""CNNSearchCV mechanics on cheap scikit-learn estimators (no TensorFlow)."""

from __future__ import annotations

import os

import joblib
import matplotlib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from skopt.space import Categorical, Integer, Real

from skbia.tuning import (
    CNNSearchCV,
    DeadlineStopper,
    NoImprovementStopper,
    ScoreThresholdStopper,
    plot_search,
    search_summary,
)

matplotlib.use("Agg")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIT_LOG: list[dict] = []


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that records each fit and can be told to fail."""

    def __init__(self, C=1.0, epochs=50, fail=False, scale=None):
        self.C = C
        self.epochs = epochs
        self.fail = fail
        self.scale = scale

    def fit(self, X, y):
        FIT_LOG.append({"C": self.C, "epochs": self.epochs, "n": len(X), "scale": self.scale})
        if self.fail:
            raise RuntimeError("this trial is configured to fail")
        self.model_ = LogisticRegression(C=self.C, max_iter=self.epochs).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def decision_function(self, X):
        return self.model_.decision_function(X)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=60) > 0.4).astype(int)
    return X, y


@pytest.fixture(autouse=True)
def _clear_log():
    FIT_LOG.clear()


def _search(**kwargs):
    params = dict(
        estimator=RecordingClassifier(),
        search_spaces={"C": Real(1e-3, 10.0, prior="log-uniform")},
        n_iter=6,
        cv=3,
        scoring="roc_auc",
        random_state=0,
        optimizer_kwargs={"n_initial_points": 3},
    )
    params.update(kwargs)
    return CNNSearchCV(**params)


def test_search_finds_good_model_and_refits(data):
    X, y = data
    search = _search().fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert search.best_score_ > 0.8
    assert set(search.best_params_) == {"C"}
    assert search.best_estimator_.C == search.best_params_["C"]
    assert search.predict(X).shape == (60,)
    # 6 trials x 3 folds + 1 refit on all data
    assert len(FIT_LOG) == 19 and FIT_LOG[-1]["n"] == 60


def test_trial_params_apply_to_trials_only(data):
    X, y = data
    search = _search(
        estimator=RecordingClassifier(epochs=40), trial_params={"epochs": 3}, n_iter=3
    ).fit(X, y)
    trial_fits, refit = FIT_LOG[:-1], FIT_LOG[-1]
    assert [f["epochs"] for f in trial_fits] == [3] * 9
    assert refit["epochs"] == 40 and search.best_estimator_.epochs == 40
    assert "epochs" not in search.best_params_
    assert all(p["epochs"] == 3 for p in search.cv_results_["params"])


def test_trial_params_overlapping_space_raise(data):
    with pytest.raises(ValueError, match="both set"):
        _search(trial_params={"C": 1.0}).fit(*data)


@pytest.mark.parametrize(
    "callback, expected",
    [
        (ScoreThresholdStopper(score=0.5), 1),
        (NoImprovementStopper(n_trials=2), None),
    ],
)
def test_callbacks_stop_search_early(data, callback, expected):
    X, y = data
    search = _search(n_iter=12).fit(X, y, callback=callback)
    n_trials = len(search.cv_results_["params"])
    scores = search.cv_results_["mean_test_score"]
    if expected is not None:
        assert n_trials == expected
    else:
        # stopped exactly 2 trials after the last improvement
        best_at = int(np.argmax(scores))
        assert n_trials == best_at + 3 < 12
    assert len(FIT_LOG) == 3 * n_trials + 1


def test_deadline_stopper_stops_search(data):
    search = _search(n_iter=30).fit(*data, callback=DeadlineStopper(total_time=0.0))
    assert len(search.cv_results_["params"]) == 1


def test_stopper_arguments_are_validated():
    with pytest.raises(ValueError, match="n_trials"):
        NoImprovementStopper(0)
    with pytest.raises(ValueError, match="finite"):
        ScoreThresholdStopper(float("nan"))


def test_failing_trials_score_error_score_and_search_goes_on(data):
    X, y = data
    space = {"C": Real(1e-3, 10.0, prior="log-uniform"), "fail": Categorical([False, True])}
    with pytest.warns(FitFailedWarning, match="configured to fail"):
        search = _search(search_spaces=space, n_iter=8, error_score=-1.0).fit(X, y)
    results = search.cv_results_
    failed = np.array([p["fail"] for p in results["params"]], dtype=bool)
    assert len(failed) == 8 and failed.any() and (~failed).any()
    np.testing.assert_array_equal(results["mean_test_score"][failed], -1.0)
    assert np.all(results["mean_test_score"][~failed] > 0.5)
    assert search.best_params_["fail"] is False or search.best_params_["fail"] == 0
    # the optimizer was told the worst real score for failed trials, never NaN
    assert np.isfinite(search.optimizer_results_[0].func_vals).all()


def test_failing_trial_with_nan_error_score_keeps_nan_in_results(data):
    space = {"C": Real(1e-3, 10.0, prior="log-uniform"), "fail": Categorical([False, True])}
    with pytest.warns(FitFailedWarning, match="error_score=nan"):
        search = _search(search_spaces=space, n_iter=8).fit(*data)
    failed = np.array([p["fail"] for p in search.cv_results_["params"]], dtype=bool)
    assert failed.any()
    assert np.isnan(search.cv_results_["mean_test_score"][failed]).all()
    assert search.cv_results_["rank_test_score"][failed].min() > (~failed).sum()


def test_error_score_raise_stops_search(data):
    space = {"C": Real(1e-3, 10.0, prior="log-uniform"), "fail": Categorical([True])}
    with pytest.raises(RuntimeError, match="configured to fail"):
        _search(search_spaces=space, error_score="raise").fit(*data)


def test_all_trials_failing_raise_clear_error(data):
    space = {"C": Real(1e-3, 10.0, prior="log-uniform"), "fail": Categorical([True])}
    with (
        pytest.raises(ValueError, match="All 3 trials of the search failed"),
        pytest.warns(FitFailedWarning),
    ):
        _search(search_spaces=space, n_iter=3).fit(*data)


def test_per_band_dimensions_are_packed_into_a_list(data):
    space = {"scale[0]": Integer(1, 5), "scale[1]": Integer(10, 20)}
    search = _search(search_spaces=space, n_iter=3).fit(*data)
    for params in search.cv_results_["params"]:
        assert isinstance(params["scale"], list) and len(params["scale"]) == 2
        assert 1 <= params["scale"][0] <= 5 and 10 <= params["scale"][1] <= 20
    assert FIT_LOG[-1]["scale"] == search.best_params_["scale"]


def test_per_band_dimensions_with_gaps_raise(data):
    with pytest.raises(ValueError, match="without gaps"):
        _search(search_spaces={"scale[0]": Integer(1, 5), "scale[2]": Integer(1, 5)}).fit(*data)


def test_resume_does_not_rerun_trials(data, tmp_path):
    X, y = data
    first = _search(n_iter=4).fit(X, y)
    path = tmp_path / "search.joblib"
    first.save(path)
    FIT_LOG.clear()
    resumed = _search(n_iter=7).fit(X, y, resume_from=path)
    assert resumed.n_resumed_ == 4
    assert len(FIT_LOG) == 3 * 3 + 1  # only the 3 new trials, then the refit
    assert len(resumed.cv_results_["params"]) == 7
    assert len(resumed.optimizer_results_[0].x_iters) == 7
    old_c = [p["C"] for p in first.cv_results_["params"]]
    assert [p["C"] for p in resumed.cv_results_["params"][:4]] == old_c
    assert not set(old_c) & {f["C"] for f in FIT_LOG[:-1]}
    assert resumed.best_score_ == resumed.cv_results_["mean_test_score"].max()


def test_resume_from_checkpoint_after_interruption(data, tmp_path):
    X, y = data
    checkpoint = tmp_path / "state.joblib"
    # a deadline interrupts the search after its first trial
    _search(n_iter=6, checkpoint=checkpoint).fit(X, y, callback=DeadlineStopper(0.0))
    state = joblib.load(checkpoint)
    assert len(state["x_iters"]) == 1
    FIT_LOG.clear()
    resumed = _search(n_iter=6, checkpoint=checkpoint).fit(X, y, resume_from=checkpoint)
    assert len(FIT_LOG) == 5 * 3 + 1
    assert len(resumed.cv_results_["params"]) == 6
    assert len(joblib.load(checkpoint)["x_iters"]) == 6


def test_resume_with_other_space_or_enough_trials_raises(data):
    first = _search(n_iter=3).fit(*data)
    with pytest.raises(ValueError, match="different search space"):
        _search(search_spaces={"epochs": Integer(5, 50)}).fit(*data, resume_from=first)
    with pytest.raises(ValueError, match="raise n_iter"):
        _search(n_iter=3).fit(*data, resume_from=first)
    with pytest.raises(ValueError, match="resume_from must be"):
        _search().fit(*data, resume_from={"x": 1})


def test_save_and_load_round_trip(data, tmp_path):
    X, y = data
    search = _search(n_iter=3).fit(X, y)
    search.save(tmp_path / "s.joblib")
    loaded = CNNSearchCV.load(tmp_path / "s.joblib")
    np.testing.assert_array_equal(loaded.predict(X), search.predict(X))
    assert loaded.best_params_ == search.best_params_
    joblib.dump({"not": "a search"}, tmp_path / "other.joblib")
    with pytest.raises(ValueError, match="does not hold a saved CNNSearchCV"):
        CNNSearchCV.load(tmp_path / "other.joblib")
    with pytest.raises(ValueError, match="not fitted"):
        _search().save(tmp_path / "x.joblib")


def test_summary_table_lists_best_trials(data):
    search = _search(n_iter=5).fit(*data)
    table = search_summary(search, top=3)
    lines = table.splitlines()
    assert lines[0].startswith("Best 3 of 5 trials by mean_test_score")
    best = int(np.argmin(search.cv_results_["rank_test_score"]))
    assert lines[1].split()[:2] == ["trial", f"#{best}"]
    score_line = next(line for line in lines if line.startswith("mean_test_score"))
    assert float(score_line.split()[1]) == pytest.approx(search.best_score_, abs=5e-5)
    assert any(line.startswith("C ") for line in lines)
    with pytest.raises(ValueError, match="Unknown metric"):
        search_summary(search, metric="f1")


@pytest.mark.parametrize("kind", ["convergence", "objective", "evaluations"])
def test_plots_are_written(data, tmp_path, kind):
    space = {"C": Real(1e-3, 10.0, prior="log-uniform"), "epochs": Integer(5, 50)}
    search = _search(search_spaces=space, n_iter=5).fit(*data)
    figure = plot_search(search, kind=kind)
    path = tmp_path / f"{kind}.png"
    figure.savefig(path)
    assert path.stat().st_size > 5000


def test_objective_plot_needs_a_surrogate(data):
    search = _search(n_iter=2).fit(*data)
    with pytest.raises(ValueError, match="surrogate"):
        plot_search(search, kind="objective")
    with pytest.raises(ValueError, match="kind must be"):
        plot_search(search, kind="pie")


class EnvScoringClassifier(RecordingClassifier):
    """Scores the TensorFlow thread limit its worker process sees."""

    def score(self, X, y):
        return float(os.environ.get("TF_NUM_INTRAOP_THREADS", -1))


def test_parallel_workers_get_tensorflow_threads_limited(data):
    X, y = data
    search = _search(estimator=EnvScoringClassifier(), scoring=None, n_iter=2, n_jobs=2)
    search.fit(X, y)
    expected = max(1, joblib.cpu_count() // 2)
    np.testing.assert_array_equal(search.cv_results_["split0_test_score"], expected)


def test_multimetric_search_is_guided_by_refit_metric(data):
    X, y = data
    search = _search(scoring=["roc_auc", "accuracy"], refit="accuracy", n_iter=3).fit(X, y)
    accuracy = search.cv_results_["mean_test_accuracy"]
    assert search.best_score_ == accuracy.max()
    assert search.cv_results_["rank_test_accuracy"][search.best_index_] == 1
    assert "mean_test_roc_auc" in search.cv_results_
    assert search_summary(search).splitlines()[0].endswith("(trial numbers in the order they ran)")
    with pytest.raises(ValueError, match="refit must name"):
        _search(scoring=["roc_auc", "accuracy"]).fit(X, y)
