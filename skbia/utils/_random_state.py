"""One reading of ``random_state`` for every part of skbia.

Estimators take ``random_state`` as None, a non-negative int or a
:class:`numpy.random.RandomState` (scikit-learn's convention); the simulator
also takes a :class:`numpy.random.Generator`. Both readings below reject
booleans and negative integers with the same message.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skbia.utils._checks import is_integer

_MAX_SEED = 2**32


def _check_seed_integer(random_state: Any) -> int:
    if random_state < 0 or random_state >= _MAX_SEED:
        raise ValueError(f"random_state must be in [0, 2**32); got {random_state!r}.")
    return int(random_state)


def seed_from_random_state(random_state: Any) -> int | None:
    """Return the integer seed a ``random_state`` parameter stands for.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState
        None means unseeded. A ``RandomState`` gives one integer drawn from a
        copy of it (the caller's generator is not advanced, so the same
        generator state always gives the same seed).

    Returns
    -------
    seed : int or None

    Raises
    ------
    ValueError
        For an integer outside ``[0, 2**32)`` or a value of another type.
    """
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        copy = np.random.RandomState()
        copy.set_state(random_state.get_state())
        return int(copy.randint(0, 2**31 - 1))
    if is_integer(random_state):
        return _check_seed_integer(random_state)
    raise ValueError(
        f"random_state must be None, an int or a numpy.random.RandomState; got {random_state!r}."
    )


def seed_sequence(random_state: Any) -> np.random.SeedSequence:
    """Return a :class:`numpy.random.SeedSequence` for a ``random_state`` parameter.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        None draws fresh entropy. A generator is advanced (it is the caller's
        stream of randomness, as in NumPy).

    Returns
    -------
    sequence : numpy.random.SeedSequence

    Raises
    ------
    ValueError
        For a negative integer or a value of another type.
    """
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(0, 2**63, size=2).tolist())
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(random_state.randint(0, 2**31 - 1, size=4).tolist())
    if is_integer(random_state):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer; got {random_state}.")
        return np.random.SeedSequence(int(random_state))
    raise ValueError(
        "random_state must be None, an int, a numpy Generator or a RandomState; got "
        f"{random_state!r}."
    )
