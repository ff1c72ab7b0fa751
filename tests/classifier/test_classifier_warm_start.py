"""Warm starts after set_params: compile parameters reach the live model, network changes raise."""

from __future__ import annotations

import pickle

import keras
import numpy as np
import pytest

from skbia import CNNClassifier
from skbia.classifier._warm_start import (
    ARCHITECTURE_PARAMS,
    COMPILE_PARAMS,
    apply_warm_start_changes,
)


def _fitted(X, y, **params):
    settings = dict(arch="compact", filter_scale=0.25, epochs=1, batch_size=16, random_state=0,
                    verbose=0)
    return CNNClassifier(**{**settings, **params}).fit(X, y)


def _loss_summary(model):
    loss = model.loss
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    return type(loss).__name__, getattr(getattr(loss, "fn", None), "__name__", None), config


@pytest.fixture(scope="module")
def base(blobs):
    return _fitted(*blobs)


def test_a_new_learning_rate_alone_keeps_the_optimizer_and_its_state(blobs):
    X, y = blobs
    clf = _fitted(X, y)
    optimizer = clf.model_.optimizer
    steps = int(optimizer.iterations)
    clf.set_params(warm_start=True, learning_rate=1e-5).fit(X, y)
    assert clf.model_.optimizer is optimizer
    assert float(optimizer.learning_rate) == pytest.approx(1e-5)
    assert int(optimizer.iterations) == 2 * steps  # the moments and count carried on


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"optimizer": "sgd"}, lambda m: type(m.optimizer).__name__ == "SGD"),
        ({"optimizer": "sgd", "momentum": 0.7},
         lambda m: float(m.optimizer.momentum) == pytest.approx(0.7)),
        ({"optimizer": "sgd", "nesterov": True}, lambda m: bool(m.optimizer.nesterov)),
        ({"decay": 0.5}, lambda m: "InverseTimeDecay" in type(m.optimizer._learning_rate).__name__),
        ({"learning_rate": 0.02, "optimizer": "rmsprop"},
         lambda m: type(m.optimizer).__name__ == "RMSprop"
         and float(m.optimizer.learning_rate) == pytest.approx(0.02)),
        ({"optimizer__beta_1": 0.5}, lambda m: float(m.optimizer.beta_1) == pytest.approx(0.5)),
        ({"loss": "focal"}, lambda m: _loss_summary(m)[1] == "binary_focal_crossentropy"),
        ({"loss": "focal", "focal_gamma": 3.5},
         lambda m: _loss_summary(m)[2].get("gamma") == pytest.approx(3.5)),
        ({"loss": "focal", "focal_alpha": 0.6},
         lambda m: _loss_summary(m)[2].get("alpha") == pytest.approx(0.6)),
        ({"loss": "weighted_binary_crossentropy", "positive_weight": 4.0},
         lambda m: getattr(m.loss, "positive_weight", None) == pytest.approx(4.0)),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else "",
)
def test_compile_parameters_are_applied_keeping_the_weights(blobs, change, check):
    X, y = blobs
    clf = _fitted(X, y)
    weights = [w.copy() for w in clf.model_.get_weights()]
    clf.set_params(warm_start=True, **change)
    assert apply_warm_start_changes(clf)  # what fit does first: recompile
    assert check(clf.model_)
    for before, after in zip(weights, clf.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    clf.fit(X, y)  # and training runs with the new settings, from those weights
    assert check(clf.model_) and len(clf.history_["loss"]) == 2
    assert apply_warm_start_changes(clf) == []  # nothing left to apply


_NETWORK_CHANGES = {
    "arch": "alexnet",
    "image_size": 8,
    "normalize": False,
    "min_pixel": -1.0,
    "max_pixel": 50.0,
    "scaling": "asinh",
    "softening": 0.5,
    "pooling": "average",
    "regularizer": None,
    "conv_activation": "tanh",
    "dense_activation": "tanh",
    "conv_initializer": "he_normal",
    "dense_initializer": "he_normal",
    "dropout": 0.3,
    "filter_scale": 0.5,
}


def test_every_network_parameter_is_covered():
    assert set(_NETWORK_CHANGES) == set(ARCHITECTURE_PARAMS)
    assert not set(ARCHITECTURE_PARAMS) & set(COMPILE_PARAMS)


@pytest.mark.parametrize("name", sorted(_NETWORK_CHANGES))
def test_network_parameters_cannot_change_on_a_warm_start(base, blobs, name):
    X, y = blobs
    clf = pickle.loads(pickle.dumps(base))  # the recorded build parameters survive pickling
    before = clf.get_params()[name]
    if before == _NETWORK_CHANGES[name]:
        pytest.fail(f"pick a change of {name} that differs from {before!r}")
    weights = [w.copy() for w in clf.model_.get_weights()]
    epochs = len(clf.history_["loss"])
    clf.set_params(warm_start=True, **{name: _NETWORK_CHANGES[name]})
    with pytest.raises(ValueError, match=rf"change the network itself.*{name}: "):
        clf.fit(X, y)
    assert len(clf.history_["loss"]) == epochs  # nothing was trained
    for old, new in zip(weights, clf.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    if name == "image_size":  # set back, the warm start goes on (one case is enough)
        clf.set_params(**{name: before}).fit(X, y)
        assert len(clf.history_["loss"]) == epochs + 1


def test_routed_model_parameters_cannot_change_either(blobs):
    X, y = blobs
    clf = _fitted(X, y, model__filters_1=8)
    with pytest.raises(ValueError, match="model__filters_1: 8 -> 4"):
        clf.set_params(warm_start=True, model__filters_1=4).fit(X, y)


def test_a_loaded_model_applies_a_new_rate_and_refuses_a_new_crop(base, blobs, tmp_path):
    X, y = blobs
    base.save(tmp_path / "model.keras")
    loaded = CNNClassifier.load(tmp_path / "model.keras")
    loaded.set_params(warm_start=True, learning_rate=3e-4).fit(X, y)
    assert float(loaded.model_.optimizer.learning_rate) == pytest.approx(3e-4)
    with pytest.raises(ValueError, match="image_size"):
        loaded.set_params(image_size=10).fit(X, y)


def test_without_warm_start_every_change_builds_a_new_network(base, blobs):
    X, y = blobs
    clf = pickle.loads(pickle.dumps(base))
    clf.set_params(warm_start=False, image_size=8, optimizer="sgd").fit(X, y)
    assert type(clf.model_.optimizer).__name__ == "SGD"
    assert len(clf.history_["loss"]) == 1


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="Keras' dropout on PyTorch draws an unseeded layer's masks from "
                           "torch's global generator, which is not saved with the model")
def test_save_load_and_continue_with_dropout_equals_uninterrupted_training(blobs, tmp_path):
    # the dropout layers' random-generator states are saved with the model; on JAX the
    # shuffling of a continued fit differs from the uninterrupted one (see the docs)
    X, y = blobs
    settings = dict(dropout=0.5, batch_size=16)
    if keras.backend.backend() != "tensorflow":
        settings["shuffle"] = False
    uninterrupted = _fitted(X, y, epochs=2, **settings)
    _fitted(X, y, **settings).save(tmp_path / "half.keras")
    resumed = CNNClassifier.load(tmp_path / "half.keras").set_params(warm_start=True).fit(X, y)
    for a, b in zip(uninterrupted.model_.get_weights(), resumed.model_.get_weights(),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert uninterrupted.history_["loss"] == pytest.approx(resumed.history_["loss"], abs=1e-6)
