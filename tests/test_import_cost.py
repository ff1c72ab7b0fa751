"""The parts of skbia that need no network import neither TensorFlow nor Keras.

Each import runs in a fresh interpreter, so that nothing imported by the test
session (or by another test) hides an import. ``skbia --help`` is run as a
command, with Python's ``-X importtime`` report listing every module it loaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "scikeras")

# Modules documented as importable without TensorFlow, and what importing them runs.
LIGHT_IMPORTS = {
    "skbia": "import skbia; skbia.__version__; dir(skbia)",
    "skbia.augmentation": "import skbia.augmentation; skbia.augmentation.ImageAugmenter",
    "skbia.datasets": "import skbia.datasets; skbia.datasets.make_lenses",
    "skbia.tuning": "import skbia.tuning; skbia.tuning.CNNSearchCV",
    "skbia.cli": "import skbia.cli; skbia.cli.build_parser()",
    "skbia.ensemble": "import skbia.ensemble; skbia.ensemble.FoldEnsembleClassifier",
    "skbia.evaluation": "import skbia.evaluation; skbia.evaluation.evaluate_scores",
    "skbia.plotting": "import skbia.plotting; skbia.plotting.plot_images",
    "skbia.utils": "import skbia.utils; skbia.utils.check_images",
    "public API without the network": (
        "import skbia; skbia.ImageAugmenter, skbia.CNNSearchCV, skbia.make_lenses, "
        "skbia.build_search_space, skbia.evaluate_scores, skbia.plot_images"
    ),
    "0.1.0 module aliases": (
        "import skbia._search_cv, skbia._geometry, skbia._config; "
        "skbia._search_cv.CNNSearchCV, skbia._geometry.warp_images"
    ),
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


@pytest.mark.parametrize("code", LIGHT_IMPORTS.values(), ids=LIGHT_IMPORTS.keys())
def test_import_does_not_load_tensorflow_or_keras(code):
    probe = (
        f"{code}\nimport sys\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "sys.exit(f'imported {heavy}' if heavy else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_the_probe_sees_tensorflow_when_it_is_imported():
    """The check above can fail: importing the classifier does load Keras."""
    probe = "import sys, skbia; skbia.CNNClassifier; sys.exit(int('keras' not in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], env=_env(), cwd=ROOT)
    assert result.returncode == 0


def _imported_modules(command: list[str], env: dict[str, str]) -> tuple[str, set[str]]:
    """Run ``command`` with the import-time report on; return its stdout and the modules."""
    env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    modules = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "skbia" in modules  # the report was read
    return result.stdout, modules


@pytest.mark.parametrize("how", ["console script", "python -m skbia"])
def test_help_command_does_not_load_tensorflow_or_keras(how):
    if how == "console script":
        script = shutil.which("skbia", path=str(Path(sys.executable).parent))
        if script is None:
            pytest.skip("the skbia console script is not installed next to this interpreter")
        command = [script, "--help"]
    else:
        command = [sys.executable, "-m", "skbia", "--help"]
    stdout, modules = _imported_modules(command, _env())
    assert "usage: skbia" in stdout
    for name in ("demo", "fit", "predict", "tune"):
        assert name in stdout
    loaded = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert loaded == [], loaded[:10]
