"""Small parameter checks shared by the estimators, the simulator and the command.

Booleans (Python's and NumPy's) are never accepted where a number is meant,
even though ``True`` is an :class:`numbers.Integral`.
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any

import numpy as np


def is_integer(value: Any) -> bool:
    """Return True for an integer that is not a boolean (``np.bool_`` included)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def is_real(value: Any) -> bool:
    """Return True for a real number that is not a boolean (``np.bool_`` included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def check_count(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is a non-negative integer.

    Parameters
    ----------
    name : str
        Parameter name for the error message.
    value : object
        The value to check.

    Returns
    -------
    count : int

    Raises
    ------
    ValueError
        If ``value`` is not an integer (booleans included) or is negative.
    """
    if not is_integer(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}.")
    return int(value)


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 1.

    Parameters
    ----------
    name : str
        Parameter name for the error message.
    value : object
        The value to check.

    Returns
    -------
    value : int

    Raises
    ------
    ValueError
        If ``value`` is not an integer (booleans included) or is below 1.
    """
    if not is_integer(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def fill_missing_parameters(estimator_class: type, state: dict) -> dict:
    """Add the constructor default of every parameter missing from a pickled ``state``.

    An estimator pickled by an older skbia lacks the parameters added since;
    with their defaults (which keep the old behaviour) it clones, prints and
    refits like a new one. Called from ``__setstate__``.

    Parameters
    ----------
    estimator_class : type
        The estimator's class (its ``__init__`` signature gives the defaults).
    state : dict
        The unpickled ``__dict__``; updated in place.

    Returns
    -------
    state : dict
    """
    for name, parameter in inspect.signature(estimator_class.__init__).parameters.items():
        if parameter.default is not inspect.Parameter.empty:
            state.setdefault(name, parameter.default)
    return state
