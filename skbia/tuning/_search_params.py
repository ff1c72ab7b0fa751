"""CNNSearchCV's parameter constraints, pre-fit checks, and reading/writing its saved files."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from numbers import Integral
from pathlib import Path
from typing import Any

import joblib
from sklearn import get_config
from sklearn.base import clone
from sklearn.utils._param_validation import Interval
from skopt import BayesSearchCV
from skopt.space import check_dimension

from skbia.tuning._search_results import pack_band_params

_CHECKPOINT_FORMAT = "skbia-search-checkpoint"

PARAMETER_CONSTRAINTS: dict = {
    **BayesSearchCV._parameter_constraints,
    "search_spaces": [Mapping, list],
    "n_iter": [Interval(Integral, 1, None, closed="left")],
    "trial_params": [Mapping, None],
    "checkpoint": [str, os.PathLike, None],
    # skopt's BayesSearchCV cannot rank by a callable refit
    "refit": ["boolean", str],
    "optimizer_kwargs": [Mapping, None],
    "n_points": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
}


def check_before_fit(search, resume_from: Any, X=None, y=None) -> dict[str, Any] | None:
    """Run the checks of ``fit`` before any trial; set ``n_resumed_``; return the old trials."""
    if not get_config()["skip_parameter_validation"]:
        search._validate_params()
    space = search._single_space()
    check_params(search)
    if not get_config()["skip_parameter_validation"]:
        check_space_values(search)
    if search.checkpoint is not None:
        check_file_destination(search.checkpoint, "checkpoint")
    check_image_data(search, X, y)
    history = load_history(resume_from, sorted(space))
    search.n_resumed_ = len(history["x_iters"]) if history else 0
    if search.n_resumed_ >= search.n_iter:
        raise ValueError(
            f"The search to resume already ran {search.n_resumed_} trials and "
            f"n_iter={search.n_iter}; raise n_iter to run more."
        )
    return history


def check_params(search) -> None:
    """Check what the declared constraints cannot: combinations of parameters."""
    multimetric = isinstance(search.scoring, (list, tuple, set, dict))
    if multimetric and not isinstance(search.refit, str):
        raise ValueError(
            "With several scoring metrics, refit must name the one that guides "
            f"the search; got refit={search.refit!r}."
        )
    trial_params = dict(search.trial_params or {})
    overlap = set(trial_params) & set(pack_band_params(search._single_space()))
    if overlap:
        raise ValueError(
            f"trial_params and search_spaces both set {sorted(overlap)}; "
            "a parameter is either searched or fixed for the trials."
        )
    if trial_params:
        try:  # the check every trial would make, once before any fit
            clone(search.estimator).set_params(**clone(trial_params, safe=False))
        except ValueError as error:
            raise ValueError(f"trial_params cannot be set on the estimator: {error}") from None


def check_space_values(search) -> None:
    """Set every value the space can take on a clone of the estimator and validate it.

    The values are each Categorical's categories and each range's bounds, set
    one at a time (with ``trial_params``); every step's declared parameter
    constraints (``_validate_params``) must accept them. A value no step
    accepts would fail every trial that draws it, one traceback per fold, and
    the search would spend its budget on them.

    Raises
    ------
    ValueError
        If a value is refused (or names no parameter of the estimator),
        naming the dimension and the value.
    """
    trial_params = pack_band_params(dict(search.trial_params or {}))
    for name, dimension in search._single_space().items():
        if name.endswith("]"):  # one band of a per-band parameter: only whole lists validate
            continue
        dimension = check_dimension(dimension)
        values = (list(dimension.categories) if hasattr(dimension, "categories")
                  else [dimension.low, dimension.high])
        for value in values:
            try:
                estimator = clone(search.estimator).set_params(
                    **clone({**trial_params, name: value}, safe=False))
                for step in _all_steps(estimator):
                    if hasattr(step, "_validate_params") and hasattr(step,
                                                                     "_parameter_constraints"):
                        step._validate_params()
            except (TypeError, ValueError) as error:
                raise ValueError(f"search_spaces[{name!r}] can take the value {value!r}, which "
                                 f"the estimator refuses: {error}") from None


def _all_steps(estimator: Any) -> list[Any]:
    """Return the estimator and, for (nested) pipelines, every step in it."""
    found = [estimator]
    for _, step in getattr(estimator, "steps", ()):
        if step is not None and step != "passthrough":
            found.extend(_all_steps(step))
    return found


def _skbia_steps(estimator: Any) -> tuple[Any, bool]:
    """Return the final CNNClassifier (or None) and whether an ImageAugmenter comes before it.

    Found without importing Keras: an estimator can only be a CNNClassifier
    when :mod:`skbia.classifier` has been imported.
    """
    steps = [estimator]
    while hasattr(steps[-1], "steps"):
        steps = [*steps[:-1], *(step for _, step in steps[-1].steps)]
    classifier_module = sys.modules.get("skbia.classifier")
    final = steps[-1]
    if classifier_module is None or not isinstance(final, classifier_module.CNNClassifier):
        return None, False
    from skbia.augmentation import ImageAugmenter

    return final, any(isinstance(step, ImageAugmenter) for step in steps[:-1])


def check_image_data(search, X, y) -> None:
    """Check the images and labels once, before any trial, when the search tunes a CNNClassifier.

    Malformed data would make every fold of every trial fail the same way
    inside the classifier, and the search would report it only after all
    ``n_iter`` trials, as a traceback. The checks are those of the
    classifier's ``fit`` (:func:`skbia.utils.check_images` and
    :func:`skbia.utils.check_labels`); NaN pixels are accepted when the
    classifier (without an ImageAugmenter before it) has a ``fill_value`` or
    the search sets one; the crop is checked unless the search sets
    ``image_size``. Other estimators are left to their own checks.

    Raises
    ------
    TypeError
        If ``X`` holds non-numeric or complex values.
    ValueError
        If ``X`` is not a stack of images (or they are smaller than the
        classifier's ``image_size``), ``y`` does not hold one class
        label per image (continuous, NaN, 2-d or of another length), or
        ``y`` has a single class.
    """
    classifier, augmented = _skbia_steps(search.estimator)
    if classifier is None or X is None:
        return
    from sklearn.utils.multiclass import type_of_target

    from skbia.utils import check_images, check_labels

    searched = [*search._single_space(), *(search.trial_params or {})]
    fill_value = None if augmented else classifier.fill_value
    if not augmented and any(key.endswith("fill_value") for key in searched):
        fill_value = 0.0  # set by the trials: only the shape and dtype can be checked here
    crop = None if any(key.endswith("image_size") for key in searched) else classifier.image_size
    images = check_images(X, fill_value=fill_value, min_size=crop)
    if y is None:
        return
    labels = check_labels(y, len(images), min_classes=2)
    if type_of_target(labels) == "continuous":
        raise ValueError(
            "y holds non-integer numbers, not class labels (y looks continuous); "
            "CNNSearchCV tunes a classifier: pass one class label per image."
        )


def load_saved(path: Any, what: str) -> Any:
    """Return the object in a joblib file written by skbia, or raise a clear error.

    Such files are pickles: only load files you trust.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the file is empty, truncated or not a joblib file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No {what} at {os.fspath(path)!r}.")
    if path.is_dir():
        raise IsADirectoryError(f"{os.fspath(path)!r} is a folder, not a {what} file.")
    try:
        return joblib.load(path)
    except MemoryError:
        raise
    except Exception as error:  # unpickling fails with errors of many types
        detail = f"{type(error).__name__}: {error}".rstrip(": ")
        raise ValueError(
            f"Cannot read {os.fspath(path)!r} as a {what}: the file is empty, truncated or not "
            f"written by CNNSearchCV ({detail})."
        ) from error


def check_refit_metric(search, scores) -> None:
    """Check the metric that guides the search (``refit`` is False while searching)."""
    refit = search.refit if search.refit is not False else getattr(search, "_refit_metric", False)
    if not (isinstance(refit, str) and refit in scores):
        raise ValueError(
            "For several scoring metrics, refit must name the one that guides the "
            f"search, one of {sorted(scores)}; got {refit!r}."
        )


def single_space(search_spaces) -> dict[str, Any]:
    """Return the one search space of ``search_spaces``, checked, as a dict."""
    space = search_spaces
    if isinstance(space, list) and len(space) == 1 and isinstance(space[0], Mapping):
        space = space[0]
    if not isinstance(space, Mapping):
        raise TypeError(
            "CNNSearchCV takes one search space (a dict of parameter name -> "
            "skopt dimension); use skopt.BayesSearchCV for several subspaces."
        )
    if not space:
        raise ValueError(
            "search_spaces is empty; give at least one parameter name -> skopt dimension."
        )
    for name, dimension in space.items():
        if not isinstance(name, str):
            raise TypeError(f"search_spaces keys must be parameter names; got {name!r}.")
        try:
            check_dimension(dimension)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"search_spaces[{name!r}] is not a skopt dimension "
                f"(Real, Integer, Categorical or a tuple/list of bounds or values): {error}"
            ) from None
    return dict(space)


def load_history(source: Any, space_keys: list[str]) -> dict[str, Any] | None:
    """Trials of an earlier search, as x_iters, func_vals and cv_results."""
    from skbia.tuning._search_cv import CNNSearchCV  # the class imports this module

    if source is None:
        return None
    if isinstance(source, (str, os.PathLike)):
        source = load_saved(source, "saved search or checkpoint")
    if isinstance(source, CNNSearchCV):
        if not hasattr(source, "cv_results_"):
            raise ValueError("resume_from is a CNNSearchCV that was never fitted.")
        result = source.optimizer_results_[0]
        state = {
            "space": sorted(source._single_space()),
            "x_iters": list(result.x_iters),
            "func_vals": list(result.func_vals),
            "cv_results": source.cv_results_,
        }
    elif isinstance(source, Mapping) and source.get("format") == _CHECKPOINT_FORMAT:
        state = dict(source)
    else:
        raise ValueError(
            "resume_from must be a fitted CNNSearchCV, a file written by CNNSearchCV.save "
            f"or a checkpoint file; got {type(source).__name__}."
        )
    if state["space"] != space_keys:
        raise ValueError(
            "The search to resume used a different search space: "
            f"{state['space']} vs {space_keys}."
        )
    if len(state["x_iters"]) != len(state["cv_results"]["params"]):
        raise ValueError("Inconsistent saved search: trial counts of optimizer and results differ.")
    return state


def check_file_destination(path: Any, name: str) -> Path:
    """Check that a joblib file can be written at ``path`` (missing folders are created).

    Parameters
    ----------
    path : str or path-like
        Where the file goes.
    name : str
        What the path is, for the message (``"checkpoint"``, ``"path"``).

    Returns
    -------
    path : Path

    Raises
    ------
    ValueError
        If ``path`` is an existing folder, or a file stands where one of its
        folders would go.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{name}={str(path)!r} is a folder; give the name of a file to write.")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{name}={str(path)!r} cannot be written: {str(parent)!r} is "
                                 "a file, not a folder.")
            break
    return path


def _atomic_dump(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(obj, tmp, compress=3)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
