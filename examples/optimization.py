"""Optimization: tune augmentation and CNN together with Bayesian search across CV folds.

The pyBIA tutorial's "Optimization" example, with skbia: AlexNet, tuned learning
parameters, augmentation (opt_aug) and pooling/regularizer (opt_model with
limit_search), trials shorter than the final model (train_epochs vs epochs), hard
stops inside each trial, and four lenses kept aside to check the final model.

Scaled to finish in a few minutes on 2 CPU cores: smaller images, a slimmer AlexNet
(``filter_scale``), fewer trials, folds and augmentation copies than the tutorial.
Run ``python examples/optimization.py --fast`` (or set ``SKBIA_EXAMPLES_FAST=1``) for a
run of well under a minute. Pass ``--out DIR`` to keep the plots and the saved search.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

from skbia import CNNClassifier, ImageAugmenter  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.tuning import (  # noqa: E402
    CNNSearchCV,
    DeadlineStopper,
    NoImprovementStopper,
    build_search_space,
    plot_search,
    search_summary,
)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="tiny run (well under a minute)")
parser.add_argument("--out", type=Path, default=None, help="folder for plots and the search")
args = parser.parse_args()
fast = args.fast or os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
out = args.out or Path(tempfile.mkdtemp(prefix="skbia-optimization-"))
out.mkdir(parents=True, exist_ok=True)
warnings.filterwarnings("ignore", category=UserWarning)

# Scale: the tutorial uses 20 lenses + 500 others at 100 px, 100 trials, 5 folds, 10 epochs.
if fast:
    size, n_lenses, n_others, n_iter, folds, train_epochs, epochs = 32, 12, 30, 3, 2, 1, 1
else:
    size, n_lenses, n_others, n_iter, folds, train_epochs, epochs = 48, 20, 150, 8, 3, 3, 6

X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)
# keep 4 lenses (and some others) aside, like val_lenses in the tutorial
lenses, others = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
test = np.r_[lenses[:4], others[: 4 * n_others // n_lenses]]
train = np.setdiff1d(np.arange(len(y)), test)
X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]

pipeline = make_pipeline(
    # augmentation that is applied but not tuned (as in pyBIA: flips, rotation, zoom)
    ImageAugmenter(horizontal=True, vertical=True, rotation=True, zoom_range=(0.9, 1.1),
                   n_copies_other=0, balance=True, random_state=0),
    CNNClassifier(
        arch="alexnet",
        filter_scale=1 / 16,
        normalize=True,
        min_pixel=0.0,
        max_pixel=[100.0, 100.0, 100.0],
        epochs=epochs,  # the final model (pyBIA's epochs)
        patience=3,
        monitor="loss",
        # pyBIA's monitor1/monitor2 hard stops
        stop_thresholds={"binary_accuracy": ("above", 0.99 + 1e-6), "loss": ("below", 0.01 - 1e-6)},
        verbose=0,
        random_state=0,
    ),
)

space = build_search_space(
    tune_augmentation=True,  # opt_aug
    tune_model=True,  # opt_model
    limit_search=True,  # only pooling types and the regularizer of the architecture
    batch_size=(16, 64),  # batch_size_min, batch_size_max
    n_copies=(2, 5) if fast else (2, 10),  # batch_min, batch_max (tutorial: 10, 250)
    max_shift=5,  # shift
    image_size=(size - 8, size),  # image_size_min, image_size_max (tutorial: 50, 100)
    max_pixel=(10, 1500),  # opt_max_min_pix, opt_max_max_pix: one value per band
    n_bands=3,
)
print(f"search space: {len(space)} dimensions")
for name, dimension in space.items():
    print(f"  {name:<42} {dimension}")

search = CNNSearchCV(
    pipeline,
    space,
    n_iter=n_iter,
    cv=folds,  # opt_cv
    scoring="average_precision",
    trial_params={"cnnclassifier__epochs": train_epochs},  # train_epochs
    checkpoint=out / "checkpoint.joblib",  # resume with search.fit(..., resume_from=...)
    optimizer_kwargs={"n_initial_points": min(5, n_iter)},
    random_state=0,
)
search.fit(
    X_train,
    y_train,
    callback=[NoImprovementStopper(n_trials=5), DeadlineStopper(total_time=600)],
)

print()
print(search_summary(search, top=3))
scores = search.predict_proba(X_test)[:, 1]
print()
print(f"held-out set: {int(y_test.sum())} lenses, {int((y_test == 0).sum())} others")
print(f"  average precision {average_precision_score(y_test, scores):.3f}, "
      f"ROC AUC {roc_auc_score(y_test, scores):.3f}")

plot_search(search, kind="convergence").savefig(out / "convergence.png", dpi=100)
kind = "objective" if search.optimizer_results_[0].models else "evaluations"
plot_search(search, kind=kind).savefig(out / f"{kind}.png", dpi=100)
search.save(out / "search.joblib")
print(f"plots and the saved search are in {out}")
