"""Keras optimizers by name, with pyBIA's learning-rate decay, momentum and Nesterov switches."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import keras

#: Optimizer names understood by :func:`make_optimizer` and their Keras classes.
OPTIMIZERS: dict[str, type[keras.optimizers.Optimizer]] = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "adagrad": keras.optimizers.Adagrad,
    "adadelta": keras.optimizers.Adadelta,
    "adamax": keras.optimizers.Adamax,
    "nadam": keras.optimizers.Nadam,
}


def _non_negative(value: Any, name: str, *, strictly: bool = False) -> float:
    """Return ``value`` as a finite float >= 0 (> 0 if ``strictly``), else raise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (
        strictly and number == 0
    ):
        bound = "positive" if strictly else "non-negative"
        raise ValueError(f"{name} must be a {bound} finite number; got {value!r}.")
    return number


def make_optimizer(
    name: str,
    *,
    learning_rate: float,
    decay: float = 0.0,
    momentum: float = 0.0,
    nesterov: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> keras.optimizers.Optimizer:
    """Build a Keras optimizer.

    Parameters
    ----------
    name : str
        One of :data:`OPTIMIZERS`.
    learning_rate : float
        Initial learning rate (positive).
    decay : float, default=0.0
        Inverse-time decay per training step (batch): the learning rate at step
        ``t`` is ``learning_rate / (1 + decay * t)``, the legacy Keras
        ``decay`` argument pyBIA passes, implemented with
        :class:`keras.optimizers.schedules.InverseTimeDecay` (``decay_steps=1``).
        0 keeps the learning rate constant.
    momentum : float, default=0.0
        Momentum of ``"sgd"``; ignored by the other optimizers (as in pyBIA).
    nesterov : bool, default=False
        Nesterov momentum; only valid with ``"sgd"``.
    extra : mapping, optional
        Further keyword arguments of the optimizer class (e.g. ``beta_1``,
        ``rho``, ``amsgrad``), from routed ``optimizer__*`` parameters.

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
        A new optimizer.

    Raises
    ------
    ValueError
        Unknown name, invalid numbers, ``nesterov=True`` with another optimizer
        than SGD, or an ``extra`` keyword the optimizer does not take.
    """
    if name not in OPTIMIZERS:
        valid = ", ".join(repr(k) for k in OPTIMIZERS)
        raise ValueError(f"Unknown optimizer {name!r}; valid optimizers are {valid}.")
    rate = _non_negative(learning_rate, "learning_rate", strictly=True)
    decay = _non_negative(decay, "decay")
    momentum = _non_negative(momentum, "momentum")
    if not isinstance(nesterov, bool):
        raise ValueError(f"nesterov must be True or False; got {nesterov!r}.")
    if nesterov and name != "sgd":
        raise ValueError(
            f"nesterov=True only applies to optimizer='sgd' (got optimizer={name!r}); "
            "use optimizer='nadam' for Adam with Nesterov momentum."
        )
    schedule: Any = rate
    if decay > 0:
        schedule = keras.optimizers.schedules.InverseTimeDecay(
            initial_learning_rate=rate, decay_steps=1, decay_rate=decay
        )
    kwargs: dict[str, Any] = {"learning_rate": schedule}
    if name == "sgd":
        kwargs.update(momentum=momentum, nesterov=nesterov)
    for key, value in (extra or {}).items():
        if key in ("learning_rate", "momentum", "nesterov"):
            raise ValueError(
                f"optimizer__{key} duplicates the classifier parameter {key!r}; set that instead."
            )
        kwargs[key] = value
    try:
        return OPTIMIZERS[name](**kwargs)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Invalid routed optimizer parameter for {name!r}: {error}. Routed parameters "
            f"are optimizer__<keyword> of keras.optimizers.{OPTIMIZERS[name].__name__}."
        ) from None
