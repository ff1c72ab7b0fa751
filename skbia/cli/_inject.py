"""``skbia inject``: paint synthetic lenses into host images and save them for inspection."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

from skbia.cli._common import Timer, load_images
from skbia.cli._injection_flags import (
    check_injection_settings,
    missing_camera_flags,
    physics_parameters,
)
from skbia.cli._outputs import check_output_folder

# what skbia inject writes into its output folder
INJECT_OUTPUTS = ("injected.npy", "hosts.npy", "metadata.csv", "injected.png")


def run_inject(args: argparse.Namespace) -> int:
    """Run ``skbia inject`` (see ``skbia inject --help``).

    The arguments and the output folder are checked before the images are
    read, and the injection settings before any injection.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments.

    Returns
    -------
    status : int
        0 on success.
    """
    physics = _check_arguments(args)
    output = check_output_folder(args.output, flag="--output", writes=INJECT_OUTPUTS,
                                 overwrite=args.overwrite)
    images = load_images(args.images, hdu=args.hdu, channels_first=args.channels_first)
    check_injection_settings(physics, images.shape)
    chosen = choose_hosts(images, args)

    import matplotlib

    matplotlib.use("Agg")
    from skbia.datasets import inject_lenses

    with Timer(f"painting lenses into {len(chosen)} host images of shape "
               f"{tuple(images.shape[1:])}"):
        injected, metadata = inject_lenses(
            images[chosen], **physics, n_jobs=args.n_jobs,
            random_state=np.random.default_rng([args.random_state, 1]), return_metadata=True,
        )
    kept = np.asarray(metadata["host_index"], dtype=np.intp)
    host_index = chosen[kept]
    hosts = np.asarray(images[host_index], dtype=np.float32)
    print(_summary(metadata, len(chosen)))

    output.mkdir(exist_ok=True)
    np.save(output / "injected.npy", injected)
    np.save(output / "hosts.npy", hosts)
    write_metadata_csv(output / "metadata.csv", metadata, host_index)
    if args.plot_count > 0:
        figure = injection_figure(hosts, injected, metadata, args.plot_count,
                                  host_index=host_index)
        figure.savefig(output / "injected.png", dpi=110)
    print(f"saved in {output}/: injected.npy {tuple(injected.shape)}, hosts.npy (the host of "
          "each injected image, same order), metadata.csv (one row per image)"
          + (", injected.png" if args.plot_count > 0 else ""))
    return 0


def _check_arguments(args: argparse.Namespace) -> dict[str, Any]:
    physics = physics_parameters(args)
    missing = missing_camera_flags(physics)
    if missing:
        raise ValueError("skbia inject needs the camera settings of the images: give "
                         + ", ".join(missing) + ".")
    if args.n_injected is not None and args.n_injected < 1:
        raise ValueError(f"--n-injected must be at least 1; got {args.n_injected}.")
    if args.plot_count < 0:
        raise ValueError(f"--plot-count must be 0 or more; got {args.plot_count}.")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise ValueError("--n-jobs must be a positive number of threads, or -1 for all cores; "
                         "got 0.")
    return physics


def choose_hosts(images: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    """Return the indices of the images to paint into, in the order they are used.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C)
        The candidate hosts.
    args : argparse.Namespace
        ``indices`` (a ``.npy`` file of indices or a boolean mask) or
        ``select``; ``n_injected`` and ``random_state``.

    Returns
    -------
    indices : ndarray of int
        Without ``n_injected``, every selected host in index order;
        otherwise ``n_injected`` of them drawn at random (without replacement
        when there are enough, else with replacement).

    Raises
    ------
    ValueError
        If the indices file is unreadable or not indices or a mask of the
        images, or no image is selected.
    """
    from skbia.datasets import select_hosts

    method: Any = args.select
    if args.indices is not None:
        method = _load_indices(args.indices)
    candidates = select_hosts(images, method)
    source = f"--indices {args.indices}" if args.indices is not None else f"--select {args.select}"
    if len(candidates) == 0:
        raise ValueError(f"{source} selects no host among the {len(images)} images.")
    print(f"hosts: {len(candidates)} of {len(images)} images selected by {source}")
    if args.n_injected is None:
        return candidates
    rng = np.random.default_rng([args.random_state, 0])
    replace = args.n_injected > len(candidates)
    if replace:
        print(f"  {args.n_injected} injections from {len(candidates)} hosts: hosts are reused "
              "(each with a new lensed source)")
    drawn = rng.choice(candidates, size=args.n_injected, replace=replace)
    return drawn if replace else np.sort(drawn)


def _load_indices(path: str) -> np.ndarray:
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--indices: file not found: {path}")
    try:
        values = np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"--indices: cannot read {path} as a .npy array ({error}).") from None
    if values.ndim != 1 or not (values.dtype == bool or np.issubdtype(values.dtype, np.integer)):
        raise ValueError(f"--indices: {path} must hold a 1-d array of integer indices or a "
                         f"boolean mask; got shape {values.shape} and dtype {values.dtype}.")
    return values


def metadata_rows(metadata: dict, host_index: np.ndarray) -> tuple[list[str], list[list]]:
    """Flatten the per-image metadata of ``inject_lenses`` into CSV columns.

    Parameters
    ----------
    metadata : dict
        From :func:`skbia.datasets.inject_lenses` (``return_metadata=True``).
    host_index : ndarray of int
        The index of each image's host in the user's input file.

    Returns
    -------
    header : list of str
        ``image``, ``host_index`` and one column per field; fields with one
        value per band become ``<field>_band0``, ``<field>_band1``, ...; the
        centre becomes ``center_row`` and ``center_col``.
    rows : list of list
        One row per injected image.
    """
    from skbia.datasets import INJECTION_METADATA_FIELDS

    columns: list[tuple[str, np.ndarray]] = [("image", np.arange(len(host_index))),
                                             ("host_index", np.asarray(host_index))]
    for field in INJECTION_METADATA_FIELDS:
        if field == "host_index":
            continue
        values = np.asarray(metadata[field])
        if values.ndim == 1:
            columns.append((field, values))
        elif field == "center":
            columns += [("center_row", values[:, 0]), ("center_col", values[:, 1])]
        else:
            columns += [(f"{field}_band{b}", values[:, b]) for b in range(values.shape[1])]
    header = [name for name, _ in columns]
    rows = [[_cell(values[i]) for _, values in columns] for i in range(len(host_index))]
    return header, rows


def _cell(value: Any) -> Any:
    if isinstance(value, np.integer | int):
        return int(value)
    return float(f"{float(value):.6g}")


def write_metadata_csv(path: Path, metadata: dict, host_index: np.ndarray) -> None:
    """Write one CSV row of metadata per injected image (see :func:`metadata_rows`).

    Parameters
    ----------
    path : Path
        The CSV file.
    metadata : dict
        From :func:`skbia.datasets.inject_lenses`.
    host_index : ndarray of int
        The index of each image's host in the input file.
    """
    header, rows = metadata_rows(metadata, host_index)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _summary(metadata: dict, n_hosts: int) -> str:
    kept = len(metadata["host_index"])
    radius = np.asarray(metadata["einstein_radius"])
    snr = np.max(np.asarray(metadata["source_snr"]), axis=1) if kept else np.zeros(0)
    text = (f"  {kept} of {n_hosts} hosts got a detectable lensed source; "
            f"{metadata['rejected_fraction']:.1%} of the draws failed the quality cut "
            f"({', '.join(f'{k}: {v}' for k, v in metadata['rejections'].items())})")
    if kept:
        text += (f"\n  Einstein radius {np.median(radius):.2f}\" median "
                 f"({radius.min():.2f}-{radius.max():.2f}\"), best-band source S/N "
                 f"{np.median(snr):.0f} median")
    return text


def injection_figure(hosts: np.ndarray, injected: np.ndarray, metadata: dict, n: int = 8,
                     *, host_index: np.ndarray | None = None, crop: int | None = None,
                     title: str | None = None):
    """Two rows: host images (top) and the same hosts with their injected lens (bottom).

    Parameters
    ----------
    hosts, injected : ndarray of shape (m, H, W, C)
        Each injected image and its host, in the same order.
    metadata : dict
        From :func:`skbia.datasets.inject_lenses`; the Einstein radius and
        best-band source S/N label the injected images.
    n : int, default=8
        Pairs shown (the first ``n``).
    host_index : ndarray of int, optional
        The hosts' indices shown above them (default: the metadata's
        ``host_index``).
    crop : int, optional
        Show only the central ``crop`` x ``crop`` pixels (where the arcs are).
    title : str, optional
        Figure title; by default one that says what the rows are.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    from skbia.plotting import plot_images

    n = min(n, len(injected))
    radius = np.asarray(metadata["einstein_radius"])[:n]
    snr = np.max(np.asarray(metadata["source_snr"])[:n], axis=1)
    index = np.asarray(metadata["host_index"] if host_index is None else host_index)[:n]
    titles = [f"host {int(i)}" for i in index]
    titles += [f"θE {r:.1f}\", S/N {s:.0f}" for r, s in zip(radius, snr, strict=True)]
    panels = np.concatenate([hosts[:n], injected[:n]])
    if crop is not None and crop < min(panels.shape[1:3]):
        top, left = (panels.shape[1] - crop) // 2, (panels.shape[2] - crop) // 2
        panels = panels[:, top:top + crop, left:left + crop]
    return plot_images(
        panels, titles, ncols=n, scaling="asinh",
        title=title or "Hosts (top) and the same images with an injected lens (bottom)",
    )
