"""Augmentation of training images as an imbalanced-learn sampler.

:class:`ImageAugmenter` adds shifted, flipped, rotated, zoomed, skewed,
blended and cut-out copies of the training images (different amounts per
class) in ``fit_resample``, so that inside a pipeline only the training folds of
a cross-validation or search are augmented. Geometry is one affine warp per
image for all bands; the exact symmetries of the square (``dihedral=True``)
are pixel permutations applied after it. This subpackage does not import Keras.
"""

from __future__ import annotations

from skbia.augmentation._image_augmenter import ImageAugmenter

__all__ = ["ImageAugmenter"]
