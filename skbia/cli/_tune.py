"""``skbia tune``: a Bayesian search described by a configuration file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from skbia.cli._common import Timer, build_estimator, gather_config, load_training_data
from skbia.cli._config import TUNE_SECTIONS

# keys of the 'search' section that are not CNNSearchCV arguments but search stoppers
_STOPPER_KEYS = ("stop_after_no_improvement", "stop_at_score", "time_limit")


class _TrialProgress:
    """skopt callback printing the number of trials done and the best score so far."""

    def __init__(self, n_iter: int) -> None:
        self.n_iter = n_iter
        self.start = time.perf_counter()

    def __call__(self, result: Any) -> bool:
        scores = -np.asarray(result.func_vals, dtype=float)
        elapsed = time.perf_counter() - self.start
        print(f"  trials {len(scores)}/{self.n_iter}: last score {scores[-1]:.4f}, "
              f"best {np.nanmax(scores):.4f} ({elapsed:.0f} s)", flush=True)
        return False


def run_tune(args: argparse.Namespace) -> int:
    """Run ``skbia tune`` (see ``skbia tune --help``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments.

    Returns
    -------
    status : int
        0 on success.
    """
    args.random_state = None  # seeds come from the configuration file
    config = gather_config(args, TUNE_SECTIONS)
    X, y = load_training_data(args)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    from skbia.tuning import (
        CNNSearchCV,
        DeadlineStopper,
        NoImprovementStopper,
        ScoreThresholdStopper,
        build_search_space,
        plot_search,
        search_summary,
    )

    estimator = build_estimator(config, verbose=0)
    if not hasattr(estimator, "steps"):  # the search space names pipeline steps
        from imblearn.pipeline import make_pipeline

        estimator = make_pipeline(estimator)
    space_options = dict(config.get("space", {}))
    if "augmenter" not in config:
        space_options.setdefault("augmenter", None)
    space_options.setdefault("classifier", estimator.steps[-1][0])
    space = build_search_space(**space_options)
    search_options = dict(config.get("search", {}))
    stoppers = {key: search_options.pop(key) for key in _STOPPER_KEYS if key in search_options}
    if args.n_iter is not None:
        search_options["n_iter"] = args.n_iter
    if args.cv is not None:
        search_options["cv"] = args.cv
    search_options.setdefault("checkpoint", output / "checkpoint.joblib")
    search = CNNSearchCV(estimator, space, **search_options)

    callbacks: list[Any] = []
    if not args.quiet:
        callbacks.append(_TrialProgress(search.n_iter))
    if "stop_after_no_improvement" in stoppers:
        callbacks.append(NoImprovementStopper(n_trials=stoppers["stop_after_no_improvement"]))
    if "stop_at_score" in stoppers:
        callbacks.append(ScoreThresholdStopper(stoppers["stop_at_score"]))
    if "time_limit" in stoppers:
        callbacks.append(DeadlineStopper(total_time=float(stoppers["time_limit"])))

    print(f"search space: {len(space)} dimensions; {search.n_iter} trials on {len(y)} images")
    for name, dimension in space.items():
        print(f"  {name:<44} {dimension}")
    with Timer("searching"):
        search.fit(X, y, callback=callbacks)

    summary = search_summary(search, top=5)
    print(summary)
    (output / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    search.save(output / "search.joblib")
    classifier = search.best_estimator_.steps[-1][1]
    classifier.save(output / "best_model.keras")
    plot_search(search, kind="convergence").savefig(output / "convergence.png", dpi=110)
    print(f"search, best model (best_model.keras), summary and convergence plot saved in {output}")
    return 0
