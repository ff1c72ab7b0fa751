"""Building and compiling the classifier's Keras model from its parameters.

The model is the in-model preprocessing (centre crop, then per-band min-max
scaling or a noise-aware stretch), the architecture's feature extractor and a
dense output layer named ``"output"``: one sigmoid unit for two classes, a
softmax over the classes otherwise.
"""

from __future__ import annotations

import inspect

import keras
import numpy as np

from skbia.architectures import get_architecture
from skbia.architectures.layers import build_preprocessing
from skbia.classifier._optimizers import make_optimizer
from skbia.classifier._params import routed_params
from skbia.classifier._warm_start import model_params
from skbia.losses import get_loss
from skbia.training_metrics import get_metrics

__all__ = ["_BuildingMixin"]


class _BuildingMixin:
    """The scikeras hooks that build and compile the model (``CNNClassifier`` uses them)."""

    def _build_keras_model(self) -> keras.Model:
        """Build and compile the Keras model from the parameters."""
        builder = get_architecture(self.arch)
        model_kwargs = routed_params(self, "model")
        signature = inspect.signature(builder)
        takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        unknown = sorted(set(model_kwargs) - set(signature.parameters))
        if unknown and not takes_any:
            raise ValueError(
                f"The architecture {getattr(builder, '__name__', builder)!r} does not take "
                f"{', '.join('model__' + k for k in unknown)}."
            )
        dropout = self.dropout
        if dropout is None:
            default = signature.parameters.get("dropout")
            has_default = default is not None and default.default is not inspect.Parameter.empty
            dropout = default.default if has_default else 0.0

        n_classes = int(self.n_classes_)
        inputs = keras.Input(shape=self.input_shape_, name="images")
        x = build_preprocessing(
            inputs,
            image_size=self.image_size,
            normalize=self.normalize,
            min_pixel=self.min_pixel,
            max_pixel=self.max_pixel,
            scaling=self.scaling,
            softening=self.softening_,
        )
        features = builder(
            x,
            pooling=self.pooling,
            regularizer=self.regularizer,
            conv_activation=self.conv_activation,
            dense_activation=self.dense_activation,
            conv_initializer=self.conv_initializer,
            dense_initializer=self.dense_initializer,
            dropout=dropout,
            filter_scale=self.filter_scale,
            **model_kwargs,
        )
        if len(features.shape) != 2:
            raise ValueError(
                f"The architecture must return a 2-d (batch, features) tensor; got shape "
                f"{tuple(features.shape)}. End a custom builder with Flatten or global pooling."
            )
        binary = n_classes == 2
        outputs = keras.layers.Dense(
            1 if binary else n_classes, activation="sigmoid" if binary else "softmax", name="output"
        )(features)
        name = self.arch if isinstance(self.arch, str) else getattr(self.arch, "__name__", "custom")
        model = keras.Model(inputs, outputs, name=f"skbia_{name}")
        self._compile_model(model)
        self._model_params = model_params(self)
        return model

    def _compile_model(self, model: keras.Model) -> None:
        """Compile ``model`` with a new optimizer, the loss and the metrics of the parameters."""
        n_classes = int(self.n_classes_)
        loss = self.loss
        if isinstance(loss, str) and loss == "auto":
            loss = "binary_crossentropy" if n_classes == 2 else "categorical_crossentropy"
        model.compile(
            optimizer=make_optimizer(
                self.optimizer,
                learning_rate=self.learning_rate,
                decay=self.decay,
                momentum=self.momentum,
                nesterov=bool(self.nesterov),
                extra=routed_params(self, "optimizer"),
            ),
            loss=get_loss(
                loss,
                n_classes=n_classes,
                positive_weight=self.positive_weight,
                focal_gamma=self.focal_gamma,
                focal_alpha=self.focal_alpha,
                positive_index=self._positive_index(),
            ),
            metrics=get_metrics(n_classes),
            run_eagerly=bool(self.run_eagerly),
        )

    def _positive_index(self) -> int:
        """Return the encoded label (0 or 1) of the positive class; 1 for multi-class models."""
        positive = getattr(self, "positive_label_", None)
        if positive is None or len(self.classes_) != 2:
            return 1
        return int(np.flatnonzero(np.asarray(self.classes_, dtype=object) == positive)[0])

    def _check_model_compatibility(self, y: np.ndarray) -> None:
        """Skip scikeras' loss-name check: the model is built and compiled here."""
