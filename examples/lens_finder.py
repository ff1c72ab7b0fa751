"""The recommended lens finder (a fold ensemble), one network of it, and lens-search metrics.

``make_lens_finder`` returns, by default, five compact networks (one per
stratified fold) behind a noise-aware asinh stretch, on a crop sized from the
camera (pixel scale, seeing, Einstein radii searched for), each trained on fresh
exact rotations/flips and small shifts of every image every epoch (lenses
oversampled), with its batch-norm statistics recomputed for the final weights
and a retry if it did not learn its training set; predictions average the 8
symmetric views and the members. ``n_members=1`` gives one such network. The
test set is a separate simulation with other seeing and noise than the training
set, so the scores say how the finder carries over, not how well it remembers.
The ensemble also gives an out-of-fold score of every training image.

Runs in several minutes on 2 CPU cores; set SKBIA_EXAMPLES_FAST=1 for a tiny run
(seconds; a smoke test, not a result).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sklearn.metrics import roc_auc_score  # noqa: E402

from skbia import make_lens_finder  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.evaluation import evaluate_scores, format_metrics  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, crop, n_lenses, n_others, epochs = (24, 16, 9, 36, 1) if FAST else (64, 40, 20, 500, 30)
n_test = (10, 40) if FAST else (300, 1500)

X, y = make_lenses(n_lenses, n_others, image_size=size, random_state=0)
# the test survey: worse seeing and a brighter sky than the training images
X_test, y_test = make_lenses(*n_test, image_size=size, psf_fwhm=(1.8, 1.7, 1.5),
                             sky_level=(5.0, 9.0, 14.0), random_state=1)

camera = dict(pixel_scale=0.263, einstein_radius=(1.0, 3.0), psf_fwhm=[1.5, 1.55, 1.2])
tiny = {"filter_scale": 0.125, "image_size": crop, "retries": 0} if FAST else {}
finder = make_lens_finder(n_members=1, random_state=0, epochs=epochs, **camera, **tiny)
finder.fit(X, y)
print(f"softening of the asinh stretch (sky noise per band): "
      f"{[round(s, 3) for s in finder.softening_]}")
scores = finder.predict_proba(X_test)[:, 1]
print(format_metrics(evaluate_scores(y_test, scores, prevalence=1e-3),
                     title="One lens finder, test survey"))

ensemble = make_lens_finder(n_members=3 if FAST else 5, random_state=0, epochs=epochs,
                            **camera, **tiny).fit(X, y)
print(f"out-of-fold ROC AUC of the training images: "
      f"{roc_auc_score(y, ensemble.oof_proba_[:, 1]):.3f}")
ensemble_scores = ensemble.predict_proba(X_test)[:, 1]
print(format_metrics(evaluate_scores(y_test, ensemble_scores),
                     title=f"{len(ensemble.estimators_)}-member fold ensemble, test survey"))
