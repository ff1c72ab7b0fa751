"""CNNClassifier's lens-finding options: online augmentation, stretches, test-time symmetry."""

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skbia import CNNClassifier, ImageAugmenter
from skbia.augmentation import dihedral_view
from skbia.utils import estimate_background_noise


def mean_pool_net(inputs, **_):
    """Features: the mean of each band over all pixels (exactly rotation-invariant)."""
    return keras.layers.GlobalAveragePooling2D()(inputs)


def small_conv_net(inputs, **_):
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    return keras.layers.Flatten()(x)


FAST = dict(batch_size=8, epochs=2, random_state=0, verbose=0, run_eagerly=True)


class RecordingAugmenter(ImageAugmenter):
    """An ImageAugmenter that remembers every batch it augments and what it made of it."""

    seen: list[np.ndarray] = []
    made: list[np.ndarray] = []

    def _augment(self, images, labels, rng):
        RecordingAugmenter.seen.append(np.array(images, copy=True))
        out = super()._augment(images, labels, rng)
        RecordingAugmenter.made.append(np.array(out, copy=True))
        return out


@pytest.fixture
def recording():
    RecordingAugmenter.seen, RecordingAugmenter.made = [], []
    return RecordingAugmenter


def _rows(batches):
    return np.concatenate(batches) if batches else np.empty((0,))


def _source_of(row, images):
    """Index of the image of which ``row`` is an exact dihedral view, or None."""
    for index, image in enumerate(images):
        if any(np.array_equal(row, dihedral_view(image[None], k)[0]) for k in range(8)):
            return index
    return None


def test_online_augmentation_never_touches_validation_or_prediction_images(blobs, recording):
    X, y = blobs
    X_train, y_train, X_val, y_val = X[:40], y[:40], X[40:], y[40:]
    clf = CNNClassifier(
        arch=small_conv_net, augmentation=recording(dihedral=True), min_pixel=-3, max_pixel=8,
        **FAST,
    ).fit(X_train, y_train, validation_data=(X_val, y_val))
    seen = _rows(recording.seen)
    # every training image once per epoch for 2 epochs (Keras may also peek at a batch)
    assert len(seen) >= 2 * len(X_train)
    sources = [_source_of(row, X_train) for row in _rows(recording.made)]
    assert None not in sources  # every augmented image is a view of a training image
    assert not any(_source_of(row, X_val) is not None for row in _rows(recording.made))
    assert not any(any(np.array_equal(row, v) for v in X_val) for row in seen)
    assert set(sources) == set(range(len(X_train)))
    recording.seen = []
    clf.predict_proba(X_val)
    clf.predict(X)
    assert recording.seen == []  # prediction never augments


def test_online_epochs_differ_and_runs_repeat(blobs, recording):
    X, y = blobs
    params = dict(arch=small_conv_net, augmentation=recording(dihedral=True), **FAST)
    CNNClassifier(**params).fit(X, y)
    first = _rows(recording.made)
    recording.made = []
    CNNClassifier(**params).fit(X, y)
    second = _rows(recording.made)
    np.testing.assert_array_equal(first, second)  # same random_state, same images
    # two epochs of fresh views: far more distinct images than one epoch holds
    distinct = np.unique(first.reshape(len(first), -1), axis=0)
    assert len(distinct) > 1.5 * len(X)


def test_balance_ratio_oversamples_the_lenses_each_epoch(blobs, recording):
    X, y = blobs  # 10 positives, 40 negatives
    CNNClassifier(
        arch=small_conv_net, augmentation=recording(dihedral=True), balance_ratio=1.0, **FAST
    ).fit(X, y)
    labels = [y[_source_of(row, X)] for row in _rows(recording.made)]
    assert len(labels) >= 2 * (40 + 40)  # (Keras may peek at one more batch)
    assert abs(np.mean(labels) - 0.5) < 0.1  # lenses served as often as the others


def test_tta_of_a_rotation_invariant_model_equals_its_plain_prediction(blobs):
    X, y = blobs
    plain = CNNClassifier(arch=mean_pool_net, normalize=False, **FAST).fit(X, y)
    with_tta = clone(plain).set_params(tta="dihedral").fit(X, y)
    np.testing.assert_allclose(with_tta.predict_proba(X), plain.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize(("tta", "elements"), [("dihedral", range(8)), ("flips", (0, 4, 6, 2))])
def test_tta_is_the_mean_of_the_views(blobs, tta, elements):
    X, y = blobs
    clf = CNNClassifier(arch=small_conv_net, min_pixel=-3, max_pixel=8, **FAST).fit(X, y)
    views = [clf.predict_proba(np.ascontiguousarray(dihedral_view(X, k))) for k in elements]
    clf.set_params(tta=tta)
    np.testing.assert_allclose(clf.predict_proba(X), np.mean(views, axis=0), atol=1e-6)
    assert not np.allclose(views[0], views[1])  # the model is not invariant: TTA matters


def test_dihedral_tta_rejects_non_square_images_before_training():
    X = np.zeros((12, 16, 20, 3), np.float32)
    y = np.r_[np.ones(4, int), np.zeros(8, int)]
    clf = CNNClassifier(arch=small_conv_net, tta="dihedral", **FAST)
    with pytest.raises(ValueError, match="square"):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")


@pytest.mark.parametrize("scaling", ["asinh", "sqrt"])
def test_stretch_softening_is_learned_at_fit_and_survives_save_load(blobs, tmp_path, scaling):
    X, y = blobs
    clf = CNNClassifier(arch=small_conv_net, scaling=scaling, **FAST).fit(X, y)
    np.testing.assert_allclose(clf.softening_, estimate_background_noise(X))
    assert clf.model_.get_layer(f"{scaling}_stretch") is not None
    clf.save(tmp_path / "model.keras")
    loaded = CNNClassifier.load(tmp_path / "model.keras", trusted=[small_conv_net])
    assert loaded.softening_ == clf.softening_
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_user_softening_is_broadcast_per_band_and_checked(blobs):
    X, y = blobs
    clf = CNNClassifier(arch=small_conv_net, scaling="asinh", softening=0.5, **FAST).fit(X, y)
    assert clf.softening_ == [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="softening has 2 values"):
        clone(clf).set_params(softening=[1.0, 2.0]).fit(X, y)
    with pytest.raises(InvalidParameterError, match="softening"):
        clone(clf).set_params(softening=-1.0).fit(X, y)


def test_augmentation_and_tta_are_saved_with_the_model(blobs, tmp_path):
    X, y = blobs
    augmenter = ImageAugmenter(dihedral=True, shift=2, mask_size=3)
    clf = CNNClassifier(
        arch=small_conv_net, augmentation=augmenter, balance_ratio=0.5, tta="flips", **FAST
    ).fit(X, y)
    clf.save(tmp_path / "model.keras")
    loaded = CNNClassifier.load(tmp_path / "model.keras", trusted=[small_conv_net])
    assert loaded.tta == "flips" and loaded.balance_ratio == 0.5
    assert loaded.augmentation.get_params() == augmenter.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(balance_ratio=0.5), "balance_ratio applies to online augmentation"),
        (dict(augmentation=ImageAugmenter(), validation_split=0.2), "validation_split"),
        (dict(scaling="asinh", normalize=False), "normalize=True"),
    ],
)
def test_inconsistent_lens_finding_options_raise_before_training(blobs, params, match):
    X, y = blobs
    clf = CNNClassifier(arch=small_conv_net, **{**FAST, **params})
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")


@pytest.mark.parametrize(
    "params",
    [dict(scaling="log"), dict(tta="rot90"), dict(balance_ratio=1.5), dict(augmentation="flip")],
)
def test_bad_lens_finding_parameters_are_named(blobs, params):
    X, y = blobs
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        CNNClassifier(arch=small_conv_net, **{**FAST, **params}).fit(X, y)
