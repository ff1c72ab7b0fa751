"""A saved model is untrusted input: loading it never imports or runs what the file names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from skbia import CNNClassifier
from skbia.classifier._saving import UntrustedCallableError, resolve_callable

# a module whose import leaves a trace: if any load imports it, the marker file appears
_PROBE = textwrap.dedent(
    """
    import os
    open(os.environ["SKBIA_PROBE_MARKER"], "w").close()

    def build(inputs, **kwargs):
        return inputs
    """
)


@pytest.fixture(scope="module")
def saved(blobs, tmp_path_factory):
    X, y = blobs
    path = tmp_path_factory.mktemp("saved") / "model.keras"
    CNNClassifier(arch="compact", filter_scale=0.25, epochs=1, random_state=0,
                  verbose=0).fit(X, y).save(path)
    return path


def _rewrite_member(source, target, member, edit):
    """Copy the archive ``source`` to ``target`` with ``member``'s JSON changed by ``edit``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == member:
                content = json.loads(data)
                edit(content)
                data = json.dumps(content).encode()
            new.writestr(item, data)
    return target


def _probe_env(tmp_path):
    (tmp_path / "skbia_probe_module.py").write_text(_PROBE)
    marker = tmp_path / "imported.marker"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "SKBIA_PROBE_MARKER": str(marker)}
    return env, marker


def _load_in_fresh_process(path, env):
    code = (
        "import sys\n"
        "from skbia import CNNClassifier\n"
        "try:\n"
        f"    CNNClassifier.load({str(path)!r})\n"
        "except ValueError as error:\n"
        "    print('REFUSED:', error)\n"
        "    sys.exit(3)\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_callable_named_by_the_metadata_is_refused_and_never_imported(saved, tmp_path):
    def point_arch_at_probe(metadata):
        metadata["params"]["arch"] = {"__callable__": "skbia_probe_module:build"}

    crafted = _rewrite_member(saved, tmp_path / "crafted.keras", "skbia.json",
                              point_arch_at_probe)
    env, marker = _probe_env(tmp_path)
    result = _load_in_fresh_process(crafted, env)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "skbia_probe_module:build" in result.stdout and "trusted=[build]" in result.stdout
    assert not marker.exists()  # the module was never imported


def test_the_cli_refuses_the_crafted_file_in_one_line(saved, tmp_path, blobs):
    def point_loss_at_probe(metadata):
        metadata["params"]["loss"] = {"__callable__": "skbia_probe_module:build"}

    crafted = _rewrite_member(saved, tmp_path / "crafted.keras", "skbia.json",
                              point_loss_at_probe)
    np.save(tmp_path / "images.npy", blobs[0][:4])
    env, marker = _probe_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "skbia", "predict", str(crafted), str(tmp_path / "images.npy"),
         "-o", str(tmp_path / "scores.csv")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "skbia_probe_module:build" in lines[0]
    assert not marker.exists() and not (tmp_path / "scores.csv").exists()


def test_a_keras_config_naming_a_foreign_module_is_refused(saved, tmp_path):
    # Keras' own config.json is untrusted too: a layer claiming to live in another module
    def move_first_layer(config):
        layer = config["config"]["layers"][1]
        layer["module"] = "skbia_probe_module"
        layer["registered_name"] = "skbia_probe_module>build"

    crafted = _rewrite_member(saved, tmp_path / "crafted.keras", "config.json",
                              move_first_layer)
    env, marker = _probe_env(tmp_path)
    result = _load_in_fresh_process(crafted, env)
    assert result.returncode != 0
    assert not marker.exists()


def test_trusted_callables_load_and_others_stay_refused(saved, tmp_path):
    def point_arch_at_this_test(metadata):
        metadata["params"]["arch"] = {"__callable__": f"{__name__}:_stand_in_builder"}

    crafted = _rewrite_member(saved, tmp_path / "crafted.keras", "skbia.json",
                              point_arch_at_this_test)
    with pytest.raises(UntrustedCallableError, match="_stand_in_builder"):
        CNNClassifier.load(crafted)
    with pytest.raises(UntrustedCallableError):
        CNNClassifier.load(crafted, trusted=[print])  # trusting something else is no help
    loaded = CNNClassifier.load(crafted, trusted=[_stand_in_builder])
    assert loaded.arch is _stand_in_builder
    with pytest.raises(TypeError, match="callables"):
        CNNClassifier.load(crafted, trusted=["not a callable"])


def _stand_in_builder(inputs, **kwargs):
    return inputs


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no-colon", "not of the form"),
        ("a:b:c", "not of the form"),
        (42, "not of the form"),
        ("os:system", "never imports"),
        ("builtins:eval", "never imports"),
        ("skbia:__version__", "private|not callable"),
        ("skbia.architectures:no_such_builder", "does not exist"),
        ("keras:_private_thing", "private"),
    ],
)
def test_resolve_callable_refuses_what_is_not_a_trusted_callable(path, message):
    with pytest.raises(UntrustedCallableError, match=message):
        resolve_callable(path, "arch")


def test_skbia_and_keras_callables_resolve_without_trust():
    import keras

    from skbia.architectures import build_compact

    assert resolve_callable("keras.src.activations.activations:relu", "x") is (
        keras.activations.relu)
    path = f"{build_compact.__module__}:{build_compact.__qualname__}"
    assert resolve_callable(path, "arch") is build_compact


def _set_param(name, value):
    def edit(metadata):
        metadata["params"][name] = value
    return edit


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        # a tampered augmentation dict used to load silently and fail only at a later fit
        ("augmentation", {"rotation": "yes", "no_such_option": 1}, "invalid saved parameter"),
        ("bogus", 3, "invalid saved parameter.*Unknown parameter 'bogus'"),
        ("learning_rate", -1.0, "invalid saved parameter.*learning_rate"),
        ("epochs", "ten", "invalid saved parameter.*epochs"),
        ("device", "tpu:0", "invalid saved parameter"),
    ],
)
def test_a_saved_parameter_that_is_unknown_or_invalid_is_refused(saved, tmp_path, name, value,
                                                                 message):
    crafted = _rewrite_member(saved, tmp_path / "crafted.keras", "skbia.json",
                              _set_param(name, value))
    with pytest.raises(ValueError, match=message) as caught:
        CNNClassifier.load(crafted)
    assert "crafted.keras" in str(caught.value)


def test_a_model_saved_on_a_gpu_loads_on_a_machine_without_one(saved, tmp_path, blobs):
    from skbia.classifier._devices import visible_gpus

    if visible_gpus():
        pytest.skip("this machine has a GPU: the saved device is available")
    moved = _rewrite_member(saved, tmp_path / "from_gpu.keras", "skbia.json",
                            _set_param("device", "gpu:0"))
    with pytest.warns(UserWarning, match="gpu:0.*device=None"):
        loaded = CNNClassifier.load(moved)
    assert loaded.device is None
    np.testing.assert_allclose(loaded.predict_proba(blobs[0][:4]),
                               CNNClassifier.load(saved).predict_proba(blobs[0][:4]),
                               rtol=1e-5, atol=1e-6)
