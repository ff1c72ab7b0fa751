import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skbia.losses import WeightedBinaryCrossentropy, get_loss  # noqa: E402
from skbia.training_metrics import get_metrics  # noqa: E402


def _binary_data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, 1)) < 0.4).astype("float32")
    y_pred = rng.uniform(0.02, 0.98, size=(n, 1)).astype("float32")
    return y_true, y_pred


def test_weighted_bce_at_weight_one_equals_bce():
    y_true, y_pred = _binary_data()
    ours = float(WeightedBinaryCrossentropy(1.0)(y_true, y_pred))
    plain = float(keras.losses.BinaryCrossentropy()(y_true, y_pred))
    np.testing.assert_allclose(ours, plain, rtol=1e-6)


def test_weighted_bce_scales_only_positive_terms():
    y_true, y_pred = _binary_data()
    weight = 3.5
    per_sample = -(weight * y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
    ours = float(WeightedBinaryCrossentropy(weight)(y_true, y_pred))
    np.testing.assert_allclose(ours, per_sample.mean(), rtol=1e-5)
    pos, neg = y_true[:, 0] == 1, y_true[:, 0] == 0
    loss = WeightedBinaryCrossentropy(weight, reduction=None)
    base = WeightedBinaryCrossentropy(1.0, reduction=None)
    np.testing.assert_allclose(
        np.asarray(loss(y_true[pos], y_pred[pos])),
        weight * np.asarray(base(y_true[pos], y_pred[pos])),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        np.asarray(loss(y_true[neg], y_pred[neg])), np.asarray(base(y_true[neg], y_pred[neg]))
    )


def test_weighted_bce_from_logits_matches_probabilities():
    y_true, y_pred = _binary_data()
    logits = np.log(y_pred / (1 - y_pred))
    a = float(WeightedBinaryCrossentropy(2.0, from_logits=True)(y_true, logits))
    b = float(WeightedBinaryCrossentropy(2.0)(y_true, y_pred))
    np.testing.assert_allclose(a, b, rtol=1e-5)


@pytest.mark.parametrize("weight", [0, -1.0, float("nan"), float("inf")])
def test_weighted_bce_bad_weight(weight):
    with pytest.raises(ValueError, match="positive_weight"):
        WeightedBinaryCrossentropy(weight)


def test_weighted_bce_config_round_trip():
    loss = WeightedBinaryCrossentropy(2.5)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, WeightedBinaryCrossentropy)
    assert restored.positive_weight == 2.5


def test_get_loss_binary_names():
    assert isinstance(get_loss("binary_crossentropy", n_classes=2), keras.losses.BinaryCrossentropy)
    weighted = get_loss("weighted_binary_crossentropy", n_classes=2, positive_weight=4.0)
    assert isinstance(weighted, WeightedBinaryCrossentropy) and weighted.positive_weight == 4.0
    focal = get_loss("focal", n_classes=2, focal_gamma=1.5, focal_alpha=0.6)
    assert isinstance(focal, keras.losses.BinaryFocalCrossentropy)
    assert focal.gamma == 1.5 and focal.alpha == 0.6 and focal.apply_class_balancing


def test_get_loss_focal_with_gamma_zero_and_no_alpha_is_bce():
    y_true, y_pred = _binary_data()
    focal = get_loss("focal", n_classes=2, focal_gamma=0.0, focal_alpha=None)
    bce = keras.losses.BinaryCrossentropy()
    np.testing.assert_allclose(float(focal(y_true, y_pred)), float(bce(y_true, y_pred)), rtol=1e-5)


def test_get_loss_multiclass_names():
    cce = get_loss("categorical_crossentropy", n_classes=3)
    assert isinstance(cce, keras.losses.CategoricalCrossentropy)
    focal = get_loss("focal", n_classes=4)
    assert isinstance(focal, keras.losses.CategoricalFocalCrossentropy)


def test_get_loss_passes_objects_through():
    loss = keras.losses.Hinge()
    assert get_loss(loss, n_classes=2) is loss


@pytest.mark.parametrize(
    ("name", "n_classes", "match"),
    [
        ("mse", 2, "Unknown loss 'mse'; valid losses are 'binary_crossentropy'"),
        ("binary_crossentropy", 3, "binary problems but there are 3 classes"),
        ("weighted_binary_crossentropy", 5, "binary problems"),
        ("categorical_crossentropy", 2, "more than two classes"),
        ("binary_crossentropy", 1, "n_classes"),
    ],
)
def test_get_loss_errors(name, n_classes, match):
    with pytest.raises(ValueError, match=match):
        get_loss(name, n_classes=n_classes)


def test_binary_metrics_names_and_values():
    from sklearn.metrics import accuracy_score, f1_score

    metrics = get_metrics(2)
    assert [m.name for m in metrics] == ["binary_accuracy", "f1_score"]
    y_true, y_pred = _binary_data(n=40, seed=3)
    accuracy, f1 = metrics
    accuracy.update_state(y_true, y_pred)
    f1.update_state(y_true, y_pred)
    labels = (y_pred[:, 0] > 0.5).astype(int)
    np.testing.assert_allclose(float(accuracy.result()), accuracy_score(y_true[:, 0], labels))
    np.testing.assert_allclose(float(f1.result()), f1_score(y_true[:, 0], labels), rtol=1e-5)
    assert np.ndim(f1.result()) == 0


def test_multiclass_metrics_names_and_values():
    from sklearn.metrics import f1_score

    metrics = get_metrics(3)
    assert [m.name for m in metrics] == ["accuracy", "f1_score"]
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, size=30)
    y_true = np.eye(3, dtype="float32")[labels]
    y_pred = rng.dirichlet(np.ones(3), size=30).astype("float32")
    for metric in metrics:
        metric.update_state(y_true, y_pred)
    predicted = y_pred.argmax(axis=1)
    np.testing.assert_allclose(float(metrics[0].result()), np.mean(predicted == labels))
    np.testing.assert_allclose(
        float(metrics[1].result()), f1_score(labels, predicted, average="macro"), rtol=1e-5
    )


def test_history_keys_match_pybia():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss=get_loss("binary_crossentropy", n_classes=2),
                  metrics=get_metrics(2))
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    history = model.fit(x, y, validation_data=(x, y), epochs=1, batch_size=8, verbose=0)
    assert sorted(history.history) == sorted(
        ["loss", "binary_accuracy", "f1_score", "val_loss", "val_binary_accuracy", "val_f1_score"]
    )


@pytest.mark.parametrize("n_classes", [1, 2.5, True])
def test_get_metrics_bad_n_classes(n_classes):
    with pytest.raises(ValueError, match="n_classes"):
        get_metrics(n_classes)
