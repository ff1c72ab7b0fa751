"""CNNSearchCV parameter validation, scorer plumbing and fit side effects (no TensorFlow)."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils._param_validation import InvalidParameterError
from skopt.space import Categorical, Real

from skbia.tuning import CNNSearchCV

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FITS: list[int] = []


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that counts its fits; rows whose first value is 999 break it."""

    def __init__(self, C=1.0, epochs=5):
        self.C = C
        self.epochs = epochs

    def fit(self, X, y, sample_weight=None):
        FITS.append(len(X))
        if np.any(np.asarray(X)[:, 0] == 999):
            raise RuntimeError("a marker row reached fit")
        self.model_ = LogisticRegression(C=self.C).fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        if np.any(np.asarray(X)[:, 0] == 999):
            raise RuntimeError("a marker row reached predict")
        return self.model_.predict(X)


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=40) > 0).astype(int)
    return X, y


@pytest.fixture(autouse=True)
def _clear():
    FITS.clear()


def _search(**params) -> CNNSearchCV:
    settings = dict(
        estimator=CountingClassifier(),
        search_spaces={"C": Real(0.01, 10.0, prior="log-uniform")},
        n_iter=2,
        cv=2,
        random_state=0,
        optimizer_kwargs={"n_initial_points": 2},
    )
    settings.update(params)
    return CNNSearchCV(**settings)


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("n_iter", 0, r"an int in the range \[1, inf\)"),
        ("n_iter", 2.5, r"an int in the range \[1, inf\)"),
        ("n_points", 0, r"an int in the range \[1, inf\)"),
        ("trial_params", [("epochs", 3)], r"'collections.abc.Mapping' or None"),
        ("checkpoint", 3, r"'str', an instance of 'os.PathLike' or None"),
        ("refit", lambda results: 0, r"'bool' .* or an instance of 'str'"),
        ("optimizer_kwargs", "gp", r"'collections.abc.Mapping' or None"),
        ("error_score", "ignore", r"a str among \{'raise'\} or an instance of 'float'"),
        ("random_state", "seed", r"an int in the range"),
        ("search_spaces", Real(0.1, 1.0), r"'collections.abc.Mapping' or an instance of 'list'"),
        ("estimator", "LogisticRegression", r"an object implementing 'fit'"),
        ("return_train_score", "yes", r"an instance of 'bool'"),
    ],
)
def test_invalid_parameters_raise_naming_them_before_any_work(
    data, tmp_path, param, value, expected
):
    checkpoint = tmp_path / "state.joblib"
    params = {"checkpoint": checkpoint, param: value}
    missing = tmp_path / "never-written.joblib"
    with pytest.raises(InvalidParameterError, match=rf"The '{param}' parameter of CNNSearchCV "
                       rf"must be .*{expected}.* Got .* instead\."):
        # resume_from names a file that does not exist: it is not even looked for
        _search(**params).fit(*data, resume_from=missing)
    assert FITS == []
    assert not checkpoint.exists()


def test_invalid_parameter_errors_are_value_and_type_errors(data):
    with pytest.raises(ValueError, match="n_iter"):
        _search(n_iter=-1).fit(*data)
    with pytest.raises(TypeError, match="trial_params"):
        _search(trial_params="epochs=3").fit(*data)


def test_valid_alternatives_are_accepted(data, tmp_path):
    search = _search(
        n_iter=np.int64(2),
        n_points=2,
        trial_params=MappingProxyType({"epochs": 3}),
        checkpoint=Path(tmp_path) / "state.joblib",
        refit=np.bool_(True),
        optimizer_kwargs=MappingProxyType({"n_initial_points": 2}),
        random_state=np.random.RandomState(0),
        error_score=-1,
        search_spaces=[{"C": Real(0.01, 10.0, prior="log-uniform")}],
    ).fit(*data)
    assert len(search.cv_results_["params"]) == 2
    assert all(p["epochs"] == 3 for p in search.cv_results_["params"])
    assert (tmp_path / "state.joblib").is_file()


@pytest.mark.parametrize(
    ("space", "error", "match"),
    [
        ({}, ValueError, "search_spaces is empty"),
        ({"C": "wide"}, ValueError, r"search_spaces\['C'\] is not a skopt dimension"),
        ({"C": (1.0,)}, None, None),  # a one-value tuple is a valid (categorical) dimension
        ({3: Real(0.1, 1.0)}, TypeError, "keys must be parameter names; got 3"),
        ([{"C": Real(0.1, 1.0)}, {"C": Real(1.0, 2.0)}], TypeError, "one search space"),
    ],
)
def test_search_space_contents_are_checked_before_any_fit(data, space, error, match):
    search = _search(search_spaces=space)
    if error is None:
        assert search.fit(*data).best_params_ == {"C": 1.0}
        return
    with pytest.raises(error, match=match):
        search.fit(*data)
    assert FITS == []


def test_constructing_with_an_invalid_space_does_not_raise():
    # scikit-learn estimators validate in fit, so that clone and set_params always work
    search = CNNSearchCV(CountingClassifier(), search_spaces={})
    assert search.get_params()["search_spaces"] == {}
    assert not hasattr(search, "fit_params") and not hasattr(search, "iid")


def test_trial_params_naming_no_parameter_fail_before_any_fit(data):
    with pytest.raises(ValueError, match=r"trial_params cannot be set on the estimator: "
                                         r"Invalid parameter 'epoch'"):
        _search(trial_params={"epoch": 3}).fit(*data)
    assert FITS == []


def test_skip_parameter_validation_is_honoured(data):
    with config_context(skip_parameter_validation=True):
        # a tuple instead of a dict: accepted without the declared check
        search = _search(optimizer_kwargs=(("n_initial_points", 2),)).fit(*data)
    assert len(search.cv_results_["params"]) == 2


def test_fit_leaves_the_search_space_unchanged(data):
    space = {"C": Real(0.01, 10.0, prior="log-uniform"), "epochs": Categorical([3, 5])}
    before = {name: repr(dim) for name, dim in space.items()}
    search = _search(search_spaces=space).fit(*data)
    assert {name: repr(dim) for name, dim in space.items()} == before
    assert search.search_spaces is space
    # skopt named and transformed its own copies
    dims = search.optimizer_results_[0].space.dimensions
    assert [d.name for d in dims] == ["C", "epochs"]


def test_sample_weight_reaches_the_scorer(data):
    X, y = data
    weights = np.where(y == 1, 5.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "... does not support sample_weight"
        search = _search(scoring="accuracy", n_iter=1).fit(X, y, sample_weight=weights)
    train, test = next(StratifiedKFold(2).split(X, y))  # what cv=2 means for a classifier
    model = CountingClassifier(C=search.cv_results_["params"][0]["C"])
    predicted = model.fit(X[train], y[train], sample_weight=weights[train]).predict(X[test])
    weighted = accuracy_score(y[test], predicted, sample_weight=weights[test])
    assert weighted != pytest.approx(accuracy_score(y[test], predicted))
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(weighted)


def test_sample_weight_with_several_metrics(data):
    X, y = data
    search = _search(scoring=["accuracy", "balanced_accuracy"], refit="accuracy", n_iter=1)
    search.fit(X, y, sample_weight=np.ones(len(y)))
    assert np.isfinite(search.cv_results_["mean_test_balanced_accuracy"]).all()


def test_search_without_a_finite_score_quotes_the_first_failed_fold(data):
    X, y = data
    X = X.copy()
    X[0, 0] = 999  # breaks the fit of one fold and the score of the other
    with (
        pytest.warns(FitFailedWarning, match="1 fits failed out of a total of 2"),
        pytest.raises(ValueError, match=r"(?s)All 2 trials .* First error:\nA fold of a "
                                        r"trial failed to fit:.*a marker row reached fit"),
    ):
        _search().fit(X, y)
