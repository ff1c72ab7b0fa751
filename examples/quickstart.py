"""Quick start: train a CNNClassifier on simulated lens images and score a held-out set.

A slim AlexNet learns to tell strong-lens candidates from ordinary galaxies and
stars in simulated g, r, i cutouts. The images go in raw: the model crops them to
``image_size`` and min-max scales each band itself, so the held-out images, and any
new images later, need no preprocessing. Expect modest scores from a few dozen
lenses and no augmentation; ``augmentation.py`` and ``skbia demo`` go further.

Runs in about a minute on a laptop CPU; set SKBIA_EXAMPLES_FAST=1 for a tiny run
(seconds; a smoke test, not a result).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sklearn.model_selection import train_test_split  # noqa: E402

from skbia import CNNClassifier  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.evaluation import evaluate_scores, format_metrics  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, n_lenses, n_others, epochs, scale = (32, 12, 48, 2, 1 / 16) if FAST else (64, 60, 240, 15,
                                                                              1 / 4)

# 1 = lens, 0 = other; float32 (n, size, size, 3), background subtracted, not normalized
X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"training on {len(y_train)} images ({int(y_train.sum())} lenses), "
      f"testing on {len(y_test)} ({int(y_test.sum())} lenses)")

model = CNNClassifier(
    arch="alexnet",
    filter_scale=scale,  # a slimmer AlexNet for a CPU
    image_size=size * 3 // 4,  # centre crop inside the model
    min_pixel=0.0,
    max_pixel=[100.0, 100.0, 100.0],  # per-band clip limits of the min-max scaling
    class_weight="balanced",  # the rare lenses weigh as much as all the others
    epochs=epochs,
    random_state=0,  # same seed, same data, same machine: same model
)
model.fit(X_train, y_train)
print(f"trained {len(model.history_['loss'])} epochs, final training loss "
      f"{model.history_['loss'][-1]:.3f}")

scores = model.predict_proba(X_test)[:, 1]  # probability of the class model.classes_[1] = 1
print(format_metrics(evaluate_scores(y_test, scores), title="Held-out test images"))
