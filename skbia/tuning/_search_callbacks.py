"""Callbacks that stop a Bayesian search early.

They follow scikit-optimize's callback protocol: ``callback(result)`` is
called with the ``OptimizeResult`` after each step of the search and a
``True`` return value stops it. ``BayesSearchCV`` minimizes the *negated*
cross-validation score, so ``-result.func_vals`` are the trial scores.
Pass them to ``fit(..., callback=[...])`` together with skopt's own
:class:`skopt.callbacks.DeadlineStopper`.
"""

from __future__ import annotations

import numbers

import numpy as np


def _trial_scores(result) -> np.ndarray:
    """Return the scores of the trials so far (higher is better)."""
    return -np.asarray(result.func_vals, dtype=float)


class NoImprovementStopper:
    """Stop the search after ``n_trials`` trials without a better score.

    Parameters
    ----------
    n_trials : int
        How many consecutive trials may fail to beat the best score before
        the search stops.
    min_delta : float, default=0.0
        A trial must beat the best score by more than this to count as an
        improvement.

    Examples
    --------
    >>> from skbia.tuning import NoImprovementStopper
    >>> stopper = NoImprovementStopper(n_trials=10)
    """

    def __init__(self, n_trials: int, min_delta: float = 0.0) -> None:
        if not isinstance(n_trials, numbers.Integral) or n_trials < 1:
            raise ValueError(f"n_trials must be a positive integer; got {n_trials!r}.")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0; got {min_delta!r}.")
        self.n_trials = int(n_trials)
        self.min_delta = float(min_delta)

    def __call__(self, result) -> bool:
        """Return True when the last ``n_trials`` trials did not improve the best score."""
        scores = _trial_scores(result)
        finite = np.where(np.isfinite(scores), scores, -np.inf)
        if len(finite) <= self.n_trials:
            return False
        best_before = finite[: -self.n_trials].max()
        best_recent = finite[-self.n_trials :].max()
        return not best_recent > best_before + self.min_delta

    def __repr__(self) -> str:
        return f"NoImprovementStopper(n_trials={self.n_trials}, min_delta={self.min_delta})"


class ScoreThresholdStopper:
    """Stop the search as soon as a trial scores at least ``score``.

    Parameters
    ----------
    score : float
        The target cross-validation score (same scale as the search's
        ``scoring``, higher is better, e.g. ``0.95`` for ROC AUC).

    Examples
    --------
    >>> from skbia.tuning import ScoreThresholdStopper
    >>> stopper = ScoreThresholdStopper(score=0.95)
    """

    def __init__(self, score: float) -> None:
        if not isinstance(score, numbers.Real) or not np.isfinite(score):
            raise ValueError(f"score must be a finite number; got {score!r}.")
        self.score = float(score)

    def __call__(self, result) -> bool:
        """Return True when the best trial score so far reaches the target."""
        scores = _trial_scores(result)
        scores = scores[np.isfinite(scores)]
        return bool(len(scores)) and bool(scores.max() >= self.score)

    def __repr__(self) -> str:
        return f"ScoreThresholdStopper(score={self.score})"
