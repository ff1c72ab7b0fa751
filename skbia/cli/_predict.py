"""``skbia predict``: score images with a saved model or ensemble and write a CSV file."""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import numpy as np

from skbia.cli._common import Timer, load_images
from skbia.cli._outputs import check_output_file, check_parent
from skbia.scoring import load_model

# options that ask for streaming (skbia.scoring.score_files) even for one file
_STREAM_OPTIONS = ("chunk_size", "part_size", "top", "scheduler", "dataset", "id_column",
                   "id_dataset")


def run_predict(args: argparse.Namespace) -> int:
    """Run ``skbia predict`` (see ``skbia predict --help``).

    One ``.npy`` or FITS file with a ``.csv`` output and no streaming option
    is scored whole: the options, the output file and the inputs are checked
    before the model is loaded, and the CSV is written only once every image
    has a finite score. Anything else streams through
    :func:`skbia.scoring.score_files` (see :func:`run_streaming`).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments.

    Returns
    -------
    status : int
        0 on success.
    """
    batch_size = check_batch_size(args.batch_size)
    images_arg = list(args.images) if isinstance(args.images, (list, tuple)) else [args.images]
    if streams(args, images_arg):
        return run_streaming(args, images_arg, batch_size)
    args.images = images_arg[0]
    output = check_output_file(args.output, flag="--output", suffixes=(".csv", ".parquet"),
                               overwrite=args.overwrite)
    model_path = Path(args.model)
    if not model_path.exists():
        raise FileNotFoundError(f"Model not found: {model_path}")
    images = load_images(args.images, hdu=args.hdu, channels_first=args.channels_first)
    if args.fill_value is None:
        check_finite_pixels(images, args.images)
    from skbia.utils import check_images

    # checked whole, not chunk by chunk, so that errors name images by their index in the file
    images = check_images(images, name=str(args.images), fill_value=args.fill_value)
    model = load_model(model_path)
    check_model_input(model, images.shape, args.images, model_path)
    classes = list(model.classes_)
    with Timer(f"scoring {len(images)} images, {batch_size} at a time"):
        proba, predicted = score_images(model, images, batch_size)
    check_scores(proba, args.images)
    # the positive class of a binary model (older models have no positive_label_: the last)
    write_scores(output, proba, predicted, classes,
                 positive=getattr(model, "positive_label_", None))
    if getattr(model, "average", "mean") == "rank":
        print(f"scores are the members' mean rank among these {len(images)} images, "
              "not probabilities")
    print(f"scores written to {output}")
    return 0


def streams(args: argparse.Namespace, images: list[str]) -> bool:
    """Whether ``skbia predict`` streams (see ``skbia predict --help``).

    It scores one file whole, as before, when given one existing ``.npy`` or
    FITS file, a ``.csv`` output and none of the streaming options.
    """
    if any(getattr(args, name, None) is not None for name in _STREAM_OPTIONS):
        return True
    if len(images) != 1 or str(args.output).lower().endswith(".parquet"):
        return True
    path = Path(images[0])
    if path.is_dir() or path.name.lower().endswith((".txt", ".lst", ".list")):
        return True
    if not path.exists():
        return any(character in images[0] for character in "*?[")
    return path.name.lower().endswith((".h5", ".hdf5", ".hdf", ".he5"))


def run_streaming(args: argparse.Namespace, images: list[str], batch_size: int) -> int:
    """Score ``images`` with :func:`skbia.scoring.score_files`, on Dask with ``--scheduler``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``skbia predict`` arguments.
    images : list of str
        The inputs (files, patterns, folders, lists).
    batch_size : int
        Checked ``--batch-size``.

    Returns
    -------
    status : int
        0 when the run finished (skipped images are counted, not failures).

    Raises
    ------
    ValueError
        If every image was skipped: nothing was scored (the side file lists why).
    """
    from skbia.scoring import score_files

    output = Path(args.output)
    name = output.name.lower()
    if not name.endswith((".csv", ".parquet")) or name in (".csv", ".parquet"):
        raise ValueError(f"--output: {str(output)!r} must end in '.csv' or '.parquet'.")
    check_parent(output, "--output")
    chunk_size = args.chunk_size if args.chunk_size is not None else max(1024, batch_size)
    options = {
        "chunk_size": chunk_size, "batch_size": batch_size,
        "part_size": args.part_size if args.part_size is not None else 65536,
        "fill_value": args.fill_value, "overwrite": args.overwrite, "hdu": args.hdu,
        "dataset": args.dataset, "id_column": args.id_column, "id_dataset": args.id_dataset,
        "channels_first": args.channels_first, "top": args.top,
        "progress": not args.quiet,
    }
    client = cluster = None
    try:
        if args.scheduler is not None:
            client, cluster = connect(args.scheduler)
        summary = score_files(args.model, images, args.output, client=client, **options)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    print(summary.report())
    for path in summary.top_files:
        print(f"top {args.top} candidates: {path}")
    if summary.n_scored == 0:  # every image skipped: a table without scores is no result
        hint = "" if args.fill_value is not None else (
            "; images with NaN pixels are scored with --fill-value V")
        raise ValueError(f"no image was scored: all {summary.n_images} were skipped (the "
                         f"reasons are in {summary.skipped_file}){hint}.")
    return 0


def connect(scheduler: str):
    """Return a ``distributed.Client`` (and the local cluster it started, or None).

    Parameters
    ----------
    scheduler : str
        A scheduler address, or ``local:N`` for a cluster of N local worker processes.

    Returns
    -------
    client : distributed.Client
    cluster : distributed.LocalCluster or None
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise ImportError("--scheduler needs dask.distributed: pip install 'skbia[dask]'.") \
            from error
    if scheduler.startswith("local:"):
        count = scheduler.split(":", 1)[1]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"--scheduler {scheduler}: give local:N with N a positive "
                             "number of worker processes.")
        cluster = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="30s"), None
    except (OSError, TimeoutError) as error:
        raise OSError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                      f"({error}).") from error


def check_batch_size(batch_size: object) -> int:
    """Return ``--batch-size`` as an int, or raise if it is not a positive integer."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"--batch-size must be a positive integer; got {batch_size!r}.")
    return batch_size


def check_finite_pixels(images: np.ndarray, path: str | Path, max_listed: int = 10) -> None:
    """Raise ``ValueError`` naming the images of ``path`` that hold NaN or infinite pixels."""
    if images.dtype.kind != "f":
        return
    bad = np.flatnonzero(~np.isfinite(images.reshape(len(images), -1)).all(axis=1))
    if bad.size:
        shown = ", ".join(map(str, bad[:max_listed])) + (", ..." if bad.size > max_listed else "")
        raise ValueError(
            f"{path} has non-finite pixels (NaN or inf) in {bad.size} of {len(images)} images, "
            f"at indices [{shown}]; clean them, or pass --fill-value V to replace them by V."
        )


def check_model_input(model, shape: tuple[int, ...], images_path, model_path) -> None:
    """Check that images of ``shape`` (4-d) have the model's training size and bands."""
    members = getattr(model, "estimators_", None)
    classifier = members[0] if members else model
    expected = tuple(getattr(classifier, "input_shape_", ()) or ())
    if len(expected) != 3 or tuple(shape[1:]) == expected:
        return
    height, width, bands = shape[1:]
    raise ValueError(
        f"{images_path} holds {height}x{width}-pixel images with {bands} band(s), but the "
        f"model {model_path} was trained on {expected[0]}x{expected[1]}-pixel images with "
        f"{expected[2]} band(s); give images of the training size and bands (the model crops "
        "them itself)."
    )


def score_images(model, images: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Score the images ``batch_size`` at a time; return the probabilities and labels.

    Each chunk is one forward pass per test-time view (the model's, or every
    member's, ``batch_size`` is set to the chunk size). For an ensemble the
    members' probabilities of all chunks are combined at the end, so rank
    averages are ranks among all the images, as without chunks.

    Parameters
    ----------
    model : CNNClassifier or FoldEnsembleClassifier
        Fitted.
    images : ndarray of shape (n_images, height, width[, bands])
        Validated images.
    batch_size : int
        Images per chunk.

    Returns
    -------
    proba : ndarray of shape (n_images, n_classes)
        Scores in the column order of ``model.classes_`` (rank scores for a
        rank-averaged ensemble).
    predicted : ndarray of shape (n_images,)
        Predicted labels (for an ensemble, from the mean probability).
    """
    chunks = [images[start:start + batch_size] for start in range(0, len(images), batch_size)]
    classes = np.asarray(model.classes_, dtype=object)
    members = getattr(model, "estimators_", None)
    if members is None:  # one classifier
        model.set_params(batch_size=batch_size)
        proba = np.concatenate([np.asarray(model.predict_proba(chunk)) for chunk in chunks])
        return proba, classes[np.argmax(proba, axis=1)]
    from skbia.ensemble._averaging import average_proba

    for member in members:
        member.set_params(batch_size=batch_size)
    stacked = np.concatenate([model.member_proba(chunk) for chunk in chunks], axis=1)
    predicted = classes[np.argmax(average_proba(stacked, "mean"), axis=1)]
    return average_proba(stacked, model.average), predicted


def check_scores(proba: np.ndarray, images_path: str | Path) -> None:
    """Raise ``FloatingPointError`` if any score is NaN or infinite (nothing is written then)."""
    bad = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    if bad.size:
        raise FloatingPointError(
            f"The model gave NaN or infinite scores for {bad.size} of {len(proba)} images of "
            f"{images_path} (first: index {bad[0]}); no CSV written. Check those images' "
            "pixel values against the ones the model was trained on."
        )




def write_scores(path, proba: np.ndarray, predicted: np.ndarray, classes: list, *,
                 positive: object = None) -> None:
    """Write one CSV row per image: index, predicted label and class scores.

    Binary models get one ``score_<positive>`` column (e.g. ``score_1`` or
    ``score_lens``), the probability of the positive class; multi-class
    models one ``proba_<class>`` column per class. The file is written to a
    temporary name beside ``path`` and renamed when complete, so a failure
    never leaves a partial CSV.

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
    positive : object, default=None
        Binary models: the positive class, one of ``classes`` (None: the
        last class).
    """
    path = Path(path)
    binary = len(classes) == 2
    if binary:
        positive = classes[-1] if positive is None else positive
        column = classes.index(positive)
        header = ["index", "predicted", f"score_{positive}"]
    else:
        header = ["index", "predicted"] + [f"proba_{c}" for c in classes]
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for index, (row, label) in enumerate(zip(proba, predicted, strict=True)):
                values = [row[column]] if binary else list(row)
                writer.writerow([index, label, *(f"{v:.6g}" for v in values)])
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
