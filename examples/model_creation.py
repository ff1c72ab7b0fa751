"""Model creation: train a CNN on 20 lens candidates and 500 other objects.

The pyBIA tutorial's "Model Creation" section with skbia. Its two image sets become one
X (positives first) and y (1 = lens, 0 = other); min-max normalization with one maximum
per band and the choice of architecture are parameters of the estimator; validation
data, early stopping and the tracked metric work as in pyBIA.

Set SKBIA_EXAMPLES_FAST=1 for a tiny run (seconds). Writes model_creation_history.png.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from skbia import CNNClassifier  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.plotting._results import plot_history  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, n_lenses, n_others, epochs, scale = (32, 10, 40, 2, 1 / 16) if FAST else (100, 20, 500, 15,
                                                                               1 / 4)

# pyBIA loads lenses.npy and other.npy; we simulate images like them.
X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)
lenses, other = X[y == 1], X[y == 0]
print(f"lenses {lenses.shape}, other {other.shape}, dtype {X.dtype}")
print(f"per-band 99th percentiles: {np.percentile(X, 99, axis=(0, 1, 2)).round(1)}")

# pyBIA: Classifier(lenses, other, img_num_channels=3, normalize=True, min_pixel=0,
#                   max_pixel=[100, 100, 100]); clf = "alexnet"; val_positive/val_negative
X = np.concatenate([lenses, other])  # positives first, labelled 1
y = np.r_[np.ones(len(lenses), int), np.zeros(len(other), int)]
val_lenses, val_other = lenses[:4], other[:4 * n_others // n_lenses]
X_train = np.concatenate([lenses[4:], other[len(val_other):]])
y_train = np.r_[np.ones(len(lenses) - 4, int), np.zeros(len(other) - len(val_other), int)]
X_val = np.concatenate([val_lenses, val_other])
y_val = np.r_[np.ones(len(val_lenses), int), np.zeros(len(val_other), int)]

model = CNNClassifier(
    arch="alexnet",  # pyBIA clf; also "vgg16", "resnet18" or your own builder
    filter_scale=scale,  # a slimmer AlexNet for a CPU (1 = the published filter counts)
    normalize=True,
    min_pixel=0.0,
    max_pixel=[100.0, 100.0, 100.0],  # one value per band, in the order of the last axis
    epochs=epochs,
    patience=3,  # stop after 3 epochs without improvement ...
    monitor="val_loss",  # ... of this metric (pyBIA's metric)
    class_weight="balanced",  # no augmentation here: weight the rare class instead
    validation_data=(X_val, y_val),  # pyBIA's val_positive / val_negative
    verbose=2,  # one line per epoch
    random_state=0,
)
model.fit(X_train, y_train)

print(f"trained {len(model.history_['loss'])} epochs; metrics: {sorted(model.history_)}")
print(model.model_.summary())
proba = model.predict_proba(X_val)[:, 1]
print(f"validation scores, lenses: {proba[:4].round(3)}; "
      f"others (mean): {proba[4:].mean():.3f}")
plot_history(model).savefig("model_creation_history.png", dpi=100)
print("training curves written to model_creation_history.png")
