"""Metrics for rare-object searches: ROC AUC, average precision, recall at fixed FPR.

When positives are rare (20 lenses among 500 other objects), accuracy says
little. What matters is how many true objects a search recovers while keeping
the contamination from the far more numerous negatives low, i.e. the recall
(true-positive rate) reached at a fixed false-positive rate, plus the
threshold-free summaries ROC AUC and average precision. Strong-lens searches
also quote TPR0 and TPR10 (Metcalf et al. 2019): the recall reached before
the first, or before the tenth, false positive, and the purity a search
would reach on a survey where lenses are far rarer than in the test set.
Areas and curves are computed with :mod:`sklearn.metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from skbia.utils import check_binary_scores, is_real

__all__ = ["evaluate_scores", "format_metrics", "recall_at_fpr"]

DEFAULT_FPR_LEVELS: tuple[float, ...] = (0.01, 0.05, 0.10)

#: Levels reported only when the test set has enough negatives (see :func:`evaluate_scores`).
LOW_FPR_LEVELS: tuple[float, ...] = (0.001,)


def _check_levels(name: str, levels) -> tuple[float, ...]:
    """Return false-positive rates as a tuple of floats in [0, 1], or raise naming ``name``."""
    if isinstance(levels, str | bytes) or not isinstance(levels, Sequence | np.ndarray):
        raise ValueError(
            f"{name} must be a sequence of false-positive rates in [0, 1]; got {levels!r}."
        )
    bad = [level for level in levels if not (is_real(level) and 0.0 <= float(level) <= 1.0)]
    if bad:
        raise ValueError(
            f"{name} must hold false-positive rates in [0, 1]; got {', '.join(map(repr, bad))}."
        )
    return tuple(float(level) for level in levels)


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

    Raises
    ------
    TypeError
        If ``y_score`` holds non-numeric or complex values.
    ValueError
        If ``max_fpr`` is not a number in [0, 1], or the labels and scores are
        malformed (as listed for :func:`evaluate_scores`).

    Notes
    -----
    With ``n`` negatives, false-positive rates come in steps of ``1 / n``: on
    50 negatives, a 1% rate allows no false positive at all.
    """
    if not (is_real(max_fpr) and 0.0 <= max_fpr <= 1.0):
        raise ValueError(f"max_fpr must be between 0 and 1; got {max_fpr!r}.")
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
    fpr, tpr, thresholds = roc_curve(positive, y_score, drop_intermediate=False)
    allowed = np.flatnonzero(fpr <= max_fpr + 1e-12)
    best = allowed[np.argmax(tpr[allowed])]
    return float(tpr[best]), float(thresholds[best])


def _recall_above_negative(positive: np.ndarray, y_score: np.ndarray, rank: int) -> float:
    """Fraction of positives scored strictly above the ``rank``-th highest negative (1-based).

    NaN when there are fewer than ``rank`` negatives.
    """
    is_positive = np.asarray(positive, dtype=bool)
    negatives = np.sort(y_score[~is_positive])[::-1]
    if len(negatives) < rank:
        return float("nan")
    return float(np.mean(y_score[is_positive] > negatives[rank - 1]))


def _purity(recall: float, fpr: float, prevalence: float) -> float:
    """``p * TPR / (p * TPR + (1 - p) * FPR)``; NaN when both terms are 0 or ``recall`` is NaN."""
    selected = prevalence * recall + (1.0 - prevalence) * fpr
    if not selected > 0:
        return float("nan")
    return float(prevalence * recall / selected)


def _check_prevalence(prevalence) -> float | None:
    """Return ``prevalence`` as a float in (0, 1), or None."""
    if prevalence is None:
        return None
    if is_real(prevalence) and 0.0 < float(prevalence) < 1.0:
        return float(prevalence)
    raise ValueError(f"prevalence must be a number in (0, 1) or None; got {prevalence!r}.")


def evaluate_scores(
    y_true,
    y_score,
    *,
    fpr_levels: Sequence[float] = DEFAULT_FPR_LEVELS,
    low_fpr_levels: Sequence[float] = LOW_FPR_LEVELS,
    prevalence: float | None = None,
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
        False-positive rates at which to report the recall, whatever the
        number of negatives.
    low_fpr_levels : sequence of float, default=(0.001,)
        Further false-positive rates at which the recall is reported only
        when the test set has at least ``1 / level`` negatives (1000 for
        0.1%), i.e. when that rate allows at least one false positive; on a
        smaller test set the entry is omitted (it would equal the recall at
        zero false positives, ``"tpr0"``). Levels also in ``fpr_levels`` are
        reported there instead.
    prevalence : float or None, default=None
        Fraction of positives expected where the classifier will be applied
        (a lens prevalence of order ``1e-3`` to ``1e-4`` in a survey, much
        lower than in most test sets), in (0, 1). If given, the expected
        purity (precision) at each reported false-positive rate is added.
    pos_label : int or str, default=1
        Label of the positive class.

    Returns
    -------
    metrics : dict of str to float
        In this order:

        - ``"n_positive"``, ``"n_negative"``, ``"roc_auc"``,
          ``"average_precision"`` and ``"positive_fraction"`` (the average
          precision of random scores);
        - ``"tpr0"``: the fraction of positives scored strictly above the
          highest-scoring negative, the recall reached with no false
          positive;
        - ``"tpr10"``: the fraction of positives scored strictly above the
          10th highest-scoring negative, the recall reached with fewer than
          10 false positives. Negatives are ranked with their ties (the 10th
          highest of ``[5, 5, 5, ...]`` is 5), and a positive tied with that
          negative does not count. NaN with fewer than 10 negatives;
        - one ``"recall_at_fpr=<level>"`` entry per reported level of
          ``low_fpr_levels`` (see above), then one per level of
          ``fpr_levels``, each as :func:`recall_at_fpr`;
        - with ``prevalence``: ``"prevalence"``, then one
          ``"purity_at_fpr=<level>"`` entry per reported recall level.

    Raises
    ------
    TypeError
        If ``y_score`` holds non-numeric or complex values.
    ValueError
        If the arrays are not 1-d or differ in length, a score is NaN or
        infinite, ``y_true`` holds NaN or continuous values or lacks either
        ``pos_label`` or another label, a level of ``fpr_levels`` or
        ``low_fpr_levels`` is not a number in [0, 1], or ``prevalence`` is
        not in (0, 1).

    Notes
    -----
    The purity at a level is ``p * TPR / (p * TPR + (1 - p) * FPR)`` with
    ``p = prevalence``, ``TPR`` the recall reported at that level and
    ``FPR`` the level itself, the rate the operating point is allowed (its
    false-positive rate on the test set is at most that, and a small test
    set cannot measure a lower rate reliably). It is NaN when ``TPR`` and
    the level are both 0. At a 1% rate, a prevalence of ``1e-3`` and a recall
    of 0.5, about 95% of the selected objects would be false positives
    (purity 0.048).

    Examples
    --------
    >>> from skbia.evaluation import evaluate_scores
    >>> metrics = evaluate_scores([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(metrics["roc_auc"], 2)
    0.75
    >>> metrics["tpr0"]
    0.5
    """
    prevalence = _check_prevalence(prevalence)
    fpr_levels = _check_levels("fpr_levels", fpr_levels)
    low_fpr_levels = _check_levels("low_fpr_levels", low_fpr_levels)
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
    n_negative = int(len(positive) - positive.sum())
    metrics: dict[str, float] = {
        "n_positive": float(positive.sum()),
        "n_negative": float(n_negative),
        "roc_auc": float(roc_auc_score(positive, y_score)),
        "average_precision": float(average_precision_score(positive, y_score)),
        "positive_fraction": float(positive.mean()),
        "tpr0": _recall_above_negative(positive, y_score, 1),
        "tpr10": _recall_above_negative(positive, y_score, 10),
    }
    levels = [
        level
        for level in low_fpr_levels
        if n_negative * level >= 1 - 1e-9 and level not in fpr_levels
    ]
    levels.extend(fpr_levels)
    for level in levels:
        recall, _ = recall_at_fpr(positive, y_score, level)
        metrics[f"recall_at_fpr={level:g}"] = recall
    if prevalence is not None:
        metrics["prevalence"] = prevalence
        for level in levels:
            recall = metrics[f"recall_at_fpr={level:g}"]
            metrics[f"purity_at_fpr={level:g}"] = _purity(recall, float(level), prevalence)
    return metrics


_LABELS = {
    "n_positive": "positives",
    "n_negative": "negatives",
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
    "positive_fraction": "average precision of random scores",
    "tpr0": "recall before the first false positive (TPR0)",
    "tpr10": "recall before the 10th false positive (TPR10)",
    "prevalence": "assumed prevalence of positives",
}


def _percent(level: float) -> str:
    """``0.05`` -> ``"5%"``, ``0.001`` -> ``"0.1%"``."""
    return f"{level * 100:.4g}%"


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
        One metric per line, names left, values right (``nan`` where a
        metric is undefined).

    Raises
    ------
    ValueError
        If ``metrics`` is not a non-empty mapping.
    """
    if not isinstance(metrics, Mapping) or not metrics:
        raise ValueError(
            "metrics must be a non-empty dict of metric name -> value, as returned by "
            f"evaluate_scores; got {metrics!r}."
        )
    rows = []
    for key, value in metrics.items():
        if key.startswith(("recall_at_fpr=", "purity_at_fpr=")):
            level = float(key.split("=", 1)[1])
            kind = "recall" if key.startswith("recall") else "purity"
            name = f"{kind} at {_percent(level)} false-positive rate"
        else:
            name = _LABELS.get(key, key)
        if key.startswith("n_"):
            text = f"{int(value)}"
        elif key == "prevalence":
            text = f"{value:.3g}"
        else:
            text = f"{value:.3f}"
        rows.append((name, text))
    width = max(len(name) for name, _ in rows)
    value_width = max(len(text) for _, text in rows)
    lines = [title] if title else []
    rule = "-" * (width + value_width + 2)
    lines.append(rule)
    lines.extend(f"{name:<{width}}  {text:>{value_width}}" for name, text in rows)
    lines.append(rule)
    return "\n".join(lines)
