"""Importing skbia.scoring (and opening a .npy source) loads no backend, Dask, pyarrow or h5py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "keras", "scikeras", "dask", "distributed", "pyarrow", "h5py")


def test_import_and_npy_reading_stay_light(tmp_path):
    probe = (
        "import numpy as np, sys\n"
        "import skbia.scoring as s\n"
        f"np.save({str(tmp_path / 'x.npy')!r}, np.zeros((3, 4, 4, 2), np.float32))\n"
        f"s.resolve_inputs({str(tmp_path / '*.npy')!r})\n"
        f"src = s.open_source({str(tmp_path / 'x.npy')!r}); src.read(0, 2); src.close()\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "sys.exit(f'imported {heavy}' if heavy else 0)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
