"""Warm starts after ``set_params``: apply what a live model can take, refuse what it cannot.

A fitted classifier remembers the parameters its Keras model was built and
compiled with. When ``fit`` continues training (``warm_start=True``) after
``set_params``:

* optimizer, learning-rate and loss parameters are applied to the live model:
  a new learning rate alone (no decay schedule, same optimizer) is set on the
  optimizer, which keeps its state (moments, iteration count); any other change
  recompiles the model with a new optimizer, keeping the weights;
* parameters that shape the network (architecture, crop, scaling, dropout,
  ...) cannot change without a new model and raise a ``ValueError`` before any
  training, naming them;
* everything else (epochs, batch size, callbacks, augmentation, ...) applies
  as usual.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skbia.classifier import _saving

__all__ = ["ARCHITECTURE_PARAMS", "COMPILE_PARAMS", "apply_warm_start_changes", "model_params"]

#: Parameters fixed by the built network (with every routed ``model__*`` parameter).
ARCHITECTURE_PARAMS = (
    "arch", "image_size", "normalize", "min_pixel", "max_pixel", "scaling", "softening",
    "pooling", "regularizer", "conv_activation", "dense_activation", "conv_initializer",
    "dense_initializer", "dropout", "filter_scale",
)
#: Parameters of ``Model.compile`` (with every routed ``optimizer__*`` parameter).
COMPILE_PARAMS = (
    "optimizer", "learning_rate", "decay", "momentum", "nesterov", "loss", "positive_label",
    "positive_weight",
    "focal_gamma", "focal_alpha", "run_eagerly",
)


def model_params(estimator: Any) -> dict[str, Any]:
    """Return the parameters the estimator's model is built and compiled with."""
    params = estimator.get_params(deep=False)
    return {
        name: value for name, value in params.items()
        if name in ARCHITECTURE_PARAMS or name in COMPILE_PARAMS
        or name.startswith(("model__", "optimizer__"))
    }


def _same(a: Any, b: Any) -> bool:
    """Whether two parameter values are the same setting."""
    if a is b:
        return True
    try:
        return _saving.encode(a, "a") == _saving.encode(b, "b")
    except TypeError:  # a live object (a Keras regularizer, say): compare as objects
        try:
            return bool(np.all(a == b))
        except Exception:  # noqa: BLE001 - incomparable objects are different settings
            return False


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    names = sorted(set(before) | set(after))
    missing = object()
    return [n for n in names
            if not _same(before.get(n, missing), after.get(n, missing))]


def apply_warm_start_changes(estimator: Any) -> list[str]:
    """Bring the live model in line with the parameters before a warm-started ``fit``.

    Parameters
    ----------
    estimator : CNNClassifier
        A fitted classifier about to continue training.

    Returns
    -------
    changed : list of str
        The compile parameters applied (empty when nothing changed).

    Raises
    ------
    ValueError
        If a parameter that shapes the network changed since it was built.
    """
    recorded = getattr(estimator, "_model_params", None)
    current = model_params(estimator)
    if recorded is None:  # a model from before parameters were recorded: trust it
        estimator._model_params = current
        return []
    changed = _changed(recorded, current)
    fixed = [n for n in changed if n in ARCHITECTURE_PARAMS or n.startswith("model__")]
    if fixed:
        details = ", ".join(f"{n}: {recorded.get(n)!r} -> {current.get(n)!r}" for n in fixed)
        raise ValueError(
            f"warm_start=True continues training the existing network, but these parameters "
            f"change the network itself and cannot be applied to it: {details}. Set them back, "
            "or set warm_start=False to train a new network."
        )
    if not changed:
        return []
    model = estimator.model_
    optimizer = model.optimizer
    only_rate = changed == ["learning_rate"] and not current["decay"]
    rate = getattr(optimizer, "learning_rate", None)
    if only_rate and optimizer is not None and hasattr(rate, "assign"):
        rate.assign(float(current["learning_rate"]))  # the optimizer keeps its state
    else:
        estimator._compile_model(model)  # new optimizer and loss; the weights stay
    estimator._model_params = current
    return changed
