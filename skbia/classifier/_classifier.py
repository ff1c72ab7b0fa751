"""``CNNClassifier``: a scikit-learn classifier that trains a CNN on multi-band images.

The estimator subclasses scikeras' :class:`~scikeras.wrappers.KerasClassifier`
and builds its Keras model from its own parameters: the in-model
preprocessing (centre crop, per-band min-max scaling), an architecture
builder from :mod:`skbia.architectures` (or a user callable) and a dense
output layer named ``"output"``. Its parts live in the private modules next
to this one: parameter validation (``_params``), the device scope
(``_devices``), the model (``_building``), images and labels (``_data``),
training (``_training``), prediction (``_prediction``) and persistence
(``_persistence``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator

from skbia.classifier._building import _BuildingMixin
from skbia.classifier._data import _DataMixin
from skbia.classifier._params import PARAMETER_CONSTRAINTS
from skbia.classifier._persistence import _PersistenceMixin
from skbia.classifier._prediction import _PredictionMixin
from skbia.classifier._training import _TrainingMixin
from skbia.utils import fill_missing_parameters

__all__ = ["CNNClassifier"]


class CNNClassifier(
    _TrainingMixin,
    _PredictionMixin,
    _PersistenceMixin,
    _DataMixin,
    _BuildingMixin,
    KerasClassifier,
):
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
    scaling : {"minmax", "asinh", "sqrt", "none"}, default="minmax"
        Pixel scaling inside the model (with ``normalize=True``). ``"minmax"``
        clips every band to ``[min_pixel, max_pixel]`` and scales it to [0, 1]
        (pyBIA's). ``"asinh"`` and ``"sqrt"`` are noise-aware stretches,
        ``asinh(x / s_b)`` and a softened signed square root, with one
        softening ``s_b`` per band: faint arcs a few times the sky noise keep
        their contrast next to galaxy cores thousands of times brighter, and
        negative (noise) pixels are kept. ``"none"`` passes pixels unchanged.
    softening : float, list of float or None, default=None
        Per-band noise level ``s_b`` of the stretches, in pixel units. None
        estimates it at ``fit`` from the training images (1.4826 x the median
        absolute deviation of their border pixels,
        :func:`skbia.utils.estimate_background_noise`) and stores it in
        ``softening_`` and in the model.
    augmentation : ImageAugmenter or None, default=None
        Online augmentation: in every epoch each training image is served
        through *fresh* random transforms drawn with this augmenter's
        settings (shifts, flips, rotations, zoom, skew, ``dihedral``,
        blending, cutouts; its ``n_copies`` and ``balance`` are not used),
        through :class:`skbia.augmentation.OnlineAugmentationDataset`.
        Validation data and prediction inputs are never augmented. Cannot be
        combined with ``validation_split``.
    balance_ratio : float in (0, 1] or None, default=None
        With ``augmentation``: each epoch also serves extra (freshly
        augmented) images of the smaller classes, so that each has at least
        ``balance_ratio`` times as many images as the largest class. None
        serves every image once per epoch.
    tta : {"dihedral", "flips"} or None, default=None
        Test-time augmentation: ``predict_proba`` averages the probabilities
        of the 8 exact symmetries of each image (quarter turns and flips;
        square images) or of its 4 flips (identity, left-right, up-down, half
        turn). Saved with the model.
    fill_value : float or None, default=None
        None: images with NaN or infinite pixels raise an error naming them.
        A number: such pixels are replaced by it (in ``fit``, ``predict`` and
        validation data alike).
    pooling : {"max", "average", "min"}, default="max"
        Pooling type of the architecture (per-layer ``model__pooling_<i>``
        override it).
    regularizer : {"batch_norm", "local_response"} or None, default="batch_norm"
        Normalization layers of the architecture.
    conv_activation, dense_activation : str, callable or None, default="relu"
        Activations of the convolutional and dense layers: a Keras name, a
        function, or None (linear).
    conv_initializer, dense_initializer : str or keras initializer, default="glorot_uniform"
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
    positive_label : label or None, default=None
        The positive class of a binary problem (e.g. ``"lens"``): the class
        ``positive_weight`` and ``focal_alpha`` favour and whose probability
        is the score (``skbia predict``'s ``score_<label>`` column). None
        follows skbia's one rule (:func:`skbia.utils.resolve_positive_label`,
        shared with :class:`~skbia.ImageAugmenter`): 1 for 0/1 or -1/1 labels,
        True for booleans; for other labels the sorted-last class, except that
        a weighted or class-balanced focal loss then needs ``positive_label``
        (an error says so), since guessing would weight the wrong class.
    positive_weight : float, default=1.0
        Weight of the positive class (``positive_label_``) in
        ``"weighted_binary_crossentropy"``.
    focal_gamma, focal_alpha : float, default=2.0 and 0.25
        Focusing and class-balancing parameters of ``"focal"``; in the binary
        case ``focal_alpha`` weights the positive class.
    class_weight : dict, "balanced" or None, default=None
        scikit-learn class weights, applied as per-sample weights in training.
    epochs : int, default=25
        Maximum number of training epochs.
    batch_size : int, default=32
        Images per gradient step (and per prediction batch).
    shuffle : bool, default=True
        Shuffle the training images before each epoch.
    patience : int or None, default=0
        Stop after this many epochs without improvement of ``monitor``
        (:class:`keras.callbacks.EarlyStopping`); 0 or None disables early
        stopping.
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
    min_training_auc : float in (0, 1] or None, default=None
        Check that the fit learned its own training set: after training, the
        network (inference mode, one view, no test-time augmentation) scores
        the un-augmented training images given to ``fit``, and a ROC AUC
        below this floor (macro one-vs-rest with more than two classes) counts
        as a failed fit. It is then retrained from scratch with a new seed
        derived from ``random_state``, up to ``retries`` times; the attempt
        with the highest training AUC is kept, and every failed attempt is
        reported in a :class:`~sklearn.exceptions.ConvergenceWarning` naming
        the AUC. None: no check. A warm start is checked but not retrained.
        :func:`skbia.make_lens_finder` sets 0.9.
    retries : int, default=2
        How many times a fit below ``min_training_auc`` is retrained.
    recalibrate_batch_norm : bool, default=False
        After training, recompute every batch-normalization layer's moving
        mean and variance for the final weights: the average of the batch
        statistics over one more epoch of training batches (with online
        augmentation: freshly augmented and balanced as in training), with
        no weight update. Keras' moving averages trail the weights by about
        100 steps, so a network trained on a few hundred images can predict
        (inference mode) quite unlike the network that was trained; this was
        the root cause of the lens finder's failed fits
        (:mod:`skbia.classifier._batch_norm`).
        :func:`skbia.make_lens_finder` sets it.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds Python, NumPy and the Keras backend while building and training:
        the same seed and data on the same machine give identical predictions.
    verbose : {0, 1, 2}, default=0
        Keras verbosity: 0 silent, 1 progress bar, 2 one line per epoch.
    warm_start : bool, default=False
        If True and the classifier is fitted, ``fit`` continues training the
        current model (and appends to ``history_``) instead of building a new
        one. Parameters changed since the model was built are applied to it
        where a live model can take them: a new ``learning_rate`` alone is set
        on the optimizer (its state carries on); other optimizer and loss
        parameters (``optimizer``, ``decay``, ``momentum``, ``nesterov``,
        ``optimizer__*``, ``loss``, ``positive_weight``, ``focal_*``) recompile
        the model with a new optimizer, keeping the weights. Parameters that
        shape the network (``arch``, ``image_size``, the scaling parameters,
        ``pooling``, ``regularizer``, activations, initializers, ``dropout``,
        ``filter_scale``, ``model__*``) raise a ``ValueError`` before any
        training. A model saved, loaded and trained further continues as it
        would have without the interruption (the dropout generators' states
        are saved with it).
    device : str or None, default=None
        None: the Keras backend's own placement (a visible GPU is used).
        ``"cpu"``, ``"gpu"`` or ``"gpu:<i>"``: build, train and predict on that
        device, on every backend; a GPU that the backend does not see raises
        an error. ``"data_parallel"`` (alias ``"mirrored"``): synchronous
        data-parallel training on every visible GPU, or on the visible CPU
        devices without one: :class:`tf.distribute.MirroredStrategy` on
        TensorFlow, :class:`keras.distribution.DataParallel` on JAX (not
        available on PyTorch); ``batch_size`` is then the global batch, split
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
    positive_label_ : label or None
        Binary problems: the positive class (see ``positive_label``); its
        probability is ``predict_proba(X)[:, list(classes_).index(positive_label_)]``.
        None with more than two classes.
    history_ : dict of str to list of float
        Per-epoch training metrics (``loss``, ``binary_accuracy`` or
        ``accuracy``, ``f1_score``, and ``val_`` forms with validation data).
    input_shape_ : tuple of int
        ``(height, width, channels)`` of the training images.
    training_auc_ : float or None
        With ``min_training_auc``: the kept attempt's ROC AUC on its
        un-augmented training images (None without the check).
    fit_attempts_ : list of dict
        One ``{"random_state": seed, "training_auc": auc}`` per training
        attempt of the last ``fit`` (several when a fit was retried).

    See Also
    --------
    skbia.ImageAugmenter : Augments training images inside a pipeline.
    skbia.tuning.CNNSearchCV : Bayesian hyper-parameter search.

    Notes
    -----
    The parameters are validated when ``fit`` or ``partial_fit`` starts,
    before any image is read: a value of the wrong type or out of range raises
    :class:`~sklearn.utils._param_validation.InvalidParameterError` (a
    ``ValueError``) naming the parameter and what it accepts. Booleans are
    never accepted where a number is meant.

    ``predict_proba`` columns follow ``classes_`` (sorted labels), as in
    scikit-learn. Binary models have one sigmoid output; the positive class
    (``positive_label_``: 1 for 0/1 labels, or the ``positive_label`` you
    name) is the one the class-weighting losses favour and whose column is
    the score.

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

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(PARAMETER_CONSTRAINTS)

    def __init__(
        self,
        arch: str | Callable = "alexnet",
        *,
        image_size: int | Sequence[int] | None = None,
        normalize: bool = True,
        min_pixel: float | Sequence[float] = 0.0,
        max_pixel: float | Sequence[float] = 100.0,
        scaling: str = "minmax",
        softening: float | Sequence[float] | None = None,
        augmentation: Any = None,
        balance_ratio: float | None = None,
        tta: str | None = None,
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
        positive_label: Any = None,
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
        min_training_auc: float | None = None,
        retries: int = 2,
        recalibrate_batch_norm: bool = False,
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
        self.scaling = scaling
        self.softening = softening
        self.augmentation = augmentation
        self.balance_ratio = balance_ratio
        self.tta = tta
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
        self.positive_label = positive_label
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
        self.min_training_auc = min_training_auc
        self.retries = retries
        self.recalibrate_batch_norm = recalibrate_batch_norm
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.run_eagerly = run_eagerly
        vars(self).update(kwargs)

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

    def __setstate__(self, state: dict) -> None:
        """Unpickle, giving parameters added since the pickle was written their defaults."""
        super().__setstate__(fill_missing_parameters(type(self), state))
        if "model_" in state and "positive_label_" not in state:  # pickled before 0.2
            self._resolve_positive_label()
