"""Grid of example images from the lenstronomy benchmark simulator, one row per kind.

Row 1 holds lenses (titled with theta_E and the r-band source S/N), then one row per
negative kind. Each image is a g, r, i colour composite (i as red) with an asinh stretch
of the noise-normalised bands. Run from the repository root:

    python benchmarks/plot_simulator.py --survey lsst-like -o sim_lsst.png [--n 6]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lenstronomy_sim import NEGATIVE_KINDS, SURVEYS, Survey, simulate  # noqa: E402

WEIGHTS = np.array([2.0, 1.2, 1.0])  # g, r, i: a flat-spectrum (AB) source looks blue-white


def composite(image: np.ndarray, survey: Survey, soft_sigma: float = 2.0,
              dynamic_range: float = 100.0) -> np.ndarray:
    """RGB (i, r, g) array in [0, 1] from an (H, W, 3) g, r, i image in ADU.

    The bands are calibrated to flux (AB), weighted by :data:`WEIGHTS`, and their mean
    intensity is stretched by asinh(I / soft), with ``soft`` the larger of
    ``soft_sigma`` times the noise of ``I`` and the brightest pixel over
    ``dynamic_range``, and scaled so that the brightest pixel maps to 1 (Lupton et al.
    2004 style: colours are kept, saturated pixels keep their hue). Faint images show
    their noise; bright ones keep the contrast of their inner structure.
    """
    unit = WEIGHTS / survey.counts_at_mag0 * 1e9
    flux = image * unit
    intensity = flux.mean(axis=-1)
    noise = np.sqrt(np.sum((survey.noise_sigma * unit) ** 2)) / 3.0
    top = max(float(intensity.max()), 20.0 * soft_sigma * noise)
    soft = max(soft_sigma * noise, top / dynamic_range)
    scale = np.arcsinh(np.maximum(intensity, 0) / soft) / np.arcsinh(top / soft)
    with np.errstate(invalid="ignore", divide="ignore"):
        rgb = flux * (scale / np.where(intensity > 0, intensity, np.inf))[..., None]
    rgb = np.clip(rgb[..., ::-1], 0, None)
    peak = rgb.max(axis=-1, keepdims=True)
    return np.clip(np.where(peak > 1, rgb / np.maximum(peak, 1e-12), rgb), 0, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survey", default="lsst-like", choices=sorted(SURVEYS))
    parser.add_argument("-o", "--output", default="simulator_examples.png")
    parser.add_argument("--n", type=int, default=6, help="examples per kind")
    parser.add_argument("--cols", type=int, default=None, help="columns (default: --n)")
    parser.add_argument("--kinds", nargs="+", default=None,
                        help="kinds to show (default: lens and every negative kind)")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    survey = SURVEYS[args.survey]
    kinds = tuple(args.kinds) if args.kinds else ("lens",) + NEGATIVE_KINDS
    negatives = [k for k in kinds if k != "lens"]
    n_lenses = args.n if "lens" in kinds else 0
    X, _, meta = simulate(n_lenses, args.n * len(negatives), survey=survey,
                          image_size=args.image_size, random_state=args.seed,
                          n_jobs=args.n_jobs, negative_mix={k: 1.0 for k in negatives})
    cols = args.cols or args.n
    rows_per_kind = -(-args.n // cols)
    n_rows = rows_per_kind * len(kinds)
    fig, axes = plt.subplots(n_rows, cols, figsize=(1.6 * cols, 1.85 * n_rows), squeeze=False)
    for a in axes.ravel():
        a.set_xticks([])
        a.set_yticks([])
    for k, kind in enumerate(kinds):
        idx = np.flatnonzero(meta["kind"] == kind)
        if kind == "lens":
            idx = idx[np.argsort(-meta["source_snr"][idx])]
        for j in range(rows_per_kind * cols):
            ax = axes[k * rows_per_kind + j // cols, j % cols]
            if j >= len(idx):
                ax.axis("off")
                continue
            i = idx[j]
            ax.imshow(composite(X[i], survey), origin="lower", interpolation="nearest")
            if kind == "lens":
                title = (f"lens \u03b8E={meta['einstein_radius'][i]:.1f}\" "
                         f"S/N={meta['source_snr'][i]:.0f}")
            else:
                title = f"{kind} r={meta['deflector_magnitude'][i]:.1f}"
            ax.set_title(title, fontsize=6.5, pad=2)
    fig.suptitle(f"{survey.name}: {args.image_size} px of {survey.pixel_scale}\", "
                 f"median r FWHM {survey.seeing[1]}\"", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.98), h_pad=0.3, w_pad=0.2)
    fig.savefig(args.output, dpi=130)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
