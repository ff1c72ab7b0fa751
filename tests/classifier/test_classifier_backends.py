"""Every Keras backend: data parallelism on JAX, and models that move between backends.

Each case runs in a fresh interpreter, since the Keras backend (and JAX's count
of CPU devices) is fixed when Keras is first imported. Cases for a backend that
is not installed are skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

REPO = str(Path(__file__).resolve().parents[2])

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="JAX is not installed (pip install 'skbia[jax]')")

DATA = """
import numpy as np
rng = np.random.default_rng(0)
y = (np.arange(96) % 4 == 0).astype(int)
yy, xx = np.mgrid[:16, :16] - 7.5
blob = (6 * np.exp(-(xx**2 + yy**2) / 8))[None, :, :, None].astype("float32")
X = rng.normal(size=(96, 16, 16, 3)).astype("float32") + blob * y[:, None, None, None]
"""


def _run(code: str, backend: str, *args: str, **env: str) -> dict:
    environment = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [REPO, environment.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DATA) + textwrap.dedent(code), *args],
        capture_output=True, text=True, env=environment, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@needs_jax
def test_data_parallel_trains_on_two_jax_devices_and_saves_exactly(tmp_path):
    code = """
    import json, sys
    import jax
    from sklearn.metrics import roc_auc_score
    from skbia import CNNClassifier

    clf = CNNClassifier(arch="compact", filter_scale=0.25, normalize=False, epochs=4,
                        batch_size=16, device="data_parallel", random_state=0,
                        verbose=0).fit(X, y)
    proba = clf.predict_proba(X)[:, 1]
    kernel = clf.model_.weights[0].value
    clf.save(sys.argv[1])
    loaded = CNNClassifier.load(sys.argv[1])
    warm = CNNClassifier.load(sys.argv[1]).set_params(warm_start=True, epochs=1).fit(X, y)
    print(json.dumps({
        "devices": len(jax.devices()),
        "mesh": list(kernel.sharding.mesh.shape.values()),
        "auc": roc_auc_score(y, proba),
        "loaded_diff": float(abs(loaded.predict_proba(X)[:, 1] - proba).max()),
        "warm_epochs": len(warm.history_["loss"]),
        "alias": CNNClassifier(device="mirrored").get_params()["device"],
    }))
    """
    report = _run(code, "jax", str(tmp_path / "model.keras"),
                  XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert report["devices"] == 2 and report["mesh"] == [2]  # the batch axis spans both
    assert report["auc"] > 0.9  # the blob is easy: a working network finds it
    assert report["loaded_diff"] == 0.0
    assert report["warm_epochs"] == 5


SAVE = """
import json, sys
import keras
from skbia import CNNClassifier

clf = CNNClassifier(arch="compact", filter_scale=0.25, scaling="asinh", epochs=2,
                    batch_size=16, random_state=0, verbose=0,
                    loss="weighted_binary_crossentropy", positive_weight=2.0).fit(X, y)
clf.save(sys.argv[1])
print(json.dumps({"backend": keras.backend.backend(),
                  "proba": clf.predict_proba(X).tolist()}))
"""

LOAD = """
import json, sys
import keras
from skbia import CNNClassifier

loaded = CNNClassifier.load(sys.argv[1])
proba = loaded.predict_proba(X)
again = loaded.set_params(warm_start=True, epochs=1).fit(X, y)
print(json.dumps({"backend": keras.backend.backend(), "proba": proba.tolist(),
                  "trained": len(again.history_["loss"])}))
"""


@needs_jax
@pytest.mark.parametrize(("writer", "reader"), [("tensorflow", "jax"), ("jax", "tensorflow")])
def test_a_model_saved_under_one_backend_predicts_the_same_under_another(tmp_path, writer,
                                                                         reader):
    path = str(tmp_path / "model.keras")
    saved = _run(SAVE, writer, path)
    loaded = _run(LOAD, reader, path)
    assert (saved["backend"], loaded["backend"]) == (writer, reader)
    np.testing.assert_allclose(loaded["proba"], saved["proba"], rtol=0, atol=1e-5)
    assert loaded["trained"] == 3  # and it trains further there
