"""``skbia tune``: a Bayesian search described by a configuration file."""

from __future__ import annotations

import argparse
import difflib
import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from skbia.cli._common import (
    Timer,
    build_estimator,
    check_crop,
    gather_config,
    load_training_data,
)
from skbia.cli._config import TUNE_SECTIONS
from skbia.cli._outputs import check_output_folder

# keys of the 'search' section that are not CNNSearchCV arguments but search stoppers
_STOPPER_KEYS = ("stop_after_no_improvement", "stop_at_score", "time_limit")


def check_tune_sections(config: Mapping[str, Mapping[str, Any]]) -> None:
    """Check the keys of the ``space`` and ``search`` sections before any work.

    Parameters
    ----------
    config : dict of str to dict
        The gathered configuration.

    Raises
    ------
    ValueError
        If ``space`` holds a key that is not an argument of
        :func:`skbia.tuning.build_search_space`, or ``search`` one that is
        neither a :class:`skbia.tuning.CNNSearchCV` argument nor a stopper;
        the message suggests the closest allowed key.
    """
    from skbia.tuning import CNNSearchCV, build_search_space

    search_keys = [*_keyword_names(CNNSearchCV.__init__, skip=("estimator", "search_spaces")),
                   *_STOPPER_KEYS]
    for section, allowed in (("space", _keyword_names(build_search_space)),
                             ("search", search_keys)):
        unknown = sorted(set(config.get(section, {})) - set(allowed))
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"Section {section!r} has no key {key!r}.{hint} Its keys are: "
                             f"{', '.join(sorted(allowed))}.")


def _keyword_names(function: Callable, skip: Iterable[str] = ()) -> list[str]:
    """Return the names of ``function``'s keyword-passable parameters, less ``skip``."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [name for name, parameter in inspect.signature(function).parameters.items()
            if parameter.kind in kinds and name not in {"self", *skip}]


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


# what skbia tune writes into its output folder
TUNE_OUTPUTS = ("search.joblib", "checkpoint.joblib", "best_model.keras", "summary.txt",
                "convergence.png")


def run_tune(args: argparse.Namespace) -> int:
    """Run ``skbia tune`` (see ``skbia tune --help``).

    The output folder, the configuration, the data and the search space
    against the data are all checked before the first trial.

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
    output = check_output_folder(args.output, flag="--output", writes=TUNE_OUTPUTS,
                                 overwrite=args.overwrite)
    config = gather_config(args, TUNE_SECTIONS)
    check_tune_sections(config)
    X, y = load_training_data(args)

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
    check_space_fits_data(space, estimator, search_options, X, y)
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
    output.mkdir(exist_ok=True)
    with Timer("searching"):
        search.fit(X, y, callback=callbacks)

    summary = search_summary(search, top=5)
    print(summary)
    (output / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    search.save(output / "search.joblib")
    classifier = search.best_estimator_.steps[-1][1]
    classifier.save(output / "best_model.keras")
    with Timer("plotting the convergence"):
        plot_search(search, kind="convergence").savefig(output / "convergence.png", dpi=110)
    print(f"search, best model (best_model.keras), summary and convergence plot saved in {output}"
          " (search.joblib and checkpoint.joblib are pickles: load only files you trust)")
    return 0


def check_space_fits_data(
    space: dict[str, Any], estimator: Any, search_options: dict[str, Any], X: np.ndarray,
    y: np.ndarray,
) -> None:
    """Check, before the first trial, that every trial can run on these images.

    The centre crop (the classifier's ``image_size``, fixed, in ``trial_params``
    or the largest the space holds) must fit in the images; per-band
    ``max_pixel`` dimensions must match the bands; the largest cutouts the
    space holds must fit in the images; and an integer ``cv`` needs that many
    images of every class.

    Parameters
    ----------
    space : dict of str to skopt dimension
        The search space (pipeline parameter names).
    estimator : imblearn.pipeline.Pipeline
        The pipeline searched.
    search_options : dict
        The ``CNNSearchCV`` arguments (``cv``, ``trial_params``).
    X : ndarray of shape (n_images, height, width[, bands])
        The images.
    y : ndarray of shape (n_images,)
        Their labels.

    Raises
    ------
    ValueError
        Naming the configuration entry that cannot fit the data.
    """
    height, width = X.shape[1:3]
    bands = X.shape[3] if X.ndim == 4 else 1
    c = f"{estimator.steps[-1][0]}__"
    trial_params = dict(search_options.get("trial_params") or {})
    classifier = estimator.steps[-1][1]
    if c + "image_size" in space:
        largest = _largest(space[c + "image_size"])
        if largest is not None and largest > min(height, width):
            raise ValueError(
                f"space.image_size reaches a {largest}-pixel crop but the images are "
                f"{height}x{width} pixels: lower its maximum to {min(height, width)} or less "
                "(or set image_size: null to leave the crop untuned)."
            )
    elif c + "image_size" in trial_params:
        check_crop(trial_params[c + "image_size"], X.shape, f"search.trial_params.{c}image_size")
    else:
        check_crop(classifier.image_size, X.shape, "classifier.image_size")
    band_keys = [key for key in space if key.startswith(c + "max_pixel[")]
    if band_keys and len(band_keys) != bands:
        raise ValueError(
            f"space.n_bands={len(band_keys)} tunes one max_pixel per band, but the images have "
            f"{bands} band(s): set n_bands to {bands} (or 0 for one shared max_pixel)."
        )
    _check_cutouts(space, estimator, (height, width))
    _check_cv(search_options.get("cv"), y)


def _largest(dimension: Any) -> float | None:
    """Return the largest value a skopt dimension holds (None if not numeric)."""
    if hasattr(dimension, "high"):
        return dimension.high
    values = [v for v in getattr(dimension, "categories", ()) if isinstance(v, (int, float))]
    return max(values) if values else None


def _check_cutouts(space: dict[str, Any], estimator: Any, image_size: tuple[int, int]) -> None:
    """Check the augmenter's largest cutouts in the space against the image size."""
    steps = dict(estimator.steps[:-1])
    keys = {param: f"{name}__{param}" for name in steps for param in ("mask_size", "num_masks")
            if f"{name}__{param}" in space}
    if not keys:
        return
    from sklearn.base import clone

    from skbia.augmentation._augmenter_params import check_cutouts_fit

    for name, augmenter in steps.items():
        largest = {param: _largest(space[key]) for param, key in keys.items()
                   if key.startswith(f"{name}__")}
        if not largest:
            continue
        extreme = clone(augmenter).set_params(**largest)
        try:
            check_cutouts_fit(extreme, image_size)
        except ValueError as error:
            tuned = " and ".join(f"space.max_{param}={value}"
                                 for param, value in largest.items())
            raise ValueError(f"{tuned} cannot fit the images: {error}") from None


def _check_cv(cv: Any, y: np.ndarray) -> None:
    """Check that an integer ``cv`` has at least ``cv`` images of every class."""
    if isinstance(cv, bool) or not isinstance(cv, int):
        return
    labels, counts = np.unique(y, return_counts=True)
    smallest = int(np.argmin(counts))
    if counts[smallest] < cv:
        raise ValueError(
            f"search.cv={cv} stratified folds need at least {cv} images of every class; class "
            f"{labels[smallest].item()!r} has {counts[smallest]}: lower cv (--cv)."
        )
