"""Metrics for rare-object searches: ROC AUC, average precision, recall at fixed FPR.

When positives are rare (20 lenses among 500 other objects), accuracy says
little. What matters is how many true objects a search recovers while keeping
the contamination from the far more numerous negatives low, i.e. the recall
(true-positive rate) reached at a fixed false-positive rate, plus the
threshold-free summaries ROC AUC and average precision. Everything here is
computed with :mod:`sklearn.metrics`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from skbia.utils import check_binary_scores

__all__ = ["evaluate_scores", "format_metrics", "recall_at_fpr"]

DEFAULT_FPR_LEVELS: tuple[float, ...] = (0.01, 0.05, 0.10)


def recall_at_fpr(y_true, y_score, max_fpr: float, *, pos_label=1) -> tuple[float, float]:
    """Highest recall reachable at a false-positive rate no larger than ``max_fpr``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more likely positive (e.g. ``predict_proba(X)[:, 1]``).
    max_fpr : float
        The largest acceptable false-positive rate, in [0, 1].
    pos_label : int or str, default=1
        Label of the positive class.

    Returns
    -------
    recall : float
        The largest true-positive rate on the ROC curve among the operating
        points whose false-positive rate is at most ``max_fpr``.
    threshold : float
        The score threshold (``score >= threshold`` is called positive) that
        reaches it; ``inf`` when no positive can be selected at that rate.

    Notes
    -----
    With ``n`` negatives, false-positive rates come in steps of ``1 / n``: on
    50 negatives, a 1% rate allows no false positive at all.
    """
    if not 0.0 <= max_fpr <= 1.0:
        raise ValueError(f"max_fpr must be between 0 and 1; got {max_fpr}.")
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
    fpr, tpr, thresholds = roc_curve(positive, y_score, drop_intermediate=False)
    allowed = np.flatnonzero(fpr <= max_fpr + 1e-12)
    best = allowed[np.argmax(tpr[allowed])]
    return float(tpr[best]), float(thresholds[best])


def evaluate_scores(
    y_true,
    y_score,
    *,
    fpr_levels: Sequence[float] = DEFAULT_FPR_LEVELS,
    pos_label=1,
) -> dict[str, float]:
    """Summarize how well scores separate a rare positive class from the rest.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more likely positive.
    fpr_levels : sequence of float, default=(0.01, 0.05, 0.10)
        False-positive rates at which to report the recall.
    pos_label : int or str, default=1
        Label of the positive class.

    Returns
    -------
    metrics : dict of str to float
        ``"n_positive"``, ``"n_negative"``, ``"roc_auc"``,
        ``"average_precision"``, ``"positive_fraction"`` (the average
        precision of random scores) and one ``"recall_at_fpr=<level>"`` entry per
        level, in that order.

    Examples
    --------
    >>> from skbia.evaluation import evaluate_scores
    >>> metrics = evaluate_scores([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(metrics["roc_auc"], 2)
    0.75
    """
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
    metrics: dict[str, float] = {
        "n_positive": float(positive.sum()),
        "n_negative": float(len(positive) - positive.sum()),
        "roc_auc": float(roc_auc_score(positive, y_score)),
        "average_precision": float(average_precision_score(positive, y_score)),
        "positive_fraction": float(positive.mean()),
    }
    for level in fpr_levels:
        recall, _ = recall_at_fpr(positive, y_score, level)
        metrics[f"recall_at_fpr={level:g}"] = recall
    return metrics


_LABELS = {
    "n_positive": "positives",
    "n_negative": "negatives",
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
    "positive_fraction": "average precision of random scores",
}


def format_metrics(metrics: dict[str, float], title: str | None = None) -> str:
    """Render the output of :func:`evaluate_scores` as a plain-text table.

    Parameters
    ----------
    metrics : dict of str to float
        As returned by :func:`evaluate_scores`.
    title : str or None, default=None
        A line printed above the table.

    Returns
    -------
    table : str
        One metric per line, names left, values right.
    """
    rows = []
    for key, value in metrics.items():
        if key.startswith("recall_at_fpr="):
            level = float(key.split("=", 1)[1])
            name = f"recall at {level:.0%} false-positive rate"
        else:
            name = _LABELS.get(key, key)
        text = f"{int(value)}" if key.startswith("n_") else f"{value:.3f}"
        rows.append((name, text))
    width = max(len(name) for name, _ in rows)
    value_width = max(len(text) for _, text in rows)
    lines = [title] if title else []
    rule = "-" * (width + value_width + 2)
    lines.append(rule)
    lines.extend(f"{name:<{width}}  {text:>{value_width}}" for name, text in rows)
    lines.append(rule)
    return "\n".join(lines)
