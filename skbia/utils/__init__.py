"""Checks and helpers shared by every part of skbia: one home for each.

Input validation of images, labels and scores, the check that a training loss
stayed finite, the reading of ``random_state`` and the small parameter checks
that several parts use. Nothing here imports Keras. Other subpackages import
these names from :mod:`skbia.utils`, never from its private modules.
"""

from __future__ import annotations

from skbia.utils._checks import (
    check_count,
    check_positive_int,
    fill_missing_parameters,
    is_integer,
    is_real,
)
from skbia.utils._constraints import NumberInterval
from skbia.utils._labels import resolve_positive_label
from skbia.utils._noise import estimate_background_noise
from skbia.utils._random_state import seed_from_random_state, seed_sequence
from skbia.utils._validation import (
    check_binary_scores,
    check_images,
    check_labels,
    check_training_finite,
)

__all__ = [
    "NumberInterval",
    "check_binary_scores",
    "check_count",
    "check_images",
    "check_labels",
    "check_positive_int",
    "check_training_finite",
    "fill_missing_parameters",
    "estimate_background_noise",
    "is_integer",
    "is_real",
    "resolve_positive_label",
    "seed_from_random_state",
    "seed_sequence",
]
