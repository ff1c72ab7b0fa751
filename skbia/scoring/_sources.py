"""Reading image files a chunk at a time: ``.npy`` memory-mapped, FITS by section, HDF5.

A source is opened from its path and a :class:`SourceOptions` (both picklable,
so a Dask worker opens its own copy); it knows how many images the file
holds and their shape from the header alone, and reads ``[start, stop)`` on
demand, so a chunk costs its own size in memory, never the file's.
"""

from __future__ import annotations

import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skbia.scoring._inputs import file_kind
from skbia.scoring._npy_errors import describe_npy_error

__all__ = ["ImageSource", "SourceOptions", "open_source"]

_FITS_HINT = ("Reading FITS files needs astropy: install it with pip install astropy "
              "(or pip install 'skbia[fits]').")
_HDF5_HINT = "Reading HDF5 files needs h5py: install it with pip install h5py."


@dataclass(frozen=True)
class SourceOptions:
    """How to find the images (and their IDs) in a file.

    Parameters
    ----------
    hdu : int, str or None, default=None
        FITS: the HDU holding the image cube (None: the first image HDU with data).
    dataset : str or None, default=None
        HDF5: the dataset holding the images (None: the file's only 3-d or 4-d dataset).
    id_column : str or None, default=None
        FITS: a column of a binary table HDU holding one ID per image.
    id_dataset : str or None, default=None
        HDF5: a 1-d dataset holding one ID per image.
    channels_first : bool, default=False
        The images are stored ``(n, bands, height, width)``; chunks are
        returned channels-last.
    """

    hdu: int | str | None = None
    dataset: str | None = None
    id_column: str | None = None
    id_dataset: str | None = None
    channels_first: bool = False


class ImageSource:
    """One image file, read a chunk at a time (see :func:`open_source`).

    Attributes
    ----------
    path : Path
        The file.
    n_images : int
        Images in the file.
    image_shape : tuple of int
        ``(height, width, bands)`` of every image, channels last.
    has_ids : bool
        Whether :meth:`ids` returns IDs.
    """

    def __init__(self, path: Path, data: Any, options: SourceOptions, *,
                 ids: np.ndarray | None = None, handle: Any = None) -> None:
        self.path = path
        self._data = data
        self._handle = handle
        self._channels_first = options.channels_first
        shape = tuple(int(d) for d in data.shape)
        _check_stack(shape, np.dtype(data.dtype), path)
        if options.channels_first:
            if len(shape) != 4:
                raise ValueError(f"--channels-first needs a 4-d array; {path} holds shape "
                                 f"{shape}.")
            shape = (shape[0], shape[2], shape[3], shape[1])
        elif len(shape) == 3:
            shape = (*shape, 1)
        self.n_images = shape[0]
        self.image_shape = shape[1:]
        if ids is not None and len(ids) != self.n_images:
            raise ValueError(f"{path} holds {self.n_images} images but {len(ids)} IDs.")
        self._ids = ids
        self.has_ids = ids is not None

    def read(self, start: int, stop: int) -> np.ndarray:
        """Return images ``[start, stop)`` as a new 4-d channels-last array (stored dtype).

        Parameters
        ----------
        start, stop : int
            The range of images, ``0 <= start < stop <= n_images``.

        Returns
        -------
        images : ndarray of shape (stop - start, height, width, bands)
        """
        chunk = np.asarray(self._data[start:stop])
        if self._channels_first:
            chunk = np.moveaxis(chunk, 1, -1)
        elif chunk.ndim == 3:
            chunk = chunk[..., np.newaxis]
        if chunk.base is not None or not chunk.flags.c_contiguous:
            # a view of the memory map: read it now (in the reader thread), detached
            chunk = np.array(chunk, order="C")
        return chunk

    def ids(self, start: int, stop: int) -> np.ndarray | None:
        """Return the IDs of images ``[start, stop)``, or None without an ID column."""
        return None if self._ids is None else self._ids[start:stop]

    def close(self) -> None:
        """Release the file."""
        self._data = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(path: str | Path, options: SourceOptions | None = None) -> ImageSource:
    """Open an image file for reading in chunks, checking its header.

    Parameters
    ----------
    path : str or Path
        A ``.npy``, FITS or HDF5 file (by suffix).
    options : SourceOptions, optional
        Where the images and IDs are in the file.

    Returns
    -------
    source : ImageSource

    Raises
    ------
    ValueError
        If the file cannot be read or does not hold a numeric 3-d or 4-d
        stack of images (the message names the file and the reason).
    ImportError
        If reading FITS or HDF5 needs a package that is not installed.
    """
    path = Path(path)
    options = options or SourceOptions()
    kind = file_kind(path)
    if kind == "npy":
        if options.hdu is not None or options.dataset is not None:
            raise ValueError(f"--hdu and --dataset do not apply to the .npy file {path}.")
        mapped = _open_npy(path)
        if mapped.flags.c_contiguous and mapped.dtype.itemsize and hasattr(os, "preadv"):
            reader = _NpyReader(path, mapped)
            return ImageSource(path, reader, options, handle=reader)
        return ImageSource(path, mapped, options)
    if kind == "fits":
        return _open_fits(path, options)
    if kind == "hdf5":
        return _open_hdf5(path, options)
    raise ValueError(f"Cannot read {path}: not a .npy, FITS or HDF5 file.")


def _check_stack(shape: tuple[int, ...], dtype: np.dtype, path: Path) -> None:
    """Check that an array of ``shape`` and ``dtype`` is a non-empty stack of images."""
    if len(shape) not in (3, 4):
        raise ValueError(f"{path} holds an array of shape {shape}; a stack of images must be "
                         "3-d (n_images, height, width) or 4-d (n_images, height, width, "
                         "bands).")
    if dtype.kind not in "biuf":
        raise ValueError(f"{path} holds {dtype} values, not pixel numbers.")
    if shape[0] == 0:
        raise ValueError(f"{path} holds no images (shape {shape}).")


def _open_npy(path: Path) -> np.ndarray:
    """Memory-map a ``.npy`` file (never unpickling)."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError, pickle.UnpicklingError) as error:
        raise ValueError(f"Cannot read the image file {path}: {describe_npy_error(error)}") \
            from error
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise ValueError(f"The image file {path} is an .npz archive, not a .npy array.")
    return array


class _NpyReader:
    """Reads ranges of images of a C-ordered ``.npy`` file with ``os.pread``.

    The file is opened memory-mapped (``np.load(mmap_mode="r")``) for its
    header, shape and dtype, but read with positioned reads into a new array:
    pages of a memory map that have been read stay in the process's resident
    memory until unmapped, so reading through the map would make the peak
    RSS grow with the number of images read; ``pread`` keeps it at a chunk.
    """

    def __init__(self, path: Path, mapped: np.memmap) -> None:
        self.shape = mapped.shape
        self.dtype = mapped.dtype
        self._offset = int(mapped.offset)
        self._image_bytes = int(np.prod(mapped.shape[1:], dtype=np.int64)) * mapped.dtype.itemsize
        self._mapped = mapped
        self._fd = os.open(path, os.O_RDONLY)

    def __getitem__(self, key: slice) -> np.ndarray:
        start, stop, _ = key.indices(self.shape[0])
        out = np.empty((max(stop - start, 0), *self.shape[1:]), dtype=self.dtype)
        view = memoryview(out.reshape(-1).view(np.uint8))
        position, done = self._offset + start * self._image_bytes, 0
        while done < len(view):
            got = os.preadv(self._fd, [view[done:]], position + done)
            if got == 0:
                raise EOFError(f"the file ends before image {start + done // self._image_bytes}")
            done += got
        return out

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._mapped = None


def _open_fits(path: Path, options: SourceOptions) -> ImageSource:
    """Open a FITS cube for reading by section (and its ID column, if asked)."""
    try:
        from astropy.io import fits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(_FITS_HINT) from error
    if options.dataset is not None:
        raise ValueError(f"--dataset applies to HDF5 files, not to the FITS file {path}.")
    hdu = options.hdu
    if isinstance(hdu, str) and hdu.isdigit():
        hdu = int(hdu)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            hdul = fits.open(path, memmap=True)
            hdul.verify("silentfix")
            chosen = _fits_image_hdu(hdul, hdu, path)
            ids = None
            if options.id_column is not None:
                ids = _fits_ids(hdul, options.id_column, path)
            data = chosen.section if not path.name.lower().endswith(".gz") else chosen.data
            shape = chosen.shape
        except (OSError, EOFError, TypeError, IndexError, KeyError) as error:
            raise ValueError(f"Cannot read the FITS file {path}: {_first_line(error)}.") \
                from error
    return ImageSource(path, _Shaped(data, shape, chosen), options, ids=ids, handle=hdul)


class _Shaped:
    """A FITS section with the shape and dtype of its HDU."""

    def __init__(self, section: Any, shape: tuple[int, ...], hdu: Any) -> None:
        self._section = section
        self.shape = tuple(shape)
        bitpix = {8: "u1", 16: "i2", 32: "i4", 64: "i8", -32: "f4", -64: "f8"}
        scaled = "BSCALE" in hdu.header or "BZERO" in hdu.header
        self.dtype = np.dtype("f8" if scaled else bitpix.get(hdu.header["BITPIX"], "f8"))

    def __getitem__(self, key: slice) -> np.ndarray:
        return np.asarray(self._section[key])


def _fits_image_hdu(hdul: Any, hdu: int | str | None, path: Path) -> Any:
    """Return the HDU holding the images: ``hdu``, or the first image HDU with data."""
    if hdu is None:
        for candidate in hdul:
            if candidate.is_image and candidate.header.get("NAXIS", 0) > 0:
                return candidate
        raise ValueError(f"{path} has no image HDU with data.")
    try:
        chosen = hdul[hdu]
    except (KeyError, IndexError) as error:
        raise ValueError(f"{path} has no HDU {hdu!r} ({len(hdul)} HDUs).") from error
    if not chosen.is_image or chosen.header.get("NAXIS", 0) == 0:
        raise ValueError(f"HDU {hdu!r} of {path} holds no image data.")
    return chosen


def _fits_ids(hdul: Any, column: str, path: Path) -> np.ndarray:
    """Return the ID column ``column`` from the first table HDU of ``hdul`` that has it."""
    for candidate in hdul:
        names = getattr(getattr(candidate, "columns", None), "names", None) or []
        if column in names:
            return np.asarray(candidate.data[column])
    raise ValueError(f"{path} has no table column {column!r} (for --id-column).")


def _open_hdf5(path: Path, options: SourceOptions) -> ImageSource:
    """Open an HDF5 dataset for reading by slices (and its ID dataset, if asked)."""
    try:
        import h5py
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(_HDF5_HINT) from error
    if options.hdu is not None:
        raise ValueError(f"--hdu applies to FITS files, not to the HDF5 file {path}.")
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"Cannot read the HDF5 file {path}: {_first_line(error)}.") from error
    try:
        data = _hdf5_dataset(handle, options.dataset, path, h5py)
        ids = None
        if options.id_dataset is not None:
            if options.id_dataset not in handle:
                raise ValueError(f"{path} has no dataset {options.id_dataset!r} "
                                 "(for --id-dataset).")
            ids = np.asarray(handle[options.id_dataset][()])
            if ids.ndim != 1:
                raise ValueError(f"The ID dataset {options.id_dataset!r} of {path} is not 1-d "
                                 f"(shape {ids.shape}).")
            if ids.dtype.kind in "SO":
                ids = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in ids])
        return ImageSource(path, data, options, ids=ids, handle=handle)
    except BaseException:
        handle.close()
        raise


def _hdf5_dataset(handle: Any, name: str | None, path: Path, h5py: Any) -> Any:
    """Return the dataset ``name``, or the file's only 3-d or 4-d dataset."""
    if name is not None:
        if name not in handle or not isinstance(handle[name], h5py.Dataset):
            raise ValueError(f"{path} has no dataset {name!r} (for --dataset).")
        return handle[name]
    found: list[str] = []
    handle.visititems(lambda key, item: found.append(key)
                      if isinstance(item, h5py.Dataset) and item.ndim in (3, 4) else None)
    if len(found) != 1:
        listed = ", ".join(found[:5]) or "none"
        raise ValueError(f"{path} holds {len(found)} 3-d or 4-d datasets ({listed}); name the "
                         "one holding the images with --dataset.")
    return handle[found[0]]


def _first_line(error: BaseException) -> str:
    """Return the first line of an error message."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
