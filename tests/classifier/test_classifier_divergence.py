"""A diverged network never looks usable: a late blow-up raises, NaN is never a score."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from skbia import CNNClassifier


class PoisonWeights(keras.callbacks.Callback):
    """Set the output kernel to ``value`` at the end of epoch ``epoch``: a blow-up on demand.

    Which learning rate makes a network diverge depends on the backend's numerics; this
    reproduces the failure the same way on every backend.
    """

    def __init__(self, epoch: int, value: float = np.nan):
        super().__init__()
        self.epoch, self.value = epoch, value

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            kernel = self.model.get_layer("output").kernel
            kernel.assign(np.full(kernel.shape, self.value, dtype="float32"))


def _alexnet(**params):
    settings = dict(arch="alexnet", filter_scale=1 / 32, min_pixel=-3, max_pixel=8, epochs=2,
                    batch_size=64, random_state=0, verbose=0)
    return CNNClassifier(**{**settings, **params})


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e30])
def test_a_blow_up_in_the_last_update_raises_although_the_logged_loss_is_finite(blobs, value):
    X, y = blobs
    clf = _alexnet(callbacks=[PoisonWeights(epoch=1, value=value)])
    with pytest.raises(FloatingPointError, match="last update of epoch 2"):
        clf.fit(X, y)
    assert np.isfinite(clf.history_["loss"]).all()  # the case the loss guard cannot see


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="the learning rate that blows up in one step is TensorFlow's numerics")
def test_sgd_at_a_huge_rate_with_one_batch_per_epoch_raises(blobs):
    X, y = blobs  # the case as reported: one batch per epoch, the last step diverges
    clf = _alexnet(optimizer="sgd", learning_rate=1e4)
    with pytest.raises(FloatingPointError, match="last update of epoch 2"):
        clf.fit(X, y)


def test_a_loss_that_turns_non_finite_stops_training_in_that_epoch(blobs):
    X, y = blobs
    clf = _alexnet(epochs=6, callbacks=[PoisonWeights(epoch=1)])
    with pytest.raises(FloatingPointError, match="Training diverged"):
        clf.fit(X, y)
    if keras.backend.backend() == "torch":
        return  # PyTorch's cross-entropy raises at the NaN outputs: no history is recorded
    losses = np.asarray(clf.history_["loss"])
    assert len(losses) == 3 and np.isfinite(losses[:2]).all() and not np.isfinite(losses[2])


def test_predict_proba_and_score_refuse_nan_outputs(blobs):
    X, y = blobs
    clf = _alexnet(epochs=1).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    kernel = clf.model_.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))
    with pytest.raises(FloatingPointError, match=r"NaN or infinity for 50 of 50 images"):
        clf.predict_proba(X)
    with pytest.raises(FloatingPointError):
        clf.predict(X)
    with pytest.raises(FloatingPointError):
        clf.score(X, y)


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="Keras' torch backend warns at every conversion to numpy, predict's too")
def test_the_finite_check_reads_the_weights_without_a_numpy_warning(blobs):
    # converting Keras variables to numpy warns once per weight on TensorFlow and JAX
    import warnings

    from skbia.classifier._training import _check_model_finite

    clf = _alexnet(epochs=1).fit(*blobs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check_model_finite(clf.model_, blobs[0], 1)
