"""The CNN classifier: a scikit-learn estimator that trains a Keras network on images.

:class:`CNNClassifier` builds its network from its own parameters (an
architecture of :mod:`skbia.architectures` behind in-model crop and scaling
layers), trains it with the losses of :mod:`skbia.losses` and the callbacks of
:mod:`skbia.callbacks`, and saves it as one ``.keras`` file.
:func:`make_lens_finder` returns one set up as the recommended lens finder
for a few dozen positives. Importing this subpackage imports Keras.
"""

from __future__ import annotations

from skbia.classifier._classifier import CNNClassifier
from skbia.classifier._recipe import (
    LENS_FINDER_AUGMENTATION,
    LENS_FINDER_DEFAULTS,
    LENS_FINDER_MEMBERS,
    lens_finder_image_size,
    make_lens_finder,
)

__all__ = [
    "LENS_FINDER_AUGMENTATION",
    "LENS_FINDER_DEFAULTS",
    "LENS_FINDER_MEMBERS",
    "CNNClassifier",
    "lens_finder_image_size",
    "make_lens_finder",
]
