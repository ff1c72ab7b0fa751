"""Validation of the classifier's parameters: the declared constraints and the other checks.

:data:`PARAMETER_CONSTRAINTS` declares, in scikit-learn's
:mod:`~sklearn.utils._param_validation` terms, the type and range of every
constructor parameter; ``BaseEstimator._validate_params`` checks them and
raises :class:`~sklearn.utils._param_validation.InvalidParameterError` (a
``ValueError`` and a ``TypeError``) naming the parameter. :func:`check_params`
adds the checks a constraint cannot express: the names of routed parameters,
the contents of the ``image_size`` pair and of per-band pixel limits, the
format of ``stop_thresholds`` and the device. :func:`check_monitored` checks the
metric names once the number of classes is known.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import keras
import numpy as np
from sklearn.utils._param_validation import StrOptions

from skbia.architectures import ARCHITECTURES
from skbia.architectures.layers import SCALINGS
from skbia.augmentation import ImageAugmenter
from skbia.classifier._devices import check_device
from skbia.classifier._optimizers import OPTIMIZERS
from skbia.classifier._tta import TTA_MODES
from skbia.losses import LOSSES
from skbia.utils import NumberInterval, is_integer, is_real

__all__ = [
    "PARAMETER_CONSTRAINTS",
    "check_monitored",
    "check_params",
    "metric_names",
    "routed_params",
]

#: Prefixes of the routed parameters the classifier understands.
ROUTES = ("model", "optimizer", "fit", "predict")
_STOP_MODES = ("above", "below")


_FINITE = NumberInterval(Real, None, None, closed="neither")
_POSITIVE = NumberInterval(Real, 0, None, closed="neither")
_NON_NEGATIVE = NumberInterval(Real, 0, None, closed="left")
_POSITIVE_INT = NumberInterval(Integral, 1, None, closed="left")
_FRACTION = NumberInterval(Real, 0, 1, closed="left")
# a Keras identifier: a name, an object, or a serialized configuration
_KERAS_OBJECT = [str, callable, dict]

#: Constraints of every constructor parameter (see ``CNNClassifier``'s docstring).
PARAMETER_CONSTRAINTS: dict[str, list[Any]] = {
    "arch": [StrOptions(set(ARCHITECTURES)), callable],
    "image_size": [None, _POSITIVE_INT, "array-like"],  # a pair: see _check_image_size
    "normalize": ["boolean"],
    "min_pixel": [_FINITE, "array-like"],  # one per band: see _check_per_band
    "max_pixel": [_FINITE, "array-like"],
    "scaling": [StrOptions(set(SCALINGS))],
    "softening": [None, _POSITIVE, "array-like"],  # one per band: see _check_per_band
    "augmentation": [None, ImageAugmenter],
    "balance_ratio": [None, NumberInterval(Real, 0, 1, closed="right")],
    "tta": [None, StrOptions(set(TTA_MODES))],
    "fill_value": [None, _FINITE],
    "pooling": [StrOptions({"max", "average", "min"})],
    "regularizer": [StrOptions({"batch_norm", "local_response"}), None],
    "conv_activation": [*_KERAS_OBJECT, None],  # None is Keras' linear activation
    "dense_activation": [*_KERAS_OBJECT, None],
    "conv_initializer": _KERAS_OBJECT,
    "dense_initializer": _KERAS_OBJECT,
    "dropout": [None, _FRACTION],
    "filter_scale": [_POSITIVE],
    "optimizer": [StrOptions(set(OPTIMIZERS))],
    "learning_rate": [_POSITIVE],
    "decay": [_NON_NEGATIVE],
    "momentum": [_NON_NEGATIVE],
    "nesterov": ["boolean"],
    "loss": [StrOptions({"auto", *LOSSES}), callable],
    "positive_label": "no_validation",  # checked against the classes at fit
    "positive_weight": [_POSITIVE],
    "focal_gamma": [_NON_NEGATIVE],
    "focal_alpha": [None, NumberInterval(Real, 0, 1, closed="both")],
    "class_weight": [Mapping, StrOptions({"balanced"}), None],
    "epochs": [_POSITIVE_INT],
    "batch_size": [_POSITIVE_INT],
    "shuffle": ["boolean"],
    "patience": [NumberInterval(Integral, 0, None, closed="left"), None],
    "monitor": [str],  # checked against the logged metrics: see check_monitored
    "restore_best_weights": ["boolean"],
    "stop_thresholds": [Mapping, None],  # its items: see _check_stop_thresholds
    "validation_data": [tuple, list, None],  # a pair: checked where it is encoded
    "validation_split": [_FRACTION],
    # the forms scikeras accepts: a list, a dict of callbacks, or a single callback
    "callbacks": [list, Mapping, keras.callbacks.Callback, None],
    "min_training_auc": [None, NumberInterval(Real, 0, 1, closed="right")],
    "retries": [NumberInterval(Integral, 0, None, closed="left")],
    "recalibrate_batch_norm": ["boolean"],
    # scikit-learn's "random_state", without booleans
    "random_state": [
        NumberInterval(Integral, 0, 2**32 - 1, closed="both"),
        np.random.RandomState,
        None,
    ],
    "verbose": [NumberInterval(Integral, 0, 2, closed="both")],
    "warm_start": ["boolean"],
    "device": [str, None],  # its format and availability: see check_device
    "run_eagerly": ["boolean"],
}


def routed_params(estimator: Any, route: str) -> dict[str, Any]:
    """Return the routed parameters ``<route>__<name>`` of ``estimator`` as ``{name: value}``.

    Parameters
    ----------
    estimator : CNNClassifier
        The classifier.
    route : str
        One of :data:`ROUTES`.

    Returns
    -------
    params : dict of str to object
    """
    prefix = route + "__"
    return {
        key[len(prefix) :]: value
        for key, value in vars(estimator).items()
        if key.startswith(prefix)
    }


def check_params(estimator: Any, *, device: bool = True) -> None:
    """Validate every parameter of ``estimator`` before any work is done.

    Parameters
    ----------
    estimator : CNNClassifier
        The classifier.
    device : bool, default=True
        Whether to check that ``estimator.device`` is available here too
        (loading skips it: a model trained on a GPU loads on a CPU).

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        If a parameter breaks its declared constraint.
    ValueError
        For an unknown parameter name, a malformed ``image_size`` pair,
        per-band pixel limit or ``stop_thresholds`` item, or a device that is
        malformed or not available.
    """
    estimator._validate_params()
    _check_routed_names(estimator)
    _check_image_size(estimator.image_size)
    for name in ("min_pixel", "max_pixel"):
        _check_per_band(getattr(estimator, name), name)
    _check_stop_thresholds(estimator.stop_thresholds)
    _check_scaling_and_augmentation(estimator)
    if device:
        check_device(estimator.device)


def _check_scaling_and_augmentation(estimator: Any) -> None:
    """Check the combinations of the scaling and online-augmentation parameters."""
    if estimator.softening is not None:
        _check_per_band(estimator.softening, "softening")
        if np.any(np.asarray(estimator.softening, dtype=float) <= 0):
            raise ValueError(
                f"softening must be positive (one value per band); got {estimator.softening!r}."
            )
    if estimator.scaling in ("asinh", "sqrt") and not estimator.normalize:
        raise ValueError(
            f"scaling={estimator.scaling!r} needs normalize=True (normalize=False turns every "
            "in-model scaling off)."
        )
    if estimator.balance_ratio is not None and estimator.augmentation is None:
        raise ValueError(
            "balance_ratio applies to online augmentation; set augmentation to an "
            "ImageAugmenter or balance_ratio=None."
        )
    if estimator.augmentation is not None and estimator.validation_split:
        raise ValueError(
            "augmentation (online) cannot be combined with validation_split: the held-out "
            "images would be augmented copies' neighbours; pass validation_data instead."
        )


def _check_routed_names(estimator: Any) -> None:
    """Reject parameters that are neither constructor arguments nor routed ones."""
    explicit = set(inspect.signature(type(estimator).__init__).parameters) - {"self", "kwargs"}
    for name in estimator.get_params(deep=False):
        if name in explicit:
            continue
        if "__" not in name or name.split("__", 1)[0] not in ROUTES:
            raise ValueError(
                f"Unknown parameter {name!r} of {type(estimator).__name__}. Routed parameters "
                f"start with one of {', '.join(r + '__' for r in ROUTES)}; see "
                "get_params() for the others."
            )


def _check_image_size(image_size: Any) -> None:
    """Check the contents of an ``image_size`` pair (a scalar is declared)."""
    if image_size is None:
        return
    sizes = [image_size] if np.ndim(image_size) == 0 else list(np.ravel(image_size))
    if np.ndim(image_size) > 1 or len(sizes) not in (1, 2) or not all(
        is_integer(s) and s >= 1 for s in sizes
    ):
        raise ValueError(
            "image_size must be None, a positive integer or a (height, width) pair of "
            f"positive integers; got {image_size!r}."
        )


def _check_per_band(value: Any, name: str) -> None:
    """Check a scalar-or-per-band pixel limit (its length is checked against the channels)."""
    values = np.ravel(np.asarray(value, dtype=object))
    if np.ndim(value) > 1 or len(values) == 0 or not all(
        is_real(v) and math.isfinite(v) for v in values
    ):
        raise ValueError(
            f"{name} must be a finite number or a list of finite numbers, one per band; "
            f"got {value!r}."
        )


def _check_stop_thresholds(stop_thresholds: Mapping | None) -> None:
    """Check that every ``stop_thresholds`` item is a ``(mode, threshold)`` pair."""
    for metric, item in (stop_thresholds or {}).items():
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str)
            or len(item) != 2
            or item[0] not in _STOP_MODES
        ):
            raise ValueError(
                f"stop_thresholds[{metric!r}] must be a (mode, threshold) pair with mode "
                f"'above' or 'below', e.g. ('above', 0.99); got {item!r}."
            )


def metric_names(n_classes: int, validation: bool) -> list[str]:
    """Return the names of the metrics training logs.

    Parameters
    ----------
    n_classes : int
        Number of classes (2 logs ``binary_accuracy``, more ``accuracy``).
    validation : bool
        Whether validation data is given (adds the ``val_`` forms).

    Returns
    -------
    names : list of str
    """
    names = ["loss", "binary_accuracy" if n_classes == 2 else "accuracy", "f1_score"]
    return names + [f"val_{name}" for name in names] if validation else names


def check_monitored(estimator: Any, n_classes: int, validation: bool) -> None:
    """Check ``monitor`` and the ``stop_thresholds`` metrics against the logged metrics.

    Parameters
    ----------
    estimator : CNNClassifier
        The classifier.
    n_classes : int
        Number of classes of the training labels.
    validation : bool
        Whether training gets validation data.

    Raises
    ------
    ValueError
        If early stopping or a threshold watches a metric training does not log.
    """
    logged = metric_names(n_classes, validation)
    watched = [("monitor", estimator.monitor)] if estimator.patience else []
    watched += [("stop_thresholds", metric) for metric in estimator.stop_thresholds or {}]
    for where, metric in watched:
        if metric not in logged:
            hint = ""
            if isinstance(metric, str) and metric.startswith("val_") and not validation:
                hint = " 'val_' metrics need validation_data or validation_split."
            raise ValueError(
                f"{where} names {metric!r}, which training does not log; the logged "
                f"metrics are {', '.join(map(repr, logged))}.{hint}"
            )
