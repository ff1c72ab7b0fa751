"""Reading image stacks from FITS files (needs the optional ``astropy`` dependency)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_INSTALL_HINT = (
    "Reading FITS files needs astropy: install it with pip install astropy "
    "(or pip install 'skbia[fits]')."
)


def read_fits_cube(
    path: str | Path, *, hdu: int | str | None = None, channels_first: bool = False
) -> np.ndarray:
    """Read a stack of images from a FITS file.

    Parameters
    ----------
    path : str or Path
        The FITS file.
    hdu : int, str or None, default=None
        Index or name of the HDU holding the images. None takes the first HDU
        that has data.
    channels_first : bool, default=False
        How the data array (in numpy's axis order, i.e. FITS' ``NAXISn`` reversed)
        is laid out: False means ``(n_images, height, width)`` or
        ``(n_images, height, width, channels)``; True means
        ``(n_images, channels, height, width)``, which is moved to channels-last.

    Returns
    -------
    images : ndarray
        The data as stored (byte order and dtype unchanged, e.g. big-endian
        ``>f4``); :func:`skbia.utils.check_images` converts it.

    Raises
    ------
    ImportError
        If astropy is not installed.
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If no HDU holds data, or the data do not have the expected number of
        dimensions.
    """
    try:
        from astropy.io import fits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from error
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FITS file not found: {path}")
    with fits.open(path, memmap=False) as hdul:
        if hdu is None:
            with_data = [h for h in hdul if h.data is not None]
            if not with_data:
                raise ValueError(f"{path} has no HDU with data.")
            data = with_data[0].data
        else:
            try:
                data = hdul[hdu].data
            except (KeyError, IndexError) as error:
                raise ValueError(f"{path} has no HDU {hdu!r} ({len(hdul)} HDUs).") from error
            if data is None:
                raise ValueError(f"HDU {hdu!r} of {path} has no data.")
        data = np.array(data)  # detach from the file
    if channels_first:
        if data.ndim != 4:
            raise ValueError(
                f"channels_first needs a 4-d (n_images, channels, height, width) array; "
                f"{path} holds shape {data.shape}."
            )
        data = np.moveaxis(data, 1, -1)
    elif data.ndim not in (3, 4):
        raise ValueError(
            f"{path} holds an array of shape {data.shape}; a stack of images must be 3-d "
            f"(n_images, height, width) or 4-d (n_images, height, width, channels)."
        )
    return data
