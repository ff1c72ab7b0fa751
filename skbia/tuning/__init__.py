"""Bayesian tuning of a whole skbia pipeline across cross-validation folds.

The pieces:

* :func:`build_search_space` turns pyBIA's optimization switches (``opt_aug``,
  ``opt_model``, ``limit_search`` and their ranges) into a dict of
  scikit-optimize dimensions keyed by pipeline parameter names.
* :class:`CNNSearchCV` runs :class:`skopt.BayesSearchCV` on it, with trials
  shorter than the final refit (``trial_params``), failing trials that score
  ``error_score`` instead of stopping the search, checkpoints and resuming,
  and TensorFlow-aware parallel workers.
* :class:`NoImprovementStopper`, :class:`ScoreThresholdStopper` and skopt's
  :class:`DeadlineStopper` stop the search early (``fit(..., callback=...)``);
  inside each trial the classifier's own Keras callbacks (``patience``,
  ``stop_thresholds``) stop training.
* :func:`search_summary` and :func:`plot_search` read the results.

This module does not import TensorFlow.
"""

from __future__ import annotations

from skopt.callbacks import DeadlineStopper

from skbia.tuning._parallel import tensorflow_thread_env
from skbia.tuning._search_callbacks import NoImprovementStopper, ScoreThresholdStopper
from skbia.tuning._search_cv import CNNSearchCV
from skbia.tuning._search_report import plot_search, search_summary
from skbia.tuning._search_space import build_search_space

__all__ = [
    "CNNSearchCV",
    "DeadlineStopper",
    "NoImprovementStopper",
    "ScoreThresholdStopper",
    "build_search_space",
    "plot_search",
    "search_summary",
    "tensorflow_thread_env",
]
