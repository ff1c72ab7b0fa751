import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skbia.callbacks import MetricThresholdStop, infer_mode, make_callbacks  # noqa: E402


class _FakeModel:
    stop_training = False


def _run_fake_training(callback, values, key="metric"):
    """Mimic Keras' loop: stop after the epoch whose callback set stop_training."""
    model = _FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(values):
        epochs_run += 1
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            break
    return epochs_run


@pytest.mark.parametrize(
    ("mode", "threshold", "values", "expected_stop"),
    [
        ("above", 0.9, [0.5, 0.8, 0.9, 0.95, 0.99], 3),  # 0.9 is not strictly above
        ("below", 0.1, [0.5, 0.3, 0.1, 0.05, 0.01], 3),
        ("above", 0.99, [0.5, 0.6], None),
    ],
)
def test_threshold_stop_at_exact_epoch(mode, threshold, values, expected_stop):
    stop = MetricThresholdStop("metric", threshold, mode=mode)
    epochs_run = _run_fake_training(stop, values)
    assert stop.stopped_epoch == expected_stop
    assert epochs_run == (len(values) if expected_stop is None else expected_stop + 1)


def test_threshold_stop_in_keras_fit_with_controlled_loss():
    # lr=0 keeps the loss constant, so "loss below (loss + 1)" fires after the first epoch
    # and "loss above (loss + 1)" never does.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.ones((8, 3), dtype="float32")
    y = np.full((8, 1), 2.0, dtype="float32")
    loss0 = float(model.evaluate(x, y, verbose=0))
    below = MetricThresholdStop("loss", loss0 + 1.0, mode="below")
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[below])
    assert len(history.history["loss"]) == 1 and below.stopped_epoch == 0
    above = MetricThresholdStop("loss", loss0 + 1.0, mode="above")
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[above])
    assert len(history.history["loss"]) == 3 and above.stopped_epoch is None


def test_threshold_stop_missing_metric_raises():
    stop = MetricThresholdStop("val_loss", 0.1, mode="below")
    with pytest.raises(ValueError, match="'val_loss', which is not among the logged metrics"):
        _run_fake_training(stop, [0.5], key="loss")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"monitor": "loss", "threshold": 0.1, "mode": "over"}, "mode must be one of"),
        ({"monitor": "loss", "threshold": float("nan")}, "finite"),
        ({"monitor": "", "threshold": 0.1}, "monitor"),
    ],
)
def test_threshold_stop_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MetricThresholdStop(**kwargs)


@pytest.mark.parametrize(
    ("monitor", "mode"),
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("binary_accuracy", "max"),
        ("val_binary_accuracy", "max"),
        ("accuracy", "max"),
        ("f1_score", "max"),
        ("val_f1_score", "max"),
    ],
)
def test_early_stopping_mode_inference(monitor, mode):
    (early,) = make_callbacks(patience=3, monitor=monitor)
    assert isinstance(early, keras.callbacks.EarlyStopping)
    assert early.mode == mode and early.patience == 3 and early.monitor == monitor
    assert infer_mode(monitor) == mode


def test_infer_mode_unknown_metric():
    with pytest.raises(ValueError, match="minimized or maximized"):
        make_callbacks(patience=2, monitor="mystery")


@pytest.mark.parametrize("patience", [0, None])
def test_no_early_stopping_without_patience(patience):
    assert make_callbacks(patience=patience) == []


def test_make_callbacks_thresholds_and_restore():
    callbacks = make_callbacks(
        patience=2,
        monitor="val_loss",
        thresholds={"binary_accuracy": ("above", 0.99), "loss": ("below", 0.01)},
        restore_best_weights=True,
    )
    early, acc_stop, loss_stop = callbacks
    assert early.restore_best_weights
    assert (acc_stop.monitor, acc_stop.mode) == ("binary_accuracy", "above")
    assert acc_stop.threshold == 0.99
    assert (loss_stop.monitor, loss_stop.mode, loss_stop.threshold) == ("loss", "below", 0.01)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"patience": -1}, "patience"),
        ({"patience": 1.5}, "patience"),
        ({"patience": 0, "thresholds": {"loss": 0.1}}, r"\(mode, threshold\) pair"),
        ({"patience": 0, "thresholds": {"loss": ("under", 0.1)}}, "mode must be one of"),
    ],
)
def test_make_callbacks_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_callbacks(**kwargs)
