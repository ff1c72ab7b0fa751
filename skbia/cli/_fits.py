"""Reading image stacks from FITS files (needs the optional ``astropy`` dependency)."""

from __future__ import annotations

import warnings
import zlib
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
        If the file is not a readable FITS file or is truncated, no HDU holds
        data, or the data do not have the expected number of dimensions; the
        message names the file.
    """
    try:
        from astropy.io import fits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from error
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FITS file not found: {path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # astropy warns of truncation, then fails or reads less
        try:
            data = _read_data(fits, path, hdu)
        except _NamedError:
            raise
        except (OSError, EOFError, ValueError, TypeError, zlib.error) as error:
            raise ValueError(f"Cannot read the FITS file {path}: unreadable or truncated "
                             f"({_first_line(error)}{_truncation(caught)}).") from error
    truncated = _truncation(caught)
    if truncated:
        raise ValueError(f"The FITS file {path} is truncated ({truncated.lstrip('; ')}).")
    for warning in caught:  # the others, as astropy gave them
        warnings.warn(warning.message, warning.category, stacklevel=2)
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


class _NamedError(ValueError):
    """An error of :func:`_read_data` whose message already names the file and the HDU."""


def _read_data(fits, path: Path, hdu: int | str | None) -> np.ndarray:
    """Return a copy of the data of ``hdu`` (or of the first HDU holding data)."""
    with fits.open(path, memmap=False) as hdul:
        if hdu is None:
            with_data = [h for h in hdul if h.data is not None]
            if not with_data:
                raise _NamedError(f"{path} has no HDU with data.")
            data = with_data[0].data
        else:
            try:
                data = hdul[hdu].data
            except (KeyError, IndexError) as error:
                raise _NamedError(f"{path} has no HDU {hdu!r} ({len(hdul)} HDUs).") from error
            if data is None:
                raise _NamedError(f"HDU {hdu!r} of {path} has no data.")
        return np.array(data)  # detach from the file


def _truncation(caught: list) -> str:
    """Return ``"; <astropy's truncation warning>"``, or ``""`` if it gave none."""
    for warning in caught:
        if "truncated" in str(warning.message):
            return f"; {warning.message}"
    return ""


def _first_line(error: BaseException) -> str:
    """Return the first line of an error message (astropy's run over several)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
