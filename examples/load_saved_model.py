"""Save a trained model, load it back, and train it further.

pyBIA saves a model with ``model.save(dirname=...)``, loads it with ``model.load(...)``
and trains more with ``create()``. With skbia: ``save(path)`` writes one ``.keras`` file,
``CNNClassifier.load(path)`` reads it (Keras safe mode), and ``warm_start=True``
continues training from the loaded weights.

Set SKBIA_EXAMPLES_FAST=1 for a tiny run (seconds).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from skbia import CNNClassifier  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.evaluation import evaluate_scores  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, n_lenses, n_others, epochs, scale = (32, 10, 40, 1, 1 / 16) if FAST else (100, 20, 300, 5,
                                                                              1 / 4)

X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)
X_test, y_test = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size,
                             random_state=1)

model = CNNClassifier(arch="alexnet", filter_scale=scale, image_size=size * 2 // 3,
                      min_pixel=0.0, max_pixel=[100.0, 100.0, 100.0], epochs=epochs,
                      class_weight="balanced", random_state=0, verbose=0)
model.fit(X, y)
path = Path(tempfile.mkdtemp(prefix="skbia-model-")) / "lens_cnn.keras"
model.save(path)
print(f"saved to {path} ({path.stat().st_size / 1e6:.1f} MB)")

loaded = CNNClassifier.load(path)
same = np.array_equal(model.predict_proba(X_test), loaded.predict_proba(X_test))
print(f"loaded model predicts identically: {same}")
print(f"parameters kept: arch={loaded.arch!r}, image_size={loaded.image_size}, "
      f"classes_={loaded.classes_.tolist()}")

before = evaluate_scores(y_test, loaded.predict_proba(X_test)[:, 1])
loaded.set_params(warm_start=True, epochs=epochs)  # pyBIA: model.epochs = 10; model.create()
loaded.fit(X, y)
after = evaluate_scores(y_test, loaded.predict_proba(X_test)[:, 1])
print(f"after {epochs} + {epochs} epochs: ROC AUC {before['roc_auc']:.3f} -> "
      f"{after['roc_auc']:.3f}, average precision {before['average_precision']:.3f} -> "
      f"{after['average_precision']:.3f}")
