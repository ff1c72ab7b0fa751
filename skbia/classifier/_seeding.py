"""Seeding of Python, NumPy and Keras for reproducible training runs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


def seed_from_random_state(random_state) -> int | None:
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
        For a negative integer or a value of another type.
    """
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        copy = np.random.RandomState()
        copy.set_state(random_state.get_state())
        return int(copy.randint(0, 2**31 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0 or random_state >= 2**32:
            raise ValueError(f"random_state must be in [0, 2**32); got {random_state!r}.")
        return int(random_state)
    raise ValueError(
        f"random_state must be None, an int or a numpy.random.RandomState; got {random_state!r}."
    )


@contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed Python, NumPy, TensorFlow and Keras inside the block, then restore them.

    ``keras.utils.set_random_seed`` also resets Keras' global seed generator,
    from which initializers, dropout layers and shuffling draw their seeds, so
    building and training a model in the block is reproducible. The Python
    and NumPy global generators and Keras' global seed state are put back
    afterwards, so fitting an estimator does not change the caller's random
    streams. With ``seed=None`` nothing is touched.

    Parameters
    ----------
    seed : int or None
        The seed.

    Yields
    ------
    None
    """
    if seed is None:
        yield
        return
    import keras
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    python_state = random.getstate()
    numpy_state = np.random.get_state()
    keras_seed = global_state.get_global_attribute(rng_utils.GLOBAL_RANDOM_SEED)
    keras_generator = global_state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR)
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, keras_seed)
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, keras_generator)
