"""Keras callbacks that stop training: pyBIA's patience and hard thresholds.

:class:`MetricThresholdStop` is a plain Keras callback and can be used with
any Keras model. :func:`make_callbacks` builds the list that
:class:`~skbia.CNNClassifier` trains with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

__all__ = ["MetricThresholdStop", "StopOnNonFiniteLoss", "infer_mode", "make_callbacks"]

_MODES = ("above", "below")


def infer_mode(monitor: str) -> str:
    """Return the Keras improvement mode of a logged metric.

    Parameters
    ----------
    monitor : str
        A history key such as ``"loss"``, ``"val_loss"``,
        ``"binary_accuracy"`` or ``"val_f1_score"``.

    Returns
    -------
    mode : {"min", "max"}
        ``"min"`` for losses (names containing ``"loss"``), ``"max"`` for
        accuracies and F1 scores.

    Raises
    ------
    ValueError
        If the direction cannot be inferred from the name.
    """
    name = monitor.removeprefix("val_")
    if "loss" in name:
        return "min"
    if "accuracy" in name or name.startswith("f1") or name in ("auc", "precision", "recall"):
        return "max"
    raise ValueError(
        f"Cannot tell whether {monitor!r} should be minimized or maximized; monitor a loss, "
        "an accuracy or an F1 score (e.g. 'loss', 'val_loss', 'binary_accuracy', 'f1_score')."
    )


class MetricThresholdStop(keras.callbacks.Callback):
    """Stop training at the end of the first epoch where a metric crosses a threshold.

    This is pyBIA's hard stop (``monitor1``/``monitor1_thresh``,
    ``monitor2``/``monitor2_thresh``), e.g. stop once the training accuracy
    exceeds 0.99 or the training loss falls under 0.01: past that point a
    small training set is being memorised.

    Parameters
    ----------
    monitor : str
        Key of the epoch logs to watch, e.g. ``"binary_accuracy"`` or ``"val_loss"``.
    threshold : float
        Threshold value.
    mode : {"above", "below"}, default="above"
        ``"above"`` stops when the value is strictly greater than
        ``threshold``; ``"below"`` when it is strictly smaller.
    verbose : int, default=0
        If positive, print a message when training is stopped.

    Attributes
    ----------
    stopped_epoch : int or None
        Index (0-based) of the epoch after which training was stopped, None
        if it never was.

    Raises
    ------
    ValueError
        At construction, for an invalid ``mode`` or a non-finite threshold; at
        the end of an epoch, if ``monitor`` is not in the logs (a misspelt
        metric, or a ``val_`` metric without validation data). An error is
        raised rather than a warning because a hard stop that silently never
        fires would let training run on unnoticed.

    Examples
    --------
    >>> from skbia.callbacks import MetricThresholdStop
    >>> stop = MetricThresholdStop("loss", 0.01, mode="below")
    """

    def __init__(
        self, monitor: str, threshold: float, mode: str = "above", verbose: int = 0
    ) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}; got {mode!r}.")
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a non-empty string; got {monitor!r}.")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
            raise ValueError(f"threshold must be a finite number; got {threshold!r}.")
        threshold = float(threshold)
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be finite; got {threshold!r}.")
        self.monitor = monitor
        self.threshold = threshold
        self.mode = mode
        self.verbose = verbose
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Reset :attr:`stopped_epoch`."""
        self.stopped_epoch = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Stop training if the monitored value crossed the threshold."""
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"MetricThresholdStop monitors {self.monitor!r}, which is not among the logged "
                f"metrics {sorted(logs)}; 'val_' metrics need validation data."
            )
        value = float(logs[self.monitor])
        crossed = value > self.threshold if self.mode == "above" else value < self.threshold
        if crossed:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose > 0:
                print(
                    f"Epoch {epoch + 1}: {self.monitor}={value:.6g} is {self.mode} "
                    f"{self.threshold:.6g}; stopping training."
                )

    def get_config(self) -> dict[str, Any]:
        """Return the callback's arguments."""
        return {
            "monitor": self.monitor,
            "threshold": self.threshold,
            "mode": self.mode,
            "verbose": self.verbose,
        }


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training silently at the first batch whose loss is NaN or infinite.

    Keras' ``TerminateOnNaN`` does the same but prints a line even when
    training is silent; :class:`~skbia.CNNClassifier` raises its own error
    afterwards, so the stop itself stays quiet.
    """

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Stop training if this batch's loss is NaN or infinite."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True


def make_callbacks(
    *,
    patience: int | None,
    monitor: str = "loss",
    thresholds: Mapping[str, tuple[str, float]] | None = None,
    restore_best_weights: bool = False,
) -> list[keras.callbacks.Callback]:
    """Build the early-stopping callbacks of a training run.

    Parameters
    ----------
    patience : int or None
        Epochs without improvement of ``monitor`` before stopping
        (:class:`keras.callbacks.EarlyStopping`). 0 or None: no early stopping.
    monitor : str, default="loss"
        Metric watched by early stopping; its mode (min/max) is inferred
        from the name by :func:`infer_mode`.
    thresholds : mapping of str to (str, float), optional
        Hard stops, ``{metric: (mode, threshold)}`` with mode ``"above"`` or
        ``"below"``; one :class:`MetricThresholdStop` per item, e.g.
        ``{"binary_accuracy": ("above", 0.99), "loss": ("below", 0.01)}``.
    restore_best_weights : bool, default=False
        Passed to :class:`keras.callbacks.EarlyStopping`.

    Returns
    -------
    callbacks : list of keras.callbacks.Callback
        New callback objects, early stopping first.

    Raises
    ------
    ValueError
        If ``patience`` is negative or not an integer, if the mode of
        ``monitor`` cannot be inferred, or if a threshold item is malformed.
    """
    callbacks: list[keras.callbacks.Callback] = []
    if patience is not None:
        if isinstance(patience, bool) or int(patience) != patience or patience < 0:
            raise ValueError(f"patience must be a non-negative integer or None; got {patience!r}.")
    if patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                mode=infer_mode(monitor),
                patience=int(patience),
                restore_best_weights=restore_best_weights,
            )
        )
    for metric, item in (thresholds or {}).items():
        try:
            mode, threshold = item
        except (TypeError, ValueError):
            raise ValueError(
                f"thresholds[{metric!r}] must be a (mode, threshold) pair such as "
                f"('above', 0.99); got {item!r}."
            ) from None
        callbacks.append(MetricThresholdStop(metric, threshold, mode=mode))
    return callbacks
