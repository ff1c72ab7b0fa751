"""What a lens finder keys on, and whether its networks learned: the benchmark's diagnostics.

* :func:`lens_metrics` - ROC AUC, AP, TPR0, TPR10, recall at 1% FPR of one score list;
* :func:`by_kind` - per kind of negative: median score and share above the 1%-FPR threshold;
* :func:`by_tercile` - ROC AUC of the lenses in each tercile of a lens property (Einstein
  radius, source brightness) against all the negatives;
* :func:`network_reports` - every trained network's ROC AUC on its own un-augmented training
  images (first attempt and kept one): a network below :data:`FAILED_FIT_AUC` did not learn
  its training set, a *failed fit*;
* :func:`member_subsets` - the metrics of the mean of the first k members of an ensemble.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FAILED_FIT_AUC", "by_kind", "by_tercile", "lens_metrics", "member_subsets",
           "network_reports", "scores_of"]

#: A network whose ROC AUC on its own un-augmented training images is below this failed.
FAILED_FIT_AUC = 0.9


def lens_metrics(y_true, scores) -> dict[str, float]:
    """ROC AUC, AP, TPR0, TPR10 and recall at 1% FPR of scores (higher = lens)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from skbia.evaluation import recall_at_fpr

    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    lenses = scores[y_true]
    others = np.sort(scores[~y_true])[::-1]
    return {
        "roc_auc": float(roc_auc_score(y_true, scores)),
        "average_precision": float(average_precision_score(y_true, scores)),
        "tpr0": float(np.mean(lenses > others[0])),
        "tpr10": float(np.mean(lenses > others[9])) if len(others) >= 10 else float("nan"),
        "recall_at_fpr=0.01": recall_at_fpr(y_true, scores, 0.01)[0],
        "lens_fraction": float(y_true.mean()),
        "n_at_max": int(np.sum(scores == scores.max())),
    }


def by_kind(y_true, scores, kinds) -> dict[str, dict[str, float]]:
    """Per kind of negative: count, median score, share scored above the 1%-FPR threshold."""
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    kinds = np.asarray(kinds).astype(str)
    negatives = np.sort(scores[~y_true])[::-1]
    threshold = negatives[max(int(0.01 * len(negatives)) - 1, 0)]
    out = {"lens": {"n": int(y_true.sum()), "median": float(np.median(scores[y_true])),
                    "above_1pct": float(np.mean(scores[y_true] >= threshold))}}
    for kind in sorted(set(kinds[~y_true])):
        mine = scores[(~y_true) & (kinds == kind)]
        out[kind] = {"n": int(mine.size), "median": float(np.median(mine)),
                     "above_1pct": float(np.mean(mine >= threshold))}
    return out


def by_tercile(y_true, scores, values) -> list[dict[str, float]]:
    """ROC AUC of the lenses in each tercile of ``values`` (NaN for negatives) vs all negatives."""
    from sklearn.metrics import roc_auc_score

    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    values = np.asarray(values, dtype=float)
    lens_values = values[y_true]
    ok = np.isfinite(lens_values)
    if ok.sum() < 3:
        return []
    edges = np.quantile(lens_values[ok], [0, 1 / 3, 2 / 3, 1])
    negatives = scores[~y_true]
    lens_scores = scores[y_true]
    out = []
    for k in range(3):
        low, high = edges[k], edges[k + 1]
        inside = ok & (lens_values >= low) & ((lens_values <= high) if k == 2
                                              else (lens_values < high))
        if not inside.any():
            continue
        labels = np.r_[np.ones(inside.sum()), np.zeros(negatives.size)]
        auc = roc_auc_score(labels, np.r_[lens_scores[inside], negatives])
        out.append({"low": float(low), "high": float(high), "n": int(inside.sum()),
                    "roc_auc": float(auc)})
    return out


def scores_of(estimator, X) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the estimator's lens scores and, for a fold ensemble, each member's."""
    if hasattr(estimator, "member_proba"):
        members = estimator.member_proba(X)[:, :, 1]
        return members.mean(axis=0), members
    return np.asarray(estimator.predict_proba(X))[:, 1], None


def _single_view_auc(classifier, X, y) -> float:
    from sklearn.metrics import roc_auc_score

    outputs = np.asarray(classifier._predict_once(X))
    return float(roc_auc_score(y, outputs[:, -1]))


def network_reports(estimator, X, y) -> list[dict]:
    """Every CNN of a fitted recipe: its training AUC (first attempt, kept) and attempts.

    A network with the check (``min_training_auc``) reports what it measured;
    one without is scored here the same way (inference mode, one view, its own
    un-augmented training images). Non-CNN recipes give an empty list.
    """
    if hasattr(estimator, "estimators_") and hasattr(estimator, "fold_indices_"):
        pairs = [(member, train) for member, (train, _) in
                 zip(estimator.estimators_, estimator.fold_indices_, strict=True)]
    else:
        pairs = [(estimator, np.arange(len(y)))]
    reports = []
    for member, train in pairs:
        classifier = member.steps[-1][1] if hasattr(member, "steps") else member
        if not hasattr(classifier, "model_"):
            continue
        attempts = getattr(classifier, "fit_attempts_", None) or []
        measured = [a["training_auc"] for a in attempts if a["training_auc"] is not None]
        if measured:
            first, kept = measured[0], classifier.training_auc_
        else:
            first = kept = _single_view_auc(classifier, X[train], np.asarray(y)[train])
        reports.append({"first_auc": float(first), "kept_auc": float(kept),
                        "attempts": max(len(attempts), 1)})
    return reports


def member_subsets(y_true, members: np.ndarray) -> dict[int, dict[str, float]]:
    """Metrics of the mean of the first k members' scores, for every k."""
    return {k: lens_metrics(y_true, members[:k].mean(axis=0))
            for k in range(1, len(members) + 1)}
