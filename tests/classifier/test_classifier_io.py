"""CNNClassifier persistence: save/load to one .keras file, pickle and joblib round trips."""

from __future__ import annotations

import pickle
import zipfile

import joblib
import keras
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skbia import CNNClassifier


def io_net(
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
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.layers.Dropout(dropout)(x)


@pytest.fixture(scope="module")
def fitted(blobs):
    """AlexNet (slim) with a crop, per-band scaling, a weighted loss and string labels."""
    X, y = blobs
    labels = np.where(y == 1, "lens", "other")
    clf = CNNClassifier(
        arch="alexnet",
        filter_scale=1 / 32,
        image_size=12,
        min_pixel=-3.0,
        max_pixel=[8.0, 9.0, 10.0],
        loss="weighted_binary_crossentropy",
        positive_label="lens",
        positive_weight=3.0,
        optimizer="sgd",
        decay=0.01,
        class_weight="balanced",
        stop_thresholds={"loss": ("below", 1e-4)},
        epochs=2,
        batch_size=16,
        random_state=np.random.RandomState(3),
        validation_data=(X[:10], labels[:10]),
        model__filters_1=64,
        run_eagerly=True,
    )
    return clf.fit(X, labels)


def test_save_load_predicts_identically_and_keeps_parameters(fitted, blobs, tmp_path):
    X, _ = blobs
    path = tmp_path / "lens_cnn.keras"
    fitted.save(path)
    loaded = CNNClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    assert loaded.classes_.dtype == fitted.classes_.dtype
    assert loaded.history_ == fitted.history_
    assert loaded.input_shape_ == (16, 16, 3)
    original = fitted.get_params()
    restored = loaded.get_params()
    assert restored["validation_data"] is None  # data is not part of a model
    assert isinstance(restored["random_state"], int)  # the seed the RandomState gave
    for name in set(original) - {"validation_data", "random_state"}:
        assert restored[name] == original[name], name
    assert isinstance(restored["stop_thresholds"]["loss"], tuple)


def test_saved_file_is_a_plain_keras_archive_loaded_in_safe_mode(fitted, blobs, tmp_path):
    X, _ = blobs
    path = tmp_path / "model.keras"
    fitted.save(path)
    with zipfile.ZipFile(path) as archive:
        assert "skbia.json" in archive.namelist()
    model = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        model.predict(X, verbose=0)[:, 0], fitted.predict_proba(X)[:, 1], rtol=1e-6
    )


def test_loaded_classifier_trains_further_with_warm_start(fitted, blobs, tmp_path):
    X, y = blobs
    labels = np.where(y == 1, "lens", "other")
    path = tmp_path / "model.keras"
    fitted.save(path)
    loaded = CNNClassifier.load(path)
    steps = int(loaded.model_.optimizer.iterations)
    assert steps == int(fitted.model_.optimizer.iterations) > 0  # optimizer state kept
    weights = [w.copy() for w in loaded.model_.get_weights()]
    loaded.set_params(warm_start=True, epochs=1).fit(X, labels)
    assert len(loaded.history_["loss"]) == len(fitted.history_["loss"]) + 1
    assert int(loaded.model_.optimizer.iterations) > steps
    after = loaded.model_.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(weights, after, strict=True))


def test_custom_builder_is_saved_by_import_path(blobs, tmp_path):
    X, y = blobs
    clf = CNNClassifier(
        arch=io_net, model__width=3, min_pixel=-3, max_pixel=8, epochs=1, run_eagerly=True
    ).fit(X, y)
    clf.save(tmp_path / "custom.keras")
    with pytest.raises(ValueError, match=r"never imports code.*trusted=\[io_net\]"):
        CNNClassifier.load(tmp_path / "custom.keras")  # a user callable needs the user's say-so
    loaded = CNNClassifier.load(tmp_path / "custom.keras", trusted=[io_net])
    assert loaded.arch is io_net and loaded.get_params()["model__width"] == 3
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("dumps", ["pickle", "joblib"])
def test_pickle_and_joblib_round_trips_predict_identically(fitted, blobs, tmp_path, dumps):
    X, _ = blobs
    if dumps == "pickle":
        copy = pickle.loads(pickle.dumps(fitted))
    else:
        joblib.dump(fitted, tmp_path / "clf.joblib")
        copy = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(copy.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(copy.classes_, fitted.classes_)


def test_load_rejects_files_that_are_not_skbia_models(fitted, tmp_path):
    with pytest.raises(FileNotFoundError, match="No saved model"):
        CNNClassifier.load(tmp_path / "missing.keras")
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    with pytest.raises(ValueError, match="is not a saved skbia model"):
        CNNClassifier.load(text)
    plain = tmp_path / "plain.keras"
    fitted.model_.save(plain)
    with pytest.raises(ValueError, match="plain Keras model file"):
        CNNClassifier.load(plain)


def test_save_errors(fitted, tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        CNNClassifier().save(tmp_path / "x.keras")
    with pytest.raises(ValueError, match="must end in '.keras'"):
        fitted.save(tmp_path / "model.h5")
    lambda_arch = CNNClassifier(arch=lambda inputs, **kw: inputs)
    lambda_arch.model_ = fitted.model_
    with pytest.raises(TypeError, match="lambdas and nested functions cannot"):
        lambda_arch.save(tmp_path / "lambda.keras")
