"""scikit-learn's and imbalanced-learn's estimator checks, on every estimator skbia exports.

The checks feed 2-d tabular X, which skbia's image estimators do not take (they
declare ``input_tags.two_d_array=False``, and ``parametrize_with_checks`` would
then run nothing). Each estimator is therefore checked through a small adapter
that reads an (n, f) table as (n, f, 1, 1) one-band "images", or with a cheap
scikit-learn estimator inside where it is a meta-estimator, so that the checks
exercise skbia's own code: validation, cloning, pickling, labels, determinism.
``CNNClassifier`` is checked the same way in ``tests/classifier/test_classifier_checks.py``.

Checks that cannot apply (or that state a known difference) are listed with
their reason in ``EXPECTED_FAILURES`` and run as strict xfails, so a change in
behaviour is noticed. ``check_param_validation``, which the generators do not
yield, is run on every exported estimator (``CNNClassifier`` included).
Checks that take more than about a second are marked slow.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from imblearn.utils.estimator_checks import (
    estimator_checks_generator as sampler_checks_generator,
)
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import check_param_validation, estimator_checks_generator
from skopt.space import Real

import skbia
from skbia.augmentation import ImageAugmenter, LensInjector
from skbia.ensemble import FoldEnsembleClassifier
from skbia.tuning import CNNSearchCV

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:Scoring failed:UserWarning"),
]

TESTS = Path(__file__).resolve().parent


# ------------------------------------------------------------------- generic helpers
def check_name(check: Callable) -> str:
    """Name of a check, through the partials the generators wrap it in."""
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


def check_id(check: Callable) -> str:
    """Check name plus its keyword arguments, as a pytest id."""
    keywords = check.keywords if isinstance(check, functools.partial) else {}
    extra = ",".join(f"{key}={value}" for key, value in keywords.items())
    return check_name(check) + (f"({extra})" if extra else "")


def check_cases(
    label: str,
    pairs: Iterable[tuple[BaseEstimator, Callable]],
    *,
    expected_failures: dict[str, str],
    slow: Callable[[str], bool] = lambda name: False,
) -> Iterator:
    """Turn (estimator, check) pairs into pytest params with xfail and slow marks.

    Parameters
    ----------
    label : str
        Prefix of the test ids (the estimator checked).
    pairs : iterable of (estimator, check)
        As yielded by the scikit-learn or imbalanced-learn check generators.
    expected_failures : dict of str to str
        Check name -> why it fails; these run as strict xfails.
    slow : callable, default=never
        Whether a check (by name) is marked slow.
    """
    for estimator, check in pairs:
        name = check_name(check)
        marks = []
        if name in expected_failures:
            marks.append(pytest.mark.xfail(reason=expected_failures[name], strict=True))
        if slow(name):
            marks.append(pytest.mark.slow)
        yield pytest.param(estimator, check, marks=marks, id=f"{label}-{check_id(check)}")


def _as_images(X):
    """Read an (n, f) table as (n, f, 1, 1) one-band images; leave anything else alone."""
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):  # sparse: let the estimator reject it
        return X
    X = np.asarray(X)
    return X.reshape(*X.shape, 1, 1) if X.ndim == 2 else X


def _tabular_tags(tags):
    tags.input_tags.two_d_array = True
    tags.input_tags.three_d_array = False
    return tags


# ------------------------------------------------------------------------ ImageAugmenter
class _TabularAugmenter(ImageAugmenter):
    """ImageAugmenter that reads an (n, f) table as (n, f, 1, 1) images and returns a table."""

    def fit(self, X, y):
        return super().fit(_as_images(X), y)

    def fit_resample(self, X, y):
        X_res, y_res = super().fit_resample(_as_images(X), y)
        return X_res.reshape(len(X_res), -1), y_res

    def __sklearn_tags__(self):
        return _tabular_tags(super().__sklearn_tags__())


AUGMENTER_EXPECTED_FAILURES = {
    # scikit-learn's checks
    "check_n_features_in": "images have no feature count: no n_features_in_ is recorded",
    "check_n_features_in_after_fitting": (
        "images have no feature count: no n_features_in_ is recorded"
    ),
    "check_complex_data": "complex pixels raise TypeError (not ValueError) naming the dtype",
    "check_dtype_object": (
        "object arrays are rejected: pixels must be a real numeric dtype (no silent casting)"
    ),
    "check_estimators_empty_data_messages": (
        "the error for empty images names the empty image dimension, not sklearn's "
        "'0 feature(s)' wording"
    ),
    "check_estimator_sparse_tag": (
        "a sparse matrix is rejected as an object array ('must hold real numeric pixel "
        "values'), without saying that sparse input is not supported"
    ),
    "check_estimator_sparse_array": (
        "a sparse array is rejected as an object array, without saying 'sparse'"
    ),
    "check_estimator_sparse_matrix": (
        "a sparse matrix is rejected as an object array, without saying 'sparse'"
    ),
    "check_requires_y_none": (
        "y=None is rejected as 'y must be 1-d (one label per image)', not with sklearn's "
        "'requires y to be passed' wording"
    ),
    "check_estimators_dtypes": (
        "its labels are 1 and 2: skbia assumes the positive class only for 0/1 labels, so "
        "augmenting one class needs positive_label (the error asks for it)"
    ),
    "check_fit2d_1feature": (
        "its labels are 1 and 2: skbia assumes the positive class only for 0/1 labels, so "
        "augmenting one class needs positive_label (the error asks for it)"
    ),
    # imbalanced-learn's sampler checks
    "check_samplers_fit": (
        "there is no sampling_strategy: the amounts are n_copies per class, so no "
        "sampling_strategy_ is set"
    ),
    "check_samplers_list": "lists are returned as arrays: images always come back as float32",
    "check_samplers_multiclass_ova": (
        "one-hot (2-d) labels are rejected: y holds one label per image"
    ),
    "check_sampler_get_feature_names_out": (
        "images have no feature names: get_feature_names_out needs n_features_in_"
    ),
}


def _augmenter_cases():
    augmenter = _TabularAugmenter(vertical=True, random_state=0)
    pairs = [
        *estimator_checks_generator(augmenter, legacy=True),
        *sampler_checks_generator(augmenter),
    ]
    yield from check_cases(
        "ImageAugmenter", pairs, expected_failures=AUGMENTER_EXPECTED_FAILURES
    )


# --------------------------------------------------------------------------- CNNSearchCV
def _search(estimator=None, search_spaces=None, **params) -> CNNSearchCV:
    """Two trials on two folds: the smallest search that still asks the optimizer twice."""
    settings = dict(n_iter=2, cv=2, optimizer_kwargs={"n_initial_points": 2}, random_state=0)
    settings.update(params)
    return CNNSearchCV(
        LogisticRegression() if estimator is None else estimator,
        search_spaces or {"C": Real(0.1, 10.0, prior="log-uniform")},
        **settings,
    )


SEARCH_EXPECTED_FAILURES = {
    "check_dtype_object": (
        "when every trial fails or scores NaN the search raises one ValueError quoting the "
        "first failed fit (here a TypeError), not that TypeError itself"
    ),
}

# the quick checks (no more than a few searches of two trials each)
SEARCH_FAST_CHECKS = {
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_estimators_unfitted",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_complex_data",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_estimators_pickle",
    "check_classifiers_one_label",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_regression_target",
    "check_supervised_y_no_nan",
    "check_parameters_default_constructible",
    "check_fit2d_1sample",
    "check_get_params_invariance",
    "check_set_params",
    "check_fit1d",
    "check_n_features_in",
}


def _search_cases():
    pairs = estimator_checks_generator(_search(), legacy=True)
    yield from check_cases(
        "CNNSearchCV",
        pairs,
        expected_failures=SEARCH_EXPECTED_FAILURES,
        slow=lambda name: name not in SEARCH_FAST_CHECKS,
    )


# ---------------------------------------------------------------- FoldEnsembleClassifier
class _TabularFoldEnsemble(FoldEnsembleClassifier):
    """FoldEnsembleClassifier declared for tables (it passes X to its members as it is)."""

    def __sklearn_tags__(self):
        return _tabular_tags(super().__sklearn_tags__())


ENSEMBLE_EXPECTED_FAILURES = {
    "check_n_features_in": "images have no feature count: no n_features_in_ is recorded",
    "check_n_features_in_after_fitting": (
        "images have no feature count: no n_features_in_ is recorded"
    ),
    "check_dtype_object": (
        "labels of dtype object are rejected as \"target types ... Got 'unknown'\", "
        "without the words 'Unknown label type'"
    ),
    "check_estimator_sparse_tag": (
        "a sparse matrix is rejected as 'X must be an array of images', without saying "
        "that sparse input is not supported"
    ),
    "check_estimator_sparse_array": (
        "a sparse array is rejected as 'X must be an array of images', without 'sparse'"
    ),
    "check_estimator_sparse_matrix": (
        "a sparse matrix is rejected as 'X must be an array of images', without 'sparse'"
    ),
    "check_supervised_y_2d": (
        "a column-vector y is raveled without a DataConversionWarning"
    ),
    "check_requires_y_none": (
        "y=None is rejected as 'y must be 1-d (one label per image)', not with sklearn's "
        "'requires y to be passed' wording"
    ),
}

ENSEMBLE_SLOW_CHECKS = {
    "check_classifiers_train",
    "check_classifiers_classes",
    "check_fit_idempotent",
    "check_estimators_dtypes",
    "check_positive_only_tag_during_fit",
}


def _ensemble_cases():
    ensemble = _TabularFoldEnsemble(
        LogisticRegression(), n_folds=2, validation=None, random_state=0
    )
    yield from check_cases(
        "FoldEnsembleClassifier",
        estimator_checks_generator(ensemble, legacy=True),
        expected_failures=ENSEMBLE_EXPECTED_FAILURES,
        slow=ENSEMBLE_SLOW_CHECKS.__contains__,
    )


# ---------------------------------------------------------------------------- the checks
@pytest.mark.parametrize(
    ("estimator", "check"), [*_augmenter_cases(), *_search_cases(), *_ensemble_cases()]
)
def test_estimator_check(estimator, check):
    check(estimator)


# Exported estimators whose checks run here, and those whose checks live with their tests.
CHECKED_HERE = {"ImageAugmenter", "CNNSearchCV", "FoldEnsembleClassifier", "LensInjector"}
CHECKED_ELSEWHERE = {"CNNClassifier": TESTS / "classifier" / "test_classifier_checks.py"}


def _plain_instances() -> dict[str, BaseEstimator]:
    from skbia import CNNClassifier  # imports Keras

    return {
        "CNNClassifier": CNNClassifier(),
        "CNNSearchCV": _search(),
        "FoldEnsembleClassifier": FoldEnsembleClassifier(LogisticRegression(), validation=None),
        "ImageAugmenter": ImageAugmenter(),
        "LensInjector": LensInjector(),
    }


@pytest.mark.parametrize("name", sorted([*CHECKED_HERE, *CHECKED_ELSEWHERE]))
def test_declared_parameter_constraints_are_enforced(name):
    """Every constructor parameter has a constraint, and fit raises an error naming it.

    scikit-learn's generator does not yield this check; it runs here for every
    exported estimator, on tabular X (the parameters are checked before the data).
    """
    check_param_validation(name, _plain_instances()[name])


def _exported_estimators() -> dict[str, type]:
    """Every scikit-learn estimator class in the ``__all__`` of skbia or a public module."""
    modules = [skbia]
    for info in pkgutil.walk_packages(skbia.__path__, "skbia."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    found = {}
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[name] = obj
    return found


def test_every_exported_estimator_is_checked():
    exported = _exported_estimators()
    assert {"CNNClassifier", "CNNSearchCV", "ImageAugmenter"} <= set(exported)
    assert set(exported) == CHECKED_HERE | set(CHECKED_ELSEWHERE)
    for name, estimator in _plain_instances().items():
        assert type(estimator) is exported[name], name
    for name, path in CHECKED_ELSEWHERE.items():
        source = path.read_text()
        assert "estimator_checks_generator" in source and name in source, path


def test_every_expected_failure_is_a_real_check():
    yielded = {
        "ImageAugmenter": {
            check_name(check)
            for _, check in [
                *estimator_checks_generator(_TabularAugmenter()),
                *sampler_checks_generator(_TabularAugmenter()),
            ]
        },
        "CNNSearchCV": {check_name(check) for _, check in estimator_checks_generator(_search())},
        "FoldEnsembleClassifier": {
            check_name(check)
            for _, check in estimator_checks_generator(
                _TabularFoldEnsemble(LogisticRegression(), validation=None)
            )
        },
    }
    assert set(AUGMENTER_EXPECTED_FAILURES) <= yielded["ImageAugmenter"]
    assert set(SEARCH_EXPECTED_FAILURES) | SEARCH_FAST_CHECKS <= yielded["CNNSearchCV"]
    assert set(ENSEMBLE_EXPECTED_FAILURES) | ENSEMBLE_SLOW_CHECKS <= yielded[
        "FoldEnsembleClassifier"
    ]


# ------------------------------------------------------------- the same on 16-px images
def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


def _image_pipeline():
    """Augment, flatten, logistic regression: an image pipeline without a network."""
    return make_pipeline(
        ImageAugmenter(n_copies=2, shift=2, horizontal=True, random_state=0),
        FunctionTransformer(_flatten),
        LogisticRegression(max_iter=200),
    )


IMAGE_ESTIMATORS = {
    "ImageAugmenter": lambda: ImageAugmenter(
        n_copies=3, shift=2, rotation=True, mask_size=2, random_state=0
    ),
    "CNNSearchCV": lambda: _search(
        _image_pipeline(),
        search_spaces={"logisticregression__C": Real(0.01, 10.0, prior="log-uniform")},
    ),
    "FoldEnsembleClassifier": lambda: FoldEnsembleClassifier(
        _image_pipeline(), n_folds=2, validation=None, random_state=0
    ),
}


def _output(estimator, X, y):
    if hasattr(estimator, "fit_resample"):
        return np.concatenate([a.reshape(len(a), -1) for a in estimator.fit_resample(X, y)], 1)
    return estimator.fit(X, y).predict_proba(X)


@pytest.mark.parametrize("name", sorted(IMAGE_ESTIMATORS))
def test_on_images_clones_repeat_and_pickles_keep_the_results(name, blobs):
    """On (n, 16, 16, 3) images: a seeded clone gives the same result, and so does a pickle."""
    X, y = blobs
    estimator = IMAGE_ESTIMATORS[name]()
    first = _output(estimator, X, y)
    assert len(first) >= len(X) and np.isfinite(first).all()
    again = _output(clone(estimator), X, y)
    np.testing.assert_array_equal(again, first)
    copy = pickle.loads(pickle.dumps(estimator))
    if hasattr(estimator, "fit_resample"):
        np.testing.assert_array_equal(_output(copy, X, y), first)
    else:
        np.testing.assert_array_equal(copy.predict_proba(X), estimator.predict_proba(X))
        np.testing.assert_array_equal(copy.predict(X), estimator.predict(X))
    assert clone(estimator).get_params().keys() == estimator.get_params().keys()


# -------------------------------------------------------------------------- LensInjector
_INJECTION_SIDE = 16  # each table row is tiled into a 16 x 16 one-band image


def _as_host_images(X):
    """Tile each row of an (n, f) table into a 16 x 16 one-band image (room for a lens)."""
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):  # sparse: let the estimator reject it
        return X
    X = np.asarray(X)
    if X.ndim != 2 or not 0 < X.shape[1] <= _INJECTION_SIDE**2:
        return X
    tiled = np.tile(X, (1, -(-(_INJECTION_SIDE**2) // X.shape[1])))[:, : _INJECTION_SIDE**2]
    return tiled.reshape(len(X), _INJECTION_SIDE, _INJECTION_SIDE, 1)


class _TabularInjector(LensInjector):
    """LensInjector that reads an (n, f) table as tiled 16 x 16 images and returns a table.

    The first f pixels of each image are its row, so the originals come back unchanged.
    """

    def fit(self, X, y):
        return super().fit(_as_host_images(X), y)

    def fit_resample(self, X, y):
        n_features = np.shape(X)[1] if np.ndim(X) == 2 else None
        X_res, y_res = super().fit_resample(_as_host_images(X), y)
        if n_features is None:
            return X_res, y_res
        return X_res.reshape(len(X_res), -1)[:, :n_features], y_res

    def __sklearn_tags__(self):
        return _tabular_tags(super().__sklearn_tags__())


def _tabular_injector(**params) -> _TabularInjector:
    """Small sources on 16-pixel stamps, every draw accepted, one band."""
    settings = dict(n_injected=0.5, pixel_scale=0.2, zero_point=20.0, psf_fwhm=0.4,
                    einstein_radius=(0.6, 1.0), source_colors=[0.0], min_snr=0.0,
                    min_magnification=0.0, min_arc_separation=0.0, random_state=0)
    settings.update(params)
    return _TabularInjector(**settings)


INJECTOR_EXPECTED_FAILURES = {
    # the same inventory as ImageAugmenter's, for the same reasons: images are not tables
    name: reason
    for name, reason in AUGMENTER_EXPECTED_FAILURES.items()
    if name not in ("check_estimators_dtypes", "check_fit2d_1feature", "check_samplers_fit")
}
INJECTOR_EXPECTED_FAILURES.update({
    "check_estimators_dtypes": (
        "its labels are 1 and 2: skbia assumes the positive class only for 0/1 labels, so "
        "the class of the injected lenses needs positive_label (the error asks for it)"
    ),
    "check_fit2d_1feature": (
        "its labels are 1 and 2: skbia assumes the positive class only for 0/1 labels, so "
        "the class of the injected lenses needs positive_label (the error asks for it)"
    ),
    "check_samplers_fit": (
        "there is no sampling_strategy: the amount is n_injected, so no sampling_strategy_ "
        "is set"
    ),
})


def _injector_cases():
    injector = _tabular_injector()
    pairs = [
        *estimator_checks_generator(injector, legacy=True),
        *sampler_checks_generator(injector),
    ]
    yield from check_cases("LensInjector", pairs, expected_failures=INJECTOR_EXPECTED_FAILURES)


@pytest.mark.parametrize(("estimator", "check"), list(_injector_cases()))
def test_lens_injector_estimator_check(estimator, check):
    check(estimator)


def test_lens_injector_expected_failures_are_real_checks():
    injector = _tabular_injector()
    yielded = {
        check_name(check)
        for _, check in [
            *estimator_checks_generator(injector),
            *sampler_checks_generator(injector),
        ]
    }
    assert set(INJECTOR_EXPECTED_FAILURES) <= yielded


def test_lens_injector_on_images_clone_and_pickle_repeat(blobs):
    """On (n, 16, 16, 3) images: a seeded clone and a pickle give the same output."""
    X, y = blobs
    injector = LensInjector(n_injected=5, pixel_scale=0.2, zero_point=20.0, psf_fwhm=0.4,
                            einstein_radius=(0.6, 1.0), min_snr=0.0, random_state=0)
    first = _output(injector, X, y)
    assert len(first) == len(X) + 5 and np.isfinite(first).all()
    np.testing.assert_array_equal(_output(clone(injector), X, y), first)
    np.testing.assert_array_equal(_output(pickle.loads(pickle.dumps(injector)), X, y), first)
