"""Throughput of skbia.datasets.inject_lenses: injected images per second and peak memory.

The hosts are 100 x 100 pixel g, r, i cutouts of non-lenses from
``make_lenses`` (made once in their own process, one temporary file per size). Each configuration
runs in a fresh Python process (so its peak resident memory is its own: the
hosts, their float64 copy and the output), with NumPy's own thread pools
limited to one thread; ``n_jobs`` sets inject_lenses' worker threads. The
table reports the best of ``--repeats`` runs. Run from the repository root:

    python benchmarks/injection_throughput.py [--repeats 3] [--sizes 200 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SURVEYS = {
    # make_lenses' DECam-like defaults: 0.263 arcsec/pixel, seeing 1.2-1.55 arcsec
    "DES-like": dict(pixel_scale=0.263, zero_point=30.0, psf_fwhm=[1.5, 1.55, 1.2]),
    # HSC-like sampling and seeing (the same host pixels, read at 0.168 arcsec/pixel)
    "HSC-like": dict(pixel_scale=0.168, zero_point=30.0, psf_fwhm=[0.8, 0.75, 0.65],
                     einstein_radius=(0.8, 3.0)),
}

_MAKE_HOSTS = """
import json, sys
import numpy as np
from skbia.datasets import make_lenses
paths = {int(n): path for n, path in json.loads(sys.argv[1]).items()}
X, _ = make_lenses(0, max(paths), random_state=0)
for n, path in paths.items():
    np.save(path, X[:n])
"""

_CHILD = """
import json, resource, sys, time
import numpy as np
path, n_jobs, kwargs = sys.argv[1], int(sys.argv[3]), json.loads(sys.argv[4])
from skbia.datasets import inject_lenses
hosts = np.load(path)
wall0, cpu0 = time.perf_counter(), time.process_time()
images, meta = inject_lenses(hosts, random_state=0, n_jobs=n_jobs, return_metadata=True, **kwargs)
wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(n=len(images), wall=wall, cpu=cpu, peak_mib=peak_mib,
                      attempts=float(meta["attempts"].mean()),
                      rejected=meta["rejected_fraction"], hosts_mib=hosts.nbytes / 2**20)))
"""


def _run(path: str, n: int, n_jobs: int, kwargs: dict) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _CHILD, path, str(n), str(n_jobs),
                          json.dumps(kwargs)], env=env, capture_output=True, text=True,
                         check=True, cwd=os.getcwd())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--surveys", nargs="+", default=list(SURVEYS), choices=list(SURVEYS))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = {n: str(Path(tmp) / f"hosts_{n}.npy") for n in args.sizes}
        # made in another process: Linux keeps a process's peak RSS across fork and exec,
        # so the parent stays small for the children's numbers to be their own
        subprocess.run([sys.executable, "-c", _MAKE_HOSTS, json.dumps(paths)], check=True)
        print(f"{'hosts':>5s} {'survey':9s} {'n_jobs':>6s} {'wall s':>7s} {'img/s':>7s} "
              f"{'CPU ms/img':>10s} {'draws/img':>9s} {'rejected':>8s} {'peak RSS MiB':>12s} "
              f"{'hosts MiB':>9s}")
        for n in args.sizes:
            for survey in args.surveys:
                for n_jobs in args.jobs:
                    runs = [_run(paths[n], n, n_jobs, SURVEYS[survey])
                            for _ in range(args.repeats)]
                    best = min(runs, key=lambda r: r["wall"])
                    print(f"{n:5d} {survey:9s} {n_jobs:6d} {best['wall']:7.2f} "
                          f"{best['n'] / best['wall']:7.0f} {1000 * best['cpu'] / best['n']:10.2f} "
                          f"{best['attempts']:9.2f} {best['rejected']:8.1%} "
                          f"{best['peak_mib']:12.0f} {best['hosts_mib']:9.1f}", flush=True)


if __name__ == "__main__":
    main()
