"""recalibrate_batch_norm: moving statistics recomputed for the final weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from skbia import CNNClassifier, ImageAugmenter
from skbia.classifier._batch_norm import batch_norm_layers, recalibrate_batch_norm


def bn_on_pixels(inputs, **_):
    """Batch norm straight on the (unscaled) pixels, then the mean of each band."""
    x = keras.layers.BatchNormalization(name="pixel_bn")(inputs)
    return keras.layers.GlobalAveragePooling2D()(x)


def _fit(X, y, **params):
    base = dict(arch=bn_on_pixels, normalize=False, epochs=2, batch_size=16, shuffle=False,
                run_eagerly=True, random_state=0)
    base.update(params)
    return CNNClassifier(**base).fit(X, y)


def _moving(clf):
    layer = clf.model_.get_layer("pixel_bn")
    return (keras.ops.convert_to_numpy(layer.moving_mean),
            keras.ops.convert_to_numpy(layer.moving_variance))


def test_moving_statistics_become_the_mean_of_the_batch_statistics(blobs):
    X, y = blobs
    clf = _fit(X, y, recalibrate_batch_norm=True)
    batches = [X[start:start + 16] for start in range(0, len(X), 16)]  # shuffle=False
    means = np.mean([b.mean(axis=(0, 1, 2)) for b in batches], axis=0)
    variances = np.mean([b.var(axis=(0, 1, 2)) for b in batches], axis=0)
    moving_mean, moving_variance = _moving(clf)
    np.testing.assert_allclose(moving_mean, means, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(moving_variance, variances, rtol=1e-3, atol=1e-5)
    # Keras' own average after 8 steps is still mostly its initial value (0 and 1)
    plain_mean, _ = _moving(_fit(X, y))
    assert not np.allclose(plain_mean, means, rtol=1e-2, atol=1e-3)


def test_recalibration_changes_no_trainable_weight_and_restores_the_momentum(blobs):
    X, y = blobs
    clf = _fit(X, y)
    before = [keras.ops.convert_to_numpy(w).copy() for w in clf.model_.trainable_weights]
    layers = batch_norm_layers(clf.model_)
    assert [layer.name for layer in layers] == ["pixel_bn"]
    n = recalibrate_batch_norm(clf.model_, [X[:16], X[16:32]])
    assert n == 2 and layers[0].momentum == pytest.approx(0.99)
    after = [keras.ops.convert_to_numpy(w) for w in clf.model_.trainable_weights]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)


def test_a_model_without_batch_norm_is_left_alone(blobs):
    X, y = blobs
    clf = CNNClassifier(arch="compact", regularizer=None, filter_scale=1 / 16, min_pixel=-3,
                        max_pixel=3, epochs=1, run_eagerly=True, random_state=0).fit(X, y)
    assert recalibrate_batch_norm(clf.model_, [X[:16]]) == 0


def test_online_augmentation_recalibrates_on_fresh_balanced_batches_and_reproduces(blobs):
    X, y = blobs
    params = dict(augmentation=ImageAugmenter(dihedral=True), balance_ratio=1.0,
                  recalibrate_batch_norm=True, shuffle=True)
    first, second = _fit(X, y, **params), _fit(X, y, **params)
    np.testing.assert_array_equal(_moving(first)[0], _moving(second)[0])
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
