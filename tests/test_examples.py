"""Run every example script in fast mode (SKBIA_EXAMPLES_FAST=1).

Each script starts its own interpreter, imports TensorFlow and trains a few tiny
networks: together several minutes on 2 CPU cores, so they are marked slow
(run them with ``python -m pytest -m slow tests/test_examples.py``).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_examples_found():
    names = {path.name for path in EXAMPLES}
    assert {"model_creation.py", "weighted_loss.py", "augmentation.py", "load_saved_model.py",
            "cross_validation.py", "grid_search.py"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs_in_fast_mode(script, tmp_path):
    env = {**os.environ, "SKBIA_EXAMPLES_FAST": "1", "MPLBACKEND": "Agg",
           "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    repo = str(script.parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.strip(), "an example should print what it did"
