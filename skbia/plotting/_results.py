"""Plots of training and evaluation results: curves per epoch, ROC/PR curves, t-SNE maps.

Every function returns a :class:`matplotlib.figure.Figure` built without
:mod:`matplotlib.pyplot`, so nothing is shown and no display is needed: save it
with ``fig.savefig("name.png")``. This module imports TensorFlow/Keras only
inside :func:`penultimate_features` (and :func:`plot_tsne`, which calls it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["penultimate_features", "plot_history", "plot_roc_pr", "plot_tsne"]

_METRIC_TITLES = {
    "loss": "Loss",
    "binary_accuracy": "Binary accuracy",
    "accuracy": "Accuracy",
    "f1_score": "F1 score",
}


def _history_dict(history: Any) -> dict[str, list[float]]:
    """Accept a fitted classifier (``history_``), a Keras History or a dict."""
    if hasattr(history, "steps"):  # a Pipeline: its final step
        history = history.steps[-1][1]
    if hasattr(history, "history_"):
        history = history.history_
    elif hasattr(history, "history") and isinstance(history.history, Mapping):
        history = history.history
    if not isinstance(history, Mapping) or not history:
        raise ValueError(
            "history must be a fitted classifier (with history_), a Keras History or a "
            "non-empty dict mapping metric names to per-epoch values."
        )
    values = {}
    for key, value in history.items():
        try:
            values[str(key)] = list(np.ravel(np.asarray(value, dtype=float)))
        except (TypeError, ValueError):
            raise ValueError(
                f"history[{key!r}] must be a sequence of numbers, one per epoch; got {value!r}."
            ) from None
    return values


def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    *,
    title: str | None = "Training history",
) -> Figure:
    """Plot each metric per epoch, training and validation side by side (pyBIA's plot_performance).

    Parameters
    ----------
    history : CNNClassifier, Pipeline, keras.callbacks.History or dict
        A fitted classifier (its ``history_`` is used), a pipeline ending in
        one, or a dict such as ``{"loss": [...], "val_loss": [...]}``.
    metrics : sequence of str or None, default=None
        Training-metric names to plot, one panel each (their ``val_`` forms are
        drawn in the same panel when present). None plots every metric in
        ``history`` that is not a ``val_`` entry, except the learning rate.
    title : str or None, default="Training history"
        Title of the figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes per metric, x = epoch (starting at 1), with a legend.

    Raises
    ------
    ValueError
        If ``history`` is neither a fitted classifier, a Keras History nor a
        non-empty dict of per-epoch numbers, or ``metrics`` is not a sequence
        of metric names that ``history`` records.
    """
    values = _history_dict(history)
    if isinstance(metrics, str | bytes):
        raise ValueError(
            f"metrics must be a sequence of metric names, e.g. [{metrics!r}]; got the string "
            f"{metrics!r}."
        )
    if metrics is None:
        metrics = [key for key in values if not key.startswith("val_")
                   and key not in ("learning_rate", "lr")]
        if not metrics:  # only validation metrics were recorded
            metrics = [key[4:] for key in values]
    missing = [m for m in metrics if m not in values and f"val_{m}" not in values]
    if missing:
        raise ValueError(
            f"history has no metric(s) {missing}; it records {sorted(values)}."
        )
    fig = Figure(figsize=(4.2 * len(metrics), 3.6), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        for key, label, style in ((metric, "training", "-o"), (f"val_{metric}", "validation",
                                                               "--s")):
            if key in values:
                epochs = np.arange(1, len(values[key]) + 1)
                ax.plot(epochs, values[key], style, markersize=3, label=label)
        ax.set_xlabel("epoch")
        name = _METRIC_TITLES.get(metric, metric.replace("_", " "))
        ax.set_ylabel(name.lower() if name != "F1 score" else name)
        ax.set_title(name)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if metric != "loss" and "loss" not in metric:
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_roc_pr(
    y_true,
    y_score,
    *,
    pos_label=1,
    name: str | None = "CNN",
    fpr_levels: Sequence[float] = (0.01, 0.05, 0.10),
    title: str | None = None,
) -> Figure:
    """Plot the ROC curve and the precision-recall curve side by side.

    Built on :class:`sklearn.metrics.RocCurveDisplay` and
    :class:`sklearn.metrics.PrecisionRecallDisplay`, with the chance level of
    each and the chosen false-positive rates marked on the ROC curve.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more likely positive.
    pos_label : int or str, default=1
        Label of the positive class.
    name : str or None, default="CNN"
        Name of the classifier in the legends.
    fpr_levels : sequence of float, default=(0.01, 0.05, 0.10)
        False-positive rates drawn as dotted vertical lines on the ROC axes.
    title : str or None, default=None
        Title of the figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two axes: ROC (false-positive rate vs recall) and precision-recall.

    Raises
    ------
    TypeError
        If ``y_score`` holds non-numeric or complex values.
    ValueError
        If the labels and scores are malformed (as listed for
        :func:`skbia.evaluation.evaluate_scores`) or a level of
        ``fpr_levels`` is not a number in [0, 1].
    """
    from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

    from skbia.evaluation import _check_levels
    from skbia.utils import check_binary_scores

    fpr_levels = _check_levels("fpr_levels", fpr_levels)
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
    fig = Figure(figsize=(10, 4.4), layout="constrained")
    roc_ax, pr_ax = fig.subplots(1, 2)
    RocCurveDisplay.from_predictions(positive, y_score, name=name, ax=roc_ax,
                                     plot_chance_level=True)
    for level in fpr_levels:
        roc_ax.axvline(level, color="grey", linestyle=":", linewidth=1)
    if fpr_levels:
        roc_ax.plot([], [], color="grey", linestyle=":", label="FPR " + ", ".join(
            f"{level:.0%}" for level in fpr_levels))
    roc_ax.set_title("ROC curve")
    roc_ax.set_xlabel("False-positive rate")
    roc_ax.set_ylabel("True-positive rate (recall)")
    roc_ax.legend(loc="lower right")
    PrecisionRecallDisplay.from_predictions(positive, y_score, name=name, ax=pr_ax,
                                            plot_chance_level=True)
    pr_ax.set_title("Precision-recall curve")
    pr_ax.set_xlabel("Recall")
    pr_ax.set_ylabel("Precision")
    pr_ax.set_ylim(0, 1.02)
    pr_ax.legend(loc="lower left")
    for ax in (roc_ax, pr_ax):
        ax.grid(alpha=0.3)
    n_pos = int(positive.sum())
    fig.suptitle(title or f"{n_pos} positives, {len(positive) - n_pos} negatives")
    return fig


def _final_classifier(estimator: Any) -> Any:
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    if getattr(estimator, "model_", None) is None:
        raise ValueError(
            "penultimate_features needs a fitted CNNClassifier (or a pipeline ending in one) "
            "with a Keras model_ ; call fit first."
        )
    return estimator


def penultimate_features(estimator: Any, X, *, batch_size: int = 64) -> np.ndarray:
    """Features of the layer feeding the output layer of a fitted classifier.

    Parameters
    ----------
    estimator : CNNClassifier or Pipeline
        A fitted classifier whose Keras model has a layer named ``"output"``,
        or a fitted pipeline ending in one (earlier steps are samplers that act
        only while fitting, so they are skipped).
    X : array-like of shape (n_images, height, width, channels)
        Raw images, as given to ``predict``; the model crops and scales them.
    batch_size : int, default=64
        Images per forward pass.

    Returns
    -------
    features : ndarray of shape (n_images, n_features)
        The inputs of the output layer, flattened per image.

    Raises
    ------
    TypeError
        If ``X`` holds non-numeric or complex values.
    ValueError
        If ``estimator`` is not fitted or its model has no ``"output"``
        layer, or ``X`` is not a stack of images of the size and band count
        the model takes (or holds NaN or infinite pixels and the classifier
        has no ``fill_value``).
    """
    import keras

    from skbia.utils import check_images

    classifier = _final_classifier(estimator)
    model = classifier.model_
    try:
        output_layer = model.get_layer("output")
    except ValueError as error:
        raise ValueError("The classifier's Keras model has no layer named 'output'.") from error
    expected = tuple(model.inputs[0].shape[1:])  # (height, width, bands); None: any
    images = check_images(
        X,
        fill_value=getattr(classifier, "fill_value", None),
        n_channels=expected[-1] if len(expected) == 3 else None,
    )
    if len(expected) == 3 and any(
        size is not None and size != actual
        for size, actual in zip(expected[:2], images.shape[1:3], strict=True)
    ):
        raise ValueError(
            f"X holds {images.shape[1]}x{images.shape[2]} pixel images but the classifier's "
            f"model takes {expected[0]}x{expected[1]} images; give images of the training size."
        )
    sub_model = keras.Model(model.inputs, output_layer.input)
    features = sub_model.predict(images, batch_size=batch_size, verbose=0)
    return np.asarray(features, dtype=float).reshape(len(images), -1)


# up to this many images, t-SNE runs on one OpenMP thread (see _openmp_threads_for_tsne)
_ONE_THREAD_TSNE_IMAGES = 300


def _openmp_threads_for_tsne(n_images: int) -> Any:
    """Limit OpenMP (scikit-learn's t-SNE) to one thread for small embeddings.

    After a Keras backend has run, OpenMP threads that spin while they wait
    fight its threads for the cores: t-SNE of 40 images took 4 to 45 s on a
    busy 2-core machine instead of 0.5 s. On small maps one thread costs
    little (``benchmarks/tsne_threads.py`` on 2 idle cores: 1.1x at 40
    images, 1.27x at 300, but 1.66x at 1000), so maps up to 300 images run on
    one thread and larger ones keep every thread.
    """
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    if n_images > _ONE_THREAD_TSNE_IMAGES:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="openmp")


def plot_tsne(
    estimator: Any,
    X,
    y,
    *,
    perplexity: float | None = None,
    random_state: int | None = 0,
    class_names: Mapping[Any, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Map a classifier's penultimate-layer features to 2-d with t-SNE (pyBIA's plot_tsne).

    Parameters
    ----------
    estimator : CNNClassifier or Pipeline
        A fitted classifier (see :func:`penultimate_features`).
    X : array-like of shape (n_images, height, width, channels)
        Raw images.
    y : array-like of shape (n_images,)
        Their labels, used for the colours only.
    perplexity : float or None, default=None
        Passed to :class:`sklearn.manifold.TSNE`; it must be smaller than the
        number of images. None uses ``min(30, (n_images - 1) / 3)``.
    random_state : int or None, default=0
        Seed of the t-SNE embedding.
    class_names : mapping or None, default=None
        Legend text per label, e.g. ``{1: "lens", 0: "other"}``.
    title : str or None, default=None
        Title of the axes.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes, one colour per class, with a legend.

    Raises
    ------
    TypeError
        If ``X`` holds non-numeric or complex values.
    ValueError
        As :func:`penultimate_features`, or if ``y`` does not hold one label
        per image, there are fewer than 4 images, or ``perplexity`` is not
        positive and below the number of images.
    """
    from sklearn.manifold import TSNE

    labels = np.asarray(y)
    features = penultimate_features(estimator, X)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-d (one label per image); got shape {labels.shape}.")
    if len(labels) != len(features):
        raise ValueError(
            f"X and y have inconsistent lengths: {len(features)} images but {len(labels)} labels."
        )
    n_images = len(features)
    if n_images < 4:
        raise ValueError(f"t-SNE needs at least 4 images; got {n_images}.")
    if perplexity is None:
        perplexity = min(30.0, (n_images - 1) / 3)
    if not 0 < perplexity < n_images:
        raise ValueError(
            f"perplexity must be positive and smaller than the number of images ({n_images}); "
            f"got {perplexity}."
        )
    with _openmp_threads_for_tsne(n_images):
        embedding = TSNE(n_components=2, perplexity=perplexity, init="pca",
                         random_state=random_state).fit_transform(features)
    fig = Figure(figsize=(5.6, 5), layout="constrained")
    ax = fig.subplots()
    classes = np.unique(labels)
    # draw the largest class first so that rare classes stay visible on top
    order = sorted(classes, key=lambda c: -np.sum(labels == c))
    for label in order:
        mask = labels == label
        text = (class_names or {}).get(label, str(label))
        ax.scatter(embedding[mask, 0], embedding[mask, 1], s=14, alpha=0.75,
                   label=f"{text} ({int(mask.sum())})")
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    ax.set_title(title or f"t-SNE of penultimate-layer features (perplexity {perplexity:.0f})")
    ax.legend(title="class")
    return fig
