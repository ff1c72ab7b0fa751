"""Augmentation of training images: an imbalanced-learn sampler and an online dataset.

:class:`ImageAugmenter` adds shifted, flipped, rotated, zoomed, skewed,
blended and cut-out copies of the training images (different amounts per
class) in ``fit_resample``, so that inside a pipeline only the training folds of
a cross-validation or search are augmented. Geometry is one affine warp per
image for all bands; the exact symmetries of the square (``dihedral=True``)
are pixel permutations applied after it (:func:`dihedral_view`).
:class:`OnlineAugmentationDataset` serves freshly augmented training images
in every epoch to ``keras.Model.fit`` (what ``CNNClassifier(augmentation=...)``
uses). Importing this subpackage does not import Keras; the online dataset
imports it when first accessed.
"""

from __future__ import annotations

import importlib
from typing import Any

from skbia.augmentation._dihedral import N_ELEMENTS as N_DIHEDRAL_ELEMENTS
from skbia.augmentation._dihedral import dihedral_view
from skbia.augmentation._image_augmenter import ImageAugmenter

__all__ = ["N_DIHEDRAL_ELEMENTS", "ImageAugmenter", "OnlineAugmentationDataset", "dihedral_view"]

# synthetic lenses painted into the training fold's negatives (skbia.datasets.inject_lenses)
from skbia.augmentation._lens_injector import LensInjector  # noqa: E402

__all__ += ["LensInjector"]


def __getattr__(name: str) -> Any:
    """Import the Keras-based online dataset only when it is asked for."""
    if name == "OnlineAugmentationDataset":
        module = importlib.import_module("skbia.augmentation._online")
        return module.OnlineAugmentationDataset
    raise AttributeError(f"module 'skbia.augmentation' has no attribute {name!r}")
