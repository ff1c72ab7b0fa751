"""The image-reading flags every subcommand that reads image files shares."""

from __future__ import annotations


def add_image_arguments(group) -> None:
    """Add ``--hdu`` and ``--channels-first`` to a parser or argument group.

    Parameters
    ----------
    group : argparse.ArgumentParser or argparse._ArgumentGroup
        Where the flags go.
    """
    group.add_argument("--hdu", default=None,
                       help="FITS only: index or name of the HDU holding the images "
                            "(default: the first HDU with data)")
    group.add_argument("--channels-first", action="store_true",
                       help="the arrays are (n, channels, height, width) instead of "
                            "(n, height, width, channels)")
