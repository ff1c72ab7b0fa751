"""Seeding of Python, NumPy and Keras for reproducible training runs.

The integer seed of a ``random_state`` parameter comes from
:func:`skbia.utils.seed_from_random_state`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


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
