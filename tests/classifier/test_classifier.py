"""CNNClassifier: fitting, prediction, seeds, weights, validation, stopping, warm start."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold, check_cv, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from skbia import CNNClassifier
from skbia.classifier._optimizers import OPTIMIZERS, make_optimizer


def small_net(
    inputs,
    *,
    pooling,
    regularizer,
    conv_activation,
    dense_activation,
    conv_initializer,
    dense_initializer,
    dropout,
    filter_scale,
    width=4,
):
    x = keras.layers.Conv2D(width, 3, activation=conv_activation)(inputs)
    return keras.layers.GlobalAveragePooling2D()(x)


# a one-convolution network keeps the many fits of these tests fast; AlexNet is used
# where its layers matter
TINY = dict(
    arch=small_net,
    min_pixel=-3.0,
    max_pixel=8.0,
    batch_size=16,
    epochs=2,
    random_state=0,
    verbose=0,
    run_eagerly=True,  # tracing a graph costs seconds per new model; tiny data runs faster eagerly
)


def tiny(**params) -> CNNClassifier:
    return CNNClassifier(**{**TINY, **params})


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y = blobs
    return tiny(arch="alexnet", filter_scale=1 / 32, device="cpu", run_eagerly=False).fit(X, y)


def test_is_a_scikit_learn_classifier_on_image_arrays():
    clf = CNNClassifier()
    assert is_classifier(clf)
    tags = clf.__sklearn_tags__()
    assert tags.estimator_type == "classifier"
    assert not tags.input_tags.two_d_array and tags.input_tags.three_d_array
    assert tags.target_tags.required
    assert isinstance(check_cv(5, np.r_[np.ones(5), np.zeros(5)], classifier=True), StratifiedKFold)


def test_cross_val_score_uses_stratified_folds_and_gives_finite_auc(blobs):
    X, y = blobs
    result = cross_validate(
        tiny(epochs=1), X, y, cv=5, scoring="roc_auc", return_indices=True
    )
    scores = result["test_score"]
    assert scores.shape == (5,) and np.isfinite(scores).all()
    assert np.all((scores >= 0) & (scores <= 1))
    # 10 positives in 5 stratified folds: exactly 2 in every held-out fold
    assert [int(y[idx].sum()) for idx in result["indices"]["test"]] == [2] * 5


def test_fit_predict_shapes_and_fitted_attributes(fitted, blobs):
    X, y = blobs
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float32
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(fitted.predict(X), np.where(proba[:, 1] > 0.5, 1, 0))
    assert fitted.predict_proba(X[:1]).shape == (1, 2)
    np.testing.assert_array_equal(fitted.classes_, [0, 1])
    assert fitted.n_classes_ == 2 and fitted.input_shape_ == (16, 16, 3)
    assert set(fitted.history_) == {"loss", "binary_accuracy", "f1_score"}
    assert all(len(v) == 2 for v in fitted.history_.values())
    assert 0.0 <= fitted.score(X, y) <= 1.0
    output = fitted.model_.get_layer("output")
    assert output.units == 1 and output.activation.__name__ == "sigmoid"


def test_preprocessing_lives_in_the_model(blobs):
    X, y = blobs
    clf = tiny(epochs=1, image_size=12, max_pixel=[8.0, 9.0, 10.0]).fit(X, y)
    names = [layer.name for layer in clf.model_.layers]
    assert names[:3] == ["images", "center_crop", "min_max_scaling"]
    assert clf.model_.get_layer("center_crop").output.shape[1:3] == (12, 12)
    assert clf.model_.get_layer("min_max_scaling").max_pixel == [8.0, 9.0, 10.0]


@pytest.mark.parametrize("dtype", ["float64", ">f4", "int16"])
def test_any_real_dtype_predicts_like_float32(fitted, blobs, dtype):
    X, _ = blobs
    X_other = (X * 100).astype(dtype)
    expected = fitted.predict_proba((X * 100).astype(dtype).astype(np.float32))
    np.testing.assert_array_equal(fitted.predict_proba(X_other), expected)


def test_multiclass_single_band_images_with_string_labels():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 12, 12)).astype(np.float32)  # 3-d: one band
    labels = np.array(["star", "galaxy", "lens"])[np.arange(30) % 3]
    X[labels == "lens"] += 3.0
    clf = CNNClassifier(
        arch=small_net, normalize=False, epochs=1, random_state=0, run_eagerly=True
    )
    clf.fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["galaxy", "lens", "star"])
    proba = clf.predict_proba(X)
    assert proba.shape == (30, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= set(labels)
    assert clf.input_shape_ == (12, 12, 1)
    assert clf.model_.get_layer("output").units == 3
    assert isinstance(clf.model_.loss, keras.losses.CategoricalCrossentropy)
    assert {"loss", "accuracy", "f1_score"} == set(clf.history_)
    with pytest.raises(ValueError, match="binary problems but there are 3 classes"):
        clone(clf).set_params(loss="weighted_binary_crossentropy").fit(X, labels)


def test_same_seed_reproduces_and_another_seed_differs(blobs):
    X, y = blobs
    numpy_state = np.random.get_state()[1].copy()
    first = tiny(run_eagerly=False).fit(X, y).predict_proba(X)
    # fitting leaves the caller's global NumPy generator untouched
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    np.testing.assert_array_equal(tiny(run_eagerly=False).fit(X, y).predict_proba(X), first)
    assert not np.array_equal(tiny(random_state=1).fit(X, y).predict_proba(X), first)


def test_class_weights_sample_weights_and_weighted_losses(blobs):
    from skbia.losses import WeightedBinaryCrossentropy

    X, y = blobs
    plain = tiny(epochs=1).fit(X, y)
    by_class = tiny(epochs=1, class_weight={0: 1.0, 1: 4.0}).fit(X, y)
    by_sample = tiny(epochs=1).fit(X, y, sample_weight=np.where(y == 1, 4.0, 1.0))
    np.testing.assert_allclose(by_class.predict_proba(X), by_sample.predict_proba(X), atol=1e-6)
    assert not np.allclose(by_class.predict_proba(X), plain.predict_proba(X))

    weighted = tiny(epochs=1, loss="weighted_binary_crossentropy", positive_weight=4.0).fit(X, y)
    assert isinstance(weighted.model_.loss, WeightedBinaryCrossentropy)
    assert weighted.model_.loss.positive_weight == 4.0
    # same seed and data: errors on positives cost 4x, so the epoch's mean loss is larger
    assert weighted.history_["loss"][0] > plain.history_["loss"][0]
    focal = tiny(epochs=1, loss="focal", focal_gamma=1.0).fit(X, y)
    assert isinstance(focal.model_.loss, keras.losses.BinaryFocalCrossentropy)
    assert np.isfinite(focal.history_["loss"]).all()


def test_validation_data_is_encoded_like_y_in_constructor_and_fit(blobs):
    X, y = blobs
    names = np.where(y == 1, "lens", "other")
    X_val, y_val = X[:20], names[:20]
    clf = tiny(validation_data=(X_val, y_val)).fit(X[20:], names[20:])
    assert {"val_loss", "val_binary_accuracy", "val_f1_score"} <= set(clf.history_)
    # the last epoch's validation accuracy is the accuracy of the final model's predictions
    assert clf.history_["val_binary_accuracy"][-1] == pytest.approx(
        accuracy_score(y_val, clf.predict(X_val)), abs=1e-6
    )
    from_fit = tiny().fit(X[20:], names[20:], validation_data=(X_val, y_val))
    np.testing.assert_array_equal(from_fit.history_["val_loss"], clf.history_["val_loss"])


def test_early_stopping_on_validation_loss_inside_a_pipeline(blobs):
    X, y = blobs
    # a learning rate of 1e-30 leaves the weights unchanged, so val_loss never improves
    frozen = tiny(
        optimizer="sgd",
        learning_rate=1e-30,
        epochs=10,
        patience=2,
        monitor="val_loss",
    )
    pipe = make_pipeline(FunctionTransformer(), frozen)
    pipe.fit(X[10:], y[10:], cnnclassifier__validation_data=(X[:10], y[:10]))
    history = pipe[-1].history_
    assert len(history["val_loss"]) == 3  # best at epoch 1, then 2 epochs of patience
    assert len(set(history["val_loss"])) == 1


@pytest.mark.parametrize(
    ("thresholds", "epochs_run"),
    [
        ({"loss": ("below", 1e6)}, 1),
        ({"binary_accuracy": ("above", -1.0)}, 1),
        ({"loss": ("below", -1.0)}, 2),
    ],
)
def test_threshold_stop(blobs, thresholds, epochs_run):
    X, y = blobs
    clf = tiny(epochs=2, stop_thresholds=thresholds).fit(X, y)
    assert len(clf.history_["loss"]) == epochs_run


def test_warm_start_continues_training(blobs):
    X, y = blobs
    clf = tiny(epochs=2).fit(X, y)
    model = clf.model_
    before = [w.copy() for w in model.get_weights()]
    clf.set_params(warm_start=True, epochs=1).fit(X, y)
    assert clf.model_ is model
    assert len(clf.history_["loss"]) == 3
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    clf.set_params(warm_start=False).fit(X, y)
    assert clf.model_ is not model and len(clf.history_["loss"]) == 1


def test_partial_fit_trains_one_epoch_per_call(blobs):
    X, y = blobs
    clf = tiny(epochs=5)
    clf.partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    assert len(clf.history_["loss"]) == 2 and clf.epochs == 5 and not clf.warm_start
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def test_learning_rate_decay_is_inverse_time_per_step(blobs):
    X, y = blobs
    clf = tiny(epochs=1, optimizer="sgd", learning_rate=0.01, decay=0.5, nesterov=True)
    clf.fit(X, y)
    steps = int(clf.model_.optimizer.iterations)
    assert steps == int(np.ceil(len(X) / 16))
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(
        0.01 / (1 + 0.5 * steps), rel=1e-6
    )


def test_make_optimizer_names_and_routed_keywords():
    for name, cls in OPTIMIZERS.items():
        assert isinstance(make_optimizer(name, learning_rate=0.1), cls)
    schedule = make_optimizer("adam", learning_rate=0.1, decay=0.25).learning_rate
    adam = make_optimizer("adam", learning_rate=0.1, extra={"beta_1": 0.8})
    assert float(adam.beta_1) == 0.8
    sgd = make_optimizer("sgd", learning_rate=0.1, momentum=0.5, nesterov=True)
    assert sgd.nesterov and float(sgd.momentum) == 0.5
    assert np.isfinite(float(schedule))
    with pytest.raises(ValueError, match="Unknown optimizer 'adamw'"):
        make_optimizer("adamw", learning_rate=0.1)
    with pytest.raises(ValueError, match="nesterov=True only applies"):
        make_optimizer("adam", learning_rate=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        make_optimizer("sgd", learning_rate=0.0)
    with pytest.raises(ValueError, match="Invalid routed optimizer parameter"):
        make_optimizer("sgd", learning_rate=0.1, extra={"beta_1": 0.8})


def test_routed_model_parameters_reach_the_builder(blobs):
    X, y = blobs
    clf = tiny(arch="alexnet", filter_scale=1 / 32, epochs=1, model__filters_1=5)
    assert clf.get_params()["model__filters_1"] == 5
    assert clone(clf).get_params()["model__filters_1"] == 5
    pipe = make_pipeline(FunctionTransformer(), clf)
    pipe.set_params(cnnclassifier__model__filters_1=64, cnnclassifier__optimizer__beta_1=0.8)
    pipe.fit(X, y)
    assert pipe[-1].model_.get_layer("conv_1").filters == 64 // 32  # times filter_scale
    assert float(pipe[-1].model_.optimizer.beta_1) == pytest.approx(0.8)


def test_custom_builder_gets_routed_keywords(blobs):
    X, y = blobs
    clf = tiny(epochs=1, model__width=6).fit(X, y)
    conv = [layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.filters for layer in conv] == [6]


def test_fill_value_replaces_non_finite_pixels(blobs):
    X, y = blobs
    X_nan = X.copy()
    X_nan[3, 0, 0, 0] = np.nan
    X_nan[7, 1, 1, 2] = np.inf
    clf = tiny(epochs=1, fill_value=0.0).fit(X_nan, y)
    X_zero = np.nan_to_num(X_nan, nan=0.0, posinf=0.0)
    np.testing.assert_array_equal(clf.predict_proba(X_nan), clf.predict_proba(X_zero))
    assert clf.__sklearn_tags__().input_tags.allow_nan


def test_small_predictions_skip_tracing_and_match_model_predict(blobs, monkeypatch):
    import skbia.classifier._prediction as prediction_module

    X, y = blobs
    clf = tiny(arch="alexnet", filter_scale=1 / 32, run_eagerly=False, batch_size=8).fit(X, y)
    direct = clf.predict_proba(X)
    assert clf.model_.predict_function is None  # no graph traced for 50 images
    monkeypatch.setattr(prediction_module, "_DIRECT_PREDICT_MAX_IMAGES", 0)
    traced = clf.predict_proba(X)
    assert clf.model_.predict_function is not None
    np.testing.assert_allclose(direct, traced, rtol=1e-5, atol=1e-6)
    # once traced, Model.predict (faster per image) is used again
    monkeypatch.setattr(prediction_module, "_DIRECT_PREDICT_MAX_IMAGES", 512)
    assert not clf._direct_predict_applies(X)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="which learning rate diverges depends on the backend's numerics; "
                    "test_classifier_divergence.py forces a blow-up on every backend")
def test_diverging_training_stops_and_raises(blobs):
    X, y = blobs
    clf = tiny(epochs=6, optimizer="sgd", learning_rate=1e12, normalize=False)
    with pytest.raises(FloatingPointError, match="Training diverged"):
        clf.fit(X, y)
    # training stopped in the epoch the loss went non-finite, not after all six
    losses = np.asarray(clf.history_["loss"])
    assert not np.isfinite(losses[-1])
    assert np.isfinite(losses[:-1]).all()
    assert len(losses) < 6


def _with_nan(X, y):
    X = X.copy()
    X[[3, 7], 2, 2, 0] = np.nan
    return X, y


def _with_inf(X, y):
    X = X.copy()
    X[5, 0, 0, 1] = -np.inf
    return X, y


@pytest.mark.parametrize(
    ("make", "params", "error", "match"),
    [
        (_with_nan, {}, ValueError, r"non-finite pixels .* in 2 of 50 images, at indices \[3, 7\]"),
        (_with_inf, {}, ValueError, r"in 1 of 50 images, at indices \[5\]"),
        (lambda X, y: (X[:, :, 0, 0], y), {}, ValueError, "ndim=2"),
        (lambda X, y: (X[:0], y[:0]), {}, ValueError, "contains no images"),
        (lambda X, y: (X, y[:-1]), {}, ValueError, "50 images but 49 labels"),
        (lambda X, y: (X, np.zeros_like(y)), {}, ValueError, r"y has 1 class\(es\)"),
        (lambda X, y: (X, y), {"image_size": 20}, ValueError, "smaller than image_size=20"),
        (lambda X, y: (X, y), {"max_pixel": [1.0, 2.0]}, ValueError, "2 values but the images"),
        (
            lambda X, y: (X, y),
            {"image_size": 0},
            InvalidParameterError,
            r"'image_size' parameter of CNNClassifier must be None, an int in the range \[1, inf\)",
        ),
        (
            lambda X, y: (X, y),
            {"image_size": (12, 0)},
            ValueError,
            r"image_size must be None, a positive integer or a \(height, width\) pair",
        ),
        (
            lambda X, y: (X, y),
            {"arch": "lenet"},
            InvalidParameterError,
            r"'arch' parameter of CNNClassifier must be a str among .*'alexnet'.* or a callable",
        ),
        (lambda X, y: (X, y), {"epoch": 3}, ValueError, "Unknown parameter 'epoch'"),
        (lambda X, y: (X, y), {"model__filters_9": 3}, ValueError, "does not take model__filt"),
        (lambda X, y: (X, y), {"device": "tpu"}, ValueError, "device must be None"),
        (
            lambda X, y: (X, y),
            {"optimizer": "adamw"},
            InvalidParameterError,
            r"'optimizer' parameter of CNNClassifier must be a str among .*'adam'",
        ),
        (
            lambda X, y: (X, y),
            {"patience": 2, "monitor": "val_loss"},
            ValueError,
            "'val_' metrics need validation_data",
        ),
        (
            lambda X, y: (X, y),
            {"stop_thresholds": {"loss": ("under", 0.1)}},
            ValueError,
            r"mode 'above' or 'below'",
        ),
        (
            lambda X, y: (X, y),
            {"stop_thresholds": {"accuracy": ("above", 0.9)}},
            ValueError,
            "training does not log",
        ),
        (
            lambda X, y: (X, y),
            {"validation_split": 0.2, "validation_data": (np.zeros((2, 16, 16, 3)), [0, 1])},
            ValueError,
            "not both",
        ),
        (
            lambda X, y: (X, y),
            {"validation_data": (np.zeros((2, 16, 16, 3)), [0, 5])},
            ValueError,
            r"labels \[5\] that are not among the classes",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(blobs, make, params, error, match):
    X, y = make(*blobs)
    with pytest.raises(error, match=match):
        tiny(epochs=1, **params).fit(X, y)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("epochs", 0),
        ("epochs", True),  # booleans are not numbers here
        ("batch_size", 2.5),
        ("verbose", 3),
        ("patience", -1),
        ("validation_split", 1.0),
        ("learning_rate", 0.0),
        ("decay", -0.1),
        ("momentum", float("nan")),
        ("dropout", 1.0),
        ("filter_scale", float("inf")),
        ("fill_value", float("nan")),
        ("min_pixel", -float("inf")),
        ("max_pixel", "100"),
        ("focal_alpha", 1.5),
        ("positive_weight", 0),
        ("class_weight", "auto"),
        ("pooling", "mean"),
        ("regularizer", "dropout"),
        ("loss", "mse"),
        ("random_state", -1),
        ("random_state", True),
        ("warm_start", "yes"),
        ("normalize", 1),
        ("stop_thresholds", [("loss", ("below", 0.1))]),
        ("validation_data", "val.npy"),
        ("callbacks", "early_stopping"),
        ("device", 0),
        ("arch", 3),
    ],
)
def test_invalid_parameters_raise_before_any_work(blobs, name, value):
    X, y = blobs
    clf = tiny(**{name: value})
    with pytest.raises(InvalidParameterError, match=rf"The '{name}' parameter of CNNClassifier"):
        clf.fit(X, y)
    assert not hasattr(clf, "input_shape_")  # the images were not even looked at
    with pytest.raises(InvalidParameterError, match=rf"The '{name}' parameter of CNNClassifier"):
        clf.partial_fit(X, y)  # even epochs and warm_start, which partial_fit overrides
    assert issubclass(InvalidParameterError, ValueError)


def test_numpy_scalars_and_keras_objects_are_valid_parameters(blobs):
    X, y = blobs
    clf = tiny(
        epochs=np.int64(1),
        batch_size=np.int32(25),
        learning_rate=np.float32(1e-3),
        shuffle=np.bool_(False),
        nesterov=np.bool_(False),
        dense_activation=keras.activations.relu,
        conv_initializer=keras.initializers.HeNormal(seed=0),
        max_pixel=np.array([8.0, 8.0, 8.0]),
        random_state=np.random.RandomState(0),
    ).fit(X, y)
    assert len(clf.history_["loss"]) == 1
    assert int(clf.model_.optimizer.iterations) == 2  # 50 images, batches of 25


def test_bad_prediction_input_raises(fitted, blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="has 1 channel"):
        fitted.predict(X[..., :1])
    with pytest.raises(ValueError, match="12x12 pixel images but the classifier was fitted"):
        fitted.predict_proba(X[:, :12, :12])
    with pytest.raises(ValueError, match="non-finite pixels"):
        fitted.predict(np.full((1, 16, 16, 3), np.nan))
    with pytest.raises(Exception, match="not fitted"):
        CNNClassifier().predict(X)


def test_requesting_a_missing_gpu_raises(blobs):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible")
    with pytest.raises(ValueError, match="backend sees 0 GPU"):
        tiny(device="gpu").fit(*blobs)


def test_import_skbia_does_not_import_tensorflow():
    code = (
        "import sys, skbia; skbia.__version__; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
