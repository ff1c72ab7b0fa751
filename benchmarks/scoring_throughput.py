"""Survey-scale scoring throughput and memory of ``skbia.scoring.score_files``.

A slim saved model (the compact architecture at ``--filter-scale``, raw
100x100x3 images in) scores memory-mapped ``.npy`` files of 10,000 cutouts:
10k is one file, 100k (and 1M with ``--million``) the same file listed 10
(100) times through symbolic links, so that the disk holds only one copy;
the links are separate inputs to the scorer, and after the first pass the file
is read from the page cache. Every measurement runs in a fresh Python
process, which reports its images/s and its peak resident memory
(``resource.getrusage`` ``ru_maxrss``):

- ``predict``: the Keras model's own ``predict`` on in-memory images (a
  ``--chunk-size`` array predicted repeatedly), the reference rate, printed on its
  own and measured again inside every run's process just before and after it (the
  mean of the two is the run's reference: the load of a shared machine changes);
- ``local``: ``score_files`` end to end in one process (reading, pixel
  checks, scoring, CSV or Parquet writing), at each size;
- ``dask``: the same on a ``LocalCluster`` of 2 worker processes (one thread
  each); its RSS is the largest worker's peak, the driver's is printed beside.

The table gives images/s, peak RSS, the ratio of end-to-end images/s to the
model's own ``predict`` images/s (target >= 90%: reading is not the
bottleneck) and the RSS of each size relative to the 10k run (target: 100k
within 10%).

Usage::

    python benchmarks/scoring_throughput.py                      # 10k and 100k, local + dask
    python benchmarks/scoring_throughput.py --sizes 10000 --no-dask
    python benchmarks/scoring_throughput.py --million            # also 1M (reads 120 GB)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a source checkout

FILE_IMAGES = 10_000
SIZE, BANDS = 100, 3


def _peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(folder: Path, filter_scale: float) -> Path:
    """Save the slim model and the 10k-cutout file into ``folder`` (once)."""
    import numpy as np

    model_path = folder / "slim.keras"
    data = folder / "tile_00.npy"
    if not data.exists():
        rng = np.random.default_rng(0)
        mapped = np.lib.format.open_memmap(data, mode="w+", dtype=np.float32,
                                           shape=(FILE_IMAGES, SIZE, SIZE, BANDS))
        for start in range(0, FILE_IMAGES, 1000):
            mapped[start:start + 1000] = rng.normal(
                size=(1000, SIZE, SIZE, BANDS)).astype(np.float32)
        mapped.flush()
        del mapped
    if not model_path.exists():
        from skbia import CNNClassifier

        rng = np.random.default_rng(1)
        X = rng.normal(size=(64, SIZE, SIZE, BANDS)).astype(np.float32)
        X[:16, 40:60, 40:60] += 3
        y = (np.arange(64) < 16).astype(int)
        model = CNNClassifier(arch="compact", filter_scale=filter_scale, epochs=1,
                              random_state=0, verbose=0)
        model.fit(X, y)
        model.save(model_path)
    return model_path


def inputs_for(folder: Path, n_images: int) -> list[str]:
    """Return ``n_images // 10k`` input paths: the data file and symbolic links to it."""
    paths = []
    for number in range(n_images // FILE_IMAGES):
        path = folder / f"tile_{number:02d}.npy"
        if not path.exists():
            path.symlink_to(folder / "tile_00.npy")
        paths.append(str(path))
    return paths


def measure_predict(folder: Path, chunk_size: int, batch_size: int, repeats: int) -> dict:
    """The model's own Keras ``predict`` on in-memory images (after a warm-up)."""
    import numpy as np

    from skbia.scoring import load_model

    model = load_model(folder / "slim.keras")
    images = np.array(np.load(folder / "tile_00.npy", mmap_mode="r")[:chunk_size])
    network = model.model_
    network.predict(images, batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    for _ in range(repeats):
        network.predict(images, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    return {"images": chunk_size * repeats, "seconds": seconds,
            "images_per_s": chunk_size * repeats / seconds, "rss_mib": _peak_rss_mib()}


def measure_scoring(folder: Path, n_images: int, chunk_size: int, batch_size: int,
                    output: str, dask: bool) -> dict:
    """``score_files`` end to end on ``n_images`` memory-mapped cutouts."""
    from skbia.scoring import score_files

    # the model's own predict rate, measured in this process just before and after the run
    # (a shared machine's load changes over minutes); also imports TensorFlow untimed
    before = _own_predict_rate(folder, chunk_size, batch_size)
    out = folder / f"scores_{n_images}_{'dask' if dask else 'local'}{output}"
    options = {"chunk_size": chunk_size, "batch_size": batch_size, "overwrite": True,
               "progress": False}
    if not dask:
        summary = score_files(folder / "slim.keras", inputs_for(folder, n_images), out,
                              **options)
        rss = _peak_rss_mib()
        return {"images": summary.n_scored, "seconds": summary.seconds,
                "images_per_s": summary.images_per_second, "rss_mib": rss,
                "own_predict": (before + _own_predict_rate(folder, chunk_size, batch_size)) / 2}
    from distributed import Client, LocalCluster

    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_NUM_INTRAOP_THREADS": "1",
           "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, env=env) as cluster, Client(cluster) as client:
        # load the model on the workers first (as the local run loads it before timing)
        client.run(_warm_worker, str(folder / "slim.keras"), batch_size)
        summary = score_files(str(folder / "slim.keras"), inputs_for(folder, n_images),
                              out.with_suffix(".parquet") if output == ".csv" else out,
                              client=client, part_size=FILE_IMAGES // 2, **options)
        workers = client.run(_peak_rss_mib)
    return {"images": summary.n_scored, "seconds": summary.seconds,
            "images_per_s": summary.images_per_second, "rss_mib": max(workers.values()),
            "driver_rss_mib": _peak_rss_mib(),
            "own_predict": (before + _own_predict_rate(folder, chunk_size, batch_size)) / 2}


def _own_predict_rate(folder: Path, chunk_size: int, batch_size: int, repeats: int = 3) -> float:
    """Images/s of the model's Keras ``predict`` on one in-memory chunk (warmed up)."""
    import numpy as np

    from skbia.scoring._model import cached_model

    network = cached_model(folder / "slim.keras", batch_size).model_
    images = np.array(np.load(folder / "tile_00.npy", mmap_mode="r")[:chunk_size])
    network.predict(images, batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    for _ in range(repeats):
        network.predict(images, batch_size=batch_size, verbose=0)
    return chunk_size * repeats / (time.perf_counter() - start)


def _warm_worker(model_path: str, batch_size: int) -> None:
    import numpy as np

    from skbia.scoring._model import cached_model

    model = cached_model(model_path, batch_size)
    model.predict_proba(np.zeros((2, SIZE, SIZE, BANDS), np.float32))


def _child(args: argparse.Namespace) -> None:
    folder = Path(args.folder)
    if args.child == "predict":
        result = measure_predict(folder, args.chunk_size, args.batch_size, args.repeats)
    else:
        result = measure_scoring(folder, args.n, args.chunk_size, args.batch_size,
                                 args.output_suffix, args.child == "dask")
    print("RESULT " + json.dumps(result), flush=True)


def _run_child(args: argparse.Namespace, mode: str, n_images: int = 0) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--folder", args.folder,
               "--n", str(n_images), "--chunk-size", str(args.chunk_size), "--batch-size",
               str(args.batch_size), "--repeats", str(args.repeats), "--output-suffix",
               args.output_suffix]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{mode} {n_images} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also score 1,000,000 images")
    parser.add_argument("--chunk-size", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--filter-scale", type=float, default=0.125)
    parser.add_argument("--repeats", type=int, default=5,
                        help="passes over the in-memory chunk for the predict reference")
    parser.add_argument("--output-suffix", choices=(".csv", ".parquet"), default=".csv",
                        help="local output format (the Dask runs write Parquet parts)")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--folder", help="where to keep the model and data (default: a "
                                         "temporary folder)")
    parser.add_argument("--child", choices=("predict", "local", "dask"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    sizes = sorted(set(args.sizes + ([1_000_000] if args.million else [])))
    if any(n % FILE_IMAGES for n in sizes):
        parser.error(f"sizes must be multiples of {FILE_IMAGES}")
    temporary = None
    if args.folder is None:
        temporary = tempfile.TemporaryDirectory(prefix="skbia-scoring-")
        args.folder = temporary.name
    folder = Path(args.folder)
    folder.mkdir(exist_ok=True)
    prepare(folder, args.filter_scale)
    reference = _run_child(args, "predict")
    print(f"model's own predict (in memory, batch {args.batch_size}): "
          f"{reference['images_per_s']:.0f} images/s, peak RSS {reference['rss_mib']:.0f} MiB")
    modes = ["local"] + ([] if args.no_dask else ["dask"])
    rows = []
    for mode in modes:
        base = None
        for n_images in sizes:
            result = _run_child(args, mode, n_images)
            base = base or result["rss_mib"]
            rows.append((mode, n_images, result, result["rss_mib"] / base))
            print(f"  {mode} {n_images}: {result['images_per_s']:.0f} images/s", flush=True)
    print()
    print("| path | images | images/s | own predict images/s | end-to-end / own predict | "
          "peak RSS MiB | RSS vs 10k |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mode, n_images, result, rss_ratio in rows:
        extra = (f" (driver {result['driver_rss_mib']:.0f})" if "driver_rss_mib" in result
                 else "")
        print(f"| {mode} | {n_images:,} | {result['images_per_s']:.0f} | "
              f"{result['own_predict']:.0f} | "
              f"{result['images_per_s'] / result['own_predict']:.0%} | "
              f"{result['rss_mib']:.0f}{extra} | {rss_ratio:.2f} |")
    if temporary is not None:
        temporary.cleanup()


if __name__ == "__main__":
    main()
