"""``CNNClassifier``: a scikit-learn classifier that trains a CNN on multi-band images.

The estimator subclasses scikeras' :class:`~scikeras.wrappers.KerasClassifier`
and builds its Keras model from its own parameters: the in-model
preprocessing (centre crop, per-band min-max scaling), an architecture
builder from :mod:`skbia.architectures` (or a user callable) and a dense
output layer named ``"output"``.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from typing import Any

import keras
import numpy as np
from scikeras.utils.transformers import ClassifierLabelEncoder
from scikeras.wrappers import BaseWrapper, KerasClassifier
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from skbia.classifier import _saving
from skbia.classifier._optimizers import make_optimizer
from skbia.classifier._seeding import seed_from_random_state, seeded
from skbia.utils import check_images, check_labels, check_training_finite

__all__ = ["CNNClassifier"]

# routed parameter prefixes the classifier understands
_ROUTES = ("model", "optimizer", "fit", "predict")
# parameters that are never written by ``save`` (data and live objects)
_NOT_SAVED = ("validation_data", "callbacks")
_DEVICE = re.compile(r"^(cpu|gpu)(:\d+)?$")
_MIRRORED = "mirrored"
_STOP_MODES = ("above", "below")
# up to this many images, predictions call the model directly (see _direct_predict_applies)
_DIRECT_PREDICT_MAX_IMAGES = 512


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _positive_int(value: Any, name: str) -> int:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _check_image_size(image_size: Any) -> None:
    if image_size is None:
        return
    sizes = [image_size] if np.ndim(image_size) == 0 else list(np.ravel(image_size))
    if np.ndim(image_size) > 1 or len(sizes) not in (1, 2) or not all(
        _is_int(s) and s >= 1 for s in sizes
    ):
        raise ValueError(
            "image_size must be None, a positive integer or a (height, width) pair of "
            f"positive integers; got {image_size!r}."
        )


def _check_per_band(value: Any, name: str) -> None:
    """Check a scalar-or-per-band pixel limit (its length is checked against the channels)."""
    values = np.ravel(np.asarray(value, dtype=object))
    if np.ndim(value) > 1 or len(values) == 0 or not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
        for v in values
    ):
        raise ValueError(
            f"{name} must be a finite number or a list of finite numbers, one per band; "
            f"got {value!r}."
        )


def _mirrored_strategy():
    """Return a MirroredStrategy over every visible GPU, or the CPUs without one."""
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[device.name for device in devices])


class CNNClassifier(KerasClassifier):
    """Convolutional neural network classifier for multi-band images.

    A scikit-learn classifier (``fit``, ``predict``, ``predict_proba``,
    ``score``, ``clone``, pipelines, cross-validation, searches) whose Keras
    model is built from the parameters below. Cropping and min-max scaling
    are layers *inside* the model, so ``fit``, ``predict``, validation data
    and a saved model all take the same raw, full-size images.

    Parameters
    ----------
    arch : {"alexnet", "vgg16", "resnet18"} or callable, default="alexnet"
        Architecture builder (see :func:`skbia.architectures.get_architecture`).
        A callable is called as ``arch(inputs, pooling=..., regularizer=...,
        conv_activation=..., dense_activation=..., conv_initializer=...,
        dense_initializer=..., dropout=..., filter_scale=..., **model_kwargs)``
        and returns a 2-d feature tensor; the classifier adds the output layer.
    image_size : int, (int, int) or None, default=None
        Side (or height and width) of the centre crop applied inside the model.
        None keeps the full image. Images smaller than the crop raise an error.
    normalize : bool, default=True
        Clip every band to ``[min_pixel, max_pixel]`` and scale it to [0, 1]
        inside the model.
    min_pixel, max_pixel : float or list of float, default=0.0 and 100.0
        Clip limits of the scaling: one number, or one value per band in the
        order of the last axis (a list of the wrong length raises an error).
    fill_value : float or None, default=None
        None: images with NaN or infinite pixels raise an error naming them.
        A number: such pixels are replaced by it (in ``fit``, ``predict`` and
        validation data alike).
    pooling : {"max", "average", "min"}, default="max"
        Pooling type of the architecture (per-layer ``model__pooling_<i>``
        override it).
    regularizer : {"batch_norm", "local_response"} or None, default="batch_norm"
        Normalization layers of the architecture.
    conv_activation, dense_activation : str, default="relu"
        Activations of the convolutional and dense layers.
    conv_initializer, dense_initializer : str, default="glorot_uniform"
        Kernel initializers of the convolutional and dense layers.
    dropout : float or None, default=None
        Dropout rate of the dense layers; None uses the builder's own default
        (0.5 for AlexNet and VGG16, 0 for ResNet-18, 0 for a callable without
        a default).
    filter_scale : float, default=1.0
        Multiplies every filter and unit count of the architecture (e.g. 0.25
        for a slim network on a CPU).
    optimizer : {"adam", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", \
"nadam"}, default="adam"
        Keras optimizer. Further optimizer keywords (``beta_1``, ``rho``,
        ``amsgrad``, ...) are routed parameters: ``optimizer__beta_1=0.8``.
    learning_rate : float, default=1e-3
        Initial learning rate.
    decay : float, default=0.0
        Inverse-time learning-rate decay per training step (batch):
        ``learning_rate / (1 + decay * step)``, implemented with
        :class:`keras.optimizers.schedules.InverseTimeDecay`
        (``decay_steps=1``); this is what the legacy Keras ``decay`` argument
        computed. 0 keeps the rate constant.
    momentum : float, default=0.9
        Momentum of the ``"sgd"`` optimizer (ignored by the others).
    nesterov : bool, default=False
        Nesterov momentum; only valid with ``optimizer="sgd"``.
    loss : str or keras loss, default="auto"
        ``"auto"`` (binary cross-entropy for two classes, categorical
        cross-entropy for more), ``"binary_crossentropy"``,
        ``"weighted_binary_crossentropy"`` (binary; see ``positive_weight``),
        ``"focal"`` (binary or multi-class), ``"categorical_crossentropy"``
        (multi-class), or a Keras loss object. Binary models have one sigmoid
        unit and 0/1 targets, multi-class models a softmax over one-hot targets.
    positive_weight : float, default=1.0
        Weight of the positive class (``classes_[1]``) in
        ``"weighted_binary_crossentropy"``.
    focal_gamma, focal_alpha : float, default=2.0 and 0.25
        Focusing and class-balancing parameters of ``"focal"``.
    class_weight : dict, "balanced" or None, default=None
        scikit-learn class weights, applied as per-sample weights in training.
    epochs : int, default=25
        Maximum number of training epochs.
    batch_size : int, default=32
        Images per gradient step (and per prediction batch).
    shuffle : bool, default=True
        Shuffle the training images before each epoch.
    patience : int, default=0
        Stop after this many epochs without improvement of ``monitor``
        (:class:`keras.callbacks.EarlyStopping`); 0 disables early stopping.
    monitor : str, default="loss"
        Metric watched by early stopping: ``"loss"``, ``"binary_accuracy"``
        (two classes) or ``"accuracy"`` (more), ``"f1_score"``, or their
        ``"val_"`` forms (which need validation data).
    restore_best_weights : bool, default=False
        After early stopping, restore the weights of the best epoch.
    stop_thresholds : dict or None, default=None
        Hard stops: ``{metric: (mode, threshold)}`` with mode ``"above"`` or
        ``"below"``; training ends after the first epoch where the metric
        crosses its threshold, e.g. ``{"binary_accuracy": ("above", 0.99),
        "loss": ("below", 0.01)}``.
    validation_data : (X_val, y_val) or None, default=None
        Raw, full-size validation images and their labels (encoded like
        ``y``); gives the ``val_*`` metrics. Also accepted by :meth:`fit`,
        where it takes precedence.
    validation_split : float, default=0.0
        Fraction of the training images held out for validation instead.
        Keras takes the *last* images, before shuffling, and augmented copies
        of one object may fall on both sides: prefer ``validation_data``.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks for training.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds Python, NumPy, TensorFlow and Keras while building and training
        (and enables TensorFlow's deterministic ops meanwhile): the same seed
        and data on the same machine give identical predictions.
    verbose : {0, 1, 2}, default=0
        Keras verbosity: 0 silent, 1 progress bar, 2 one line per epoch.
    warm_start : bool, default=False
        If True and the classifier is fitted, ``fit`` continues training the
        current model (and appends to ``history_``) instead of building a new
        one; the architecture parameters are then not re-read.
    device : str or None, default=None
        None: TensorFlow's placement (a visible GPU is used). ``"cpu"``,
        ``"gpu"`` or ``"gpu:<i>"``: build, train and predict on that device; a
        GPU that TensorFlow does not see raises an error. ``"mirrored"``:
        synchronous data-parallel training on every visible GPU
        (:class:`tf.distribute.MirroredStrategy`; without GPUs, on the
        visible CPU devices); ``batch_size`` is then the global batch, split
        across the replicas.
    run_eagerly : bool, default=False
        Run Keras eagerly instead of tracing a TensorFlow graph: for
        debugging, and faster for tiny data sets where the few seconds of
        graph tracing per new model dominate (slower per batch otherwise).
    **kwargs
        Routed parameters: ``model__<name>`` to the architecture builder (e.g.
        ``model__filters_1=48``), ``optimizer__<name>`` to the optimizer,
        ``fit__<name>`` to ``keras.Model.fit`` and ``predict__<name>`` to
        ``keras.Model.predict``.

    Attributes
    ----------
    model_ : keras.Model
        The trained Keras model (raw images in, class probabilities out).
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the column order of :meth:`predict_proba`.
    n_classes_ : int
        Number of classes.
    history_ : dict of str to list of float
        Per-epoch training metrics (``loss``, ``binary_accuracy`` or
        ``accuracy``, ``f1_score``, and ``val_`` forms with validation data).
    input_shape_ : tuple of int
        ``(height, width, channels)`` of the training images.

    See Also
    --------
    skbia.ImageAugmenter : Augments training images inside a pipeline.
    skbia.tuning.CNNSearchCV : Bayesian hyper-parameter search.

    Notes
    -----
    With a single sigmoid output the positive class is ``classes_[1]``, the
    larger label when sorted (1 for 0/1 labels); ``predict_proba(X)[:, 1]`` is
    its probability.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia import CNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 16, 16, 3)).astype("float32")
    >>> y = np.r_[np.ones(5, int), np.zeros(15, int)]
    >>> clf = CNNClassifier(arch="alexnet", filter_scale=1 / 32, min_pixel=-3,
    ...                     max_pixel=3, epochs=1, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (20, 2)
    """

    def __init__(
        self,
        arch: str | Callable = "alexnet",
        *,
        image_size: int | Sequence[int] | None = None,
        normalize: bool = True,
        min_pixel: float | Sequence[float] = 0.0,
        max_pixel: float | Sequence[float] = 100.0,
        fill_value: float | None = None,
        pooling: str = "max",
        regularizer: str | None = "batch_norm",
        conv_activation: Any = "relu",
        dense_activation: Any = "relu",
        conv_initializer: Any = "glorot_uniform",
        dense_initializer: Any = "glorot_uniform",
        dropout: float | None = None,
        filter_scale: float = 1.0,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        loss: Any = "auto",
        positive_weight: float = 1.0,
        focal_gamma: float = 2.0,
        focal_alpha: float | None = 0.25,
        class_weight: Mapping | str | None = None,
        epochs: int = 25,
        batch_size: int = 32,
        shuffle: bool = True,
        patience: int = 0,
        monitor: str = "loss",
        restore_best_weights: bool = False,
        stop_thresholds: Mapping[str, tuple[str, float]] | None = None,
        validation_data: tuple[Any, Any] | None = None,
        validation_split: float = 0.0,
        callbacks: list | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        warm_start: bool = False,
        device: str | None = None,
        run_eagerly: bool = False,
        **kwargs: Any,
    ) -> None:
        # scikeras' own __init__ would add parameters this estimator does not
        # have (model, build_fn, metrics, ...); set exactly ours instead.
        self.arch = arch
        self.image_size = image_size
        self.normalize = normalize
        self.min_pixel = min_pixel
        self.max_pixel = max_pixel
        self.fill_value = fill_value
        self.pooling = pooling
        self.regularizer = regularizer
        self.conv_activation = conv_activation
        self.dense_activation = dense_activation
        self.conv_initializer = conv_initializer
        self.dense_initializer = dense_initializer
        self.dropout = dropout
        self.filter_scale = filter_scale
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.loss = loss
        self.positive_weight = positive_weight
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.class_weight = class_weight
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.patience = patience
        self.monitor = monitor
        self.restore_best_weights = restore_best_weights
        self.stop_thresholds = stop_thresholds
        self.validation_data = validation_data
        self.validation_split = validation_split
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.run_eagerly = run_eagerly
        vars(self).update(kwargs)

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        """Declare a classifier on n-d image arrays (scikeras only has old-style tags)."""
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(poor_score=True, multi_class=True)
        tags.target_tags.required = True
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = self.fill_value is not None
        tags.non_deterministic = self.random_state is None
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        """Return whether the classifier has a model."""
        return hasattr(self, "model_")

    __repr__ = BaseEstimator.__repr__

    # ------------------------------------------------------------ parameters
    def _routed(self, route: str) -> dict[str, Any]:
        prefix = route + "__"
        return {
            key[len(prefix) :]: value
            for key, value in vars(self).items()
            if key.startswith(prefix)
        }

    def _check_params(self) -> None:
        """Validate the parameters that are not checked by the building blocks."""
        explicit = set(inspect.signature(type(self).__init__).parameters) - {"self", "kwargs"}
        for name in self.get_params(deep=False):
            if name in explicit:
                continue
            route = name.split("__", 1)[0]
            if "__" not in name or route not in _ROUTES:
                raise ValueError(
                    f"Unknown parameter {name!r} of {type(self).__name__}. Routed parameters "
                    f"start with one of {', '.join(r + '__' for r in _ROUTES)}; see "
                    "get_params() for the others."
                )
        _check_image_size(self.image_size)
        for name in ("min_pixel", "max_pixel"):
            _check_per_band(getattr(self, name), name)
        if self.fill_value is not None and not (
            isinstance(self.fill_value, numbers.Real)
            and not isinstance(self.fill_value, bool)
            and math.isfinite(self.fill_value)
        ):
            raise ValueError(
                f"fill_value must be None or a finite number; got {self.fill_value!r}."
            )
        _positive_int(self.epochs, "epochs")
        _positive_int(self.batch_size, "batch_size")
        if self.verbose not in (0, 1, 2) or isinstance(self.verbose, bool):
            raise ValueError(f"verbose must be 0, 1 or 2; got {self.verbose!r}.")
        split = self.validation_split
        if isinstance(split, bool) or not isinstance(split, numbers.Real) or not 0 <= split < 1:
            raise ValueError(f"validation_split must be a number in [0, 1); got {split!r}.")
        if self.class_weight is not None and not (
            self.class_weight == "balanced" or isinstance(self.class_weight, Mapping)
        ):
            raise ValueError(
                f"class_weight must be None, 'balanced' or a dict; got {self.class_weight!r}."
            )
        self._device_scope()  # validates ``device``

    def _device_scope(self, *, building: bool = False, continuing: bool = False):
        """Return the context that places the model's work on ``device``.

        With ``device="mirrored"`` the model's variables belong to the
        distribution strategy it was built under, and Keras runs ``fit``,
        ``predict`` and ``evaluate`` through that strategy by itself; a scope
        is entered only while a model is built or loaded (``building=True``),
        and training a model further (``continuing=True``) re-enters the
        strategy it was built under.
        """
        if self.device is None:
            return nullcontext()
        name = str(self.device).lower().lstrip("/")
        if not isinstance(self.device, str) or not (_DEVICE.match(name) or name == _MIRRORED):
            raise ValueError(
                "device must be None, 'cpu', 'gpu', 'gpu:<index>' or 'mirrored'; got "
                f"{self.device!r}."
            )
        if name == _MIRRORED:
            if not building:
                return nullcontext()
            if continuing:
                return self.model_.distribute_strategy.scope()
            return _mirrored_strategy().scope()
        kind, _, index = name.partition(":")
        if kind == "gpu":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if int(index or 0) >= len(gpus):
                raise ValueError(
                    f"device={self.device!r} but TensorFlow sees {len(gpus)} GPU(s); use "
                    "device=None or 'cpu'."
                )
        return keras.device(f"{kind}:{index or 0}")

    def _metric_names(self, n_classes: int, validation: bool) -> list[str]:
        names = ["loss", "binary_accuracy" if n_classes == 2 else "accuracy", "f1_score"]
        return names + [f"val_{name}" for name in names] if validation else names

    def _check_monitored(self, n_classes: int, validation: bool) -> None:
        """Check ``monitor`` and ``stop_thresholds`` against the metrics training logs."""
        logged = self._metric_names(n_classes, validation)
        if self.stop_thresholds is not None and not isinstance(self.stop_thresholds, Mapping):
            raise ValueError(
                "stop_thresholds must be None or a dict {metric: (mode, threshold)}; got "
                f"{self.stop_thresholds!r}."
            )
        watched = [("monitor", self.monitor)] if self.patience else []
        for metric, item in (self.stop_thresholds or {}).items():
            watched.append(("stop_thresholds", metric))
            if (
                not isinstance(item, Sequence)
                or isinstance(item, str)
                or len(item) != 2
                or item[0] not in _STOP_MODES
            ):
                raise ValueError(
                    f"stop_thresholds[{metric!r}] must be a (mode, threshold) pair with mode "
                    f"'above' or 'below', e.g. ('above', 0.99); got {item!r}."
                )
        for where, metric in watched:
            if metric not in logged:
                hint = ""
                if isinstance(metric, str) and metric.startswith("val_") and not validation:
                    hint = " 'val_' metrics need validation_data or validation_split."
                raise ValueError(
                    f"{where} names {metric!r}, which training does not log; the logged "
                    f"metrics are {', '.join(map(repr, logged))}.{hint}"
                )

    # --------------------------------------------------------- data handling
    @property
    def target_encoder(self):
        """Encoder of the labels: 0/1 column for two classes, one-hot for more.

        Returns
        -------
        encoder : scikeras.utils.transformers.ClassifierLabelEncoder
            Unfitted.
        """
        classes = getattr(self, "classes_", None)
        categories = "auto" if classes is None else [classes]
        # "categorical_crossentropy" makes the encoder one-hot encode multi-class
        # targets; binary targets stay one 0/1 column for the sigmoid output.
        return ClassifierLabelEncoder(loss="categorical_crossentropy", categories=categories)

    def _validate_data(self, X=None, y=None, reset: bool = False, y_numeric: bool = False):
        """Validate images (and labels) with skbia's checks; record shapes when ``reset``."""
        images = labels = None
        if X is not None:
            if sparse.issparse(X):
                raise TypeError(
                    "Sparse input is not supported: give the images as a dense array of "
                    "shape (n_images, height, width[, channels])."
                )
            images = check_images(
                X,
                fill_value=self.fill_value,
                n_channels=None if reset else self.input_shape_[-1],
                min_size=self.image_size,
            )
            if reset:
                self.input_shape_ = tuple(int(d) for d in images.shape[1:])
                self.X_shape_ = images.shape
                self.X_dtype_ = images.dtype
            elif images.shape[1:3] != self.input_shape_[:2]:
                raise ValueError(
                    f"X holds {images.shape[1]}x{images.shape[2]} pixel images but the "
                    f"classifier was fitted on {self.input_shape_[0]}x{self.input_shape_[1]} "
                    "images; give images of the training size (the model crops them itself)."
                )
        if y is not None:
            y = np.asarray(y)
            n_samples = len(images) if images is not None else len(y)
            if y.ndim == 2 and y.shape[1] == 1:
                warnings.warn(
                    "A column-vector y was passed when a 1d array was expected; it is "
                    "used as y.ravel().",
                    DataConversionWarning,
                    stacklevel=3,
                )
            labels = check_labels(y, n_samples, min_classes=2 if reset else 1)
            if reset:
                self.target_type_ = type_of_target(labels)
                self.y_dtype_ = labels.dtype
                self.y_ndim_ = 1
        return images, labels

    def _check_known_labels(self, labels: np.ndarray, where: str) -> None:
        unknown = np.setdiff1d(np.unique(labels), self.classes_)
        if len(unknown):
            raise ValueError(
                f"{where} has labels {unknown.tolist()} that are not among the classes "
                f"{self.classes_.tolist()} the classifier was fitted on."
            )

    def _encode_validation(self, validation_data) -> tuple[np.ndarray, np.ndarray]:
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError(
                "validation_data must be a pair (X_val, y_val) of raw images and labels."
            ) from None
        images = check_images(
            X_val,
            name="validation_data X_val",
            fill_value=self.fill_value,
            n_channels=self.input_shape_[-1],
        )
        if images.shape[1:3] != self.input_shape_[:2]:
            raise ValueError(
                f"validation_data holds {images.shape[1]}x{images.shape[2]} pixel images but "
                f"the training images are {self.input_shape_[0]}x{self.input_shape_[1]}."
            )
        labels = check_labels(y_val, len(images), min_classes=1)
        self._check_known_labels(labels, "validation_data y_val")
        return images, self.target_encoder_.transform(labels)

    # ----------------------------------------------------------------- model
    def _build_keras_model(self) -> keras.Model:
        """Build and compile the Keras model from the parameters."""
        from skbia.architectures import get_architecture
        from skbia.architectures.layers import build_preprocessing
        from skbia.losses import get_loss
        from skbia.training_metrics import get_metrics

        builder = get_architecture(self.arch)
        model_kwargs = self._routed("model")
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
        loss = self.loss
        if isinstance(loss, str) and loss == "auto":
            loss = "binary_crossentropy" if binary else "categorical_crossentropy"
        model.compile(
            optimizer=make_optimizer(
                self.optimizer,
                learning_rate=self.learning_rate,
                decay=self.decay,
                momentum=self.momentum,
                nesterov=self.nesterov,
                extra=self._routed("optimizer"),
            ),
            loss=get_loss(
                loss,
                n_classes=n_classes,
                positive_weight=self.positive_weight,
                focal_gamma=self.focal_gamma,
                focal_alpha=self.focal_alpha,
            ),
            metrics=get_metrics(n_classes),
            run_eagerly=bool(self.run_eagerly),
        )
        return model

    def _check_model_compatibility(self, y: np.ndarray) -> None:
        """Skip scikeras' loss-name check: the model is built and compiled here."""

    # ------------------------------------------------------------- training
    def fit(self, X, y, sample_weight=None, *, validation_data=None) -> CNNClassifier:
        """Build the model (unless warm-starting) and train it on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Raw training images of any real dtype (converted to native float32).
        y : array-like of shape (n_images,)
            Class labels.
        sample_weight : array-like of shape (n_images,), default=None
            Per-image weights (multiplied by ``class_weight`` weights if both are given).
        validation_data : (X_val, y_val), default=None
            Raw validation images and labels; overrides the ``validation_data``
            parameter for this call.

        Returns
        -------
        self : CNNClassifier
            The fitted classifier.

        Raises
        ------
        ValueError
            If the images or labels are invalid (see the user guide's list).
        FloatingPointError
            If the training loss became NaN or infinite (training stops at
            that batch; the weights are not usable).
        """
        self._check_params()
        warm = bool(self.warm_start) and self.__sklearn_is_fitted__()
        if validation_data is None:
            validation_data = self.validation_data
        if validation_data is not None and self.validation_split:
            raise ValueError(
                "Give either validation_data or validation_split, not both "
                f"(validation_split={self.validation_split!r})."
            )
        if not warm:
            self.classes_ = None
        # validate here too so class weights see clean labels; fit re-validates cheaply
        images, labels = self._validate_data(X, y, reset=not warm)
        if warm:
            self._check_known_labels(labels, "y")
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, labels)
            if sample_weight is not None:
                weights = weights * np.asarray(sample_weight, dtype=float)
            sample_weight = weights
        self._pending_validation = validation_data
        initial_epoch = self.current_epoch if warm else 0
        seed = seed_from_random_state(self.random_state)
        try:
            with self._device_scope(building=True, continuing=warm), seeded(seed):
                BaseWrapper.fit(
                    self,
                    images,
                    labels,
                    sample_weight=sample_weight,
                    epochs=self.epochs,
                    initial_epoch=initial_epoch,
                )
        finally:
            self._pending_validation = None
        return self

    def partial_fit(
        self, X, y, classes=None, sample_weight=None, *, validation_data=None
    ) -> CNNClassifier:
        """Train for one epoch, continuing from the current model (built on the first call).

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Raw training images.
        y : array-like of shape (n_images,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All class labels. The network's output size is fixed by the first
            call, so its ``y`` must contain every class; ``classes`` is checked
            against it (and later labels against ``classes_``).
        sample_weight : array-like of shape (n_images,), default=None
            Per-image weights.
        validation_data : (X_val, y_val), default=None
            Raw validation images and labels.

        Returns
        -------
        self : CNNClassifier
            The classifier, trained one more epoch.
        """
        if classes is not None:
            expected = np.unique(np.asarray(classes))
            seen = self.classes_ if self.__sklearn_is_fitted__() else np.unique(np.asarray(y))
            if not np.array_equal(np.sort(seen), expected):
                raise ValueError(
                    f"classes={expected.tolist()} differs from the classes "
                    f"{np.sort(seen).tolist()} the network is built for; the first partial_fit "
                    "call must contain every class."
                )
        saved = self.warm_start, self.epochs
        self.warm_start, self.epochs = True, 1
        try:
            return self.fit(X, y, sample_weight=sample_weight, validation_data=validation_data)
        finally:
            self.warm_start, self.epochs = saved

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        from skbia.callbacks import StopOnNonFiniteLoss, make_callbacks

        validation = self._pending_validation
        self._check_monitored(
            int(self.n_classes_), validation is not None or bool(self.validation_split)
        )
        if validation is not None:
            kwargs["validation_data"] = self._encode_validation(validation)
        user_callbacks = self._fit_callbacks
        self._fit_callbacks = [
            *user_callbacks,
            StopOnNonFiniteLoss(),
            *make_callbacks(
                patience=self.patience,
                monitor=self.monitor,
                thresholds=self.stop_thresholds,
                restore_best_weights=self.restore_best_weights,
            ),
        ]
        if initial_epoch > 0 and hasattr(self, "history_"):
            # scikeras appends to history_ when continuing; keep its defaultdict form
            self.history_ = defaultdict(list, self.history_)
        try:
            super()._fit_keras_model(
                X,
                y,
                sample_weight=sample_weight,
                warm_start=warm_start,
                epochs=epochs,
                initial_epoch=initial_epoch,
                **kwargs,
            )
        finally:
            self._fit_callbacks = user_callbacks
        self.history_ = dict(self.history_)
        check_training_finite(self.history_)

    # ------------------------------------------------------------ prediction
    def _predict_raw(self, X, **kwargs):
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit before predicting."
            )
        with self._device_scope():
            if kwargs or not self._direct_predict_applies(X):
                return super()._predict_raw(X, **kwargs)
            return self._predict_directly(X)

    def _direct_predict_applies(self, X) -> bool:
        """Whether to call the model directly instead of ``keras.Model.predict``.

        ``Model.predict`` traces a graph the first time it runs on a model,
        which costs more than the whole prediction for the few hundred images
        a cross-validation fold holds (0.39 s against 0.11 s for 73 images
        of a small AlexNet). Calling the model batch by batch skips that but
        runs eagerly, at about 40% of the traced graph's speed; so it is used
        only while the model has no traced predict function yet, for up to
        ``_DIRECT_PREDICT_MAX_IMAGES`` images, and when no ``predict__``
        parameter or callback asks for ``Model.predict``.
        """
        if getattr(self.model_, "predict_function", None) is not None:
            return False
        if self.device == _MIRRORED:  # Model.predict distributes over the replicas
            return False
        if getattr(self, "_predict_callbacks", None):
            return False
        if any(name.startswith("predict__") for name in self.get_params(deep=False)):
            return False
        return np.ndim(X) > 0 and len(X) <= _DIRECT_PREDICT_MAX_IMAGES

    def _predict_directly(self, X) -> np.ndarray:
        images, _ = self._validate_data(X=X, y=None)
        images = self.feature_encoder_.transform(images)
        batch_size = self.batch_size or 32
        step = len(images) if batch_size == -1 else int(batch_size)
        outputs = [
            keras.ops.convert_to_numpy(self.model_(images[start : start + step], training=False))
            for start in range(0, len(images), step)
        ]
        return np.concatenate(outputs, axis=0)

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities for raw, full-size images.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Images of the training size and channel count.

        Returns
        -------
        proba : ndarray of shape (n_images, n_classes)
            Probabilities in the column order of ``classes_``.
        """
        proba = np.asarray(super().predict_proba(X))
        return proba.reshape(-1, len(self.classes_))

    def predict(self, X) -> np.ndarray:
        """Return the most probable class of each image.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Images of the training size and channel count.

        Returns
        -------
        labels : ndarray of shape (n_images,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save the fitted classifier to one ``.keras`` file.

        The file is a Keras archive (model, weights, optimizer state,
        preprocessing layers) with the estimator's parameters, ``classes_``
        and ``history_`` added as ``skbia.json``. ``validation_data`` and
        ``callbacks`` are not saved (they load as None); a ``RandomState``
        ``random_state`` is saved as the integer seed it gave.

        Parameters
        ----------
        path : str or path-like
            Destination, ending in ``.keras``; an existing file is overwritten.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the classifier is not fitted.
        TypeError
            If a parameter cannot be stored (e.g. a lambda as ``arch``).
        """
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; nothing to save.")
        params = {}
        for name, value in self.get_params(deep=False).items():
            if name in _NOT_SAVED:
                continue
            if name == "random_state" and isinstance(value, np.random.RandomState):
                value = seed_from_random_state(value)
            params[name] = _saving.encode(value, name)
        from skbia import __version__

        metadata = {
            "skbia_version": __version__,
            "params": params,
            "classes": _saving.encode(self.classes_.tolist(), "classes_"),
            "classes_dtype": self.classes_.dtype.str if self.classes_.dtype != object else "O",
            "input_shape": list(self.input_shape_),
            "history": {k: [float(v) for v in vals] for k, vals in self.history_.items()},
        }
        _saving.write_model(self.model_, metadata, path)

    @classmethod
    def load(cls, path) -> CNNClassifier:
        """Load a classifier written by :meth:`save`.

        The Keras model is loaded with ``safe_mode=True``. The result predicts
        like the saved classifier and, with ``warm_start=True``, trains further
        from the saved weights and optimizer state.

        Parameters
        ----------
        path : str or path-like
            A ``.keras`` file written by :meth:`save`.

        Returns
        -------
        classifier : CNNClassifier
            A fitted classifier.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If the file is not a saved skbia classifier.
        """
        metadata = _saving.read_metadata(path)
        params = {name: _saving.decode(value) for name, value in metadata["params"].items()}
        classifier = cls(**params)
        with classifier._device_scope(building=True):  # a mirrored model loads mirrored
            model = _saving.read_model(path)
        classifier._restore(model, metadata)
        return classifier

    def _restore(self, model: keras.Model, metadata: Mapping[str, Any]) -> None:
        """Rebuild the fitted state around a loaded Keras model."""
        classes = np.asarray(_saving.decode(metadata["classes"]), dtype=metadata["classes_dtype"])
        self.model_ = model
        self.input_shape_ = tuple(int(d) for d in metadata["input_shape"])
        self.X_shape_ = (0, *self.input_shape_)
        self.X_dtype_ = np.dtype(np.float32)
        self.classes_ = classes
        self.target_type_ = type_of_target(classes)
        self.y_dtype_ = classes.dtype
        self.y_ndim_ = 1
        self.target_encoder_ = self.target_encoder.fit(classes)
        vars(self).update(self.target_encoder_.get_metadata())
        self.classes_ = classes  # the encoder keeps explicit categories as objects
        self.feature_encoder_ = FunctionTransformer().fit(np.zeros((1, *self.input_shape_)))
        self.history_ = {key: list(values) for key, values in metadata["history"].items()}
        self._random_state = seed_from_random_state(self.random_state)
        self._initialize_callbacks()
