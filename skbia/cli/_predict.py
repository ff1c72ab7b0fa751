"""``skbia predict``: score images with a saved model or ensemble and write a CSV file."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from skbia.cli._common import Timer, load_images


def run_predict(args: argparse.Namespace) -> int:
    """Run ``skbia predict`` (see ``skbia predict --help``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments.

    Returns
    -------
    status : int
        0 on success.
    """
    model_path = Path(args.model)
    if not model_path.exists():
        raise FileNotFoundError(f"Model not found: {model_path}")
    images = load_images(args.images, hdu=args.hdu, channels_first=args.channels_first)
    if args.fill_value is not None:
        from skbia.utils import check_images

        images = check_images(images, fill_value=args.fill_value)
    model = load_model(model_path)
    ranked = getattr(model, "average", "mean") == "rank"
    with Timer(f"scoring {len(images)} images"):
        proba = np.asarray(model.predict_proba(images))
        if ranked:  # rank scores are relative to these images; labels follow the mean probability
            predicted = np.asarray(model.predict(images), dtype=object)
    classes = list(model.classes_)
    if not ranked:
        predicted = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    write_scores(args.output, proba, predicted, classes)
    if ranked:
        print(f"scores are the members' mean rank among these {len(images)} images, "
              "not probabilities")
    print(f"scores written to {args.output}")
    return 0


def load_model(path: str | Path):
    """Load a saved model: a ``.keras`` file, or a folder holding a saved ensemble.

    Parameters
    ----------
    path : str or Path
        Written by :meth:`skbia.CNNClassifier.save` (a file) or
        :meth:`skbia.ensemble.FoldEnsembleClassifier.save` (a folder).

    Returns
    -------
    model : CNNClassifier or FoldEnsembleClassifier
        Fitted.
    """
    if Path(path).is_dir():
        from skbia.ensemble import FoldEnsembleClassifier

        return FoldEnsembleClassifier.load(path)
    from skbia import CNNClassifier

    return CNNClassifier.load(path)


def write_scores(path, proba: np.ndarray, predicted: np.ndarray, classes: list) -> None:
    """Write one CSV row per image: index, predicted label and class probabilities.

    Binary models get one ``score`` column (the probability of the second
    class, e.g. 1 = lens); multi-class models one ``proba_<class>`` column per
    class.

    Parameters
    ----------
    path : str or Path
        CSV file to write.
    proba : ndarray of shape (n_images, n_classes)
        Class probabilities.
    predicted : ndarray of shape (n_images,)
        Predicted labels.
    classes : list
        Class labels in the column order of ``proba``.
    """
    binary = len(classes) == 2
    header = ["index", "predicted"] + (["score"] if binary else [f"proba_{c}" for c in classes])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for index, (row, label) in enumerate(zip(proba, predicted, strict=True)):
            values = [row[1]] if binary else list(row)
            writer.writerow([index, label, *(f"{v:.6g}" for v in values)])
