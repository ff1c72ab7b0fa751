"""The arguments of ``skbia predict`` (standard library only: parsing stays cheap)."""

from __future__ import annotations

import argparse

from skbia.cli._image_arguments import add_image_arguments

__all__ = ["PREDICT_DESCRIPTION", "add_predict_arguments"]

PREDICT_DESCRIPTION = """\
Score images with a model saved by 'skbia fit' (or CNNClassifier.save), or an ensemble
folder saved by 'skbia fit --ensemble' (or FoldEnsembleClassifier.save).

One .npy or FITS file with a .csv output is scored as a whole, as before: one CSV row per
image (index, predicted, score), written once every image has a score.

Survey-scale scoring streams instead: several inputs (files, glob patterns such as
'cutouts/*.npy', folders, or .txt lists of paths), HDF5 files, a .parquet output, or any of
--chunk-size, --top, --scheduler, --dataset, --id-column, --id-dataset. Then .npy files are
memory-mapped and FITS and HDF5 files read a chunk at a time, so memory does not grow with the
number of images; the CSV (or folder of Parquet parts) grows as the run goes, each row naming
its source file and the image's index in it; rerunning the same command after an
interruption continues where the output ends (--overwrite starts again); unreadable files
and images with NaN pixels (without --fill-value) are skipped and listed beside the output
(scores.skipped.csv for -o scores.csv; skipping every image is an error); --scheduler
spreads the work over a Dask cluster."""


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``skbia predict`` to its sub-parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``predict`` sub-parser.
    """
    parser.add_argument("model", help="the saved model: a .keras file or an ensemble folder")
    parser.add_argument("images", nargs="+",
                        help="images to score: .npy, FITS (.fits, .fit, .fts, .fits.gz) or HDF5 "
                             "(.h5, .hdf5) files, glob patterns (quoted), folders of such files, "
                             "or .txt/.lst files listing one path per line")
    parser.add_argument("--output", "-o", default="scores.csv", metavar="PATH",
                        help="a .csv file, or a .parquet folder of part files (recommended for "
                             "large runs; needs pyarrow), in an existing folder (default: "
                             "%(default)s). Without streaming an existing file is an error "
                             "unless --overwrite; when streaming, an earlier run's output is "
                             "continued")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace outputs that already exist (without it, an existing output "
                             "is an error before any work, or when streaming, continued where "
                             "it ends)")
    group = parser.add_argument_group("reading the images")
    add_image_arguments(group)
    group.add_argument("--dataset", metavar="NAME",
                       help="HDF5 only: the dataset holding the images (default: the file's "
                            "only 3-d or 4-d dataset)")
    group.add_argument("--id-column", metavar="NAME",
                       help="FITS only: a binary-table column holding one ID per image, "
                            "written as an 'id' column")
    group.add_argument("--id-dataset", metavar="NAME",
                       help="HDF5 only: a 1-d dataset holding one ID per image, written as an "
                            "'id' column")
    group.add_argument("--fill-value", type=float, default=None,
                       help="replace NaN/inf pixels by this value (default: such pixels are an "
                            "error naming the images, or when streaming, those images are "
                            "skipped and listed in scores.skipped.csv for -o scores.csv)")
    scoring = parser.add_argument_group("scoring")
    scoring.add_argument("--batch-size", type=int, default=64,
                         help="images per forward pass of the network, a positive integer "
                              "(default: %(default)s); without streaming also the images "
                              "scored at a time")
    scoring.add_argument("--chunk-size", type=int, default=None, metavar="N",
                         help="stream: images read and scored at a time, which bounds the "
                              "memory (default: 1024, or --batch-size if larger)")
    scoring.add_argument("--part-size", type=int, default=None, metavar="N",
                         help="stream: images per Parquet part file and per Dask task "
                              "(default: 65536)")
    scoring.add_argument("--top", type=int, default=None, metavar="K",
                         help="stream: also keep the K highest-scoring images: their cutouts "
                              "(scores.top.npy for -o scores.csv), a table (scores.top.csv) and a "
                              "picture (scores.top.png)")
    scoring.add_argument("--scheduler", metavar="ADDRESS",
                         help="stream on a Dask cluster: the scheduler's address (e.g. "
                              "tcp://host:8786), or 'local:N' for N local worker processes; "
                              "each worker loads the model once and writes its own part files "
                              "into the --output folder, which every worker must reach")
    scoring.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
