"""``skbia fit``: train a classifier (or a fold ensemble) on image files and save it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from skbia.cli._common import (
    Timer,
    build_estimator,
    check_crop,
    final_classifier,
    gather_config,
    load_training_data,
)
from skbia.cli._config import FIT_SECTIONS
from skbia.cli._injection_flags import check_injection_settings
from skbia.cli._outputs import PLOT_SUFFIXES, check_output_file, check_parent


def run_fit(args: argparse.Namespace) -> int:
    """Run ``skbia fit`` (see ``skbia fit --help``).

    Every argument and the output paths (model and history plots) are
    checked before the data are read, and the data before any training.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments.

    Returns
    -------
    status : int
        0 on success.
    """
    config = gather_config(args, FIT_SECTIONS)
    n_members = ensemble_size(args)
    _check_arguments(args, n_members)
    output = check_output(args.output, ensemble=n_members is not None,
                          overwrite=args.overwrite, recipe=getattr(args, "recipe", None))
    plots = _check_history_plots(args, n_members)
    X, y = load_training_data(args)
    check_crop(config["classifier"].get("image_size"), X.shape, "classifier.image_size")
    if "injector" in config:
        check_injection_settings(config["injector"], X.shape)
    estimator = build_estimator(config, verbose=0 if args.quiet else 2)
    labels, counts = _class_counts(y)
    print(f"training data: {len(y)} images of shape {tuple(X.shape[1:])}; "
          + ", ".join(f"class {c}: {n}" for c, n in zip(labels, counts, strict=True)))
    if n_members is not None:
        return _fit_ensemble(args, config, estimator, X, y, output, plots, n_members)
    classifier = final_classifier(estimator)
    if args.validation_fraction > 0:
        from sklearn.model_selection import train_test_split

        X, X_val, y, y_val = train_test_split(
            X, y, test_size=args.validation_fraction, stratify=y,
            random_state=config["classifier"].get("random_state"),
        )
        classifier.set_params(validation_data=(X_val, y_val))
        print(f"validation: {len(y_val)} images held out before augmentation")
    with Timer(f"training {type(estimator).__name__}"):
        estimator.fit(X, y)
    for line in convergence_lines(estimator):
        print(line)
    _print_injection(estimator)
    classifier.save(output)
    print(f"model saved to {output}")
    for plot in plots:
        _save_history(classifier, plot)
    return 0


def _check_arguments(args: argparse.Namespace, n_members: int | None) -> None:
    if not 0.0 <= args.validation_fraction < 1.0:
        raise ValueError(
            f"--validation-fraction must be in [0, 1); got {args.validation_fraction}."
        )
    if args.ensemble is not None:
        if args.ensemble < 1:
            raise ValueError(f"--ensemble must be at least 1 (1: one network, K >= 2: K "
                             f"members, one per fold); got {args.ensemble}.")
    if n_members is not None and args.validation_fraction > 0:
        raise ValueError(
            "--validation-fraction does not apply to an ensemble (--ensemble, or the "
            "lens-finder recipe's 5 members): each member has its own held-out fold."
        )


def ensemble_size(args: argparse.Namespace) -> int | None:
    """Return how many fold members ``skbia fit`` trains, or None for one network.

    ``--ensemble K`` decides (1: one network); without it the lens-finder
    recipe trains :data:`skbia.classifier.LENS_FINDER_MEMBERS` members and
    anything else one network.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``skbia fit`` arguments.

    Returns
    -------
    n_members : int or None
    """
    if args.ensemble is not None:
        return None if args.ensemble == 1 else int(args.ensemble)
    if getattr(args, "recipe", None) == "lens-finder":
        from skbia.classifier import LENS_FINDER_MEMBERS

        return LENS_FINDER_MEMBERS
    return None


def history_plot_paths(path: str | Path | None, n_members: int | None) -> list[Path]:
    """Return the files ``--history-plot`` names: itself, or one per ensemble member.

    Parameters
    ----------
    path : str, Path or None
        The ``--history-plot`` argument.
    n_members : int or None
        ``--ensemble``: ``NAME.png`` becomes ``NAME_member1.png``, ...

    Returns
    -------
    paths : list of Path
        Empty without ``--history-plot``.
    """
    if path is None:
        return []
    plot = Path(path)
    if n_members is None:
        return [plot]
    return [plot.with_name(f"{plot.stem}_member{k}{plot.suffix}")
            for k in range(1, n_members + 1)]


def check_output(path: str | Path, *, ensemble: bool, overwrite: bool,
                 recipe: str | None = None) -> Path:
    """Check where ``skbia fit`` will save its model, before any training.

    Parameters
    ----------
    path : str or Path
        The ``--output`` argument.
    ensemble : bool
        Whether an ensemble (a folder) is saved instead of one ``.keras`` file.
    overwrite : bool
        Whether an existing model file, or a saved ensemble in the folder, may
        be replaced.
    recipe : str or None, default=None
        The ``--recipe``, named in the error when its ensemble meets a
        ``.keras`` file name.

    Returns
    -------
    path : Path

    Raises
    ------
    ValueError
        If a model file does not end in ``.keras``, or an ensemble folder does.
    FileNotFoundError
        If the parent folder does not exist.
    FileExistsError
        If the path cannot be written (an existing model without
        ``overwrite``, a file or a non-empty folder where an ensemble goes).
    IsADirectoryError
        If a folder is where the model file goes.
    """
    output = Path(path)
    if ensemble:
        check_parent(output, "--output")
        if recipe is not None and output.suffix == ".keras":
            from skbia.classifier import LENS_FINDER_MEMBERS

            raise ValueError(
                f"--output: the {recipe} recipe trains an ensemble of {LENS_FINDER_MEMBERS} "
                f"networks, saved to a folder; got the file name {str(output)!r}. Give a "
                "folder name, or --ensemble 1 for one network in a .keras file."
            )
        from skbia.ensemble import FoldEnsembleClassifier

        try:
            return FoldEnsembleClassifier.check_save_path(output, overwrite=overwrite)
        except FileExistsError as error:
            if overwrite or "already holds a saved ensemble" not in str(error):
                raise
            raise FileExistsError(f"--output: the folder {str(output)!r} already holds a saved "
                                  "ensemble; pass --overwrite to replace it.") from None
    if output.is_dir():
        raise IsADirectoryError(f"--output: {str(output)!r} is a folder; give a .keras file name "
                                "(a folder is for --ensemble K).")
    if output.suffix != ".keras":
        raise ValueError(
            f"--output: the model file must end in '.keras'; got {str(output)!r} (with "
            "--ensemble K the output is a folder)."
        )
    return check_output_file(output, flag="--output", suffixes=(".keras",),
                             overwrite=overwrite, ignore_case=False)


def _check_history_plots(args: argparse.Namespace, n_members: int | None) -> list[Path]:
    """Check every file ``--history-plot`` will write (suffix, folder, overwrite policy)."""
    paths = history_plot_paths(args.history_plot, n_members)
    for plot in paths:
        check_output_file(plot, flag="--history-plot", suffixes=PLOT_SUFFIXES,
                          overwrite=args.overwrite)
    return paths


def _fit_ensemble(args, config, estimator, X, y, output: Path, plots: list[Path],
                  n_members: int) -> int:
    from skbia.ensemble import FoldEnsembleClassifier

    # the recipe's members are not validated on their held-out folds, which then stay unseen
    # by training: the out-of-fold score printed below is an honest estimate
    validation = None if getattr(args, "recipe", None) == "lens-finder" else "fold"
    ensemble = FoldEnsembleClassifier(
        estimator,
        n_folds=n_members,
        average=args.ensemble_average,
        validation=validation,
        random_state=config["classifier"].get("random_state"),
        verbose=0 if args.quiet else 1,
    )
    with Timer(f"training {n_members} members of {type(estimator).__name__}"):
        ensemble.fit(X, y)
    for line in convergence_lines(ensemble):
        print(line)
    for k, member in enumerate(ensemble.estimators_, start=1):
        _print_injection(member, f"member {k}: ")
    print(_oof_summary(ensemble, y))
    ensemble.save(output, overwrite=args.overwrite)
    print(f"ensemble of {n_members} members saved to {output}")
    for member, plot in zip(ensemble.estimators_, plots, strict=False):
        _save_history(final_classifier(member), plot)
    return 0


def convergence_lines(estimator: Any) -> list[str]:
    """Describe the training-set check of every network of a fitted estimator.

    Parameters
    ----------
    estimator : estimator
        A fitted CNNClassifier, pipeline or FoldEnsembleClassifier.

    Returns
    -------
    lines : list of str
        One line per network that was checked (``min_training_auc``): its
        training ROC AUC and how many attempts it took; empty without checks.
    """
    members = getattr(estimator, "estimators_", None) or [estimator]
    lines = []
    for k, member in enumerate(members, start=1):
        classifier = final_classifier(member)
        auc = getattr(classifier, "training_auc_", None)
        if auc is None:
            continue
        attempts = len(getattr(classifier, "fit_attempts_", ())) or 1
        name = f"member {k}" if len(members) > 1 else "network"
        floor = classifier.min_training_auc
        verdict = "learned" if auc >= floor else "DID NOT LEARN"
        lines.append(f"{name}: training-set ROC AUC {auc:.3f} ({verdict} its training set; "
                     f"floor {floor}; {attempts} attempt{'s' if attempts > 1 else ''})")
    return lines


def injection_summary(estimator: Any) -> str | None:
    """Describe what the LensInjector step of a fitted pipeline added, if it has one.

    Parameters
    ----------
    estimator : estimator
        A fitted CNNClassifier or pipeline.

    Returns
    -------
    line : str or None
        How many lenses were painted into the training negatives and the
        fraction of draws that failed the quality cut; None without an
        injector.
    """
    from skbia.augmentation import LensInjector

    steps = [step for _, step in getattr(estimator, "steps", [])]
    injectors = [step for step in steps if isinstance(step, LensInjector)]
    if not injectors:
        return None
    injector = injectors[0]
    added = len(injector.host_indices_)
    return (f"lens injection: {added} of {injector.n_injected_} lenses painted into training "
            f"negatives; {injector.rejected_fraction_:.1%} of the draws failed the quality "
            "cut and were redrawn")


def _print_injection(estimator: Any, prefix: str = "") -> None:
    line = injection_summary(estimator)
    if line is not None:
        print(prefix + line)


def _oof_summary(ensemble: Any, y) -> str:
    """Return one line with the out-of-fold scores of the members' predictions."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    oof = ensemble.oof_proba_
    accuracy = accuracy_score(y, ensemble.classes_[np.argmax(oof, axis=1)])
    text = f"out-of-fold accuracy {accuracy:.3f}"
    if len(ensemble.classes_) == 2:
        positive = np.asarray(y) == ensemble.classes_[1]
        text += f", ROC AUC {roc_auc_score(positive, oof[:, 1]):.3f}"
    return text + " (each image scored by the member that did not train on it)"


def _save_history(classifier, path) -> None:
    from skbia.plotting import plot_history

    plot_history(classifier).savefig(path, dpi=110)
    print(f"training curves saved to {path}")


def _class_counts(y) -> tuple[list, list]:
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    return labels.tolist(), counts.tolist()
