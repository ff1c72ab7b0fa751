"""Weighted loss: train on the imbalanced classes as they are, with a heavier positive class.

The pyBIA tutorial's weighted-loss call (``loss='weighted_binary_crossentropy'``,
``weight=2.0``) is two parameters of the estimator here. This script compares it with
plain binary cross-entropy and with scikit-learn's ``class_weight="balanced"`` on a
separate simulated test set.

Set SKBIA_EXAMPLES_FAST=1 for a tiny run (seconds).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from skbia import CNNClassifier  # noqa: E402
from skbia.datasets import make_lenses  # noqa: E402
from skbia.evaluation import evaluate_scores  # noqa: E402

FAST = os.environ.get("SKBIA_EXAMPLES_FAST") == "1"
size, n_lenses, n_others, epochs, scale = (32, 10, 40, 1, 1 / 16) if FAST else (100, 20, 500, 8,
                                                                              1 / 4)

X, y = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size, random_state=0)
X_test, y_test = make_lenses(n_lenses=n_lenses, n_others=n_others, image_size=size,
                             random_state=1)

common = dict(arch="alexnet", filter_scale=scale, image_size=size * 2 // 3, min_pixel=0.0,
              max_pixel=[100.0, 100.0, 100.0], epochs=epochs, random_state=0, verbose=0)
variants = {
    "binary cross-entropy": CNNClassifier(**common),
    # pyBIA: AlexNet(lenses, other, loss='weighted_binary_crossentropy', weight=2.0)
    "weighted BCE, weight 2": CNNClassifier(
        **common, loss="weighted_binary_crossentropy", positive_weight=2.0
    ),
    # the weight that balances the classes' total contributions
    "weighted BCE, weight n_neg/n_pos": CNNClassifier(
        **common, loss="weighted_binary_crossentropy", positive_weight=n_others / n_lenses
    ),
    "class_weight='balanced'": CNNClassifier(**common, class_weight="balanced"),
}

print(f"{'loss':<34} {'ROC AUC':>8} {'avg prec':>9} {'recall@5%':>10}")
for name, model in variants.items():
    model.fit(X, y)
    metrics = evaluate_scores(y_test, model.predict_proba(X_test)[:, 1])
    print(f"{name:<34} {metrics['roc_auc']:8.3f} {metrics['average_precision']:9.3f} "
          f"{metrics['recall_at_fpr=0.05']:10.3f}")
