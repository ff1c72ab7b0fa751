"""Data augmentation: make synthetic lenses, look at them, and train on them safely.

The pyBIA tutorial's "Data Augmentation" section with skbia. pyBIA augments the
classes before training (``augment_positive``/``augment_negative``); skbia's
ImageAugmenter is an imbalanced-learn sampler, so inside a pipeline it augments only the
data being fitted, and cross-validation or a test set never sees augmented copies of
training images. The crop that removes the distorted border is the classifier's
``image_size``.

Set SKBIA_EXAMPLES_FAST=1 for a tiny run (seconds). Writes augmented_positives.png,
augmented_negatives.png and blended_positives.png.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from imblearn.pipeline import make_pipeline  # noqa: E402

from skbia import CNNClassifier, ImageAugmenter  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.evaluation import evaluate_scores, format_metrics  # noqa: E402
from skbia.plotting import plot_images  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, n_lenses, n_others, batch, epochs, scale = (
    (32, 10, 40, 4, 1, 1 / 16) if FAST else (100, 20, 500, 25, 8, 1 / 4)
)
image_size = size * 2 // 3  # the tutorial's 67 for 100 px images
shift = size // 10

X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)

# pyBIA: augment_positive(batch=25, width_shift=10, height_shift=10, vertical=True,
#        horizontal=True, rotation=True, zoom_range=(0.9, 1.1), mask_size=5, num_masks=5)
#        augment_negative(mask_size=5, num_masks=5)  -> cut-outs on the others too
augmenter = ImageAugmenter(
    n_copies=batch, shift=shift, horizontal=True, vertical=True, rotation=True,
    zoom_range=(0.9, 1.1), mask_size=5 if not FAST else 2, num_masks=5,
    n_copies_other=1,  # one cut-out copy per other object, so cut-outs do not mean "lens"
    balance=True,  # then trim the others to the number of lenses (pyBIA's balance)
    random_state=0,
)
X_aug, y_aug = augmenter.fit_resample(X, y)
print(f"before: {int(y.sum())} lenses, {int((y == 0).sum())} others; "
      f"after: {int(y_aug.sum())} lenses, {int((y_aug == 0).sum())} others")

# pyBIA's _plot_positive() / _plot_negative()
plot_images(X_aug[y_aug == 1][-16:], title="Augmented lenses", ncols=8).savefig(
    "augmented_positives.png", dpi=100)
plot_images(X_aug[y_aug == 0][-16:], title="Augmented others", ncols=8).savefig(
    "augmented_negatives.png", dpi=100)

# The blending variant: blend_multiplier=50 on the lenses, 1 on the others (3 images each)
blender = ImageAugmenter(n_copies=1, n_copies_other=1, blend_multiplier=50 if not FAST else 4,
                         blend_other=1, num_images_to_blend=3, blending_func="mean",
                         random_state=0)
X_blend, y_blend = blender.fit_resample(X, y)
print(f"blending: {int(y_blend.sum())} lenses, {int((y_blend == 0).sum())} others")
plot_images(X_blend[y_blend == 1][-16:], title="Blended lenses (mean of 3)", ncols=8).savefig(
    "blended_positives.png", dpi=100)

# Train on augmented data the safe way: the augmenter is the first step of a pipeline.
pipe = make_pipeline(
    augmenter,
    CNNClassifier(arch="alexnet", filter_scale=scale, image_size=image_size, min_pixel=0.0,
                  max_pixel=[100.0, 100.0, 100.0], epochs=epochs, random_state=0, verbose=0),
)
pipe.fit(X, y)
X_test, y_test = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size,
                             random_state=1)
scores = pipe.predict_proba(X_test)[:, 1]  # the augmenter does nothing at predict time
print(format_metrics(evaluate_scores(y_test, scores), title="separate test set"))
print(f"mean score, lenses {scores[y_test == 1].mean():.3f}, "
      f"others {scores[y_test == 0].mean():.3f}")
