"""Grid search over the augmentation + CNN pipeline with plain scikit-learn.

Any scikit-learn search works on the pipeline: here GridSearchCV tries a few augmentation
amounts and learning rates, scored by average precision on stratified folds (only
training folds are augmented). For larger spaces, see examples/optimization.py (Bayesian
search with skbia.tuning).

Set SKBIA_EXAMPLES_FAST=1 for a tiny run (seconds).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from skbia import CNNClassifier, ImageAugmenter  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.evaluation import evaluate_scores  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, n_lenses, n_others, epochs, scale, folds = (
    (32, 8, 24, 1, 1 / 16, 2) if FAST else (64, 20, 300, 5, 1 / 4, 3)
)

X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)
pipe = make_pipeline(
    ImageAugmenter(horizontal=True, vertical=True, rotation=True, balance=True, random_state=0),
    CNNClassifier(arch="alexnet", filter_scale=scale, image_size=size * 3 // 4, min_pixel=0.0,
                  max_pixel=[100.0, 100.0, 100.0], epochs=epochs, random_state=0, verbose=0),
)
param_grid = {
    "imageaugmenter__n_copies": [2] if FAST else [5, 15],
    "cnnclassifier__learning_rate": [1e-3, 1e-4],
}
search = GridSearchCV(pipe, param_grid, scoring="average_precision",
                      cv=StratifiedKFold(folds, shuffle=True, random_state=0))
search.fit(X, y)

for params, mean, std in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"],
                             search.cv_results_["std_test_score"], strict=True):
    print(f"{params}  average precision {mean:.3f} +- {std:.3f}")
print(f"best: {search.best_params_}")

X_test, y_test = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size,
                             random_state=1)
metrics = evaluate_scores(y_test, search.predict_proba(X_test)[:, 1])
print(f"refitted best pipeline on a separate test set: ROC AUC {metrics['roc_auc']:.3f}, "
      f"average precision {metrics['average_precision']:.3f}")
