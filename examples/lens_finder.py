"""The recommended lens finder, a fold ensemble of it, and the metrics lens searches use.

``make_lens_finder`` returns a CNNClassifier set up for a few dozen positives: a
compact network behind a noise-aware asinh stretch, fresh exact rotations/flips
and small shifts of every training image in every epoch (lenses oversampled),
and predictions averaged over the 8 symmetric views. The test set is a separate
simulation with other seeing and noise than the training set, so the scores say
how the finder carries over, not how well it remembers. A three-member
FoldEnsembleClassifier (one member per stratified fold) gives, besides its
averaged predictions, an out-of-fold score of every training image.

Runs in several minutes on 2 CPU cores; set SKBIA_EXAMPLES_FAST=1 for a tiny run
(seconds; a smoke test, not a result).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sklearn.metrics import roc_auc_score  # noqa: E402

from skbia import FoldEnsembleClassifier, make_lens_finder  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.evaluation import evaluate_scores, format_metrics  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, crop, n_lenses, n_others, epochs = (24, 16, 9, 36, 1) if FAST else (64, 40, 20, 500, 30)
n_test = (10, 40) if FAST else (300, 1500)

X, y = make_lenses(n_lenses, n_others, image_size=size, random_state=0)
# the test survey: worse seeing and a brighter sky than the training images
X_test, y_test = make_lenses(*n_test, image_size=size, psf_fwhm=(1.8, 1.7, 1.5),
                             sky_level=(5.0, 9.0, 14.0), random_state=1)

finder = make_lens_finder(random_state=0, image_size=crop, epochs=epochs,
                          **({"filter_scale": 0.125} if FAST else {}))
finder.fit(X, y)
print(f"softening of the asinh stretch (sky noise per band): "
      f"{[round(s, 3) for s in finder.softening_]}")
scores = finder.predict_proba(X_test)[:, 1]
print(format_metrics(evaluate_scores(y_test, scores, prevalence=1e-3),
                     title="One lens finder, test survey"))

ensemble = FoldEnsembleClassifier(finder, n_folds=3, validation=None, random_state=0).fit(X, y)
print(f"out-of-fold ROC AUC of the training images: "
      f"{roc_auc_score(y, ensemble.oof_proba_[:, 1]):.3f}")
ensemble_scores = ensemble.predict_proba(X_test)[:, 1]
print(format_metrics(evaluate_scores(y_test, ensemble_scores),
                     title="Three-member fold ensemble, test survey"))
