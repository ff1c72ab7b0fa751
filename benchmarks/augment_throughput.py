"""Throughput of ImageAugmenter against a per-image, per-channel scipy.ndimage reference.

The pyBIA tutorial settings (25 copies of each of 20 positive images, shifts up to 10
pixels, flips, 0-360 degree rotation, zoom 0.9-1.1, five cutouts of radius 5) make 500
augmented 100x100x3 images. The same is timed for each step alone, and for the reference:
one scipy.ndimage call per image, per channel and per transform (shift, rotate, zoom
separately, bilinear, "nearest" fill), then the cutouts in Python loops, the way pyBIA
chains them. Each case runs in a fresh process so that its peak RSS is its own.

    python benchmarks/augment_throughput.py [--data lenses.npy] [--repeat 7]

``--data`` loads an (n, H, W, C) array of positives (the first 20 are used); without it
Gaussian sources on noise are generated. The positives are paired with as many other
images (the positives flipped up-down), which get no copies.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

TUTORIAL = dict(
    shift=10,
    horizontal=True,
    vertical=True,
    rotation=True,
    zoom_range=(0.9, 1.1),
    mask_size=5,
    num_masks=5,
)
CASES = {
    "tutorial settings (all steps)": dict(n_copies=25, **TUTORIAL),
    "copies only (no transform)": dict(n_copies=25),
    "shift 10 px": dict(n_copies=25, shift=10),
    "flips": dict(n_copies=25, horizontal=True, vertical=True),
    "rotation 0-360": dict(n_copies=25, rotation=True),
    "zoom 0.9-1.1": dict(n_copies=25, zoom_range=(0.9, 1.1)),
    "skew 10 deg": dict(n_copies=25, skew_angle=10.0),
    "cutouts 5 x r=5": dict(n_copies=25, mask_size=5, num_masks=5),
    "blending (10 copies x 2.5)": dict(n_copies=10, blend_multiplier=2.5),
}


def make_images(n: int = 20, size: int = 100, seed: int = 0) -> np.ndarray:
    """Gaussian sources of random width and colour on noise, (n, size, size, 3) float32."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    sigma = rng.uniform(2, 6, size=(n, 1, 1, 1))
    colour = rng.uniform(20, 200, size=(n, 1, 1, 3))
    sources = colour * np.exp(-(yy[..., None] ** 2 + xx[..., None] ** 2) / (2 * sigma**2))
    return (sources + rng.normal(0, 2, size=(n, size, size, 3))).astype(np.float32)


def load(path: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Positives (from ``path`` or generated) plus as many others, and labels."""
    positives = make_images() if path is None else np.load(path)[:20].astype(np.float32)
    X = np.concatenate([positives, positives[:, ::-1]])
    y = np.r_[np.ones(len(positives), int), np.zeros(len(positives), int)]
    return X, y


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reference(X: np.ndarray, y: np.ndarray, params: dict, seed: int = 0) -> int:
    """Augment the positives the straightforward way: scipy.ndimage per image and channel."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    out = []
    height, width = X.shape[1:3]
    for image in X[y == 1]:
        for _ in range(params["n_copies"]):
            bands = [image[..., c].astype(np.float64) for c in range(image.shape[-1])]
            shift = params.get("shift", 0)
            if shift:
                dy, dx = rng.integers(-shift, shift, endpoint=True, size=2)
                bands = [ndimage.shift(b, (dy, dx), order=1, mode="nearest") for b in bands]
            if params.get("horizontal") and rng.random() < 0.5:
                bands = [b[:, ::-1] for b in bands]
            if params.get("vertical") and rng.random() < 0.5:
                bands = [b[::-1] for b in bands]
            if params.get("rotation"):
                angle = rng.uniform(0, 360)
                bands = [
                    ndimage.rotate(b, angle, reshape=False, order=1, mode="nearest") for b in bands
                ]
            if params.get("zoom_range"):
                factor = rng.uniform(*params["zoom_range"])
                bands = [_zoom_same_size(b, factor, height, width) for b in bands]
            copy = np.stack(bands, axis=-1).astype(np.float32)
            radius = params.get("mask_size")
            if radius:
                for _ in range(params["num_masks"]):
                    cy = rng.integers(radius, height - radius)
                    cx = rng.integers(radius, width - radius)
                    yy, xx = np.ogrid[-cy : height - cy, -cx : width - cx]
                    copy[yy * yy + xx * xx <= radius * radius, :] = 0
            out.append(copy)
    return len(np.stack(out))


def _zoom_same_size(band: np.ndarray, factor: float, height: int, width: int) -> np.ndarray:
    """Zoom one band, then centre-crop or edge-pad back to (height, width)."""
    from scipy import ndimage

    zoomed = ndimage.zoom(band, factor, order=1, mode="nearest")
    pad_y, pad_x = max(height - zoomed.shape[0], 0), max(width - zoomed.shape[1], 0)
    zoomed = np.pad(zoomed, ((pad_y // 2, pad_y - pad_y // 2), (pad_x // 2, pad_x - pad_x // 2)),
                    mode="edge")
    top, left = (zoomed.shape[0] - height) // 2, (zoomed.shape[1] - width) // 2
    return zoomed[top : top + height, left : left + width]


def _time_case(path, params, repeat, reference, queue) -> None:
    """Child process: best-of-``repeat`` time, images made, RSS before and at peak."""
    from skbia import ImageAugmenter

    X, y = load(path)
    baseline = _rss_mib()
    best, made = np.inf, 0
    for i in range(repeat):
        start = time.perf_counter()
        if reference:
            made = _reference(X, y, params, seed=i)
        else:
            X_res, _ = ImageAugmenter(**params, random_state=i).fit_resample(X, y)
            made = len(X_res) - len(X)
            del X_res
        best = min(best, time.perf_counter() - start)
    queue.put((best, made, baseline, _rss_mib()))


def run_case(path, params, repeat, reference=False) -> tuple[float, int, float, float]:
    """Run one case in a fresh process; return (seconds, images made, base MiB, peak MiB)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_time_case, args=(path, params, repeat, reference, queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"benchmark case {params} failed (exit code {process.exitcode})")
    return queue.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="(n, H, W, C) .npy file of positive images")
    parser.add_argument("--repeat", type=int, default=7, help="timings per case (best is kept)")
    parser.add_argument("--ref-repeat", type=int, default=3, help="timings of the reference")
    args = parser.parse_args()

    X, _ = load(args.data)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average before {os.getloadavg()}")
    print(f"input: {len(X) // 2} positives {X.shape[1]}x{X.shape[2]}x{X.shape[3]} "
          f"({'--data ' + args.data if args.data else 'generated'}) + {len(X) // 2} others "
          f"(no copies); best of {args.repeat} (reference: best of {args.ref_repeat})")
    print()
    header = (f"{'case':<30} {'images':>6} {'ms':>8} {'images/s':>9} {'ref images/s':>12} "
              f"{'speed-up':>8} {'peak RSS MiB':>12} {'(+ over start)':>14}")
    print(header)
    print("-" * len(header))
    for name, params in CASES.items():
        seconds, made, base, peak = run_case(args.data, params, args.repeat)
        rate = made / seconds
        ref_text, ratio_text = "", ""
        if "blend_multiplier" not in params and "skew_angle" not in params:
            ref_seconds, ref_made, _, _ = run_case(args.data, params, args.ref_repeat, True)
            ref_rate = ref_made / ref_seconds
            ref_text, ratio_text = f"{ref_rate:12.0f}", f"{rate / ref_rate:7.1f}x"
        print(f"{name:<30} {made:6d} {1e3 * seconds:8.1f} {rate:9.0f} {ref_text:>12} "
              f"{ratio_text:>8} {peak:12.0f} {peak - base:+14.0f}")
    print()
    print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
