"""Loss functions for imbalanced image classification.

:class:`WeightedBinaryCrossentropy` is pyBIA's weighted binary cross-entropy
as a registered Keras loss (it saves and loads with the model), and
:func:`get_loss` turns a loss name into a configured Keras loss for a given
number of classes.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["LOSSES", "WeightedBinaryCrossentropy", "get_loss"]

#: Loss names understood by :func:`get_loss`, with the problems they apply to.
LOSSES: dict[str, str] = {
    "binary_crossentropy": "binary",
    "weighted_binary_crossentropy": "binary",
    "focal": "binary and multi-class",
    "categorical_crossentropy": "multi-class",
}


@keras.saving.register_keras_serializable(package="skbia")
class WeightedBinaryCrossentropy(keras.losses.Loss):
    """Binary cross-entropy whose positive-class term is multiplied by a weight.

    For a label ``y`` in {0, 1} and a predicted probability ``p``::

        loss = -(positive_weight * y * log(p) + (1 - y) * log(1 - p))

    averaged over the last axis. With ``positive_weight=1`` it equals
    :class:`keras.losses.BinaryCrossentropy`; a weight above 1 makes errors on
    the (rare) positive class cost more. This is pyBIA's
    ``weighted_binary_crossentropy`` loss, whose ``weight`` argument is
    ``positive_weight`` here.

    Parameters
    ----------
    positive_weight : float, default=1.0
        Factor on the positive-class term; must be positive.
    weighted_label : {0, 1}, default=1
        The encoded label whose term ``positive_weight`` multiplies: 1 (the
        sigmoid's class) or 0, when the positive class is the other one.
    from_logits : bool, default=False
        Whether predictions are logits rather than probabilities.
    reduction : str, default="sum_over_batch_size"
        Keras reduction over the batch.
    name : str, default="weighted_binary_crossentropy"
        Name of the loss.
    dtype : str or None, default=None
        Dtype of the loss computation.

    Raises
    ------
    ValueError
        If ``positive_weight`` is not a positive finite number.
    """

    def __init__(
        self,
        positive_weight: float = 1.0,
        weighted_label: int = 1,
        from_logits: bool = False,
        reduction: str = "sum_over_batch_size",
        name: str = "weighted_binary_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        try:
            weight = float(positive_weight)
        except (TypeError, ValueError):
            weight = float("nan")
        if isinstance(positive_weight, bool | str) or not 0 < weight < float("inf"):
            raise ValueError(
                f"positive_weight must be a positive finite number; got {positive_weight!r}."
            )
        if isinstance(weighted_label, bool) or weighted_label not in (0, 1):
            raise ValueError(f"weighted_label must be 0 or 1; got {weighted_label!r}.")
        self.positive_weight = weight
        self.weighted_label = int(weighted_label)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        """Return the per-sample weighted binary cross-entropy."""
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        if self.weighted_label == 0:  # weight the other class: the same loss, mirrored
            y_true = 1.0 - y_true
            y_pred = -y_pred if self.from_logits else 1.0 - y_pred
        if self.from_logits:
            # Stable form of -(w*y*log(sigmoid(z)) + (1-y)*log(1-sigmoid(z))).
            log_one_plus = ops.log1p(ops.exp(-ops.abs(y_pred))) + ops.relu(-y_pred)
            weight = 1.0 + (self.positive_weight - 1.0) * y_true
            per_value = (1.0 - y_true) * y_pred + weight * log_one_plus
        else:
            epsilon = keras.config.epsilon()
            y_pred = ops.clip(y_pred, epsilon, 1.0 - epsilon)
            per_value = -(
                self.positive_weight * y_true * ops.log(y_pred)
                + (1.0 - y_true) * ops.log(1.0 - y_pred)
            )
        return ops.mean(per_value, axis=-1)

    def get_config(self) -> dict[str, Any]:
        """Return the loss configuration."""
        config = super().get_config()
        config.update({"positive_weight": self.positive_weight,
                       "weighted_label": self.weighted_label, "from_logits": self.from_logits})
        return config


def get_loss(
    name: str | keras.losses.Loss,
    *,
    n_classes: int,
    positive_weight: float = 1.0,
    focal_gamma: float = 2.0,
    focal_alpha: float | None = 0.25,
    positive_index: int = 1,
) -> keras.losses.Loss:
    """Return the Keras loss called ``name`` for a problem with ``n_classes`` classes.

    Binary problems use one sigmoid output unit and labels of shape (n, 1);
    multi-class problems use a softmax output and one-hot labels.

    Parameters
    ----------
    name : str or keras.losses.Loss or callable
        One of ``"binary_crossentropy"``, ``"weighted_binary_crossentropy"``,
        ``"focal"`` (binary or multi-class) or ``"categorical_crossentropy"``
        (multi-class). A loss object or callable is returned unchanged.
    n_classes : int
        Number of classes (at least 2).
    positive_weight : float, default=1.0
        Weight of the positive class; used only by
        ``"weighted_binary_crossentropy"``.
    focal_gamma : float, default=2.0
        Focusing parameter of the focal loss (used only by ``"focal"``).
    focal_alpha : float or None, default=0.25
        Class-balancing weight of the focal loss (used only by ``"focal"``):
        in the binary case positives get ``alpha`` and negatives
        ``1 - alpha`` (Lin et al. 2017); None turns class balancing off.
    positive_index : {0, 1}, default=1
        Binary problems: the encoded label of the positive class. The sigmoid
        output is the probability of label 1; with ``positive_index=0`` the
        positive class is label 0 and ``positive_weight`` and ``focal_alpha``
        apply to it.

    Returns
    -------
    loss : keras.losses.Loss
        The configured loss.

    Raises
    ------
    ValueError
        If ``name`` is unknown, if a binary-only loss is asked for more than
        two classes (or ``"categorical_crossentropy"`` for two), or if
        ``n_classes < 2``.
    """
    if not isinstance(name, str):
        if callable(name):
            return name
        raise ValueError(f"loss must be a string, a keras Loss or a callable; got {name!r}.")
    if isinstance(n_classes, bool) or int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}.")
    if name not in LOSSES:
        valid = ", ".join(repr(k) for k in LOSSES)
        raise ValueError(f"Unknown loss {name!r}; valid losses are {valid}.")
    binary = n_classes == 2
    if name == "binary_crossentropy" or name == "weighted_binary_crossentropy":
        if not binary:
            raise ValueError(
                f"loss={name!r} is for binary problems but there are {n_classes} classes; "
                "use 'categorical_crossentropy' or 'focal'."
            )
        if name == "binary_crossentropy":
            return keras.losses.BinaryCrossentropy()
        return WeightedBinaryCrossentropy(positive_weight=positive_weight,
                                          weighted_label=positive_index)
    if name == "categorical_crossentropy":
        if binary:
            raise ValueError(
                "loss='categorical_crossentropy' is for more than two classes (binary models "
                "have one sigmoid output); use 'binary_crossentropy', "
                "'weighted_binary_crossentropy' or 'focal'."
            )
        return keras.losses.CategoricalCrossentropy()
    # focal
    if focal_gamma < 0:
        raise ValueError(f"focal_gamma must be non-negative; got {focal_gamma!r}.")
    if focal_alpha is not None and not 0 <= focal_alpha <= 1:
        raise ValueError(f"focal_alpha must be in [0, 1] or None; got {focal_alpha!r}.")
    if binary:
        alpha = 0.25 if focal_alpha is None else float(focal_alpha)
        return keras.losses.BinaryFocalCrossentropy(
            apply_class_balancing=focal_alpha is not None,
            alpha=alpha if positive_index == 1 else 1.0 - alpha,
            gamma=float(focal_gamma),
        )
    return keras.losses.CategoricalFocalCrossentropy(
        alpha=1.0 if focal_alpha is None else float(focal_alpha), gamma=float(focal_gamma)
    )
