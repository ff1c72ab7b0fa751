"""Cross-validate the whole augmentation + CNN pipeline.

pyBIA augments the data before splitting it, so augmented copies of one lens can land on
both sides of a split and inflate the scores. With the ImageAugmenter as the first step of
an imbalanced-learn pipeline, ``cross_val_score`` augments each training fold only and
scores every fold on untouched images. CNNClassifier is a scikit-learn classifier, so an
integer ``cv`` gives stratified folds (every fold holds lenses).

Set SKBIA_EXAMPLES_FAST=1 for a tiny run (seconds).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_validate  # noqa: E402

from skbia import CNNClassifier, ImageAugmenter  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, n_lenses, n_others, copies, epochs, scale, folds = (
    (32, 9, 30, 2, 1, 1 / 16, 3) if FAST else (64, 20, 500, 10, 6, 1 / 4, 5)
)

X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)
pipe = make_pipeline(
    ImageAugmenter(n_copies=copies, shift=size // 10, horizontal=True, vertical=True,
                   rotation=True, zoom_range=(0.9, 1.1), balance=True, random_state=0),
    CNNClassifier(arch="alexnet", filter_scale=scale, image_size=size * 3 // 4, min_pixel=0.0,
                  max_pixel=[100.0, 100.0, 100.0], epochs=epochs, random_state=0, verbose=0),
)
cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
results = cross_validate(pipe, X, y, cv=cv, scoring=["roc_auc", "average_precision"])
for name in ("roc_auc", "average_precision"):
    scores = results[f"test_{name}"]
    print(f"{name:<18} {np.round(scores, 3)}  mean {scores.mean():.3f} +- {scores.std():.3f}")
print(f"chance level of average precision: {y.mean():.3f}")
print(f"fit time per fold: {results['fit_time'].mean():.1f} s")
