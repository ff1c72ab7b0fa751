"""``CNNSearchCV``: skopt's ``BayesSearchCV`` made robust for CNN pipelines."""

from __future__ import annotations

import copy
import inspect
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from skopt import BayesSearchCV
from skopt.utils import eval_callbacks, point_asdict

from skbia.tuning._parallel import _tensorflow_aware_backend
from skbia.tuning._search_params import (
    _CHECKPOINT_FORMAT,
    PARAMETER_CONSTRAINTS,
    _atomic_dump,
    check_before_fit,
    check_file_destination,
    check_refit_metric,
    load_saved,
    single_space,
)
from skbia.tuning._search_results import (
    failed_rows,
    pack_band_params,
    results_to_rows,
    rows_to_results,
    score_names,
)
from skbia.utils import check_training_finite

_ALL_FAILED = "fits failed"


class CNNSearchCV(BayesSearchCV):
    """Bayesian search over a whole skbia pipeline across cross-validation folds.

    A :class:`skopt.BayesSearchCV` with what tuning a CNN pipeline needs:

    * ``trial_params`` are applied to every trial but not to the final refit,
      e.g. trials train 10 epochs and the best pipeline is refitted with the
      ``epochs`` set on ``estimator`` (pyBIA's ``train_epochs`` vs ``epochs``).
    * A trial that fails (an exception, a NaN loss that makes the scorer fail)
      scores ``error_score`` and the search goes on, even when every fold of
      the trial failed (plain ``BayesSearchCV`` stops then). The Bayesian
      optimizer is told the worst finite score seen so far for such trials.
    * Per-band dimensions named ``<param>[0]``, ``<param>[1]``, ... are packed
      into one list-valued parameter (``cnnclassifier__max_pixel``) before
      ``set_params``: see :func:`skbia.tuning.build_search_space`.
    * ``checkpoint`` saves the state after every step, and
      ``fit(..., resume_from=...)`` continues an interrupted or finished search
      without re-running its trials.
    * With ``n_jobs`` > 1 on joblib's default process backend, workers get
      TensorFlow's thread pools capped at ``cpu_count() // n_jobs`` threads.
      Other joblib backends (e.g. ``dask``) are used as they are.

    Parameters
    ----------
    estimator : estimator object
        The pipeline to tune, e.g. ``make_pipeline(ImageAugmenter(...), CNNClassifier(...))``.
        Its own parameter values are those of the final refit.
    search_spaces : dict of str to skopt dimension
        One search space (parameter name -> :class:`skopt.space.Dimension`),
        e.g. from :func:`skbia.tuning.build_search_space`.
    n_iter : int, default=50
        Total number of trials (including those of a resumed search).
    trial_params : dict or None, default=None
        Parameter values used during the trials only, e.g.
        ``{"cnnclassifier__epochs": 10}``.
    checkpoint : str, path or None, default=None
        If given, a file rewritten after every step with what is needed to
        resume the search (``fit(..., resume_from=checkpoint)``); missing
        folders are created.
    scoring : str, callable, list, dict or None, default=None
        As in scikit-learn; for imbalanced sets prefer ``"average_precision"``
        or ``"roc_auc"`` to accuracy.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn; an integer gives stratified folds for classifiers.
    refit : bool or str, default=True
        Refit the best pipeline on the whole data (str: the metric to select
        the best trial with when ``scoring`` has several).
    optimizer_kwargs : dict or None, default=None
        Passed to :class:`skopt.Optimizer` (e.g. ``{"n_initial_points": 5}``).
    n_jobs : int, default=1
        Number of fits (folds x points) run in parallel.
    n_points : int, default=1
        Number of trials asked from the optimizer at a time and run in parallel.
    pre_dispatch : int or str, default="2*n_jobs"
        As in scikit-learn.
    random_state : int, RandomState or None, default=None
        Seed of the optimizer's random draws.
    error_score : "raise" or float, default=np.nan
        Score of a fold whose fit fails; ``"raise"`` stops the search instead.
    return_train_score : bool, default=False
        Also score the training folds.
    verbose : int, default=0
        Verbosity of scikit-learn's search.

    Attributes
    ----------
    cv_results_ : dict
        One entry per trial in the order they ran, including the trials of a
        resumed search and trials whose every fold failed. ``params`` holds the
        values each trial ran with (``trial_params`` included).
    best_index_ : int
        Index of the best trial in ``cv_results_``.
    best_score_ : float
        Mean cross-validated score of the best trial.
    best_params_ : dict
        Tuned parameters of the best trial (``trial_params`` excluded).
    best_estimator_ : estimator
        ``estimator`` with ``best_params_`` refitted on the whole data (if ``refit``).
    refit_time_ : float
        Seconds spent refitting the best pipeline.
    optimizer_results_ : list of OptimizeResult
        skopt's record of the points tried and the objective (minus the score)
        it was told; used by the plots and by ``resume_from``.
    n_resumed_ : int
        Number of trials taken over from ``resume_from`` (0 for a fresh search).

    See Also
    --------
    skbia.tuning.build_search_space : Search space from pyBIA's switches.
    skbia.tuning.search_summary : Text table of the best trials.

    Notes
    -----
    ``fit`` checks every parameter against ``_parameter_constraints`` (scikit-learn's
    declarative validation, extended from :class:`skopt.BayesSearchCV`'s) before it
    reads a file or fits anything, and raises scikit-learn's ``InvalidParameterError``
    (both a ``ValueError`` and a ``TypeError``) naming the parameter. Checks that involve
    several parameters (``refit`` with several metrics, ``trial_params`` that
    overlap ``search_spaces``) follow.
    """

    _parameter_constraints: dict = dict(PARAMETER_CONSTRAINTS)

    def __init__(
        self,
        estimator,
        search_spaces: Mapping[str, Any],
        *,
        n_iter: int = 50,
        trial_params: Mapping[str, Any] | None = None,
        checkpoint: str | os.PathLike | None = None,
        scoring=None,
        cv=None,
        refit: bool | str = True,
        optimizer_kwargs: Mapping[str, Any] | None = None,
        n_jobs: int | None = 1,
        n_points: int = 1,
        pre_dispatch: int | str = "2*n_jobs",
        random_state=None,
        error_score: str | float = np.nan,
        return_train_score: bool = False,
        verbose: int = 0,
    ) -> None:
        # BaseSearchCV's __init__, not BayesSearchCV's: that one validates
        # search_spaces and sets attributes that are not parameters (fit_params,
        # iid); scikit-learn estimators validate in fit and set only parameters.
        BaseSearchCV.__init__(
            self,
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.search_spaces = search_spaces
        self.n_iter = n_iter
        self.optimizer_kwargs = optimizer_kwargs
        self.n_points = n_points
        self.random_state = random_state
        self.trial_params = trial_params
        self.checkpoint = checkpoint

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        X,
        y=None,
        *,
        groups=None,
        callback: Callable | Sequence[Callable] | None = None,
        resume_from: Any = None,
        **fit_params,
    ) -> CNNSearchCV:
        """Run the search, then refit the best pipeline with its full settings.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels)
            Images.
        y : array-like of shape (n_images,)
            Labels.
        groups : array-like or None, default=None
            Group labels for group-aware ``cv`` splitters.
        callback : callable or list of callables, default=None
            skopt callbacks called after each step with the optimizer's
            result; one returning True stops the search (see
            :class:`~skbia.tuning.NoImprovementStopper`,
            :class:`~skbia.tuning.ScoreThresholdStopper`,
            :class:`skopt.callbacks.DeadlineStopper`).
        resume_from : CNNSearchCV, str, path or None, default=None
            A fitted search, a file written by :meth:`save`, or a
            ``checkpoint`` file: its trials are kept and told to the optimizer
            and only ``n_iter`` minus their number are run.
        **fit_params : dict
            Passed to the pipeline's ``fit``.

        Returns
        -------
        self : CNNSearchCV
            The fitted search.

        Raises
        ------
        TypeError
            If ``X`` holds non-numeric or complex pixel values (estimators
            ending in a :class:`~skbia.CNNClassifier`; checked before any trial).
        ValueError
            For invalid parameters; for a ``CNNClassifier`` estimator, images
            that are not a 3-d or 4-d stack or are smaller than its fixed
            ``image_size``, NaN or infinite pixels (unless the classifier has
            a ``fill_value``), or labels that are not one class label per image
            with at least two classes, all before any trial; a space value
            (a category, a range bound) that a step's parameter constraints
            refuse or that names no parameter; a ``checkpoint``
            that is a folder or lies under a file (also before any trial); a
            ``resume_from`` file that cannot be read; or a search whose every
            trial failed.
        FileNotFoundError
            If ``resume_from`` names a file that does not exist.
        """
        history = check_before_fit(self, resume_from, X, y)  # sets n_resumed_
        self._history = history
        self._events: list[tuple[str, Any]] = []
        self._latest_results: dict[str, Any] = {}
        self._first_error: str | None = None

        user_refit = self.refit
        self._refit_metric = user_refit if isinstance(user_refit, str) else "score"
        self.refit = False  # the refit below uses the full (non-trial) parameters
        try:
            with _tensorflow_aware_backend():
                super().fit(X, y, groups=groups, callback=callback, **fit_params)
        finally:
            self.refit = user_refit

        self.cv_results_ = self._merged_results()
        self._history = None
        self._events = []
        self._latest_results = {}
        ranks = self.cv_results_[f"rank_test_{self._refit_metric}"]
        self.best_index_ = int(np.argmin(ranks))
        self.best_score_ = float(
            self.cv_results_[f"mean_test_{self._refit_metric}"][self.best_index_]
        )
        trial_keys = set(self.trial_params or {})
        self.best_params_ = {
            key: value
            for key, value in self.cv_results_["params"][self.best_index_].items()
            if key not in trial_keys
        }
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(
                **clone(self.best_params_, safe=False)
            )
            start = time.perf_counter()
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
        return self

    def _check_refit_for_multimetric(self, scores) -> None:
        """Check the metric that guides the search (``refit`` is False while searching)."""
        check_refit_metric(self, scores)

    def _single_space(self) -> dict[str, Any]:
        return single_space(self.search_spaces)

    # --------------------------------------------------------- the search
    def _run_search(self, evaluate_candidates) -> None:
        space = self._single_space()
        self.optimizer_kwargs_["random_state"] = check_random_state(self.random_state)
        # skopt's Optimizer sets the transform (and missing names) of the dimensions
        # it is given: give it copies, so that fit leaves search_spaces as it was.
        optimizer = self._make_optimizer(copy.deepcopy(space))
        self.optimizers_ = [optimizer]
        self._told_scores: list[float] = []
        self._pending: list[tuple[list, float]] = []
        result = None
        if self._history:
            xs = [list(x) for x in self._history["x_iters"]]
            result = optimizer.tell(xs, [float(v) for v in self._history["func_vals"]])
            self._told_scores.extend(-float(v) for v in self._history["func_vals"])
            for _ in xs:  # continue the random sequence instead of repeating it
                optimizer.space.rvs(random_state=optimizer.rng)

        n_left = int(self.n_iter) - self.n_resumed_  # skopt wants Python ints
        while n_left > 0:
            n_points = min(n_left, int(self.n_points))
            result = self._safe_step(space, optimizer, evaluate_candidates, n_points) or result
            n_left -= n_points
            if self.checkpoint is not None:
                self._write_checkpoint(optimizer)
            if result is not None and eval_callbacks(self._callbacks, result):
                break
        if not optimizer.Xi or not any(kind == "ok" for kind, _ in self._events):
            n_trials = sum(len(candidates) for _, candidates in self._events)
            raise ValueError(
                f"All {n_trials} trials of the search failed or scored NaN; there is "
                f"no best pipeline. First error:\n{self._first_error or 'non-finite scores'}"
            )
        self._optim_results = [optimizer.get_result()]

    def _safe_step(self, space, optimizer, evaluate_candidates, n_points):
        # ask(n_points=1) would fit the surrogate on a copy of the optimizer and
        # again for a "constant liar" point: several times the cost of ask().
        points = [optimizer.ask()] if n_points == 1 else optimizer.ask(n_points=n_points)
        points = [[np.array(v).item() for v in point] for point in points]
        candidates = [
            {**pack_band_params(point_asdict(space, point)), **dict(self.trial_params or {})}
            for point in points
        ]
        try:
            results = evaluate_candidates(candidates)
        except ValueError as error:
            if self.error_score == "raise" or _ALL_FAILED not in str(error):
                raise
            self._first_error = self._first_error or str(error)
            self._events.append(("failed", candidates))
            warnings.warn(
                f"Trial(s) {candidates} failed on every fold and score "
                f"error_score={self.error_score}; the search goes on. {error}",
                FitFailedWarning,
                stacklevel=2,
            )
            scores = [float(self.error_score)] * n_points
        else:
            self._latest_results = results
            self._events.append(("ok", candidates))
            key = self._score_key(results)
            scores = [float(s) for s in results[key][-n_points:]]
        return self._tell(optimizer, points, scores)

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        """Keep the first failed fold's error, then format the results as scikit-learn does.

        A trial whose folds fail only in part (a fit here, a score there) is no
        error for scikit-learn: it warns and scores NaN. Should no trial of the
        search end with a finite score, this error is the one to show.
        """
        if getattr(self, "_first_error", None) is None:
            fit_error = next((r["fit_error"] for r in out if r.get("fit_error")), None)
            if fit_error is not None:
                self._first_error = f"A fold of a trial failed to fit:\n{fit_error}"
        return super()._format_results(candidate_params, n_splits, out, more_results)

    def _score_key(self, results: Mapping[str, Any]) -> str:
        key = f"mean_test_{self._refit_metric}"
        if key not in results:
            names = score_names(results)
            if len(names) != 1:
                raise ValueError(
                    f"Cannot tell which of the scores {names} guides the search; "
                    "set refit to one of them."
                )
            self._refit_metric = names[0]
            key = f"mean_test_{names[0]}"
        return key

    def _tell(self, optimizer, points, scores):
        """Tell the optimizer minus each score; failed trials get the worst score seen."""
        self._pending.extend(zip(points, scores, strict=True))
        finite = [s for s in [*self._told_scores, *(s for _, s in self._pending)] if np.isfinite(s)]
        if not finite:
            # Nothing to compare failures with yet: keep them pending, and drop
            # skopt's cache of asked points so that the next ask draws new ones.
            optimizer.cache_ = {}
            return None
        worst = min(finite)
        xs = [point for point, _ in self._pending]
        ys = [-(score if np.isfinite(score) else worst) for _, score in self._pending]
        self._told_scores.extend(-y for y in ys)
        self._pending = []
        return optimizer.tell(xs, ys)

    def _get_scorers(self):
        """Wrap each scorer so that a diverged network fails its score cleanly."""
        scorers, refit_metric = super()._get_scorers()
        if isinstance(scorers, _MultimetricScorer):
            scorers._scorers = {
                name: _DivergenceGuard(scorer) for name, scorer in scorers._scorers.items()
            }
        else:
            scorers = _DivergenceGuard(scorers)
        return scorers, refit_metric

    # ------------------------------------------------------------ results
    def _merged_results(self) -> dict[str, Any]:
        rows = list(results_to_rows(self._history["cv_results"])) if self._history else []
        latest = self._latest_results
        names = score_names(latest) or [self._refit_metric]
        sklearn_rows = iter(results_to_rows(latest)) if latest else iter(())
        n_splits = getattr(self, "n_splits_", 0)
        for kind, candidates in self._events:
            if kind == "ok":
                rows.extend(next(sklearn_rows) for _ in candidates)
            else:
                rows.extend(
                    failed_rows(
                        candidates,
                        score_names=names,
                        n_splits=n_splits,
                        error_score=float(self.error_score),
                        return_train_score=self.return_train_score,
                    )
                )
        return rows_to_results(rows)

    def _write_checkpoint(self, optimizer) -> None:
        told = optimizer.get_result() if optimizer.Xi else None
        state = {
            "format": _CHECKPOINT_FORMAT,
            "space": sorted(self._single_space()),
            "x_iters": list(told.x_iters) if told else [],
            "func_vals": list(told.func_vals) if told else [],
            "cv_results": self._merged_results(),
        }
        # trials still pending (no finite score yet) are not resumable: drop their rows
        n_told = len(state["x_iters"])
        if len(state["cv_results"]["params"]) != n_told:
            state["cv_results"] = rows_to_results(results_to_rows(state["cv_results"])[:n_told])
        _atomic_dump(state, Path(self.checkpoint))

    # -------------------------------------------------------- save / load
    def save(self, path: str | os.PathLike) -> None:
        """Save the fitted search (results, optimizer state, refitted pipeline) to one file.

        Parameters
        ----------
        path : str or path-like
            File to write (joblib format, compressed); missing folders are created.

        Raises
        ------
        ValueError
            If the search is not fitted, ``path`` is a folder, or a file
            stands where one of its folders would go.
        """
        if not hasattr(self, "cv_results_"):
            raise ValueError("This CNNSearchCV is not fitted yet; call fit before save.")
        _atomic_dump(self, check_file_destination(path, "path"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> CNNSearchCV:
        """Load a search saved with :meth:`save`.

        Only load files you trust: the format is pickle-based.

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`.

        Returns
        -------
        search : CNNSearchCV
            The fitted search; ``search.best_estimator_`` predicts at once.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        IsADirectoryError
            If ``path`` is a folder.
        ValueError
            If the file is empty, truncated, not a joblib file, or does not
            hold a CNNSearchCV.
        """
        obj = load_saved(path, "saved CNNSearchCV")
        if not isinstance(obj, cls):
            raise ValueError(
                f"{os.fspath(path)!r} does not hold a saved {cls.__name__} "
                f"(found {type(obj).__name__})."
            )
        return obj


class _DivergenceGuard:
    """Scorer wrapper that raises when the fitted network's training loss ended non-finite.

    A Keras model whose loss went NaN keeps NaN weights and predicts NaN
    probabilities without complaint; some metrics then fail (ROC AUC) but
    others silently return a number (accuracy of an all-one-class guess).
    Raising here makes every metric score ``error_score`` for such a trial.
    (:class:`~skbia.CNNClassifier` already raises in ``fit``; this covers
    other Keras estimators, e.g. a plain scikeras ``KerasClassifier``.)
    """

    def __init__(self, scorer: Callable) -> None:
        self.scorer = scorer

    def __call__(self, estimator, *args, **kwargs):
        final = estimator
        while hasattr(final, "steps"):
            final = final.steps[-1][1]
        check_training_finite(getattr(final, "history_", None))
        return self.scorer(estimator, *args, **kwargs)

    def _accept_sample_weight(self) -> bool:
        """Whether the wrapped scorer takes ``sample_weight`` (sklearn asks before passing it)."""
        accept = getattr(self.scorer, "_accept_sample_weight", None)
        if accept is not None:
            return bool(accept())
        return "sample_weight" in inspect.signature(self.scorer).parameters

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scorer!r})"
