"""Throughput of skbia.datasets.make_lenses: images per second and peak memory.

Each configuration runs in a fresh Python process (so its peak resident memory
is its own) on one thread, and is repeated; the table reports the best wall
time, the CPU time of that run and the peak RSS. Run from the repository root:

    python benchmarks/simulate_throughput.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CONFIGS = [
    # label, keyword arguments of make_lenses
    ("tutorial set: 20 lenses + 500 others, 100 px", dict(n_lenses=20, n_others=500)),
    ("test set: 100 lenses + 500 others, 100 px", dict(n_lenses=100, n_others=500)),
    ("lenses only: 200, 100 px", dict(n_lenses=200, n_others=0)),
    ("others only: 500, 100 px", dict(n_lenses=0, n_others=500)),
    ("20 lenses + 500 others, 64 px", dict(n_lenses=20, n_others=500, image_size=64)),
    ("20 lenses + 500 others, 100 px, noise=False",
     dict(n_lenses=20, n_others=500, noise=False)),
    ("20 lenses + 500 others, 100 px, oversample=8",
     dict(n_lenses=20, n_others=500, oversample=8)),
]

_CHILD = """
import json, resource, sys, time
kwargs = json.loads(sys.argv[1])
t0 = time.perf_counter()
from skbia.datasets import make_lenses
import_s = time.perf_counter() - t0
wall0, cpu0 = time.perf_counter(), time.process_time()
X, y = make_lenses(random_state=0, **kwargs)
wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(n=len(y), wall=wall, cpu=cpu, peak_mib=peak_mib, import_s=import_s,
                      array_mib=X.nbytes / 2**20)))
"""


def _run(kwargs: dict) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(kwargs)], env=env,
                         capture_output=True, text=True, check=True, cwd=os.getcwd())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'configuration':50s} {'images':>6s} {'wall s':>7s} {'img/s':>7s} "
          f"{'CPU ms/img':>10s} {'peak RSS MiB':>12s} {'X MiB':>6s}")
    for label, kwargs in CONFIGS:
        runs = [_run(kwargs) for _ in range(args.repeats)]
        best = min(runs, key=lambda r: r["wall"])
        print(f"{label:50s} {best['n']:6d} {best['wall']:7.2f} {best['n'] / best['wall']:7.0f} "
              f"{1000 * best['cpu'] / best['n']:10.2f} {best['peak_mib']:12.0f} "
              f"{best['array_mib']:6.1f}")
    print(f"import skbia.datasets: {best['import_s']:.2f} s (last run)")


if __name__ == "__main__":
    main()
