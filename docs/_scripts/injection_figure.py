"""Make docs/_static/injection.png: host cutouts before and after inject_lenses.

The hosts are simulated non-lenses (ellipticals) from make_lenses, standing in
for a survey's cutouts; the middle row shows the same images with a lensed
source painted in, labelled with its Einstein radius and unlensed r magnitude,
and the bottom row the added light alone.
Run from the repository root: ``python docs/_scripts/injection_figure.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from skbia.datasets import inject_lenses, make_lenses, select_hosts
from skbia.plotting import plot_images

OUTPUT = Path(__file__).resolve().parents[1] / "_static" / "injection.png"
N_SHOWN = 5


def main() -> None:
    survey = dict(pixel_scale=0.168, psf_fwhm=[0.8, 0.75, 0.65])  # HSC-like, zero point 30
    X, _ = make_lenses(0, 60, other_mix={"elliptical": 1.0}, lens_magnitude=(19.0, 20.5),
                       random_state=3, **survey)
    hosts = X[select_hosts(X, "bright_red_centre")][:N_SHOWN]
    images, meta = inject_lenses(
        hosts, zero_point=30.0, **survey, einstein_radius=(1.2, 2.5),
        source_magnitude=(21.5, 23.0), random_state=0,
        return_metadata=True,
    )
    labels = [f"θE = {t:.1f}″, r = {m:.1f}"
              for t, m in zip(meta["einstein_radius"], meta["source_magnitude"][:, 1],
                              strict=True)]
    # one display range per band for the first two rows, so that only the arcs differ
    vmax = np.percentile(images, 99.9, axis=(0, 1, 2))
    crop = slice(20, 80)
    figure = Figure(figsize=(1.9 * N_SHOWN, 6.4), layout="constrained")
    top, middle, bottom = figure.subfigures(3, 1)
    plot_images(hosts[:, crop, crop], [f"host {i}" for i in meta["host_index"]],
                scaling="asinh", vmin=0.0, vmax=vmax, ncols=N_SHOWN, figure=top,
                title="Hosts (real cutouts stand-in: simulated ellipticals, HSC-like)")
    plot_images(images[:, crop, crop], labels, scaling="asinh", vmin=0.0, vmax=vmax,
                ncols=N_SHOWN, figure=middle,
                title="After inject_lenses (SIE + shear, clumpy blue source, PSF)")
    added = images - hosts
    plot_images(added[:, crop, crop], [f"magnification {m:.1f}" for m in meta["magnification"]],
                scaling="asinh", ncols=N_SHOWN, figure=bottom,
                title="The added lensed light alone")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(OUTPUT, dpi=80)
    print(f"wrote {OUTPUT.name}: {OUTPUT.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
