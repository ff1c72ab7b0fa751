"""``skbia fit``: train a classifier on image files and save it."""

from __future__ import annotations

import argparse
from pathlib import Path

from skbia.cli._common import (
    Timer,
    build_estimator,
    final_classifier,
    gather_config,
    load_training_data,
)
from skbia.cli._config import FIT_SECTIONS


def run_fit(args: argparse.Namespace) -> int:
    """Run ``skbia fit`` (see ``skbia fit --help``).

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
    X, y = load_training_data(args)
    if not 0.0 <= args.validation_fraction < 1.0:
        raise ValueError(
            f"--validation-fraction must be in [0, 1); got {args.validation_fraction}."
        )
    output = Path(args.output)
    if output.parent and not output.parent.exists():
        raise FileNotFoundError(f"Folder for the model does not exist: {output.parent}")
    estimator = build_estimator(config, verbose=0 if args.quiet else 2)
    classifier = final_classifier(estimator)
    labels, counts = _class_counts(y)
    print(f"training data: {len(y)} images of shape {tuple(X.shape[1:])}; "
          + ", ".join(f"class {c}: {n}" for c, n in zip(labels, counts, strict=True)))
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
    classifier.save(output)
    print(f"model saved to {output}")
    if args.history_plot:
        from skbia.plotting._results import plot_history

        plot_history(classifier).savefig(args.history_plot, dpi=110)
        print(f"training curves saved to {args.history_plot}")
    return 0


def _class_counts(y) -> tuple[list, list]:
    import numpy as np

    labels, counts = np.unique(np.asarray(y), return_counts=True)
    return labels.tolist(), counts.tolist()
