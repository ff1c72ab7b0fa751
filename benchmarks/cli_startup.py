"""Wall time of the skbia command's start-up: --help and each subcommand's --help.

Each command runs in a fresh interpreter, best and median of N runs. Usage:
python benchmarks/cli_startup.py [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10
COMMANDS = {
    "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
    "python -c 'import skbia'": [sys.executable, "-c", "import skbia"],
    "python -m skbia --help": [sys.executable, "-m", "skbia", "--help"],
    "python -m skbia fit --help": [sys.executable, "-m", "skbia", "fit", "--help"],
    "python -c 'import tensorflow' (for scale)": [sys.executable, "-c", "import tensorflow"],
}
env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
print(f"{'command':<44} {'best s':>8} {'median s':>9}  (n={N})")
for name, command in COMMANDS.items():
    times = []
    for _ in range(N if "tensorflow" not in name else max(2, N // 5)):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    print(f"{name:<44} {min(times):8.3f} {statistics.median(times):9.3f}")
