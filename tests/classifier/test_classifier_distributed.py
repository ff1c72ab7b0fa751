"""device="mirrored": data-parallel training with tf.distribute.MirroredStrategy.

CI has no GPU, so the test splits the CPU into two logical devices (which must
happen before TensorFlow starts, hence a fresh interpreter) and trains across
both replicas.
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
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    from sklearn.metrics import roc_auc_score
    from skbia import CNNClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 16, 16, 3)).astype("float32")
    y = (np.arange(96) % 4 == 0).astype(int)
    yy, xx = np.mgrid[:16, :16] - 7.5
    X[y == 1] += (6 * np.exp(-(xx**2 + yy**2) / 8))[None, :, :, None].astype("float32")
    clf = CNNClassifier(arch="alexnet", filter_scale=1 / 16, min_pixel=-3, max_pixel=8,
                        epochs=8, batch_size=16, learning_rate=1e-3, device="mirrored",
                        random_state=0, verbose=0).fit(X, y)
    proba = clf.predict_proba(X)[:, 1]
    clf.save(sys.argv[1])
    loaded = CNNClassifier.load(sys.argv[1])
    loaded_proba = loaded.predict_proba(X)[:, 1]
    warm = loaded.set_params(warm_start=True, epochs=1).fit(X, y)
    print(json.dumps({
        "replicas": clf.model_.distribute_strategy.num_replicas_in_sync,
        "loaded_replicas": loaded.model_.distribute_strategy.num_replicas_in_sync,
        "synchronized": [layer.synchronized for layer in clf.model_.layers
                         if isinstance(layer, tf.keras.layers.BatchNormalization)],
        "auc": roc_auc_score(y, proba),
        "max_load_diff": float(abs(loaded_proba - proba).max()),
        "warm_epochs": len(warm.history_["loss"]),
    }))
    """
)


def test_mirrored_training_runs_on_two_replicas_and_saves_exactly(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
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
    assert report["auc"] > 0.9
    assert report["max_load_diff"] == 0.0
    assert report["warm_epochs"] == 9


def test_unknown_device_names_the_choices():
    with pytest.raises(ValueError, match="'mirrored'"):
        CNNClassifier(device="tpu").fit([[[[0.0]]]], [0])
