"""``skbia predict``: score images with a saved model and write a CSV file."""

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
    from skbia import CNNClassifier

    classifier = CNNClassifier.load(model_path)
    with Timer(f"scoring {len(images)} images"):
        proba = np.asarray(classifier.predict_proba(images))
    classes = list(classifier.classes_)
    predicted = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    write_scores(args.output, proba, predicted, classes)
    print(f"scores written to {args.output}")
    return 0


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
