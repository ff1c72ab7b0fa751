"""One positive class for the whole package: the classifier follows resolve_positive_label."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from imblearn.pipeline import make_pipeline

from skbia import CNNClassifier, ImageAugmenter
from skbia.losses import WeightedBinaryCrossentropy, get_loss


def _tiny(**params):
    settings = dict(arch="compact", filter_scale=0.25, epochs=1, batch_size=16, random_state=0,
                    verbose=0)
    return CNNClassifier(**{**settings, **params})


@pytest.fixture(scope="module")
def strings(blobs):
    X, y = blobs
    return X, np.where(y == 1, "lens", "other")


def test_zero_one_labels_make_one_positive(blobs):
    X, y = blobs
    assert _tiny().fit(X, y).positive_label_ == 1
    assert _tiny().fit(X, y == 1).positive_label_ is True


def test_string_labels_with_a_weighted_loss_need_positive_label(strings):
    X, labels = strings
    for params in ({"loss": "weighted_binary_crossentropy", "positive_weight": 3.0},
                   {"loss": "focal", "focal_alpha": 0.9}):
        with pytest.raises(ValueError, match=r"'lens' and 'other'; set positive_label"):
            _tiny(**params).fit(X, labels)
    # an unweighted loss treats both classes alike: scikit-learn's classes_[1] convention
    assert _tiny().fit(X, labels).positive_label_ == "other"


def test_the_named_positive_class_gets_the_weight(strings):
    X, labels = strings
    clf = _tiny(loss="weighted_binary_crossentropy", positive_weight=3.0,
                positive_label="lens").fit(X, labels)
    assert clf.positive_label_ == "lens" and clf.classes_.tolist() == ["lens", "other"]
    # the sigmoid is P(classes_[1] = 'other'), so the weighted term is encoded label 0
    assert clf.model_.loss.weighted_label == 0
    focal = _tiny(loss="focal", focal_alpha=0.9, positive_label="lens").fit(X, labels)
    assert focal.model_.loss.alpha == pytest.approx(0.1)  # 0.9 for 'lens' = label 0


def test_positive_label_must_be_a_class_and_binary(strings, blobs):
    X, labels = strings
    with pytest.raises(ValueError, match=r"positive_label='galaxy' is not one of the classes"):
        _tiny(positive_label="galaxy").fit(X, labels)
    with pytest.raises(ValueError, match="not one of the classes"):
        _tiny(positive_label="1").fit(*blobs)  # a string never names the number 1
    y3 = np.arange(len(labels)) % 3
    with pytest.raises(ValueError, match="only applies to two classes; y has 3"):
        _tiny(positive_label=1).fit(X, y3)
    assert _tiny().fit(X, y3).positive_label_ is None


def test_positive_label_survives_save_load_and_pickle(strings, tmp_path):
    import pickle

    X, labels = strings
    clf = _tiny(loss="weighted_binary_crossentropy", positive_weight=2.0,
                positive_label="lens").fit(X, labels)
    clf.save(tmp_path / "model.keras")
    loaded = CNNClassifier.load(tmp_path / "model.keras")
    assert loaded.positive_label_ == "lens" and loaded.model_.loss.weighted_label == 0
    assert pickle.loads(pickle.dumps(clf)).positive_label_ == "lens"


def test_augmenter_and_classifier_agree_in_a_pipeline(strings):
    X, labels = strings
    pipeline = make_pipeline(
        ImageAugmenter(n_copies=2, rotation=True, positive_label="lens", random_state=0),
        _tiny(loss="weighted_binary_crossentropy", positive_weight=2.0, positive_label="lens"),
    ).fit(X, labels)
    augmenter, classifier = pipeline[0], pipeline[-1]
    assert augmenter.positive_label_ == classifier.positive_label_ == "lens"


def test_mirrored_weighted_loss_is_the_weighted_loss_of_flipped_labels():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(32, 1)).astype("float32")
    p = rng.uniform(0.01, 0.99, size=(32, 1)).astype("float32")
    direct = WeightedBinaryCrossentropy(positive_weight=3.0, weighted_label=0)(y, p)
    flipped = WeightedBinaryCrossentropy(positive_weight=3.0)(1 - y, 1 - p)
    np.testing.assert_allclose(float(direct), float(flipped), rtol=1e-6)
    logits = np.log(p / (1 - p))
    from_logits = WeightedBinaryCrossentropy(3.0, weighted_label=0, from_logits=True)(y, logits)
    np.testing.assert_allclose(float(from_logits), float(direct), rtol=1e-4)
    with pytest.raises(ValueError, match="weighted_label must be 0 or 1"):
        WeightedBinaryCrossentropy(weighted_label=2)
    restored = keras.losses.deserialize(keras.losses.serialize(
        WeightedBinaryCrossentropy(3.0, weighted_label=0)))
    assert restored.weighted_label == 0


def test_focal_alpha_weights_the_positive_class():
    assert get_loss("focal", n_classes=2, focal_alpha=0.8).alpha == pytest.approx(0.8)
    assert get_loss("focal", n_classes=2, focal_alpha=0.8, positive_index=0).alpha == (
        pytest.approx(0.2))


def test_make_lens_finder_gives_the_classifier_and_its_augmenter_one_positive_label(strings):
    from skbia import make_lens_finder

    X, labels = strings
    finder = make_lens_finder(positive_label="lens", random_state=0, image_size=None,
                              filter_scale=0.25, epochs=1, tta=None, verbose=0, n_members=1,
                              min_training_auc=None)
    assert finder.positive_label == finder.augmentation.positive_label == "lens"
    assert finder.fit(X, labels).positive_label_ == "lens"
    assert make_lens_finder(n_members=1).augmentation.positive_label is None
    ensemble = make_lens_finder(positive_label="lens")
    assert ensemble.estimator.positive_label == "lens"
    assert ensemble.estimator.augmentation.positive_label == "lens"
