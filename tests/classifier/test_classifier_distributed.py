"""device="mirrored": data-parallel training with tf.distribute.MirroredStrategy.

CI has no GPU, so the test splits the CPU into two logical devices (which must
happen before TensorFlow starts, hence a fresh interpreter) and trains across
both replicas.

The images are standardized noise fed without min-max scaling
(``normalize=False``), so the activations have variances near 1, where the
batch-norm moving variances start. Scaled to [0, 1] their variances are 1e-3 to
1e-1, while the 48 steps of this tiny run leave every moving variance at about
0.99**48 = 62% of its initial 1: predictions, which use the moving statistics,
then come from a network other than the trained one, and their AUC ranges from 0
to 1 with the seed and the TensorFlow version, on one device as on two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from skbia import CNNClassifier

REPO = str(Path(__file__).resolve().parents[2])

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    from sklearn.metrics import roc_auc_score
    from skbia import CNNClassifier

    rng = np.random.default_rng(0)
    y = (np.arange(96) % 4 == 0).astype(int)
    yy, xx = np.mgrid[:16, :16] - 7.5
    blob = (6 * np.exp(-(xx**2 + yy**2) / 8))[None, :, :, None].astype("float32")
    X, X_new = (rng.normal(size=(96, 16, 16, 3)).astype("float32") + blob * y[:, None, None, None]
                for _ in range(2))
    # normalize=False: the pixels are standardized noise, so the batch-norm moving statistics
    # start near the activations' (0, 1) and predictions follow the trained network
    clf = CNNClassifier(arch="alexnet", filter_scale=1 / 16, normalize=False, epochs=8,
                        batch_size=16, learning_rate=1e-3, device="mirrored", random_state=0,
                        verbose=0).fit(X, y)
    proba = clf.predict_proba(X)[:, 1]
    strategy = clf.model_.distribute_strategy
    norms = [layer for layer in clf.model_.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    copies = {}  # each replica's copy of every batch-norm moving statistic
    for layer in norms:
        for kind in ("moving_mean", "moving_variance"):
            values = strategy.experimental_local_results(getattr(layer, kind).value)
            copies[f"{layer.name}.{kind}"] = [np.asarray(value) for value in values]
    clf.save(sys.argv[1])
    loaded = CNNClassifier.load(sys.argv[1])
    loaded_proba = loaded.predict_proba(X)[:, 1]
    warm = loaded.set_params(warm_start=True, epochs=1).fit(X, y)
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "loaded_replicas": loaded.model_.distribute_strategy.num_replicas_in_sync,
        "synchronized": [layer.synchronized for layer in norms],
        "moving_copies": sorted({len(values) for values in copies.values()}),
        "moving_spread": max(float(np.abs(value - values[0]).max())
                             for values in copies.values() for value in values),
        "variances_left_at_1": [name for name, values in copies.items()
                                if name.endswith("variance") and np.allclose(values[0], 1.0)],
        "auc": roc_auc_score(y, proba),
        "auc_new_images": roc_auc_score(y, clf.predict_proba(X_new)[:, 1]),
        "max_load_diff": float(abs(loaded_proba - proba).max()),
        "warm_epochs": len(warm.history_["loss"]),
    }))
    """
)


def test_mirrored_training_runs_on_two_replicas_and_saves_exactly(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    env["KERAS_BACKEND"] = "tensorflow"  # MirroredStrategy, whatever backend the suite runs on
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "model.keras")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["loaded_replicas"] == 2  # a mirrored model loads mirrored
    assert report["synchronized"] and all(report["synchronized"])
    # every replica holds the same batch-norm moving statistics, and training moved them
    assert report["moving_copies"] == [2]
    assert report["moving_spread"] == 0.0
    assert report["variances_left_at_1"] == []
    assert report["auc"] > 0.9
    assert report["auc_new_images"] > 0.9
    assert report["max_load_diff"] == 0.0
    assert report["warm_epochs"] == 9


def test_unknown_device_names_the_choices():
    with pytest.raises(ValueError, match="'mirrored'"):
        CNNClassifier(device="tpu").fit([[[[0.0]]]], [0])
